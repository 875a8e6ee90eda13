"""Posting blocks and term infos of one field, in Whoosh 3's file format.

`archive.writer` sorts a segment's postings into columns; this module turns
them into the bytes `W3PostingsWriter` and `W3FieldWriter` would write, with
the per-posting and per-block arithmetic done on arrays: block boundaries,
id deltas, each block's and each term's statistics (`_Blocks`), the term
infos packed as one numpy record array.  What is left in Python is two
pickles per block (and zlib for the larger ones) and one term-table entry
per term.  Profiled at 10,500 bulletins (one segment): 7.2 s CPU before
(Whoosh's per-block statistics and a latin-1 pickle of the value bytes),
3.0 s after, peak memory +8 MB.
"""
from __future__ import annotations

import zlib
from pickle import dumps

import numpy as np
from whoosh.codec import whoosh3
from whoosh.system import pack_int, pack_ushort
from whoosh.util.numeric import _length_byte_cache

from .whoosh_compat import add_ordered

# Blocks whose pickle is shorter are stored uncompressed (the block header
# says so; Whoosh's reader decompresses only blocks marked compressed):
# zlib costs the same ~20 us a call whatever the size and makes a block of a
# few postings longer.  Measured on 3,000 bulletins (postings file, commit
# CPU): compress all 6.57 MB 4.15 s; under 64 B raw 6.52 MB 3.95 s; under
# 128 B 6.70 MB 3.54 s; under 256 B 7.07 MB 3.45 s; none 11.9 MB 3.06 s.
COMPRESS_MIN_BYTES = 128


def _block_starts(starts: np.ndarray, total: int, limit: int) -> np.ndarray:
    """True at the first posting of every block (each term's postings are cut
    into blocks of `limit`): computed per block, not per posting."""
    counts = np.diff(np.append(starts, total))
    blocks = (counts + limit - 1) // limit
    first_block = np.cumsum(blocks) - blocks
    nth = np.arange(int(blocks.sum())) - np.repeat(first_block, blocks)
    first = np.zeros(total, dtype=bool)
    first[np.repeat(starts, blocks) + nth * limit] = True
    return first


CHUNK_POSTINGS = 1 << 16     # postings turned into Python lists at a time


def write_field(fieldwriter, field, explicit: bool, counts: bool, columns: tuple,
                field_lengths) -> None:
    """Every term of a field through a started `W3FieldWriter`.  `columns`:
    (terms in byte order, start of each, docs, weights, values) sorted by
    term then document; `explicit`: values given per posting, `counts`:
    each value is the weight as 4 bytes (Whoosh's Frequency format)."""
    terms, starts, docs, weights, values = columns
    total = docs.size
    postwriter = fieldwriter._postwriter
    limit = postwriter._blocklimit
    lens = (field_lengths[docs] if field_lengths is not None
            else np.zeros(total, dtype=np.int32))
    blocks = _Blocks(starts, docs, weights, lens, limit)
    del lens
    freq_bytes = weights.astype(">u4").tobytes() if counts else None
    ends = np.append(starts[1:], total)
    context = (postwriter._postfile, postwriter._compression,
               field.format.fixed_value_size() if explicit else None,
               pack_ushort(fieldwriter._fieldid), fieldwriter._tindex)
    # Python lists (what pickle needs) of one chunk of terms at a time, so
    # the memory they take is bounded whatever the segment's size.
    term = 0
    while term < len(terms):
        last = max(term + 1, int(np.searchsorted(ends, starts[term] + CHUNK_POSTINGS, "right")))
        lo, hi = int(starts[term]), int(ends[last - 1])
        _write_terms(context, terms[term:last], blocks.chunk(term, last, lo),
                     blocks.deltas[lo:hi].tolist(), weights[lo:hi].tolist(),
                     values[lo:hi] if values is not None else None,
                     freq_bytes[4 * lo:4 * hi] if freq_bytes is not None else None)
        term = last


_NO_LENGTH = np.iinfo(np.int32).max
_LENGTH_BYTES = np.frombuffer(_length_byte_cache, dtype=np.int32)


def _length_bytes(lengths: np.ndarray) -> np.ndarray:
    """`length_to_byte` of each (a bisection of Whoosh's table, 255 past it)."""
    out = np.searchsorted(_LENGTH_BYTES, lengths, "left")
    out[lengths >= 106374] = 255
    return out


class _Blocks:
    """Every block's and every term's statistics for a field, as arrays:
    what `W3PostingsWriter` and `W3TermInfo.add_block` compute per block
    in Python (min/max/sum over lists, a bisection per length) took a
    fifth of a build worker's segment writing."""

    def __init__(self, starts: np.ndarray, docs: np.ndarray, weights: np.ndarray,
                 lens: np.ndarray, limit: int):
        total = docs.size
        first = _block_starts(starts, total, limit)
        # uint32 throughout (half the bytes of int64 at the worker's peak): a
        # difference across two terms wraps, but every term starts a block,
        # whose first delta is the document itself.
        self.deltas = np.diff(docs, prepend=np.uint32(0))
        self.deltas[first] = docs[first]
        self.start = np.flatnonzero(first)
        del first
        self.end = np.append(self.start[1:], total)
        self.term_start, self.term_end = starts, np.append(starts[1:], total)
        self.first_block = np.searchsorted(self.start, starts)
        self.last = np.zeros(self.start.size, dtype=bool)
        self.last[np.append(self.first_block[1:], self.start.size) - 1] = True
        self.last_id = docs[self.end - 1]
        self.low = np.minimum.reduceat(weights, self.start)
        self.high = np.maximum.reduceat(weights, self.start)
        self.weight = np.add.reduceat(weights.astype(np.float64), self.start)
        self.minlength = np.minimum.reduceat(np.where(lens > 0, lens, _NO_LENGTH), self.start)
        self.maxlength = np.maximum.reduceat(lens, self.start)
        self.min_byte = np.where(self.minlength < _NO_LENGTH, _length_bytes(self.minlength), 0)
        self.max_byte = _length_bytes(self.maxlength)
        self.min_id, self.max_id = docs[starts], docs[self.term_end - 1]

    def chunk(self, term: int, last: int, lo: int) -> dict:
        """Terms [term, last) as Python lists, posting offsets from `lo`."""
        b0 = int(self.first_block[term])
        b1 = int(self.first_block[last]) if last < self.first_block.size else self.start.size
        return {"start": (self.start[b0:b1] - lo).tolist(), "end": (self.end[b0:b1] - lo).tolist(),
                "last": self.last[b0:b1].tolist(), "last_id": self.last_id[b0:b1].tolist(),
                "low": self.low[b0:b1].tolist(), "high": self.high[b0:b1].tolist(),
                "min_byte": self.min_byte[b0:b1].tolist(),
                "max_byte": self.max_byte[b0:b1].tolist(),
                "infos": self._term_infos(term, last, b0, b1)}

    def _term_infos(self, term: int, last: int, b0: int, b1: int) -> np.ndarray:
        """`W3TermInfo.to_bytes` of terms [term, last) but their extent."""
        firsts = self.first_block[term:last] - b0
        info = np.zeros(last - term, dtype=_TERM_INFO)
        info["weight"] = np.add.reduceat(self.weight[b0:b1], firsts)
        info["df"] = self.term_end[term:last] - self.term_start[term:last]
        minlength = np.minimum.reduceat(self.minlength[b0:b1], firsts)
        info["minlength"] = np.where(minlength < _NO_LENGTH, _length_bytes(minlength), 0)
        info["maxlength"] = _length_bytes(np.maximum.reduceat(self.maxlength[b0:b1], firsts))
        info["maxweight"] = np.maximum(np.maximum.reduceat(self.high[b0:b1], firsts), 0)
        info["minid"], info["maxid"] = self.min_id[term:last], self.max_id[term:last]
        return info


# W3TermInfo's "!BfIBBfII" and the extent (pack_long offset, pack_int length).
_TERM_INFO = np.dtype([("inlined", "u1"), ("weight", ">f4"), ("df", ">u4"),
                       ("minlength", "u1"), ("maxlength", "u1"), ("maxweight", ">f4"),
                       ("minid", ">u4"), ("maxid", ">u4"), ("offset", ">i8"),
                       ("length", ">i4")])


def _write_terms(context, terms, blocks: dict, deltas_l, weights_l, values, freq_bytes) -> None:
    """A chunk of terms, written to the postings file in one call (a write
    and a tell per block through Whoosh's StructFile cost 5% of a worker);
    each block as `W3PostingsWriter._write_block` writes it."""
    postfile, level, fixed, prefix, table = context
    magic = whoosh3.WHOOSH3_HEADER_MAGIC
    pieces: list[bytes] = []
    position = postfile.tell()
    offsets, lengths = [], []
    offset = None                         # where the current term starts
    for lo, hi, last, last_id, low, high, min_byte, max_byte in zip(
            blocks["start"], blocks["end"], blocks["last"], blocks["last_id"], blocks["low"],
            blocks["high"], blocks["min_byte"], blocks["max_byte"]):
        if offset is None:
            offset = position
            pieces.append(magic)
            position += len(magic)
        if values is not None:
            vals = (tuple(values[lo:hi]) if fixed is None or fixed < 0 else
                    None if fixed == 0 else b"".join(values[lo:hi]))
        elif freq_bytes is not None:
            vals = freq_bytes[4 * lo:4 * hi]
        else:
            vals = None
        mini_weights = (None if low == high == 1.0 else low if low == high
                        else tuple(weights_l[lo:hi]))
        data = dumps((tuple(deltas_l[lo:hi]), mini_weights, vals), 2)
        compressed = level if len(data) >= COMPRESS_MIN_BYTES else 0
        if compressed:
            data = zlib.compress(data, level)
        head = dumps((hi - lo, last_id, high if high > 0 else 0, compressed, min_byte,
                      max_byte), 2)
        size = len(head) + len(data)
        pieces.append(pack_int(-size if last else size))
        pieces.append(head)
        pieces.append(data)
        position += 4 + size
        if last:
            offsets.append(offset)
            lengths.append(position - offset)
            offset = None
    postfile.write(b"".join(pieces))
    infos = blocks["infos"]
    infos["offset"], infos["length"] = offsets, lengths
    raw = infos.tobytes()
    width = _TERM_INFO.itemsize
    add_ordered(table, [prefix + text for text in terms],
                [raw[n:n + width] for n in range(0, len(raw), width)])
