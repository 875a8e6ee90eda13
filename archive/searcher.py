"""A read-only view of one index generation, reused across requests.

It opens what a query reads — the Whoosh reader (postings for ranking,
stored fields for the page), the gram index, the docmap arrays, the word
table, synonyms, reprint groups and citations — and answers a request:
matching (`archive.matching`), facets (`archive.facets`), the page's order
(`archive.ranking`), near matches (`archive.nearby`) and the suggestion
(`archive.suggest`).  `archive.service.SearchService` keeps one per live
generation.
"""
from __future__ import annotations

import threading
import time
from functools import cached_property
from pathlib import Path

import numpy as np

from . import browse, config, facets, grams, nearby, ranking, reprints, suggest
from .analysis import WordTable, segmenter_for
from .synonyms import SYNONYMS, read_synonyms
from .errors import NoIndex, SearchTimeout
from .facets import count_facets
from .fields import DATE_FIELDS
from .docmap import compute_docmap
from .generations import Generation
from .matching import Matching, VerifiedSets, _Leaf, _member
from .npyfiles import map_npz
from .query import ParsedQuery, parse
from .related import related_hits
from .request import (SEARCH_TIME_LIMIT, Hit, SearchRequest, SearchResult, _check_deadline,
                      _deadline)
from .stored import StoredFields
from .vocabulary import Vocabulary


class Searcher(Matching):
    """A read-only view of one index generation, reusable across requests."""

    def __init__(self, generation: Generation, home: Path | None = None):
        self.generation = generation
        self.home = Path(home) if home else generation.path.parent.parent
        # Queries (and related documents' words) are segmented from the
        # generation's dictionary snapshot: same words as the index, without
        # loading jieba's dictionary (0.8 s CPU and its memory per process).
        self.query_segmenter = (WordTable(generation.words_path)
                                if generation.words_path.exists() else self.segmenter)
        self._synonym_files = [SYNONYMS, config.load(self.home).synonyms]
        self._synonym_stamp = None
        self._refresh_synonyms()
        self.index = generation.open_whoosh()
        # A reader, not a Whoosh searcher: ranking reads postings itself
        # (`archive.ranking`), and a cold `archive search` then never imports
        # whoosh.searching / whoosh.query (~60 ms of a fresh process).
        self.whoosh = self.index.reader()
        self._reader = self.whoosh
        self._whoosh_searcher = None           # for `related` only, made on first use
        self._browses = 0                       # browses answered (`_browsed_before`)
        # Whoosh reads its files with a shared seek() + read(): two threads in
        # one reader read each other's offsets ("Block tag error", wrong
        # stored fields).  Every use of self.whoosh holds this lock.
        self.whoosh_lock = threading.RLock()
        self.whoosh_generation = self.whoosh.generation()
        self.postings = ranking.Postings(self.whoosh, self.whoosh_lock)
        self.stored = StoredFields(self.whoosh)          # lock-free, memory-mapped
        self._load_docmap()
        self.grams = grams.GramIndex(generation.grams_dir)
        self.groups = reprints.Groups(generation.path, self.doc_id, self.live, self.status)
        self.vocabulary = (Vocabulary(generation.vocab_path)
                           if generation.vocab_path.exists() else None)
        self.corrections_cache = suggest.WordCache()   # typed word -> alternatives
        self.verified_sets = VerifiedSets()           # string -> docnums (archive.matching)

    def _load_docmap(self) -> None:
        path = self.generation.docmap_path(self.whoosh_generation)
        if path.exists():
            data = map_npz(path, allow_pickle=True)        # issuer and topic names
        else:                      # a commit is newer than its docmap: compute it
            data = compute_docmap(self.index)[0]
        if "doc" not in data:
            raise NoIndex(f"the index in {self.generation.path} was built by an older "
                          "version: run `archive reindex --full`")
        self.vid = data["vid"]
        self.doc_id = data["doc"]
        self.date = data["date"]
        # One array per date a query may filter on (older generations have
        # the combined date only; `reindex --full` adds the others).
        self.dates = {name: data.get(name, self.date) for name in DATE_FIELDS}
        self.dates["date"] = self.date
        self.issuer = data["issuer"]
        self.topic = data["topic"]
        self.status = data["status"]
        self.live = data["live"].astype(bool)
        self.issuer_values = [str(v) for v in data["issuer_values"]]
        self.topic_values = [str(v) for v in data["topic_values"]]
        self.year = self.date // 10000
        self.month = (self.date // 100) % 100
        docnums = np.flatnonzero(self.live)
        order = np.argsort(self.vid[docnums], kind="stable")
        self._vids_sorted = self.vid[docnums][order]
        self._docnums_by_vid = docnums[order]
        self.universe = docnums

    @cached_property
    def citations(self):
        """Who cites whom (archive.citations), for 引用: words and a bulletin's
        page; its module (regular expressions, the citation parser) is loaded
        on first use: a plain search never reads it (~5 ms of a fresh process)."""
        from .citations import Citations

        return Citations(self.generation.path, self.groups.group_of)

    def close(self) -> None:
        self.whoosh.close()

    @property
    def segmenter(self):
        """The full dictionary (rjieba), loaded on first use: only for an index
        without a word table (built by an older version) and for tests."""
        return segmenter_for(self.home)

    def _refresh_synonyms(self) -> None:
        """(Re)read the synonym files when they change: no reindex needed."""
        stamp = []
        for path in self._synonym_files:
            try:
                st = Path(path).stat()
                stamp.append((st.st_mtime_ns, st.st_size))
            except (OSError, TypeError):
                stamp.append(None)
        if stamp != self._synonym_stamp:
            self.synonyms = read_synonyms(self._synonym_files)
            self._synonym_stamp = stamp

    @property
    def doc_count(self) -> int:
        return int(self.universe.size)

    # -- the search -------------------------------------------------------------
    def search(self, request: SearchRequest) -> SearchResult:
        started = time.perf_counter()
        outer = getattr(_deadline, "at", None), getattr(_deadline, "lookups", None)
        _deadline.at = started + SEARCH_TIME_LIMIT
        if outer[0] is not None:                 # an enclosing request's budget, if sooner
            _deadline.at = min(_deadline.at, outer[0])
        _deadline.lookups = {} if outer[1] is None else outer[1]
        try:
            return self._search(request, started)
        finally:
            _deadline.at, _deadline.lookups = outer

    def _search(self, request: SearchRequest, started: float) -> SearchResult:
        request.validate()
        self._refresh_synonyms()
        parsed = parse(request.q)
        leaves: list[_Leaf] = []
        if browse.applies(request, parsed) and self._browsed_before():
            total, final, facets = self.combinations.answer(
                self, request, parsed, self._browse_first(request))
        else:
            final, facets = self._matching(request, parsed, leaves)
            total = int(final.size)
        _check_deadline()
        shown = self.groups.collapse(final) if request.collapse else final
        hits = self._page(shown, leaves, request, parsed)
        self.groups.annotate(hits)
        result = SearchResult(request, parsed, total, hits, facets, 0.0,
                              terms=list(dict.fromkeys(t for leaf in leaves for t in leaf.terms)),
                              groups=int(shown.size) if request.collapse else None)
        if parsed.words():
            try:                        # both optional: answer without them if time is up
                self._add_near(result, final)
                self.groups.annotate(result.partial)
                found = self.suggest(parsed, request, result.total)
                if found:
                    result.suggestion, result.suggestion_total = found
            except SearchTimeout:
                pass
        result.took_ms = (time.perf_counter() - started) * 1000
        return result

    def _browsed_before(self) -> bool:
        """Whether this searcher answered a browse before: the combinations
        (a sort of every active bulletin: 12 ms at 53k, 46 ms at 200k) are
        built for a searcher that goes on answering, not for one fresh
        `archive search` (its browse counted over the bulletins: 6 ms)."""
        self._browses += 1
        return self._browses > 1

    @cached_property
    def combinations(self) -> browse.Combinations:
        """The active bulletins by (issuer, topic, year, month): browses."""
        return browse.Combinations(self)

    @staticmethod
    def _browse_first(request: SearchRequest) -> int | None:
        """How many of the newest bulletins a browse's page needs ranked
        (None: all of them — oldest first, collapsed or every hit)."""
        if request.all or request.collapse or request.sort == "date":
            return None
        return request.page * request.size

    def _add_near(self, result: SearchResult, final: np.ndarray) -> None:
        """The near-match group, when exact matches are few (archive.nearby)."""
        request, parsed = result.request, result.parsed
        if result.total >= nearby.NEAR_THRESHOLD or request.page != 1:
            return
        relaxed = self.evaluate(parsed.root, [], relaxed=True)
        if relaxed.size == final.size:
            return
        docs = facets.select(self, self._base_filter(relaxed, request, parsed), request)
        docs = np.setdiff1d(docs, final, assume_unique=True)
        result.partial_total = int(docs.size)
        shown = docs[ranking.by_date(docs, self.date[docs], 0, nearby.SHOWN)]
        result.partial = [Hit(int(d), 0.0, self.stored.get(int(d))["hit"]) for d in shown]
        result.partial_terms = list(dict.fromkeys(
            p for w in parsed.words() for p in nearby.parts_of(w, self.query_segmenter)))

    def find_ids(self, q: str) -> list[int]:
        """Ids of every active bulletin matching `q`, sorted (checks and tests).

        The matching set only: no ranking, no stored fields, so it is cheap
        even when it is large.
        """
        final, _ = self._matching(SearchRequest(q=q), parse(q), [])
        return sorted(int(i) for i in self.doc_id[final])

    def _matching(self, request: SearchRequest, parsed: ParsedQuery,
                  leaves: list[_Leaf]) -> tuple[np.ndarray, dict]:
        """The documents a request selects (query, status, dates, facet
        filters) and its facet counts; the query's leaves go into `leaves`."""
        matched = self.evaluate(parsed.root, leaves)
        base = self._base_filter(matched, request, parsed)
        _check_deadline()
        return count_facets(self, base, request, parsed)

    # -- ordering ---------------------------------------------------------------
    def _page(self, docs: np.ndarray, leaves: list[_Leaf], request: SearchRequest,
              parsed: ParsedQuery) -> list[Hit]:
        start = 0 if request.all else (request.page - 1) * request.size
        end = docs.size if request.all else min(docs.size, start + request.size)
        if start >= end:
            return []
        words = [w for leaf in leaves for w in leaf.words]
        if request.sort != "relevance" or not words:
            newest_first = request.sort != "date"
            at = ranking.by_date(docs, self.date[docs], start, end, newest_first)
            scored = [(int(d), 0.0) for d in docs[at]]
        else:
            scored = self._by_relevance(docs, leaves, words, start, end)
        return [Hit(d, s, self.stored.get(d)["hit"]) for d, s in scored]

    def _by_relevance(self, docs, leaves, words, start, end) -> list[tuple[int, float]]:
        """Docs [start, end) of the relevance order: tiers (each word matched
        exactly: +100, in the title: +1), then BM25F (`archive.ranking`)."""
        tiers = np.zeros(docs.size, dtype=np.int64)
        for leaf in leaves:
            having = self.leaf_docs(leaf, docs)
            tiers += 100 * _member(docs, having)
            tiers += _member(docs, self.title_docs(leaf, docs, having))
        _check_deadline()
        at, scores = ranking.ranked(self.postings, words, docs, tiers, self.date,
                                    start, end)
        return [(int(docs[i]), float(tiers[i]) + float(s)) for i, s in zip(at, scores)]

    # -- extras -----------------------------------------------------------------
    def suggest(self, parsed: ParsedQuery, request: SearchRequest,
                total: int) -> tuple[str, int] | None:
        """A corrected query and its count (did you mean: archive.suggest).
        Inside a search it shares the search's lookups; alone, it has its own."""
        if getattr(_deadline, "lookups", None) is not None:
            return suggest.suggest(self, parsed, request, total)
        _deadline.lookups = {}
        try:
            return suggest.suggest(self, parsed, request, total)
        finally:
            _deadline.lookups = None

    def count(self, q: str, like: SearchRequest) -> int:
        """How many bulletins `q` finds under `like`'s filters."""
        probe = SearchRequest(q=q, issuers=like.issuers, topics=like.topics, year=like.year,
                              month=like.month, date_from=like.date_from,
                              date_to=like.date_to, include_withdrawn=like.include_withdrawn)
        return self.search_count(probe)

    def search_count(self, request: SearchRequest) -> int:
        """How many bulletins a request selects: its documents without the
        facet counts (a suggestion's count is taken in every search that
        proposes one: its facets were ~1 ms of it at 200k bulletins)."""
        parsed = parse(request.q)
        matched = self.evaluate(parsed.root, [])
        return int(facets.select(self, self._base_filter(matched, request, parsed),
                                 request).size)

    def related(self, doc_id: int, text: str, limit: int = 5) -> list[Hit]:
        """More like this (archive.related)."""
        return related_hits(self, doc_id, text, limit)
