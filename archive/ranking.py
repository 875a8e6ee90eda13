"""Relevance ranking over arrays: BM25F for whole posting lists at once.

Whoosh stays the index of record for words: this module reads a query
word's postings (document numbers and term frequencies) from its segments
once, keeps the word's score over every document holding it as numpy
arrays (`Postings.impacts`), and scores the documents of the tiers that
can reach the page (`ranked`) with vector operations.  Whoosh's own scorer
walks a posting list document by document in Python: 290 ms for 习近平
(15k bulletins) on the 53k archive, about 1 s under load; the same scores
here take a few milliseconds.

The scores are Whoosh's BM25F (same statistics, same quantised field
lengths; `tests/test_ranking.py` checks them against Whoosh's scorer, to
1e-9: a word's fields are added before the next word's):

    score(d) = sum over query words w, fields f in (title, meta, body) of
               boost_f * idf(w, f) * tf (K1 + 1) / (tf + K1 (1 - B + B len_f(d) / avglen_f))
    idf(w, f) = log(N / (df + 1)) + 1,   N = documents in the index (deleted too)

The relevance order is: tier (higher first; see `archive.search`), then
score, then newest, then document number: a total order, so pages add up to
the whole list and equal scores never swap between requests.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from .sorted_arrays import find_sorted, keys_union

FIELD_BOOSTS = (("title", 3.0), ("meta", 1.5), ("body", 1.0))
B = 0.75
K1 = 1.2
CACHE_BYTES = 64 << 20           # words' scores kept per process (`Postings.impacts`)
_TIER_SPAN = 1e9                  # a tier outweighs any score in the selection key


class Postings:
    """Posting arrays of one Whoosh index (one commit), read on demand.

    Reading goes through Whoosh's file objects, which share one seek()
    position: callers pass the lock that guards them, held only while a
    word's posting lists are read for the first time.  A word's scores in
    the cache are read without any lock (the serving hot path).
    """

    def __init__(self, reader, lock: threading.RLock | None = None,
                 capacity: int = CACHE_BYTES):
        self.reader = reader
        self.lock = lock or threading.RLock()
        self.capacity = capacity
        self.doc_count_all = reader.doc_count_all()
        self._leaves = list(reader.leaf_readers())
        self._cache: OrderedDict = OrderedDict()
        self._cached = 0
        self._lengths: dict[str, np.ndarray] = {}
        self._stats: dict[tuple[str, str], tuple[float, float]] = {}
        self._field_lengths: dict[str, int] = {}     # the reader's, per field (one commit)
        # Lists other processes read already (get/put; the web workers'
        # `web.shared_cache`): a list read through Whoosh costs ms, not µs.
        self.shared = None

    def of(self, fieldname: str, word: str) -> tuple[np.ndarray, np.ndarray]:
        """(sorted document numbers, term frequencies) of a word in a field,
        read for `impacts`, which keeps what ranking needs of them."""
        with self.lock:
            return self._shared_or_read(fieldname, word)

    def _remember(self, key, found) -> None:
        if key in self._cache:
            return
        self._cache[key] = found
        self._cached += found[0].nbytes + found[1].nbytes
        while self._cached > self.capacity and len(self._cache) > 1:
            _, (old, values) = self._cache.popitem(last=False)
            self._cached -= old.nbytes + values.nbytes

    def _shared_or_read(self, fieldname: str, word: str):
        found = self.shared.get(fieldname, word) if self.shared is not None else None
        if found is None:
            found = self._read(fieldname, word)
            if self.shared is not None:
                self.shared.put(fieldname, word, found)
        return found

    def _read(self, fieldname: str, word: str):
        from whoosh.reading import TermNotFound

        docs, tfs = [], []
        for leaf, offset in self._leaves:
            try:           # one term lookup (a `(field, word) in leaf` test first made two)
                matcher = leaf.postings(fieldname, word)
            except TermNotFound:
                continue
            ids, weights = _leaf_postings(matcher)
            docs.append(ids + offset)
            tfs.append(weights)
        if not docs:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        # Frequencies are small integers: float32 holds them exactly.
        return np.concatenate(docs), np.concatenate(tfs).astype(np.float32)

    def impacts(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        """(sorted document numbers, BM25F of `word` alone) over the
        documents holding it in any field (`word_impacts`), kept in the
        cache (16 bytes a document; its raw lists are not kept).

        Scoring a word from its three field lists took three walks and the
        arithmetic per posting on every query: 1.9 ms of 习近平's title
        tier at 200k bulletins (25,599 hits, 75,568 body postings), 3.7 ms
        inside the bench mix; its kept scores cost one walk."""
        found = self._cache.get(word)
        if found is None:
            found = word_impacts(self, word)
            with self.lock:
                self._remember(word, found)
        return found

    def lengths(self, fieldname: str) -> np.ndarray:
        """Every document's field length as Whoosh's scorer sees it
        (quantised to one byte per document in the index)."""
        found = self._lengths.get(fieldname)
        if found is None:
            with self.lock:
                found = np.concatenate([_length_column(leaf, fieldname)
                                        for leaf, _ in self._leaves] or [np.empty(0)])
            self._lengths[fieldname] = found
        return found

    def stats(self, fieldname: str, word: str) -> tuple[float, float]:
        """(idf, average field length) of a word in a field, as Whoosh computes them."""
        key = (fieldname, word)
        found = self._stats.get(key)
        if found is None:
            with self.lock:
                df = self.reader.doc_frequency(fieldname, word)
                total = self._field_lengths.get(fieldname)
                if total is None:
                    total = self._field_lengths[fieldname] = self.reader.field_length(fieldname)
            n = self.doc_count_all
            found = (float(np.log(n / (df + 1)) + 1), (total / (n or 1)) or 1.0)
            self._stats[key] = found
        return found


def _leaf_postings(matcher) -> tuple[np.ndarray, np.ndarray]:
    """A segment's posting list as arrays, one block at a time.

    Whoosh's on-disk matcher (`W3LeafMatcher`) stores a block of up to 128
    postings as a pickled tuple (id deltas, weights, values); it is decoded
    here with numpy (a cumulative sum) instead of Whoosh's per-posting
    generator, which took 70% of a cold query's ranking.  Other matchers (a
    short list inlined in the term dictionary) are walked.
    """
    if hasattr(matcher, "_read_data") and hasattr(matcher, "_goto"):
        ids, weights = [], []
        while True:
            matcher._read_data()
            deltas, block_weights = matcher._data[0], matcher._data[1]
            size = matcher._blocklength
            block_ids = np.asarray(deltas, dtype=np.int64)
            ids.append(block_ids if matcher._byteids else np.cumsum(block_ids))
            if block_weights is None or isinstance(block_weights, float):
                weights.append(np.full(size, 1.0 if block_weights is None else block_weights))
            else:
                weights.append(np.asarray(block_weights, dtype=np.float64))
            if matcher._lastblock:
                break
            matcher._goto(matcher._nextoffset)
        return np.concatenate(ids), np.concatenate(weights)
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float64)


def _length_column(leaf, fieldname: str) -> np.ndarray:
    """One segment's field lengths, from its one-byte-per-document column."""
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN
    from whoosh.util.numeric import byte_to_length

    size = leaf.doc_count_all()
    codes = np.zeros(size, dtype=np.uint8)
    perdoc, name = leaf._perdoc, f"_{fieldname}_len"
    if perdoc.has_column(name):
        column = perdoc.column_reader(name, LENGTHS_COLUMN)
        # Trailing documents of length 0 are left out of the file.
        stored = np.frombuffer(column._dbfile.get(column._basepos, column._count),
                               dtype=np.uint8)[:size]
        codes[:stored.size] = stored
    table = np.asarray([byte_to_length(i) for i in range(256)], dtype=np.float64)
    return table[codes]


# A posting list at most this many times longer than the documents scored is
# walked through a table of their positions; a longer one (a common word
# ANDed with a rare one) is probed by bisection, which follows the documents.
WALK_RATIO = 8


def bm25f(postings: Postings, words: list[str], docs: np.ndarray) -> np.ndarray:
    """BM25F of each of `docs` (sorted document numbers) for `words`.

    Each word's scores over the documents holding it (`Postings.impacts`)
    meet the documents either by a table of their positions indexed by
    document number (`_Positions`: one gather per posting, no comparison)
    or by bisection of every document into the word's list.  Bisection
    alone cost ~0.15 µs a hit and list: 2.3 ms of 习近平's 8 ms at 53k
    bulletins (15,068 hits), 4× that at 200k; the table costs a few ns a
    posting."""
    scores = np.zeros(docs.size, dtype=np.float64)
    if not docs.size:
        return scores
    with _Positions(docs, postings.doc_count_all) as positions:
        for word in dict.fromkeys(words):
            ids, impact = postings.impacts(word)
            if not ids.size:
                continue
            if ids.size <= WALK_RATIO * docs.size:
                at = positions.table()[ids]
                listed = np.flatnonzero(at >= 0)
                scores[at[listed]] += impact[listed]
            else:
                at, inside = find_sorted(ids, docs)
                scores[inside] += impact[at[inside]]
    return scores


def word_impacts(postings: Postings, word: str) -> tuple[np.ndarray, np.ndarray]:
    """(sorted document numbers, BM25F of `word` alone) of every document
    holding the word in some field: its fields' terms added in FIELD_BOOSTS
    order, as a query of that one word adds them."""
    lists = [(fieldname, boost, *postings.of(fieldname, word))
             for fieldname, boost in FIELD_BOOSTS]
    lists = [entry for entry in lists if entry[2].size]
    if not lists:
        return np.empty(0, np.int64), np.empty(0, np.float64)
    ids = keys_union([entry[2] for entry in lists])
    impact = np.zeros(ids.size, dtype=np.float64)
    for fieldname, boost, field_ids, tfs in lists:
        idf, average = postings.stats(fieldname, word)
        norm = K1 * ((1 - B) + B * postings.lengths(fieldname)[field_ids] / average)
        tf = tfs.astype(np.float64)
        impact[np.searchsorted(ids, field_ids)] += boost * (idf * ((tf * (K1 + 1)) / (tf + norm)))
    return ids, impact


class _Positions:
    """Per document number, its position in `docs`, else -1: a table the
    size of the index, made when first needed.

    The table is kept per thread and handed back clean (the documents'
    entries reset to -1): filling a new one cost a write of every document
    number per query (`np.full`: 0.25 ms at 200k bulletins, 57 ms of the
    bench mix's 1.6 s; ~1.2 ms at 1M), where setting and resetting the
    documents' own entries costs in proportion to the hits."""

    _kept = threading.local()

    def __init__(self, docs: np.ndarray, size: int):
        self.docs, self.size = docs, max(size, int(docs[-1]) + 1)
        self.slots: np.ndarray | None = None

    def table(self) -> np.ndarray:
        if self.slots is None:
            slots = getattr(self._kept, "slots", None)
            if slots is None or slots.size < self.size:
                slots = np.full(self.size, -1, dtype=np.int32)
            self._kept.slots = None            # taken: a nested use makes its own
            slots[self.docs] = np.arange(self.docs.size, dtype=np.int32)
            self.slots = slots
        return self.slots

    def __enter__(self) -> _Positions:
        return self

    def __exit__(self, *exc) -> None:
        if self.slots is not None:
            self.slots[self.docs] = -1
            self._kept.slots = self.slots


def ranked(postings: Postings, words: list[str], docs: np.ndarray, tiers: np.ndarray,
           date_column: np.ndarray, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions (into `docs`) of ranks [start, end) of the relevance order,
    and their BM25F scores (`date_column`: every docnum's date).

    Only the documents of the highest tiers that hold the first `end` ranks
    are scored: the order is tier first, so no document of a lower tier can
    reach the page.  A common word's page came from scoring every hit
    (习近平: 75,568 at 200k bulletins, ~4 ms); its title tier alone holds
    the page when ten or more titles have the word."""
    within = _top_tiers(tiers, end)
    if within is not None:
        docs, tiers = docs[within], tiers[within]
    scores = bm25f(postings, words, docs)
    at = order(docs, tiers, scores, date_column[docs], start, end)
    return (at if within is None else within[at]), scores[at]


def _top_tiers(tiers: np.ndarray, end: int) -> np.ndarray | None:
    """Positions of the tiers, highest first, that together hold at least
    `end` documents (the lowest of them whole); None when that is all of them.
    Tiers are small non-negative integers (100 a word matched, 1 a title)."""
    if not tiers.size or end >= tiers.size:
        return None
    counts = np.bincount(tiers)
    held = np.cumsum(counts[::-1])                 # documents at or above each tier, top down
    lowest = counts.size - 1 - int(np.searchsorted(held, max(end, 1)))
    if lowest <= int(tiers.min()):
        return None
    return np.flatnonzero(tiers >= lowest)


def order(docs: np.ndarray, tiers: np.ndarray, scores: np.ndarray, dates: np.ndarray,
          start: int, end: int) -> np.ndarray:
    """Positions (into `docs`) of ranks [start, end) of the relevance order:
    tier, then score (both higher first), then newest, then docnum."""
    return _ranks(tiers * _TIER_SPAN + scores, (docs, -dates, -scores, -tiers), start, end)


_UNDATED_LAST = -(10 ** 9)     # below -YYYYMMDD of any real date


def by_date(docs: np.ndarray, dates: np.ndarray, start: int, end: int,
            newest_first: bool = True) -> np.ndarray:
    """Positions (into `docs`) of ranks [start, end) by date, then docnum.

    Undated bulletins (date 0) come last in both orders: a clerk sorting by
    date wants the dated ones first."""
    signed = dates if newest_first else np.where(dates > 0, -dates, _UNDATED_LAST)
    return _ranks(signed, (docs, -signed), start, end)


def _ranks(select: np.ndarray, sort_keys: tuple, start: int, end: int) -> np.ndarray:
    """Ranks [start, end) of the ascending `np.lexsort(sort_keys)` order,
    whose most significant part is `select`, higher first.

    Only the candidates for the first `end` ranks are sorted: a partition on
    `select` finds them, ties at the cut included, so sorting those few
    decides them exactly as sorting everything would (a browse of all 53k
    bulletins sorts 10, not 53,000).
    """
    size = select.size
    end = min(end, size)
    if start >= end:
        return np.empty(0, dtype=np.int64)
    if end < size:
        cut = np.partition(select, size - end)[size - end]
        candidates = np.flatnonzero(select >= cut)
    else:
        candidates = np.arange(size)
    ranked = np.lexsort(tuple(key[candidates] for key in sort_keys))
    return candidates[ranked][start:end]
