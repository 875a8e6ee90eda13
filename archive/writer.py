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
  is left in Python is per block and per term.  Short lists are inlined in
  their term infos (`archive.postings`); otherwise the bytes are the ones
  Whoosh's writer makes from the same postings (``tests/test_pipeline.py``
  compares the files).

`FastSegmentWriter` is a `whoosh.writing.SegmentWriter` using both; any
Whoosh reader opens what it writes.  `archive.pipeline` runs one per core.
"""
from __future__ import annotations

from array import array
from collections import Counter

import numpy as np
from whoosh import formats, writing
from whoosh.analysis import IDTokenizer
from whoosh.codec import whoosh3
from whoosh.system import pack_uint

from .postings import write_field

_EMPTY, _FREQ, _EXPLICIT = 0, 1, 2       # how a field's posting values are kept


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
        write_field(fieldwriter, field, pool.fields[name].mode == _EXPLICIT,
                    pool.fields[name].mode == _FREQ, columns, _field_lengths(lengths, name, field))
        fieldwriter.finish_field()


def _field_lengths(lengths, name: str, field) -> np.ndarray | None:
    if lengths is None or not field.scorable:
        return None
    count = lengths.doc_count_all()
    get = lengths.doc_field_length
    return np.fromiter((get(d, name, 0) or 0 for d in range(count)), dtype=np.int32,
                       count=count)


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

