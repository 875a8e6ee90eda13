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

A short list of a field without posting values (every field of today's
schema) is *inlined*: kept in its term info instead of the postings file, a
form Whoosh's reader opens as a `ListMatcher` (W3TermInfo's inlined flag;
Whoosh's own writer never makes it: its ``set_inline`` call misses the
method ``set_inlined``).  A list in a block costs a header magic, a size,
two pickles and the 12-byte extent, ~60 bytes whatever its length; on the
53k corpus 70% of the Whoosh terms have fewer than 5 postings (153,911 body
words and all 53,000 ids have one).
"""
from __future__ import annotations

import zlib
from itertools import accumulate
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

# Lists of at most this many postings are inlined.  Bytes saved on the 53k
# reference home (Whoosh files 124.6 MB) by the largest length inlined: 1:
# 12.5 MB, 4: 20.1, 8: 23.9, 16: 26.2, 32: 26.9, 64: 26.4 (ids pickled whole
# outgrow the blocks' deltas).
INLINE_POSTINGS = 16


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
    fixed = field.format.fixed_value_size() if explicit else None
    inline = INLINE_POSTINGS if not counts and (fixed == 0 or values is None) else 0
    context = (postwriter._postfile, postwriter._compression, fixed,
               pack_ushort(fieldwriter._fieldid), fieldwriter._tindex, inline)
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


def _inlined(deltas: list, weights: list, low: float, high: float) -> bytes:
    """The pickled ``(ids, weights, values)`` of an inlined list: ids whole,
    weights None when all are 1 (`ListMatcher.weight` gives 1.0) and whole
    numbers as ints (BM25F computes the same floats from them), no values."""
    ids = tuple(accumulate(deltas))
    if low == high == 1.0:
        return dumps((ids, None, ()), 2)
    return dumps((ids, tuple(int(w) if w.is_integer() else w for w in weights), ()), 2)


def _write_terms(context, terms, blocks: dict, deltas_l, weights_l, values, freq_bytes) -> None:
    """A chunk of terms, written to the postings file in one call (a write
    and a tell per block through Whoosh's StructFile cost 5% of a worker);
    each block as `W3PostingsWriter._write_block` writes it, a list of at
    most `inline` postings into its term info instead."""
    postfile, level, fixed, prefix, table, inline = context
    magic = whoosh3.WHOOSH3_HEADER_MAGIC
    pieces: list[bytes] = []
    position = postfile.tell()
    offsets, lengths, inlined = [], [], {}
    offset = None                         # where the current term starts
    for lo, hi, last, last_id, low, high, min_byte, max_byte in zip(
            blocks["start"], blocks["end"], blocks["last"], blocks["last_id"], blocks["low"],
            blocks["high"], blocks["min_byte"], blocks["max_byte"]):
        if offset is None and last and hi - lo <= inline:
            inlined[len(offsets)] = _inlined(deltas_l[lo:hi], weights_l[lo:hi], low, high)
            offsets.append(0)
            lengths.append(0)
            continue
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
    add_ordered(table, [prefix + text for text in terms],
                _term_info_bytes(blocks["infos"], offsets, lengths, inlined))


_EXTENT_BYTES = 12                        # pack_long offset + pack_int length


def _term_info_bytes(infos: np.ndarray, offsets: list, lengths: list, inlined: dict) -> list:
    """Each term's `W3TermInfo.to_bytes`: the statistics and the extent, or
    for an inlined list the statistics flagged inlined and its pickle."""
    infos["offset"], infos["length"] = offsets, lengths
    if inlined:
        infos["inlined"][list(inlined)] = 1
    raw = infos.tobytes()
    width = _TERM_INFO.itemsize
    out = [raw[n:n + width] for n in range(0, len(raw), width)]
    for term, pickled in inlined.items():
        out[term] = out[term][:width - _EXTENT_BYTES] + pickled
    return out
