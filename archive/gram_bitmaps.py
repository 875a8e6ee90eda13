"""Gram posting lists kept as bitmaps (`archive.grams`).

A common character's or bigram's list holds most documents of a segment: 2
bytes a document as uint16 local numbers, 1 bit as a bitmap.  Lists longer
than a bitmap of their segment held 43% of the postings of the 53k archive
(78 MB as uint16), 22 MB less as bits.  A segment keeps them as rows of one
uint8 array (``NNNN.bitmaps.npy``, `np.packbits` order: document d is bit
7 - d % 8 of byte d // 8), with the sorted numbers of their terms
(``NNNN.dense.npy``); their range in the offsets array is empty.
"""
from __future__ import annotations

import numpy as np


def is_dense(counts: np.ndarray, itemsize: int, docs: int) -> np.ndarray:
    """Which lists of these lengths are kept as bitmaps in a segment of
    `docs` documents: those longer than a bitmap, as `itemsize`-byte
    numbers."""
    return counts * itemsize > (docs + 7) // 8


def split_dense(counts: np.ndarray, postings: np.ndarray, docs: int):
    """(offsets, postings, dense term numbers, bitmaps) of a segment of `docs`
    documents whose term i has counts[i] of `postings` (in term order)."""
    width = (docs + 7) // 8
    dense = is_dense(counts, postings.itemsize, docs)
    in_dense = np.repeat(dense, counts)
    rows = np.repeat(np.arange(int(dense.sum()), dtype=np.int64), counts[dense])
    bits = np.zeros(int(dense.sum()) * width * 8, dtype=bool)
    bits[rows * (width * 8) + postings[in_dense]] = True
    bitmaps = np.packbits(bits.reshape(-1, width * 8), axis=1)
    offsets = np.append(0, np.cumsum(np.where(dense, 0, counts))).astype(
        np.uint32 if postings.size < 1 << 32 else np.int64)
    return offsets, postings[~in_dense], np.flatnonzero(dense).astype(np.uint32), bitmaps


def unpack(bitmap: np.ndarray, docs: int, dtype) -> np.ndarray:
    """The sorted local numbers a bitmap row holds (~25 us at 4,000 documents)."""
    return np.flatnonzero(np.unpackbits(bitmap, count=docs)).astype(dtype)


def in_every(local: np.ndarray, bitmaps: np.ndarray) -> np.ndarray:
    """The local numbers of `local` set in every row of `bitmaps`: one AND
    and one bit test, where unpacking each row cost ~25 us (a 30-character
    文号's many common bigrams cost ~4 ms more on the 53k archive)."""
    bits = np.bitwise_and.reduce(bitmaps)
    return local[(bits[local >> 3] >> (7 - (local & 7)).astype(np.uint8)) & 1 == 1]
