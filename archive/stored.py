"""The stored record of a result-list entry, read straight from Whoosh's files.

Whoosh keeps each document's stored fields as a zlib-compressed pickle in the
segment's ``_stored`` column, with an array of value lengths at the end of
the file.  Its column reader turns that array into offsets with a Python
loop over every document of the segment when it opens (57 ms of a cold
`archive search` at 53k bulletins, for a page of 10), and reads values with
a shared seek() + read(), so threads must take turns.  Here the arrays are
read with numpy and the values sliced from a memory map: opening costs a
cumulative sum, and any number of threads read at once without a lock.
"""
from __future__ import annotations

import mmap
import os
import pickle
import zlib

import numpy as np


class StoredFields:
    """Stored fields by index-wide document number, for one Whoosh reader."""

    def __init__(self, reader):
        self._segments = []                 # (first docnum, size, map, offsets, lengths)
        for leaf, first in reader.leaf_readers():
            size = leaf.doc_count_all()
            data = _map(_column_path(leaf, "_stored"))
            offsets, lengths = _offsets_and_lengths(data, size)
            self._segments.append((first, size, data, offsets, lengths))

    def get(self, docnum: int) -> dict:
        for first, size, data, offsets, lengths in self._segments:
            if first <= docnum < first + size:
                local = docnum - first
                length = int(lengths[local])
                if not length:
                    return {}
                start = int(offsets[local])
                return pickle.loads(zlib.decompress(data[start:start + length]))
        raise IndexError(f"no document {docnum}")


def _column_path(leaf, name: str) -> str:
    from whoosh.codec.whoosh3 import W3Codec

    perdoc = leaf._perdoc
    return os.path.join(perdoc._storage.folder, W3Codec.column_filename(perdoc._segment, name))


def _map(path: str):
    with open(path, "rb") as handle:
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


def _offsets_and_lengths(data, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Whoosh's variable-bytes column layout: values, the lengths array (big
    endian), optionally the offsets array, then the type codes (and "X" when
    offsets were written: segments over 32,768 documents)."""
    end = len(data) - 1
    code = chr(data[end])
    offsets = None
    if code == "X":
        code, offsets_code = chr(data[end - 2]), chr(data[end - 1])
        width = np.dtype(offsets_code).itemsize
        start = end - 2 - size * width
        offsets = np.frombuffer(data, dtype=">" + offsets_code, count=size, offset=start)
        end = start
    width = np.dtype(code).itemsize
    lengths = np.frombuffer(data, dtype=">" + code, count=size, offset=end - size * width)
    if offsets is None:
        offsets = np.zeros(size, dtype=np.int64)
        np.cumsum(lengths[:-1], out=offsets[1:])
    return offsets, lengths
