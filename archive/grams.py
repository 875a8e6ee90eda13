"""The substring index: what makes search complete.

Word segmentation alone loses bulletins: if jieba cuts the text differently
from the query, the words never meet.  This index answers the question
"which documents contain this exact string?" for *any* string, including
single characters and strings that cross word boundaries:

* every document's searchable fields are folded (`archive.analysis.fold`)
  and kept verbatim in a text file (``NNNN.text``), fields separated by
  FIELD_SEP, documents by DOC_SEP;
* an inverted index maps every character and every pair of adjacent
  characters (unigrams and bigrams, skipping whitespace and separators) to
  the sorted local numbers of the documents that contain it;
* a query string of one or two characters is answered from its posting list
  exactly; a longer one intersects the posting lists of its bigrams (a
  superset of the answer), then each candidate is verified by a substring
  search of its text.  Recall is complete by construction and precision is
  exact.

Gram codes are integers (``a`` for a unigram, ``(a+1) * 0x110000 + b`` for a
bigram, with a and b code points) so the term dictionary is a sorted numpy
array searched by bisection on a memory map: opening an index costs nothing,
and every process serving searches shares the same pages.

An index is a list of immutable *segments*, each written once by
`SegmentBuilder`.  Documents are identified by a caller-chosen integer key
(the archive's version id).  A key that appears in more than one segment, or
whose document was since deleted, is resolved by the caller, who knows which
keys are live.
"""
from __future__ import annotations

import json
import mmap
import os
from dataclasses import dataclass, field as dc_field
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import gram_bitmaps
from .fields import SEARCH_FIELDS
from .npyfiles import map_array

FIELD_SEP = "\x1f"
DOC_SEP = "\x1e"
# Searchable fields, in the order they are laid out in the text file.
FIELDS = SEARCH_FIELDS
_RADIX = 0x110000
_MANIFEST = "manifest.json"
# Fields short enough to keep in memory for verification (`Segment.field_table`).
SHORT_FIELDS = tuple(name for name in FIELDS if name != "body")
VERIFY_CHUNK = 2000      # candidates verified between two deadline checks
DENSE_KEPT = 64          # unpacked bitmaps kept per segment (<= 8 KB each at 4,000 documents)


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def _breaks(points: np.ndarray) -> np.ndarray:
    """True where a character may not take part in a gram."""
    return (points <= 0x20) | (points == 0x3000) | (points == 0xA0) | (points == 0x85)


def query_codes(word: str) -> list[int]:
    """Codes whose posting lists bound the documents containing `word`."""
    points = [ord(c) for c in word]
    chunks, run = [], []
    for p in points + [0x20]:                    # whitespace splits the word
        if p <= 0x20 or p in (0x3000, 0xA0, 0x85):
            if run:
                chunks.append(run)
            run = []
        else:
            run.append(p)
    codes = []
    for run in chunks:
        if len(run) == 1:
            codes.append(run[0])
        codes.extend((a + 1) * _RADIX + b for a, b in zip(run, run[1:]))
    return codes


@lru_cache(maxsize=4096)
def _codes_of(words: tuple[str, ...]) -> np.ndarray:
    """The distinct codes of `words`, sorted: computed once, not once per
    segment (a query's words are looked up in every segment).  Sorted in
    Python, not by np.unique: numpy 2's np.unique imports numpy.ma on first
    use (15-40 ms of a fresh `archive search`)."""
    codes = np.fromiter(sorted({c for word in words for c in query_codes(word)}),
                        dtype=np.uint64)
    codes.flags.writeable = False
    return codes


def needs_verification(word: str) -> bool:
    """Posting lists alone are exact only for one run of at most 2 chars."""
    return len(word) > 2 or any(_breaks(_codepoints(word)))


def _without_separators(text: str) -> str:
    # `in` is a fast scan; a translate of every field cost 4% of a build worker.
    if FIELD_SEP in text or DOC_SEP in text:
        return text.replace(FIELD_SEP, " ").replace(DOC_SEP, " ")
    return text


def layout(fields: dict[str, str]) -> str:
    """The text of one document as stored: folded fields in FIELDS order.

    The separators are control characters no query contains; a bulletin that
    holds them (hostile input) has them turned into spaces so that the field
    boundaries stay where they belong.
    """
    return FIELD_SEP.join(_without_separators(fields.get(name) or "") for name in FIELDS)


class SegmentBuilder:
    """Accumulates documents and writes them as one immutable segment.

    Grams are computed for the whole segment at once: every (code, doc) pair
    is packed into one uint64, ``code << DOC_BITS | doc``, and a single
    `np.unique` sorts them into posting order.  That is ~20x faster than
    building per-document sets in Python.
    """

    DOC_BITS = 22                      # up to 4M documents per segment

    def __init__(self):
        self.keys: list[int] = []
        self.texts: list[str] = []

    def __len__(self):
        return len(self.keys)

    def add(self, key: int, folded_fields: dict[str, str]) -> None:
        if len(self.keys) >= 1 << self.DOC_BITS:
            raise OverflowError("segment full")
        self.keys.append(key)
        self.texts.append(layout(folded_fields))

    def _postings(self, joined: str, doc_of_char: np.ndarray):
        points = _codepoints(joined)
        ok = ~_breaks(points)
        pair_ok = ok[:-1] & ok[1:]
        # Unigram and bigram keys written into one array (no 64-bit copy of
        # the document column, no concatenation): ~24 bytes a character
        # less at the peak of a build worker.
        n_uni = int(np.count_nonzero(ok))
        packed = np.empty(n_uni + int(np.count_nonzero(pair_ok)), dtype=np.uint64)
        uni = packed[:n_uni]
        uni[:] = points[ok]
        uni <<= np.uint64(self.DOC_BITS)
        uni |= doc_of_char[ok]
        bi = packed[n_uni:]
        bi[:] = points[:-1][pair_ok]
        bi += np.uint64(1)
        bi *= np.uint64(_RADIX)
        bi += points[1:][pair_ok]
        bi <<= np.uint64(self.DOC_BITS)
        bi |= doc_of_char[:-1][pair_ok]
        del uni, bi, ok, pair_ok, points
        packed = _sorted_unique(packed)
        codes = packed >> np.uint64(self.DOC_BITS)
        # Local doc numbers fit 16 bits in segments of up to 65,536 documents
        # (the indexer writes 4,000, index.GRAM_SEGMENT_DOCS): half the size of
        # the biggest file.
        small = len(self.keys) <= 1 << 16
        postings = (packed & np.uint64((1 << self.DOC_BITS) - 1)).astype(
            np.uint16 if small else np.uint32)
        del packed
        first = np.flatnonzero(_run_starts(codes))
        terms = codes[first]
        del codes
        return (terms, *self._split_dense(np.diff(np.append(first, postings.size)), postings))

    def _split_dense(self, counts: np.ndarray, postings: np.ndarray):
        return gram_bitmaps.split_dense(counts, postings, len(self.keys))

    def write(self, directory: Path, name: str) -> dict:
        """Write files NAME.* into `directory`; returns the manifest entry."""
        directory.mkdir(parents=True, exist_ok=True)
        # One string for the segment: documents joined by DOC_SEP (a break
        # character, so no gram spans two documents).
        joined = DOC_SEP.join(self.texts)
        lengths = np.fromiter((len(t) + 1 for t in self.texts), dtype=np.int64,
                              count=len(self.texts))
        doc_of_char = np.repeat(np.arange(len(self.texts), dtype=np.uint32), lengths)
        doc_of_char = doc_of_char[:len(joined)]
        terms, offsets, postings, dense, bitmaps = self._postings(joined, doc_of_char)
        del doc_of_char

        # Byte offsets of each field of each document, for verification.
        sep = FIELD_SEP.encode()
        fields = np.zeros((len(self.texts), len(FIELDS) + 1), dtype=np.int64)
        position = 0
        with open(directory / f"{name}.text", "wb") as out:
            for row, text in enumerate(self.texts):
                blob = text.encode("utf-8")
                bounds, cursor = [position], 0
                for _ in range(len(FIELDS) - 1):
                    cursor = blob.index(sep, cursor) + 1
                    bounds.append(position + cursor)
                bounds.append(position + len(blob) + 1)
                fields[row] = bounds
                out.write(blob)
                out.write(DOC_SEP.encode())
                position += len(blob) + 1
            out.flush()
            os.fsync(out.fileno())
        _save(directory / f"{name}.keys.npy", np.asarray(self.keys, dtype=np.int64))
        _save(directory / f"{name}.fields.npy", fields)
        _save(directory / f"{name}.terms.npy", terms)
        _save(directory / f"{name}.offsets.npy", offsets)
        _save(directory / f"{name}.postings.npy", postings)
        _save(directory / f"{name}.dense.npy", dense)
        _save(directory / f"{name}.bitmaps.npy", bitmaps)
        return {"name": name, "docs": len(self.keys),
                "postings": int(postings.size + np.unpackbits(bitmaps).sum())}


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


def _run_starts(values: np.ndarray) -> np.ndarray:
    """True where a sorted array's value differs from the one before."""
    starts = np.empty(values.size, dtype=bool)
    if values.size:
        starts[0] = True
        np.not_equal(values[1:], values[:-1], out=starts[1:])
    return starts


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    # np.unique is several times slower on large uint64 arrays than this.
    values.sort()
    return values[_run_starts(values)]


def _save(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as out:
        np.save(out, array)
        out.flush()
        os.fsync(out.fileno())


class _EmptyMap:
    """Stands in for the memory map of an empty text file."""

    def find(self, *args) -> int:
        return -1

    def __getitem__(self, item) -> bytes:
        return b""


_NONE = np.empty(0, dtype=np.uint32)
_NONE.flags.writeable = False


def _map_file(path: Path):
    if path.stat().st_size == 0:
        return _EmptyMap()
    with open(path, "rb") as handle:
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


@dataclass
class Segment:
    name: str
    keys: np.ndarray      # local doc number -> key
    fields: np.ndarray    # [doc, i]: byte offset of field i in text; [doc, -1]: end + 1
    terms: np.ndarray     # sorted gram codes
    offsets: np.ndarray   # term i's postings are postings[offsets[i]:offsets[i+1]]
    postings: np.ndarray  # local doc numbers
    text_path: Path       # folded texts, UTF-8
    # Sorted numbers of the terms kept as bitmaps (their offsets hold no
    # postings), and the bitmaps: [row in dense, doc // 8], bit 7 - doc % 8.
    dense: np.ndarray = dc_field(default_factory=lambda: _NONE)
    bitmaps: np.ndarray = dc_field(default_factory=lambda: _NONE)
    _text_map: object = None
    _field_tables: dict = dc_field(default_factory=dict)
    _field_demand: dict = dc_field(default_factory=dict)
    _dense_kept: dict = dc_field(default_factory=dict)
    _by_key: tuple | None = None      # (sorted keys, their local numbers), on first use

    @classmethod
    def open(cls, directory: Path, name: str) -> Segment:
        def load(part):
            return map_array(directory / f"{name}.{part}.npy")
        dense = (load("dense"), load("bitmaps")) if (
            directory / f"{name}.dense.npy").exists() else ()   # segments before bitmaps
        return cls(name, load("keys"), load("fields"), load("terms"), load("offsets"),
                   load("postings"), directory / f"{name}.text", *dense)

    def _postings_of(self, found: np.ndarray) -> list[np.ndarray]:
        """The posting lists of the terms numbered `found`."""
        starts, ends = self.offsets[found].tolist(), self.offsets[found + 1].tolist()
        # A list kept as a bitmap has an empty range of postings (one kept as
        # an array has a posting).
        return [self.postings[s:e] if s != e else self._unpacked(term)
                for term, s, e in zip(found.tolist(), starts, ends)]

    def _unpacked(self, term: int) -> np.ndarray:
        """The list of term number `term`, a bitmap, as an array; kept
        (DENSE_KEPT per segment): bitmaps are the common grams, back query
        after query, and unpacking one costs 25x a slice (unpacked every
        time, a find on the 53k archive was ~0.3 ms slower; kept, the same)."""
        found = self._dense_kept.get(term)
        if found is None:
            row = int(np.searchsorted(self.dense, term))
            found = gram_bitmaps.unpack(self.bitmaps[row], self.keys.size, self.postings.dtype)
            found.flags.writeable = False
            if len(self._dense_kept) >= DENSE_KEPT:
                self._dense_kept.clear()
            self._dense_kept[term] = found
        return found

    def posting(self, code: int) -> np.ndarray:
        # np.uint64, not a Python int: numpy would compare a uint64 array with
        # an int by converting the whole array to float64 (0.4 ms a lookup).
        i = int(np.searchsorted(self.terms, np.uint64(code)))
        if i >= self.terms.size or int(self.terms[i]) != code:
            return np.empty(0, dtype=np.uint32)
        return self._postings_of(np.array([i]))[0]

    def _term_numbers(self, codes) -> np.ndarray | None:
        """Where `codes` stand in the term array, by one bisection; None when
        one of them is absent (no document has it)."""
        wanted = codes if isinstance(codes, np.ndarray) else np.fromiter(codes, dtype=np.uint64)
        if not wanted.size or not self.terms.size:
            return None if wanted.size else wanted.astype(np.intp)
        at = np.searchsorted(self.terms, wanted)
        if (at >= self.terms.size).any() or (self.terms[at] != wanted).any():
            return None
        return at

    def candidates(self, *words: str, among: np.ndarray | None = None) -> np.ndarray:
        """Local doc numbers that contain every gram of every one of `words`
        (sorted); `among` (sorted keys): only those documents.

        With `among`, its documents of this segment are the first list of
        the intersection: the cost follows them, not the grams' posting
        lists (a title tier of 3 hits probed the whole posting lists of
        every segment: ~40 us a segment, 50 segments at 200k bulletins)."""
        found = self._term_numbers(_codes_of(words))
        if found is None or not found.size:
            return np.empty(0, dtype=np.uint32)
        starts, ends = self.offsets[found].tolist(), self.offsets[found + 1].tolist()
        dense = [s == e for s, e in zip(starts, ends)]          # bitmaps (`gram_bitmaps`)
        # Few bitmaps: their lists unpacked, kept per segment; many (a long
        # word of common bigrams): ANDed and tested on the arrays' result.
        few = sum(dense) <= 2 or all(dense)
        lists = (self._postings_of(found) if few else
                 [self.postings[s:e] for s, e in zip(starts, ends) if s != e])
        if among is not None:
            lists.append(self.local_of(among))
        local = intersect_sorted(lists)
        if few:
            return local
        return gram_bitmaps.in_every(local, self.bitmaps[np.searchsorted(self.dense, found[dense])])

    def local_of(self, keys: np.ndarray) -> np.ndarray:
        """Sorted local numbers of this segment's documents whose key is in
        `keys` (sorted)."""
        if self._by_key is None:
            order = np.argsort(self.keys, kind="stable")
            self._by_key = (np.asarray(self.keys[order]), order.astype(np.uint32))
        sorted_keys, local = self._by_key
        at, found = find_sorted(sorted_keys, keys)
        return np.sort(local[at[found]])

    def contains(self, local: np.ndarray, word: str, field: str | None,
                 check=None) -> np.ndarray:
        """The subset of `local` whose text (or `field`) contains `word`."""
        needle = word.encode("utf-8")
        if field in SHORT_FIELDS and self._wants_table(field, local.size):
            if check is not None:
                check()
            return self._short_field_contains(local, needle, field)
        first, last = (0, -1) if field is None else (FIELDS.index(field), FIELDS.index(field) + 1)
        find = self._mmap().find
        keep: list[int] = []
        for at in range(0, local.size, VERIFY_CHUNK):
            if check is not None:
                check()
            chunk = local[at:at + VERIFY_CHUNK]
            bounds = self.fields[chunk]
            keep += [doc for doc, s, e in zip(chunk.tolist(), bounds[:, first].tolist(),
                                             (bounds[:, last] - 1).tolist())
                     if find(needle, s, e) != -1]
        return np.asarray(keep, dtype=np.uint32)

    def select(self, local: np.ndarray, field: str | None, test, check=None) -> np.ndarray:
        """The subset of `local` for which `test(text, start, end)` holds on
        the stored folded text (a memory map, byte offsets) of the document or
        of `field`.  `check()` is called every VERIFY_CHUNK documents: the
        caller's deadline reaches inside a loop that grows with the corpus."""
        column = FIELDS.index(field) if field else None
        text = self._mmap()
        keep = []
        for at in range(0, local.size, VERIFY_CHUNK):
            if check is not None:
                check()
            chunk = local[at:at + VERIFY_CHUNK]
            bounds = self.fields[chunk]
            if column is None:
                starts, ends = bounds[:, 0], bounds[:, -1] - 1
            else:
                starts, ends = bounds[:, column], bounds[:, column + 1] - 1
            keep += [doc for doc, s, e in zip(chunk.tolist(), starts.tolist(), ends.tolist())
                     if test(text, s, e)]
        return np.asarray(keep, dtype=np.uint32)

    def _wants_table(self, field: str, count: int) -> bool:
        """Whether to test `count` documents' `field` with its in-memory table:
        once built, always; it is built when the documents asked for, over
        this segment's life, reach a quarter of it — the mmap tests it saves
        then would have cost about what building it does (16 one-character
        ORs asked for 61,616 titles one by one, ~150 ms)."""
        if field in self._field_tables:
            return True
        self._field_demand[field] = self._field_demand.get(field, 0) + count
        return self._field_demand[field] * 4 >= self.keys.size

    def _short_field_contains(self, local: np.ndarray, needle: bytes, field: str) -> np.ndarray:
        """`contains` for a field other than the body: each distinct value
        among `local` is tested once (an issuer such as 央视网 is shared by
        thousands of bulletins), in memory (see `_wants_table`: building the
        titles' table costs ~4 ms a segment, 60 ms for the 53k archive, too
        much for a fresh `archive search` whose word is rare)."""
        ids, values = self.field_table(field)
        of_local = ids[local]
        distinct = np.flatnonzero(np.bincount(of_local, minlength=len(values))).tolist()
        matched = np.zeros(len(values), dtype=bool)
        matched[[v for v in distinct if needle in values[v]]] = True
        return np.asarray(local[matched[of_local]], dtype=np.uint32)

    def has_field_table(self, field: str) -> bool:
        return field in self._field_tables

    def field_table(self, field: str) -> tuple[np.ndarray, list[bytes]]:
        """Every document's `field` as (value number per document, distinct
        values as bytes), read from the text once per segment and kept
        (titles: ~0.6 MB for 4,000 documents).  Testing a value in memory
        costs ~0.2 µs; through the memory map with byte offsets ~3 µs, which
        made the title tier of a word found in 8,000 bulletins cost ~25 ms
        and 机关:央视网 (an issuer of ~25,000) ~90 ms a query."""
        found = self._field_tables.get(field)
        if found is None:
            column = FIELDS.index(field)
            text = self._mmap()
            starts = self.fields[:, column].tolist()
            ends = (self.fields[:, column + 1] - 1).tolist()
            numbers: dict[bytes, int] = {}
            ids = np.fromiter((numbers.setdefault(text[a:b], len(numbers))
                               for a, b in zip(starts, ends)), dtype=np.int32, count=len(starts))
            found = self._field_tables[field] = (ids, list(numbers))
        return found

    def text_bytes(self):
        """The segment's stored folded text (UTF-8, memory-mapped; slice it
        with the byte offsets of `fields`)."""
        return self._mmap()

    def _mmap(self):
        if self._text_map is None:
            self._text_map = _map_file(self.text_path)
        return self._text_map

    def find(self, word: str, field: str | None = None, check=None,
             among: np.ndarray | None = None) -> np.ndarray:
        """Keys of the documents whose folded text (or `field`) contains `word`
        (`among`: sorted keys; only those are looked at)."""
        local = self.candidates(word, among=among)
        if local.size and (field or needs_verification(word)):
            local = self.contains(local, word, field, check)
        return np.asarray(self.keys[local], dtype=np.int64)


class GramIndex:
    """All segments of one index directory, read-only."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        manifest = read_manifest(self.directory)
        self.segments = [Segment.open(self.directory, entry["name"])
                         for entry in manifest["segments"]]
        self._ranges: tuple[np.ndarray, np.ndarray] | None = None

    def find(self, word: str, field: str | None = None, check=None,
             among: np.ndarray | None = None) -> np.ndarray:
        """Sorted unique keys of documents containing `word` (folded).

        `among` (sorted keys): verify only those documents.  A query's words
        are verified within the documents the other words' postings still
        allow, so an AND of a common long word and a rare one verifies a few
        hundred texts, not the common word's thousands."""
        found = [seg.find(word, field, check, keys) for seg, keys in self.segments_among(among)]
        return _keys_union(found)

    def segments_among(self, among: np.ndarray | None):
        """(segment, the keys of sorted `among` within its key range) of
        every segment that may hold one of them (all, with None).  A query
        restricted to a few documents visits their segments only: a
        segment's keys span a narrow range in a full build (the workers take
        consecutive batches), so 3 keys of a 200k archive's 50 segments
        touch about 3 of them."""
        if among is None:
            return [(seg, None) for seg in self.segments]
        low, high = self._key_ranges()
        starts = np.searchsorted(among, low).tolist()
        ends = np.searchsorted(among, high, side="right").tolist()
        return [(seg, among[a:b]) for seg, a, b in zip(self.segments, starts, ends) if b > a]

    def _key_ranges(self) -> tuple[np.ndarray, np.ndarray]:
        """(lowest key, highest key) of each segment, read on first use."""
        if self._ranges is None:
            bounds = [(int(seg.keys.min()), int(seg.keys.max())) if seg.keys.size else (1, 0)
                      for seg in self.segments]
            self._ranges = (np.array([b[0] for b in bounds], dtype=np.int64),
                            np.array([b[1] for b in bounds], dtype=np.int64))
        return self._ranges

    def candidates(self, *words: str) -> np.ndarray:
        """Sorted unique keys of documents holding every gram of `words`: a
        superset of those containing them, from posting lists alone (exact
        for one run of at most two characters)."""
        return _keys_union([np.asarray(seg.keys[seg.candidates(*words)], dtype=np.int64)
                            for seg in self.segments])


def _keys_union(found: list[np.ndarray]) -> np.ndarray:
    found = [f for f in found if f.size]
    if not found:
        return np.empty(0, dtype=np.int64)
    return unique_sorted(np.concatenate(found) if len(found) > 1 else found[0])


def unique_sorted(values: np.ndarray) -> np.ndarray:
    """np.unique for the integer arrays of a query: a sort and a comparison
    (numpy 2's hashing np.unique took ~3 ms for 50,000 keys, 10x more)."""
    values = np.sort(values)
    return values[_run_starts(values)]


def unique_counts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(values, return_counts=True) the same way: numpy 2.4's took
    18 ms for 50,000 reprint group numbers, this 1.4 ms (load ~15)."""
    values = np.sort(values)
    first = np.flatnonzero(_run_starts(values))
    return values[first], np.diff(np.append(first, values.size))


def read_manifest(directory: Path) -> dict:
    path = Path(directory) / _MANIFEST
    if not path.exists():
        return {"segments": []}
    return json.loads(path.read_text(encoding="utf-8"))


def write_manifest(directory: Path, manifest: dict) -> None:
    """Atomically replace the manifest (write, fsync, rename)."""
    directory = Path(directory)
    tmp = directory / (_MANIFEST + ".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        json.dump(manifest, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, directory / _MANIFEST)


def add_segment(directory: Path, builder: SegmentBuilder) -> dict | None:
    """Write `builder` as a new segment and publish it in the manifest."""
    if not len(builder):
        return None
    directory = Path(directory)
    manifest = read_manifest(directory)
    number = 1 + max((int(s["name"]) for s in manifest["segments"]), default=0)
    entry = builder.write(directory, f"{number:05d}")
    manifest["segments"].append(entry)
    write_manifest(directory, manifest)
    return entry
