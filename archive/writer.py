"""Whoosh segment writing at array speed, in Whoosh's own file format.

Profiling an ingest of 10,000 bulletins with py-spy (two writer processes)
put 59% of the writers' time in writing postings (Whoosh's codec handles
every posting in Python: `add_posting`, then one pickle and one zlib call
per block of 128) and 41% in `add_document`, a third of it in the pool
(one tuple and one dict lookup per posting).  This module keeps the format
and replaces both loops:

* `ColumnPool` keeps a segment's postings as columns per field (term number,
  document, weight), added a whole document's word counts at a time;
* `write_postings` sorts each field's postings with numpy and writes each
  term's blocks directly: the per-posting work (delta-coding the ids, block
  statistics, the values of a Frequency field) is array arithmetic, and what
  is left in Python is per block and per term.  The bytes are the ones
  Whoosh's writer makes from the same postings (``tests/test_pipeline.py``
  compares the files).

`FastSegmentWriter` is a `whoosh.writing.SegmentWriter` using both; any
Whoosh reader opens what it writes.  `archive.pipeline` runs one per core.
"""
from __future__ import annotations

import zlib
from array import array
from collections import Counter
from pickle import dumps

import numpy as np
from whoosh import formats, writing
from whoosh.analysis import IDTokenizer
from whoosh.codec import whoosh3
from whoosh.system import pack_int, pack_uint, pack_ushort
from whoosh.util.numeric import _length_byte_cache

_EMPTY, _FREQ, _EXPLICIT = 0, 1, 2       # how a field's posting values are kept
# Blocks whose pickle is shorter are stored uncompressed (the block header
# says so; Whoosh's reader decompresses only blocks marked compressed):
# zlib costs the same ~20 us a call whatever the size and makes a block of a
# few postings longer.  Measured on 3,000 bulletins (postings file, commit
# CPU): compress all 6.57 MB 4.15 s; under 64 B raw 6.52 MB 3.95 s; under
# 128 B 6.70 MB 3.54 s; under 256 B 7.07 MB 3.45 s; none 11.9 MB 3.06 s.
COMPRESS_MIN_BYTES = 128


class _FieldPostings:
    """One field's postings, as columns, in arrival order."""

    def __init__(self, field):
        self.vocab: dict[bytes, int] = {}         # term bytes -> term number
        self.by_word: dict[str, int] = {}         # the same, keyed by the word
        self.skipped: list[int] = []              # term numbers of non-words (add_counts)
        self.skipped_words: set[str] = set()
        self.terms: list[bytes] = []
        self.tids = array("I")
        self.weights = array("f")
        self.run_docs = array("I")                # docs, run-length coded:
        self.run_lengths = array("I")             # run_lengths[i] postings of run_docs[i]
        fmt = field.format
        self.mode = (_EMPTY if fmt.posting_size == 0 else
                     _FREQ if type(fmt) is formats.Frequency else _EXPLICIT)
        self.values: list[bytes] | None = [] if self.mode == _EXPLICIT else None

    def __len__(self):
        return len(self.tids)

    def term_number(self, btext: bytes) -> int:
        tid = self.vocab.get(btext)
        if tid is None:
            tid = self.vocab[btext] = len(self.terms)
            self.terms.append(btext)
        return tid

    def _derived(self, weight: float) -> bytes:
        return pack_uint(int(weight)) if self.mode == _FREQ else b""

    def add(self, btext: bytes, docnum: int, weight: float, vbytes: bytes | None) -> None:
        vbytes = vbytes or b""                    # a merged segment's reader gives None
        if self.mode != _EXPLICIT and vbytes != self._derived(weight):
            self.values = [self._derived(w) for w in self.weights]
            self.mode = _EXPLICIT
        self.tids.append(self.term_number(btext))
        self.weights.append(weight)
        if self.mode == _EXPLICIT:
            self.values.append(vbytes)
        self.run_docs.append(docnum)
        self.run_lengths.append(1)

    def add_counts(self, docnum: int, counts: Counter, is_word) -> int:
        """A document's words with their counts (a count field at boost 1:
        the weight of each posting is its count).  Returns the field length.

        Per document the work is C calls (a `map` over the words, array
        extends): punctuation and spaces get term numbers too, marked
        `skipped`, and their postings are dropped when the field is sorted
        (a loop per word here took 9% of a build worker, 10k bulletins)."""
        tids = list(map(self.by_word.get, counts))
        if None in tids:
            self._number_new(counts, is_word)
            tids = list(map(self.by_word.get, counts))
        self.tids.extend(tids)
        self.weights.extend(counts.values())
        if self.mode == _EXPLICIT:
            self.values.extend(pack_uint(int(w)) for w in counts.values())
        self.run_docs.append(docnum)
        self.run_lengths.append(len(tids))
        length = sum(counts.values())
        for word in counts.keys() & self.skipped_words:
            length -= counts[word]
        return length

    def _number_new(self, counts: Counter, is_word) -> None:
        for word in counts:
            if word not in self.by_word:
                if is_word(word):
                    self.by_word[word] = self.term_number(word.encode("utf-8"))
                else:
                    self.by_word[word] = self.term_number(("\0skip" + word).encode("utf-8"))
                    self.skipped.append(self.by_word[word])
                    self.skipped_words.add(word)

    def _drop_skipped(self, tids: np.ndarray, docs: np.ndarray, weights: np.ndarray):
        """Postings of `add_counts`' non-words removed, and the terms left."""
        if not self.skipped:
            return tids, docs, weights, list(range(len(self.terms)))
        live = np.ones(len(self.terms), dtype=bool)
        live[self.skipped] = False
        keep = live[tids]
        if self.mode == _EXPLICIT:
            self.values = [v for v, k in zip(self.values, keep.tolist()) if k]
        return tids[keep], docs[keep], weights[keep], np.flatnonzero(live).tolist()

    def sorted_columns(self):
        """(terms in byte order, start offset of each, docs (uint32), weights,
        values) with postings ordered by term, then document."""
        docs = np.repeat(np.frombuffer(self.run_docs, dtype=np.uint32),
                         np.frombuffer(self.run_lengths, dtype=np.uint32))
        tids, docs, weights, kept = self._drop_skipped(
            np.frombuffer(self.tids, dtype=np.uint32), docs,
            np.frombuffer(self.weights, dtype=np.float32))
        order = sorted(kept, key=self.terms.__getitem__)
        rank = np.zeros(len(self.terms), dtype=np.uint64)
        rank[order] = np.arange(len(order), dtype=np.uint64)
        packed = self._packed_sort(rank, tids, docs, weights)
        if packed is not None:
            keys, docs, weights = packed
            values = None
        else:
            # One sort of (term rank, doc) keys: 16 bytes a posting with the
            # permutation, where lexsort of two int64 columns takes ~40.
            keys = rank[tids] << np.uint64(32)
            keys |= docs
            del docs
            perm = np.argsort(keys, kind="stable")
            keys = keys[perm]
            weights = weights[perm]
            values = [self.values[i] for i in perm.tolist()] if self.mode == _EXPLICIT else None
            del perm
            docs = (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32)
            keys >>= np.uint64(32)
        starts = (np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
                  if keys.size else np.empty(0, dtype=np.intp))
        return [self.terms[i] for i in order], starts, docs, weights, values

    def _packed_sort(self, rank, tids, docs, weights):
        """(term ranks, docs, weights) sorted by one in-place sort of keys
        that hold all three, when they fit 64 bits (whole-number weights,
        no explicit values): 16 bytes a posting at the peak, where a sort
        through a permutation takes 36 — the peak of a build worker."""
        if self.mode == _EXPLICIT or not docs.size:
            return None
        top = float(weights.max())
        if weights.min() < 0 or not np.array_equal(weights, np.floor(weights)):
            return None
        doc_bits = int(docs.max()).bit_length() or 1
        weight_bits = int(top).bit_length() or 1
        if int(rank.size).bit_length() + doc_bits + weight_bits > 64:
            return None
        keys = rank[tids]
        keys <<= np.uint64(doc_bits)
        keys |= docs
        keys <<= np.uint64(weight_bits)
        keys |= weights.astype(np.uint64)
        keys.sort()                 # (term, doc) pairs are unique: the order is total
        weights = (keys & np.uint64((1 << weight_bits) - 1)).astype(np.float32)
        keys >>= np.uint64(weight_bits)
        docs = (keys & np.uint64((1 << doc_bits) - 1)).astype(np.uint32)
        keys >>= np.uint64(doc_bits)
        return keys, docs, weights


class ColumnPool:
    """Drop-in for `whoosh.writing.PostingPool` (add / iter_postings /
    cleanup), plus `add_counts` for a whole document's words at once."""

    def __init__(self, schema):
        self.schema = schema
        self.fields: dict[str, _FieldPostings] = {}
        self.fieldnames: set[str] = set()

    def field(self, name: str) -> _FieldPostings:
        postings = self.fields.get(name)
        if postings is None:
            postings = self.fields[name] = _FieldPostings(self.schema[name])
            self.fieldnames.add(name)
        return postings

    def __len__(self):
        return sum(len(f) for f in self.fields.values())

    def add(self, item) -> None:
        fieldname, btext, docnum, weight, vbytes = item
        self.field(fieldname).add(btext, docnum, weight, vbytes)

    def add_counts(self, fieldname: str, docnum: int, counts: Counter, is_word) -> int:
        return self.field(fieldname).add_counts(docnum, counts, is_word)

    def iter_postings(self):
        """Every posting as Whoosh's pool yields them: sorted (field, term, doc)."""
        for name in sorted(self.fields):
            terms, starts, docs, weights, values = self.fields[name].sorted_columns()
            mode = self.fields[name].mode
            ends = np.append(starts[1:], docs.size).tolist()
            docs, weights = docs.tolist(), weights.tolist()
            for term, start, end in zip(terms, starts.tolist(), ends):
                for i in range(start, end):
                    value = (values[i] if mode == _EXPLICIT else
                             pack_uint(int(weights[i])) if mode == _FREQ else b"")
                    yield name, term, docs[i], weights[i], value

    def cleanup(self) -> None:
        self.fields.clear()


# ------------------------------------------------------- postings writer --

def _can_write_directly(fieldwriter) -> bool:
    """Direct block writing reproduces W3PostingsWriter with no inlining."""
    if type(fieldwriter) is not whoosh3.W3FieldWriter:
        return False
    codec = fieldwriter._codec
    return codec._inlinelimit <= 1


def write_postings(fieldwriter, schema, pool: ColumnPool, lengths) -> None:
    """Write every posting of `pool` through `fieldwriter`; `lengths` is the
    segment's per-document reader (field lengths, as Whoosh stores them)."""
    if not _can_write_directly(fieldwriter):
        fieldwriter.add_postings(schema, lengths, pool.iter_postings())
        return
    for name in sorted(pool.fields):
        field = schema[name]
        columns = pool.fields[name].sorted_columns()
        if not columns[0]:                # only punctuation: Whoosh writes no field
            continue
        fieldwriter.start_field(name, field)
        _write_field(fieldwriter, field, pool.fields[name].mode, columns,
                     _field_lengths(lengths, name, field))
        fieldwriter.finish_field()


def _field_lengths(lengths, name: str, field) -> np.ndarray | None:
    if lengths is None or not field.scorable:
        return None
    count = lengths.doc_count_all()
    get = lengths.doc_field_length
    return np.fromiter((get(d, name, 0) or 0 for d in range(count)), dtype=np.int32,
                       count=count)


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


def _write_field(fieldwriter, field, mode: int, columns: tuple, field_lengths) -> None:
    """`columns`: the field's `_FieldPostings.sorted_columns()`."""
    terms, starts, docs, weights, values = columns
    total = docs.size
    postwriter = fieldwriter._postwriter
    limit = postwriter._blocklimit
    lens = (field_lengths[docs] if field_lengths is not None
            else np.zeros(total, dtype=np.int32))
    blocks = _Blocks(starts, docs, weights, lens, limit)
    del lens
    freq_bytes = weights.astype(">u4").tobytes() if mode == _FREQ else None
    ends = np.append(starts[1:], total)
    context = (postwriter._postfile, postwriter._compression,
               field.format.fixed_value_size() if mode == _EXPLICIT else None,
               pack_ushort(fieldwriter._fieldid), fieldwriter._tindex.add)
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
    postfile, level, fixed, prefix, add_term = context
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
    for n, text in enumerate(terms):
        add_term(prefix + text, raw[n * width:(n + 1) * width])


# ---------------------------------------------------------------- writer --

def _is_plain_id(field) -> bool:
    return (type(field.analyzer) is IDTokenizer and type(field.format) is formats.Existence
            and not field.scorable)


class FastSegmentWriter(writing.SegmentWriter):
    """A SegmentWriter with a `ColumnPool` and direct block writing.

    A field with a ``word_counts(value)`` method (`archive.index.WordsField`)
    hands over a document's words as one Counter instead of one posting at
    a time.
    """

    def __init__(self, ix, *args, **kwargs):
        super().__init__(ix, *args, **kwargs)
        self.pool = ColumnPool(self.schema)
        self._plain = all(not f.vector and not f.separate_spelling()
                          for _, f in self.schema.items())

    def add_document(self, **fields):
        if not self._plain or any(name.startswith("_") for name in fields):
            return super().add_document(**fields)      # boosts, vectors, spelling
        self._check_state()
        schema, perdoc, docnum = self.schema, self.perdocwriter, self.docnum
        names = sorted(fields)
        self._check_fields(schema, names)
        perdoc.start_doc(docnum)
        try:
            for name in names:
                value = fields[name]
                if value is not None:
                    self._add_field(perdoc, docnum, name, schema[name], value)
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _add_field(self, perdoc, docnum: int, name: str, field, value) -> None:
        length = 0
        if field.indexed:
            counts = getattr(field, "word_counts", None)
            if counts is not None:
                length = self.pool.add_counts(name, docnum, counts(value), field.is_word)
            elif _is_plain_id(field):
                # The whole value is the one term (IDTokenizer, Existence): what
                # `field.index` yields, without its token objects and generators.
                self.pool.add((name, value.encode("utf-8"), docnum, field.format.field_boost,
                               b""))
            else:
                add = self.pool.add
                for btext, freq, weight, vbytes in field.index(value):
                    if field.scorable:
                        length += freq
                    add((name, btext, docnum, weight, vbytes))
        perdoc.add_field(name, field, value if field.stored else None, length)
        if field.column_type:
            perdoc.add_column_value(name, field.column_type, field.to_column_value(value))

    def _flush_segment(self):
        self.perdocwriter.close()
        lengths = self.per_document_reader() if self.codec.length_stats else None
        try:
            write_postings(self.fieldwriter, self.schema, self.pool, lengths)
        finally:
            self.fieldwriter.close()
            if lengths:
                lengths.close()

