"""Set operations on sorted integer arrays, by sort and bisection.

Every part of a query works on sorted arrays of document keys or local
numbers (posting lists, reprint groups, facets): these are the few
operations they share.  They stand apart from `archive.grams`, which first
needed them, because numpy 2's own np.unique / np.intersect1d cost several
times more on the arrays of a query (figures in each docstring), and a
fresh `archive search` must not import numpy.ma that np.unique pulls in.
"""
from __future__ import annotations

import numpy as np


def find_sorted(sorted_keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position, found): where each of `values` stands in `sorted_keys`, by
    bisection; a position is meaningful only where found is True."""
    if not sorted_keys.size:
        return np.zeros(values.size, dtype=np.intp), np.zeros(values.size, dtype=bool)
    at = np.searchsorted(sorted_keys, values)
    at[at == sorted_keys.size] = 0
    return at, sorted_keys[at] == values


def intersect_sorted(lists: list[np.ndarray]) -> np.ndarray:
    """The values in every one of `lists` (each sorted and unique).

    The shortest list is probed into the others by bisection: the cost
    follows the shortest list, not the longest (a common character's list
    holds nearly every document of the segment).
    """
    lists = sorted(lists, key=len)
    result = np.asarray(lists[0])
    for other in lists[1:]:
        if other is result:
            continue
        if not result.size or not other.size:
            return result[:0]
        result = result[find_sorted(other, result)[1]]
    return result


def positions_of_every(sorted_values: np.ndarray, wanted: np.ndarray,
                       repeats: bool = True) -> np.ndarray:
    """Ascending positions in `sorted_values` of every entry equal to one of
    `wanted` (sorted): all the copies of a value held more than once.

    A merged gram segment holds a key twice when a sync re-added its
    bulletin (`archive.gram_merge`), and a lookup restricted to some keys
    must see both copies.  Each wanted value's run is found by two
    bisections and the runs' positions made without a Python loop (a run's
    start repeated over its width, plus 0, 1, ... within it).
    `repeats=False` promises that no value is held twice (the caller knows
    it from building `sorted_values`): one bisection instead of two.
    """
    if not repeats:
        at, found = find_sorted(sorted_values, wanted)
        return at[found]
    starts = np.searchsorted(sorted_values, wanted)
    widths = np.searchsorted(sorted_values, wanted, side="right") - starts
    before = np.cumsum(widths) - widths          # positions output before each run
    return np.repeat(starts - before, widths) + np.arange(int(widths.sum()))


def holds_repeats(sorted_values: np.ndarray) -> bool:
    """Whether a sorted array holds some value more than once."""
    return bool(sorted_values.size) and bool((sorted_values[1:] == sorted_values[:-1]).any())


def run_starts(values: np.ndarray) -> np.ndarray:
    """True where a sorted array's value differs from the one before."""
    starts = np.empty(values.size, dtype=bool)
    if values.size:
        starts[0] = True
        np.not_equal(values[1:], values[:-1], out=starts[1:])
    return starts


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted, sorting `values` in place."""
    # np.unique is several times slower on large uint64 arrays than this.
    values.sort()
    return values[run_starts(values)]



def keys_union(found: list[np.ndarray]) -> np.ndarray:
    """The sorted distinct keys of all of `found` (int64, empty when none)."""
    found = [f for f in found if f.size]
    if not found:
        return np.empty(0, dtype=np.int64)
    return unique_sorted(np.concatenate(found) if len(found) > 1 else found[0])



def unique_sorted(values: np.ndarray) -> np.ndarray:
    """np.unique for the integer arrays of a query: a sort and a comparison
    (numpy 2's hashing np.unique took ~3 ms for 50,000 keys, 10x more)."""
    values = np.sort(values)
    return values[run_starts(values)]


def unique_counts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(values, return_counts=True) the same way: numpy 2.4's took
    18 ms for 50,000 reprint group numbers, this 1.4 ms (load ~15)."""
    values = np.sort(values)
    first = np.flatnonzero(run_starts(values))
    return values[first], np.diff(np.append(first, values.size))

