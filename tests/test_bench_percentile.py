"""The one percentile of the scripts (benchlib.latency.percentile: bench,
loadtest, eval_typos) is nearest rank, checked against its definition by
brute force: the smallest value that at least p % of the values are at or
below."""
from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from benchlib.latency import percentile, percentiles  # noqa: E402


def _by_definition(values: list[float], p: int) -> float:
    n = len(values)
    return min(v for v in values if 100 * sum(x <= v for x in values) >= p * n)


@pytest.mark.parametrize("seed", range(30))
def test_percentile_is_the_nearest_rank_by_definition(seed):
    rng = random.Random(seed)
    values = [round(rng.uniform(0, 50), rng.choice([0, 1, 3]))
              for _ in range(rng.choice([1, 2, 19, 20, 100, 255, 510, 1020]))]
    for p in (1, 25, 50, 90, 95, 99, 100):
        assert percentile(values, p) == _by_definition(values, p), (len(values), p)
    stats = percentiles(values)
    assert (stats["p50"], stats["p95"], stats["p99"], stats["max"]) == tuple(
        round(_by_definition(values, p), 2) for p in (50, 95, 99, 100))
    assert stats["n"] == len(values)


def test_an_integer_rank_is_that_value_not_the_next():
    # p95 of 1..100 is 95 (the 95th smallest), p50 of 1..20 is 10: no
    # interpolation and no rounding to the next rank.
    assert percentile(list(range(100, 0, -1)), 95) == 95
    assert percentile(list(range(1, 21)), 50) == 10
    assert percentile([10.0, 20.0], 50) == 10.0


def test_no_values():
    assert percentile([], 95) == 0.0
    assert percentiles([]) == {"n": 0}
