"""The term dictionary of a gram segment: its sorted gram codes, 4 bytes each.

A gram code (`archive.gram_codes`) needs up to 41 bits (a bigram of two
astral characters), so segments before this module stored it as uint64: the
second biggest file of the gram index (29.7 MB of the 53k archive).  Sorted
codes share their high bits in long runs — the bigrams of CJK text have
``code >> 32`` between 5 and 11, and a segment of 4,000 bulletins holds only
~10 distinct values — so a segment now stores, in one uint32 file
``NNNN.terms32.npy``::

    [k, high_0 .. high_k-1, start_0 .. start_k, low_0 .. low_n-1]

the k distinct high words of its codes, where each one's run begins in the
low words (start_k = n), and the low 32 bits of every code.  Term number i
(the index into ``offsets``) is the position of its low word, as before.
Every code still has a place, astral characters included: no exception path.
A segment written before (``NNNN.terms.npy``, uint64) is read as it was.
"""
from __future__ import annotations

from bisect import bisect_left
from pathlib import Path

import numpy as np

from .npyfiles import map_array
from .sorted_arrays import find_sorted, run_starts

SPLIT_FILE = "terms32"
FLAT_FILE = "terms"
_LOW = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)


def split_codes(codes: np.ndarray) -> np.ndarray:
    """The uint32 layout above of sorted unique uint64 `codes`."""
    highs = codes >> _SHIFT
    first = np.flatnonzero(run_starts(highs)) if codes.size else np.empty(0, dtype=np.intp)
    k = first.size
    if codes.size >= 1 << 32:
        raise OverflowError("too many terms for one segment")
    out = np.empty(2 + 2 * k + codes.size, dtype=np.uint32)
    out[0] = k
    out[1:1 + k] = highs[first]
    out[1 + k:1 + 2 * k] = first
    out[1 + 2 * k] = codes.size
    out[2 + 2 * k:] = codes & _LOW
    return out


def stored(codes: np.ndarray) -> tuple[str, np.ndarray]:
    """(file suffix, array) a segment's writer saves for sorted `codes`."""
    return SPLIT_FILE, split_codes(codes)


class SplitTerms:
    """Lookup in the uint32 layout: the codes' high words pick a run, one
    bisection a run (a query's codes fall in 1-3 runs)."""

    FEW = 32      # up to this many codes, `find` bisects in Python

    def __init__(self, packed: np.ndarray):
        k = int(packed[0])
        self.highs = np.asarray(packed[1:1 + k], dtype=np.uint64)
        self.starts = np.asarray(packed[1 + k:2 + 2 * k], dtype=np.intp).tolist()
        self.lows = packed[2 + 2 * k:]
        self.size = self.lows.size
        self._run_of = {high: r for r, high in enumerate(self.highs.tolist())}
        self._lows_view = memoryview(np.ascontiguousarray(self.lows)).cast("B").cast("I") \
            if self.size else memoryview(b"").cast("I")

    def find(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(term number, found) of each of `codes` (uint64), like
        `sorted_arrays.find_sorted` on the flat array of codes."""
        if codes.size <= self.FEW:
            return self._find_few(codes.tolist())
        return self._find_many(codes)

    def _find_few(self, codes: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """A query's codes (most hold under a dozen): bisection in Python on
        a memoryview of the low words, ~2.5 us a code at load 6; the numpy
        calls of `_find_many` cost ~160 us for 9 codes in 3 runs, and the
        single bisection of a flat uint64 array ~20 us (same load)."""
        lows, run_of, starts = self._lows_view, self._run_of, self.starts
        at, found = [], []
        for code in codes:
            r = run_of.get(code >> 32)
            if r is None:
                at.append(0)
                found.append(False)
                continue
            low, end = code & 0xFFFFFFFF, starts[r + 1]
            place = bisect_left(lows, low, starts[r], end)
            hit = place < end and lows[place] == low
            at.append(place if hit else 0)
            found.append(hit)
        return np.array(at, dtype=np.intp), np.array(found, dtype=bool)

    def _find_many(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Many codes (a suggestion's words): one bisection of numpy a run
        (numpy 2's np.unique is avoided: it imports numpy.ma on first use,
        `gram_codes.codes_of`)."""
        at = np.zeros(codes.size, dtype=np.intp)
        found = np.zeros(codes.size, dtype=bool)
        if not self.highs.size:
            return at, found
        run, in_runs = find_sorted(self.highs, codes >> _SHIFT)
        lows = (codes & _LOW).astype(np.uint32)
        for r in set(run[in_runs].tolist()):
            mine = in_runs & (run == r)
            start, end = self.starts[r], self.starts[r + 1]
            place, hit = find_sorted(self.lows[start:end], lows[mine])
            at[mine] = place + start
            found[mine] = hit
        return at, found

    def codes(self) -> np.ndarray:
        """Every code, uint64, in order (for tools that merge segments)."""
        out = self.lows.astype(np.uint64)
        for r, high in enumerate(self.highs.tolist()):
            out[self.starts[r]:self.starts[r + 1]] |= np.uint64(high) << _SHIFT
        return out


class FlatTerms:
    """A segment written before `SplitTerms`: the codes as one uint64 array."""

    def __init__(self, codes: np.ndarray):
        self._codes = codes
        self.size = codes.size

    def find(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return find_sorted(self._codes, codes)

    def codes(self) -> np.ndarray:
        return self._codes


def open_terms(directory: Path, name: str) -> SplitTerms | FlatTerms:
    split = directory / f"{name}.{SPLIT_FILE}.npy"
    if split.exists():
        return SplitTerms(map_array(split))
    return FlatTerms(map_array(directory / f"{name}.{FLAT_FILE}.npy"))
