"""archive.sorted_arrays against plain Python: positions of every copy of
the wanted values in a sorted array that may hold values more than once
(a merged gram segment's keys, `Segment.local_of`)."""
from __future__ import annotations

import random

import numpy as np
import pytest

from archive.sorted_arrays import holds_repeats, positions_of_every


def _oracle(values: list[int], wanted: list[int]) -> list[int]:
    chosen = set(wanted)
    return [i for i, v in enumerate(values) if v in chosen]


def _sorted_with_repeats(rng: random.Random) -> list[int]:
    size = rng.choice([0, 1, 2, 5, 30, 200])
    return sorted(rng.randint(0, 60) for _ in range(size))


@pytest.mark.parametrize("seed", range(40))
def test_positions_of_every_copy_are_the_brute_force_ones(seed):
    rng = random.Random(seed)
    values = _sorted_with_repeats(rng)
    wanted = sorted(rng.sample(range(-5, 70), rng.choice([0, 1, 3, 20, 75])))
    array, asked = np.asarray(values, dtype=np.int64), np.asarray(wanted, dtype=np.int64)
    got = positions_of_every(array, asked)
    assert got.tolist() == _oracle(values, wanted)
    assert holds_repeats(array) == (len(set(values)) < len(values))


@pytest.mark.parametrize("seed", range(20))
def test_without_repeats_one_bisection_gives_the_same_positions(seed):
    rng = random.Random(seed)
    values = sorted(rng.sample(range(1000), rng.choice([0, 1, 7, 300])))
    wanted = sorted(rng.sample(range(0, 1010), rng.choice([0, 1, 50, 500])))
    array, asked = np.asarray(values, dtype=np.uint64), np.asarray(wanted, dtype=np.int64)
    expected = _oracle(values, wanted)
    assert not holds_repeats(array)
    assert positions_of_every(array, asked.astype(np.uint64), repeats=False).tolist() == expected
    assert positions_of_every(array, asked.astype(np.uint64)).tolist() == expected


def test_a_value_held_three_times_gives_three_positions():
    array = np.asarray([2, 4, 4, 4, 9, 9], dtype=np.int64)
    assert positions_of_every(array, np.asarray([4, 9])).tolist() == [1, 2, 3, 4, 5]
    assert positions_of_every(array, np.asarray([3, 10])).tolist() == []
    assert holds_repeats(array) and not holds_repeats(array[:2])
