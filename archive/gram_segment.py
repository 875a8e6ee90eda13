"""One segment of the substring index, read-only: lookup and verification.

A segment (written once by `archive.grams.SegmentBuilder`) is a set of
memory-mapped arrays — sorted gram codes, their posting lists, the common
grams' bitmaps (`archive.gram_bitmaps`) — and the folded texts.  `find`
intersects the posting lists of a word's grams, then verifies each
candidate by a substring search of its text (`contains`, `select`), with
in-memory tables for the short fields (`field_table`).
"""
from __future__ import annotations

import mmap
from dataclasses import dataclass, field as dc_field
from pathlib import Path

import numpy as np

from . import gram_bitmaps, gram_terms, gram_text
from .gram_codes import FIELDS, codes_of, needs_verification
from .npyfiles import map_array
from .sorted_arrays import holds_repeats, intersect_sorted, positions_of_every, unique_sorted

# Fields short enough to keep in memory for verification (`Segment.field_table`).
SHORT_FIELDS = tuple(name for name in FIELDS if name != "body")
TABLE_DEMAND = 2         # field tables are built once this many segments' worth were tested
VERIFY_CHUNK = 2000      # candidates verified between two deadline checks
DENSE_KEPT = 64          # unpacked bitmaps kept per segment (<= 8 KB each at 4,000 documents)


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


def _chunks(local: np.ndarray, check=None):
    """`local` in runs of VERIFY_CHUNK documents, `check()` (a deadline)
    called before each: verification loops grow with the corpus."""
    for at in range(0, local.size, VERIFY_CHUNK):
        if check is not None:
            check()
        yield local[at:at + VERIFY_CHUNK]


@dataclass
class Segment:
    name: str
    keys: np.ndarray      # local doc number -> key
    fields: np.ndarray    # [doc, i]: byte offset of field i in text; [doc, -1]: end + unit
    terms: object         # sorted gram codes (`archive.gram_terms`): .find(codes), .size
    offsets: np.ndarray   # term i's postings are postings[offsets[i]:offsets[i+1]]
    postings: np.ndarray  # local doc numbers
    text_path: Path       # folded texts (`archive.gram_text`)
    encoding: str         # of the text: UTF-8 (segments before UTF-16) or UTF-16-LE
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
        return cls(name, load("keys"), load("fields"), gram_terms.open_terms(directory, name),
                   load("offsets"), load("postings"), *gram_text.text_file(directory, name),
                   *dense)

    @property
    def unit(self) -> int:
        """Bytes of a separator in the text; every character starts at a
        multiple of it."""
        return gram_text.unit_of(self.encoding)

    def posting_lists_at(self, found: np.ndarray) -> list[np.ndarray]:
        """The posting lists of the terms numbered `found` (positions in `terms`)."""
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
        found = self._term_numbers(np.array([code], dtype=np.uint64))
        if found is None:
            return np.empty(0, dtype=np.uint32)
        return self.posting_lists_at(found)[0]

    def _term_numbers(self, codes) -> np.ndarray | None:
        """Where `codes` stand in the term array, by one bisection; None when
        one of them is absent (no document has it)."""
        wanted = codes if isinstance(codes, np.ndarray) else np.fromiter(codes, dtype=np.uint64)
        at, found = self.terms.find(wanted)
        return at if found.all() else None

    def candidates(self, *words: str, among: np.ndarray | None = None) -> np.ndarray:
        """Local doc numbers that contain every gram of every one of `words`
        (sorted); `among` (sorted keys): only those documents.

        With `among`, its documents of this segment are the first list of
        the intersection: the cost follows them, not the grams' posting
        lists (a title tier of 3 hits probed the whole posting lists of
        every segment: ~40 us a segment, 50 segments at 200k bulletins)."""
        found = self._term_numbers(codes_of(words))
        if found is None or not found.size:
            return np.empty(0, dtype=np.uint32)
        starts, ends = self.offsets[found].tolist(), self.offsets[found + 1].tolist()
        dense = [s == e for s, e in zip(starts, ends)]          # bitmaps (`gram_bitmaps`)
        # Few bitmaps: their lists unpacked, kept per segment; many (a long
        # word of common bigrams): ANDed and tested on the arrays' result.
        few = sum(dense) <= 2 or all(dense)
        lists = (self.posting_lists_at(found) if few else
                 [self.postings[s:e] for s, e in zip(starts, ends) if s != e])
        if among is not None:
            lists.append(self.local_of(among))
        local = intersect_sorted(lists)
        if few:
            return local
        return gram_bitmaps.in_every(local, self.bitmaps[np.searchsorted(self.dense, found[dense])])

    def local_of(self, keys: np.ndarray) -> np.ndarray:
        """Sorted local numbers of this segment's documents whose key is in
        `keys` (sorted).  A key may stand twice in a merged segment
        (`archive.gram_merge`: a bulletin re-added by a sync): both count."""
        if self._by_key is None:
            order = np.argsort(self.keys, kind="stable")
            ordered = np.asarray(self.keys[order])
            self._by_key = (ordered, order.astype(np.uint32), holds_repeats(ordered))
        sorted_keys, local, repeats = self._by_key
        return np.sort(local[positions_of_every(sorted_keys, keys, repeats)])

    def contains(self, local: np.ndarray, word: str, field: str | None,
                 check=None) -> np.ndarray:
        """The subset of `local` whose text (or `field`) contains `word`."""
        if field in SHORT_FIELDS and self._wants_table(field, local.size):
            if check is not None:
                check()
            return self._short_field_contains(local, word.encode("utf-8"), field)
        needle, unit = word.encode(self.encoding), self.unit
        if field in SHORT_FIELDS and needle and self._separator not in needle:
            return self._joined_field_contains(local, needle, field, check)
        odd = unit - 1
        first, last = (0, -1) if field is None else (FIELDS.index(field), FIELDS.index(field) + 1)
        find = self._mmap().find
        keep: list[int] = []
        for chunk in _chunks(local, check):
            bounds = self.fields[chunk]
            # A match at a character boundary (every one in UTF-8) is
            # taken as found; only a misaligned one pays a call for the rest.
            keep += [doc for doc, s, e in zip(chunk.tolist(), bounds[:, first].tolist(),
                                             (bounds[:, last] - unit).tolist())
                     if (hit := find(needle, s, e)) != -1 and (
                         not hit & odd or gram_text.find_aligned(find, needle, hit, e, unit) != -1)]
        return np.asarray(keep, dtype=np.uint32)

    def select(self, local: np.ndarray, field: str | None, test, check=None) -> np.ndarray:
        """The subset of `local` for which `test(text, start, end)` holds on
        the stored folded text (a memory map in `encoding`, byte offsets) of
        the document or of `field`.  `check()` is called every VERIFY_CHUNK
        documents: the caller's deadline reaches inside a loop that grows
        with the corpus."""
        column = FIELDS.index(field) if field else None
        text = self._mmap()
        keep = []
        for chunk in _chunks(local, check):
            bounds = self.fields[chunk]
            if column is None:
                starts, ends = bounds[:, 0], bounds[:, -1] - self.unit
            else:
                starts, ends = bounds[:, column], bounds[:, column + 1] - self.unit
            keep += [doc for doc, s, e in zip(chunk.tolist(), starts.tolist(), ends.tolist())
                     if test(text, s, e)]
        return np.asarray(keep, dtype=np.uint32)

    def _wants_table(self, field: str, count: int) -> bool:
        """Whether to test `count` documents' `field` with its in-memory table:
        once built, always; it is built when the documents asked for, over
        this segment's life, reach TABLE_DEMAND times its size.  Until then
        `_joined_field_contains` tests them at ~0.55 µs a document, building
        the table costs ~0.85 µs a document of the segment (53k titles:
        30 ms against 44 ms, load ~10), so a fresh `archive search` for a
        common word (习近平: 15,068 titles) builds no table, and a server
        builds it after a few such queries."""
        if field in self._field_tables:
            return True
        self._field_demand[field] = self._field_demand.get(field, 0) + count
        return self._field_demand[field] >= TABLE_DEMAND * self.keys.size

    def _short_field_contains(self, local: np.ndarray, needle: bytes, field: str) -> np.ndarray:
        """`contains` for a field other than the body: each distinct value
        among `local` is tested once (an issuer such as 央视网 is shared by
        thousands of bulletins), in memory (see `_wants_table`: building the
        titles' table costs ~4 ms a segment, 60 ms for the 53k archive, too
        much for a fresh `archive search`)."""
        ids, values = self.field_table(field)
        of_local = ids[local]
        distinct = np.flatnonzero(np.bincount(of_local, minlength=len(values))).tolist()
        matched = np.zeros(len(values), dtype=bool)
        matched[[v for v in distinct if needle in values[v]]] = True
        return np.asarray(local[matched[of_local]], dtype=np.uint32)

    @property
    def _separator(self) -> bytes:
        """Between the values `_joined_field_contains` joins: a field
        separator, which no value holds."""
        return gram_text.FIELD_SEP.encode(self.encoding)

    def _joined_field_contains(self, local: np.ndarray, needle: bytes, field: str,
                               check=None) -> np.ndarray:
        """`contains` for a short field without its table: the values of a
        chunk of documents joined by a separator (absent from `needle`, so
        no match at a character boundary spans two values) and searched at
        once, each match mapped back to its value by its offset.  ~0.55 µs a
        document against ~3 µs for a memory-map search per document, and no
        table to build: the title tier of 习近平 (15,068 bulletins) in a
        fresh `archive search`.  `needle` is in the text's encoding."""
        column, unit, separator = FIELDS.index(field), self.unit, self._separator
        text = self._mmap()
        keep = []
        for chunk in _chunks(local, check):
            starts = self.fields[chunk, column]
            ends = self.fields[chunk, column + 1] - unit
            joined = separator.join([text[a:b] for a, b in zip(starts.tolist(), ends.tolist())])
            found, where = [], joined.find(needle)
            while where != -1:
                if not where % unit:            # a match inside a character is none
                    found.append(where)
                where = joined.find(needle, where + 1)
            if found:
                spans = ends - starts + unit
                value_starts = np.cumsum(spans) - spans
                keep.append(chunk[unique_sorted(np.searchsorted(value_starts, found, "right") - 1)])
        return np.concatenate(keep).astype(np.uint32) if keep else _NONE

    def has_field_table(self, field: str) -> bool:
        return field in self._field_tables

    def field_table(self, field: str) -> tuple[np.ndarray, list[bytes]]:
        """Every document's `field` as (value number per document, distinct
        values as UTF-8 bytes, whatever the text's encoding), read from the
        text once per segment and kept (titles: ~0.6 MB for 4,000
        documents).  Testing a value in memory costs ~0.2 µs; through the
        memory map with byte offsets ~3 µs, which made the title tier of a
        word found in 8,000 bulletins cost ~25 ms and 机关:央视网 (an issuer
        of ~25,000) ~90 ms a query."""
        found = self._field_tables.get(field)
        if found is None:
            column = FIELDS.index(field)
            text = self._mmap()
            starts = self.fields[:, column].tolist()
            ends = (self.fields[:, column + 1] - self.unit).tolist()
            numbers: dict[bytes, int] = {}
            ids = np.fromiter((numbers.setdefault(text[a:b], len(numbers))
                               for a, b in zip(starts, ends)), dtype=np.int32, count=len(starts))
            values = gram_text.as_utf8(list(numbers), self.encoding)
            found = self._field_tables[field] = (ids, values)
        return found

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

