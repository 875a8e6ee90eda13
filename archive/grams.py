"""The substring index: what makes search complete.

Word segmentation alone loses bulletins: if jieba cuts the text differently
from the query, the words never meet.  This index answers the question
"which documents contain this exact string?" for *any* string, including
single characters and strings that cross word boundaries:

* every document's searchable fields are folded (`archive.folding.fold`)
  and kept verbatim in a text file (``NNNN.text16``, `archive.gram_text`), fields separated by
  FIELD_SEP, documents by DOC_SEP;
* an inverted index maps every character and every pair of adjacent
  characters (unigrams and bigrams, skipping whitespace and separators) to
  the sorted local numbers of the documents that contain it;
* a query string of one or two characters is answered from its posting list
  exactly; a longer one intersects the posting lists of its bigrams (a
  superset of the answer), then each candidate is verified by a substring
  search of its text.  Recall is complete by construction and precision is
  exact.

Gram codes (`archive.gram_codes`) are integers, so the term dictionary is a
sorted numpy array searched by bisection on a memory map: opening an index
costs nothing, and every process serving searches shares the same pages.

An index is a list of immutable *segments*, each written once by
`SegmentBuilder` (here) and read by `archive.gram_segment.Segment`;
`GramIndex` reads all segments of a directory.  Documents are identified by
a caller-chosen integer key (the archive's version id).  A key that appears
in more than one segment, or whose document was since deleted, is resolved
by the caller, who knows which keys are live.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from . import gram_bitmaps, gram_terms, gram_text
from .gram_codes import FIELDS, RADIX, breaks, codepoints
from .gram_segment import Segment
from .gram_text import DOC_SEP, FIELD_SEP
from .sorted_arrays import keys_union, run_starts, sorted_unique

_MANIFEST = "manifest.json"


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
        points = codepoints(joined)
        ok = ~breaks(points)
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
        bi *= np.uint64(RADIX)
        bi += points[1:][pair_ok]
        bi <<= np.uint64(self.DOC_BITS)
        bi |= doc_of_char[:-1][pair_ok]
        del uni, bi, ok, pair_ok, points
        packed = sorted_unique(packed)
        codes = packed >> np.uint64(self.DOC_BITS)
        # Local doc numbers fit 16 bits in segments of up to 65,536 documents
        # (the indexer writes 4,000, index.GRAM_SEGMENT_DOCS): half the size of
        # the biggest file.
        small = len(self.keys) <= 1 << 16
        postings = (packed & np.uint64((1 << self.DOC_BITS) - 1)).astype(
            np.uint16 if small else np.uint32)
        del packed
        first = np.flatnonzero(run_starts(codes))
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
        fields = gram_text.write_texts(directory, name, self.texts, len(FIELDS))
        _save(directory / f"{name}.keys.npy", np.asarray(self.keys, dtype=np.int64))
        _save(directory / f"{name}.fields.npy", fields)
        suffix, stored_terms = gram_terms.stored(terms)
        _save(directory / f"{name}.{suffix}.npy", stored_terms)
        _save(directory / f"{name}.offsets.npy", offsets)
        _save(directory / f"{name}.postings.npy", postings)
        _save(directory / f"{name}.dense.npy", dense)
        _save(directory / f"{name}.bitmaps.npy", bitmaps)
        return {"name": name, "docs": len(self.keys),
                "postings": int(postings.size + np.unpackbits(bitmaps).sum())}



def _save(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as out:
        np.save(out, array)
        out.flush()
        os.fsync(out.fileno())



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
        return keys_union(found)

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
        return keys_union([np.asarray(seg.keys[seg.candidates(*words)], dtype=np.int64)
                            for seg in self.segments])



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
