"""The search service: the one API behind the CLI, the web page and the JSON API.

How a query is answered (see `archive.query` for the language):

1. Every word becomes a set of documents from the substring index
   (`archive.grams`): the documents whose folded text contains the word
   verbatim, or a synonym, or the same 发文字号 in other brackets — nothing
   else.  Sets are combined by AND / OR / NOT.  Each distinct string is looked
   up once per search, and the deadline is checked inside the loops that
   grow with the corpus.  Few results: near matches (`archive.nearby`) come
   as a separate group; typos get a suggestion (`archive.suggest`).
2. Status, date, issuer, topic, year and month filters are array masks over
   the docmap (`archive.index`); facet counts are `bincount`s of the same
   arrays, each facet counted without its own filter.
3. Relevance: documents are tiered — words found in the title first — and
   ordered within a tier by BM25F over jieba words in title, body and
   metadata, computed over whole posting lists as arrays (`archive.ranking`:
   Whoosh's scores, no per-document Python); only the page's ranks are sorted.
4. The page's records come from Whoosh's stored fields (`archive.stored`:
   memory-mapped, no lock), snippets from the archive's text of those few
   documents.
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from . import citations, config, doc_numbers, grams, nearby, ranking, reprints, suggest
from .analysis import SYNONYMS, WordTable, fold, read_synonyms, segmenter_for
from .errors import NoIndex, QueryError, SearchTimeout
from .highlight import highlight_all, snippets, to_html
from .index import Generation, compute_docmap, current_generation, live_version
from .fields import DATE_FIELDS
from .public import public_fields
from .query import (MAX_INPUT_CHARS, MAX_QUERY_CHARS, And, Not, Or, ParsedQuery, Word,
                    date_bound, parse)
from .store import Archive, Original, StoredDoc
from .vocabulary import Vocabulary
from .stored import StoredFields
from .whoosh_compat import union_query as _union_query

SORTS = ("relevance", "date", "-date")
MAX_PAGE_SIZE = 100
MAX_PAGE = 1000
FACET_LIMIT = 50
MISSING = "未注明"                 # issuer/topic filter value: documents without one
SEARCH_TIME_LIMIT = 10.0          # seconds; a longer search is cut and says so
# Of the body, for "related documents": segmented with the word table at
# ~35 µs a character (measured, see SearchService.related), so 1,000 cost
# ~35 ms on the page's first view; the result is cached.
RELATED_PREFIX_CHARS = 1000
RELATED_CACHE_SIZE = 2048         # pages' related lists kept per service
MAX_RANKING_CHARS = 64            # a longer word is matched whole but segmented only this far


# The running search's deadline (time.perf_counter() value) and its lookups
# (string, field -> docnums: a word repeated 125 times is looked up once),
# per thread: the Searcher is shared by every web thread.  The deadline is
# checked between stages and inside the substring index's verification
# loops, so one query cannot hold a worker much beyond the limit.
_deadline = threading.local()


def _check_deadline() -> None:
    end = getattr(_deadline, "at", None)
    if end is not None and time.perf_counter() > end:
        raise SearchTimeout(f"search took longer than {SEARCH_TIME_LIMIT:g} s and was "
                            "stopped: use fewer or longer words, or add filters",
                            seconds=SEARCH_TIME_LIMIT)


@contextmanager
def request_deadline(seconds: float):
    """Every search inside the block ends by this deadline too (the web
    app's per-request budget: a page may run several searches)."""
    outer = getattr(_deadline, "at", None)
    _deadline.at = time.perf_counter() + seconds
    if outer is not None:
        _deadline.at = min(_deadline.at, outer)
    try:
        yield
    finally:
        _deadline.at = outer


@dataclass
class SearchRequest:
    q: str = ""
    issuers: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    year: int | None = None
    month: int | None = None
    date_from: str | None = None
    date_to: str | None = None
    sort: str = "relevance"
    page: int = 1
    size: int = 10
    all: bool = False
    include_withdrawn: bool = False
    highlight: bool = True
    collapse: bool = False            # one hit per reprint group (archive.reprints)

    def validate(self) -> None:
        if len(self.q or "") > MAX_INPUT_CHARS:
            raise QueryError(f"query too long ({len(self.q)} characters): at most "
                             f"{MAX_INPUT_CHARS}, and only the first {MAX_QUERY_CHARS} are "
                             "searched", "query_too_long", length=len(self.q),
                             max=MAX_INPUT_CHARS, used=MAX_QUERY_CHARS)
        if self.sort not in SORTS:
            raise QueryError(f"sort must be one of {', '.join(SORTS)}", "bad_sort",
                             choices=", ".join(SORTS))
        if not 1 <= self.page <= MAX_PAGE:
            raise QueryError(f"page must be between 1 and {MAX_PAGE}", "bad_page", max=MAX_PAGE)
        if not 1 <= self.size <= MAX_PAGE_SIZE:
            raise QueryError(f"size must be between 1 and {MAX_PAGE_SIZE}", "bad_size",
                             max=MAX_PAGE_SIZE)
        if self.month is not None and not 1 <= self.month <= 12:
            raise QueryError("month must be between 1 and 12", "bad_month")
        if self.month is not None and self.year is None:
            raise QueryError("month needs a year", "month_needs_year")
        for value in (self.date_from, self.date_to):
            try:
                date_bound(value, end=False)
            except ValueError as exc:
                raise QueryError(str(exc), "bad_date", value=value) from None


@dataclass
class Hit:
    docnum: int
    score: float
    fields: dict                      # id, index_no, doc_no, title, ... (stored in Whoosh)
    title_segments: list = field(default_factory=list)
    snippet_segments: list = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.fields["id"]

    def to_json(self) -> dict:
        out = public_fields(self.fields)
        for key in ("group", "group_size"):          # archive.reprints
            if key in self.fields:
                out[key] = self.fields[key]
        out["score"] = round(self.score, 4)
        out["snippet"] = " ".join(to_html(s) for s in self.snippet_segments)
        return out


@dataclass
class SearchResult:
    request: SearchRequest
    parsed: ParsedQuery
    total: int
    hits: list[Hit]
    facets: dict
    took_ms: float
    suggestion: str | None = None
    suggestion_total: int | None = None
    terms: list[str] = field(default_factory=list)   # folded, for highlighting
    groups: int | None = None         # with collapse: how many groups the bulletins form
    partial: list[Hit] = field(default_factory=list)  # near matches (archive.nearby)
    partial_total: int = 0
    partial_terms: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        return self.parsed.warnings

    @property
    def pages(self) -> int:
        shown = self.total if self.groups is None else self.groups
        return max(1, -(-shown // self.request.size))

    def to_json(self) -> dict:
        return {
            "query": self.request.q, "total": self.total, "page": self.request.page,
            "page_size": self.request.size, "sort": self.request.sort,
            "hits": [h.to_json() for h in self.hits], "facets": self.facets,
            "warnings": self.warnings, "suggestion": self.suggestion,
            "suggestion_total": self.suggestion_total,
            "partial": [h.to_json() for h in self.partial], "partial_total": self.partial_total,
            "took_ms": round(self.took_ms, 1),
            **({"collapsed": True, "total_groups": self.groups} if self.groups is not None
               else {}),
        }


@dataclass
class _Leaf:
    docs: np.ndarray                  # every match
    exact: np.ndarray                 # the same (kept for the ranking tiers)
    title: np.ndarray                 # exact matches in the title
    terms: list[str]                  # folded strings to highlight
    words: list[str]                  # jieba words, for BM25F


_EMPTY = np.empty(0, dtype=np.int64)


class Searcher:
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
        self.citations = citations.Citations(generation.path, self.groups.group_of)
        self.vocabulary = (Vocabulary(generation.vocab_path)
                           if generation.vocab_path.exists() else None)

    def _load_docmap(self) -> None:
        path = self.generation.docmap_path(self.whoosh_generation)
        if path.exists():
            data = dict(np.load(path, allow_pickle=True))
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

    # -- words -> documents ---------------------------------------------------
    def docnums_of_vids(self, vids: np.ndarray) -> np.ndarray:
        if not vids.size or not self._vids_sorted.size:
            return _EMPTY
        at = np.searchsorted(self._vids_sorted, vids)
        at = np.clip(at, 0, self._vids_sorted.size - 1)
        found = self._vids_sorted[at] == vids
        return np.unique(self._docnums_by_vid[at[found]])

    def exact(self, folded: str, fieldname: str | None = None) -> np.ndarray:
        """Docnums whose folded text (or field) contains `folded` verbatim
        (looked up once per search)."""
        cache = getattr(_deadline, "lookups", None)
        key = (folded, fieldname)
        if cache is not None and key in cache:
            return cache[key]
        found = self.docnums_of_vids(self.grams.find(folded, fieldname, _check_deadline))
        if cache is not None:
            cache[key] = found
        return found

    check_deadline = staticmethod(_check_deadline)

    def variants(self, word: Word) -> list[str]:
        folded = " ".join(fold(word.text).split())
        found = [folded]
        if not word.quoted:
            found += sorted(self.synonyms.get(folded, ()))
        if word.doc_no:        # other brackets, or none (北政办发202481号)
            found += doc_numbers.bracket_variants(folded)[1:]
        return list(dict.fromkeys(found))

    def leaf(self, word: Word) -> _Leaf:
        """The documents of one word (the same object for a repeated word)."""
        cache = getattr(_deadline, "lookups", None)
        key = ("leaf", word.text, word.field, word.quoted, word.doc_no)
        if cache is not None and key in cache:
            return cache[key]
        found = self._leaf(word)
        if cache is not None:
            cache[key] = found
        return found

    def _leaf(self, word: Word) -> _Leaf:
        if word.field == "cites":
            return self.citing_leaf(word)
        fieldname = word.field if word.field in grams.FIELDS else None
        variants = self.variants(word)
        exact = _union([self.exact(v, fieldname) for v in variants])
        segmented = [self.query_segmenter.words_of(v[:MAX_RANKING_CHARS]) for v in variants]
        words = [w for variant_words in segmented for w in variant_words]
        title = (_union([self.exact(v, "title") for v in variants])
                 if fieldname in (None, "title") else _EMPTY)
        return _Leaf(exact, exact, title, list(variants), words)

    def citing_leaf(self, word: Word) -> _Leaf:
        """`引用:X`: the bulletins whose references resolve to, or name, X."""
        ids = np.asarray(self.citations.citing(word.text), dtype=np.int64)
        docs = np.flatnonzero(np.isin(self.doc_id, ids) & self.live) if ids.size else _EMPTY
        return _Leaf(docs, docs, _EMPTY, [" ".join(fold(word.text).split())], [])

    def near(self, word: Word) -> np.ndarray:
        """Docnums holding the word's dictionary words close together (archive.nearby)."""
        parts = nearby.parts_of(word, self.query_segmenter) if word.field != "cites" else None
        if not parts:
            return _EMPTY
        fieldname = word.field if word.field in grams.FIELDS else None
        return self.docnums_of_vids(nearby.near_keys(self.grams, parts, fieldname,
                                                     _check_deadline))

    def evaluate(self, node, leaves: list[_Leaf], relaxed: bool = False) -> np.ndarray:
        """Sorted docnums matching the boolean query `node` (`relaxed`: its
        positive words may match near, for the near-match group)."""
        if node is None:
            return self.universe
        if isinstance(node, Word):
            found = self.leaf(node)
            if not any(found is leaf for leaf in leaves):
                leaves.append(found)
            _check_deadline()
            return _union([found.docs, self.near(node)]) if relaxed else found.docs
        if isinstance(node, Not):
            return np.setdiff1d(self.universe, self.evaluate(node.item, []), assume_unique=True)
        if isinstance(node, And):
            positive = [i for i in node.items if not isinstance(i, Not)]
            negative = [i.item for i in node.items if isinstance(i, Not)]
            result = (_intersect([self.evaluate(i, leaves, relaxed) for i in positive])
                      if positive else self.universe)
            for item in negative:
                if result.size:
                    result = np.setdiff1d(result, self.evaluate(item, []), assume_unique=True)
            return result
        if isinstance(node, Or):
            return _union([self.evaluate(i, leaves, relaxed) for i in node.items])
        raise TypeError(node)

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
        final, facets = self._matching(request, parsed, leaves)
        _check_deadline()
        shown = self.groups.collapse(final) if request.collapse else final
        hits = self._page(shown, leaves, request, parsed)
        self.groups.annotate(hits)
        result = SearchResult(request, parsed, int(final.size), hits, facets, 0.0,
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

    def _add_near(self, result: SearchResult, final: np.ndarray) -> None:
        """The near-match group, when exact matches are few (archive.nearby)."""
        request, parsed = result.request, result.parsed
        if result.total >= nearby.NEAR_THRESHOLD or request.page != 1:
            return
        relaxed = self.evaluate(parsed.root, [], relaxed=True)
        if relaxed.size == final.size:
            return
        docs, _ = self._facets(self._base_filter(relaxed, request, parsed), request)
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
        return self._facets(base, request, parsed)

    def _base_filter(self, docs: np.ndarray, request: SearchRequest,
                     parsed: ParsedQuery) -> np.ndarray:
        if not request.include_withdrawn:
            docs = docs[self.status[docs] == 0]
        ranges = [(r.start, r.end, r.field) for r in parsed.dates]
        low, high = date_bound(request.date_from, False), date_bound(request.date_to, True)
        if low and high and low > high:
            _warn(parsed, f"日期范围起止颠倒（从 {request.date_from} 到 {request.date_to}），"
                          "已按颠倒后的范围检索")
            low, high = date_bound(request.date_to, False), date_bound(request.date_from, True)
        if low or high:
            ranges.append((low, high, "date"))
        for start, end, name in ranges:
            dates = self.dates[name][docs]
            keep = dates > 0
            if start:
                keep &= dates >= start
            if end:
                keep &= dates <= end
            docs = docs[keep]
        return docs

    def _facets(self, base: np.ndarray, request: SearchRequest,
                parsed: ParsedQuery | None = None):
        masks = {}
        if request.issuers:
            codes = self._facet_codes(request.issuers, self.issuer_values, "发文机关", parsed)
            masks["issuer"] = np.isin(self.issuer[base], codes)
        if request.topics:
            codes = self._facet_codes(request.topics, self.topic_values, "主题分类", parsed)
            masks["topic"] = np.isin(self.topic[base], codes)
        if request.year is not None:         # 0: the undated (MISSING in the sidebar)
            masks["year"] = self.year[base] == request.year
        if request.month:
            masks["month"] = self.month[base] == request.month

        def without(name):
            keep = np.ones(base.size, dtype=bool)
            for other, mask in masks.items():
                if other != name:
                    keep &= mask
            return base[keep]

        issuers, issuers_missing, issuers_distinct = _counts(self.issuer[without("issuer")],
                                                             self.issuer_values)
        topics, topics_missing, topics_distinct = _counts(self.topic[without("topic")],
                                                          self.topic_values)
        years = self.year[without("year")]
        facets = {
            "issuer": issuers, "topic": topics, "year": _year_counts(years), "month": [],
            "missing": {"issuer": issuers_missing, "topic": topics_missing,
                        "year": int(np.count_nonzero(years == 0))},
            "distinct": {"issuer": issuers_distinct, "topic": topics_distinct},
        }
        if request.year:
            docs = without("month")
            months = self.month[docs][self.year[docs] == request.year]
            facets["month"] = [{"value": int(m), "count": int(c)} for m, c in
                               enumerate(np.bincount(months, minlength=13)) if m and c]
        return without(None), facets

    @staticmethod
    def _facet_codes(wanted: list[str], values: list[str], label: str,
                     parsed: ParsedQuery | None) -> list[int]:
        unknown = [v for v in wanted if v != MISSING and v not in values]
        if unknown and parsed is not None:
            _warn(parsed, f"没有{label}为“{'”“'.join(unknown)}”的文件"
                                  "（筛选值须与侧栏列出的完全一致）")
        return _codes(wanted, values)

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
            tiers += 100 * _member(docs, leaf.exact) + _member(docs, leaf.title)
        _check_deadline()
        scores = ranking.bm25f(self.postings, words, docs)
        at = ranking.order(docs, tiers, scores, self.date[docs], start, end)
        return [(int(docs[i]), float(tiers[i]) + float(scores[i])) for i in at]

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
        return int(self._matching(request, parse(request.q), [])[0].size)

    def highlight_terms(self, parsed: ParsedQuery) -> list[str]:
        """The folded strings a search for `parsed` highlights, without running
        it: each distinct positive word's variants (synonyms, bracket forms),
        as `_leaf` lists them."""
        self._refresh_synonyms()
        words = dict.fromkeys((w.text, w.field, w.quoted, w.doc_no) for w in parsed.words())
        return list(dict.fromkeys(t for text, field, quoted, doc_no in words
                                  for t in self.variants(Word(text, field, quoted, doc_no))))

    def related(self, doc_id: int, text: str, limit: int = 5) -> list[Hit]:
        """More like this: the document's most distinctive words, itself excluded."""
        from whoosh import query as wq

        counts: dict[str, int] = {}
        for word in self.query_segmenter.words_of(fold(text)):
            if len(word) > 1:
                counts[word] = counts.get(word, 0) + 1
        total = max(1, self.doc_count)
        weights = []
        with self.whoosh_lock:
            frequencies = {word: self.whoosh.doc_frequency("body", word) for word in counts}
        for word, tf in counts.items():
            df = frequencies[word]
            if 0 < df < total * 0.2:
                weights.append((tf * np.log(total / df), word))
        weights.sort(reverse=True)
        key_terms = [w for _, w in weights[:12]]
        if not key_terms:
            return []
        q = _union_query([wq.Term(f, w) for w in key_terms for f in ("title", "body")])
        # Itself and withdrawn bulletins masked out (a mask query, not a
        # filter set: Whoosh walks every posting to apply a filter).
        mask = wq.Or([wq.Term("id", str(doc_id)), wq.Term("status", "withdrawn")])
        with self.whoosh_lock:
            if self._whoosh_searcher is None:
                from whoosh.searching import Searcher as WhooshSearcher

                self._whoosh_searcher = WhooshSearcher(self._reader)
            results = self._whoosh_searcher.search(q, mask=mask, limit=limit,
                                                   terms=False, optimize=False)
            return [Hit(h.docnum, h.score, h["hit"]) for h in results]


def _warn(parsed: ParsedQuery, message: str) -> None:
    if message not in parsed.warnings:
        parsed.warnings.append(message)



def _member(docs: np.ndarray, members: np.ndarray) -> np.ndarray:
    """1 where a doc of sorted `docs` is in sorted `members`, else 0."""
    if not members.size:
        return np.zeros(docs.size, dtype=np.int64)
    at = np.searchsorted(members, docs)
    at[at == members.size] = 0
    return (members[at] == docs).astype(np.int64)


def _union(arrays: list[np.ndarray]) -> np.ndarray:
    arrays = [a for a in arrays if a.size]
    if not arrays:
        return _EMPTY
    return np.unique(np.concatenate(arrays)) if len(arrays) > 1 else arrays[0]


def _intersect(arrays: list[np.ndarray]) -> np.ndarray:
    if not arrays:
        return _EMPTY
    arrays = sorted(arrays, key=len)
    result = arrays[0]
    for other in arrays[1:]:
        if not result.size:
            break
        result = np.intersect1d(result, other, assume_unique=True)
    return result


def _counts(codes: np.ndarray, values: list[str]) -> tuple[list[dict], int, int]:
    """One facet from one bincount: its list (the FACET_LIMIT largest values),
    how many documents have no value (the page's 未注明) and how many values
    there are (the page says when the list is cut)."""
    counts = np.bincount(codes, minlength=len(values)) if codes.size else []
    pairs = [(int(c), values[i]) for i, c in enumerate(counts) if c and values[i]]
    missing = sum(int(c) for i, c in enumerate(counts) if c and not values[i])
    pairs.sort(key=lambda p: (-p[0], p[1]))
    return [{"value": v, "count": c} for c, v in pairs[:FACET_LIMIT]], missing, len(pairs)


def _codes(values: list[str], known: list[str]) -> list[int]:
    """Column codes of filter values; MISSING selects the empty value."""
    wanted = {"" if v == MISSING else v for v in values}
    return [code for code, value in enumerate(known) if value in wanted]


def _year_counts(years: np.ndarray) -> list[dict]:
    years = years[years > 0]
    if not years.size:
        return []
    values, counts = np.unique(years, return_counts=True)
    return [{"value": int(v), "count": int(c)} for v, c in
            sorted(zip(values, counts), key=lambda p: -p[0])]


# ------------------------------------------------------------------ service --

@dataclass
class DocumentPage:
    doc: dict                         # the public JSON (`show`)
    history: list[dict]               # earlier versions, newest first
    related: list[Hit]
    terms: list[str]                  # folded strings to highlight


class SearchService:
    """Everything a reader of a data home needs: search, show, related, export.

    Thread-safe and long-lived (one per web worker): it follows the live
    index, reopening its `Searcher` when a reindex switches generations or
    commits, so a running server picks up new bulletins without a restart.
    """

    def __init__(self, home: Path):
        self.home = Path(home)
        self._archive: Archive | None = None
        self._searcher: Searcher | None = None
        self._version = None
        self._lock = threading.Lock()
        self._related: dict[tuple, list] = {}        # oldest first (see related)

    @property
    def archive(self) -> Archive:
        if self._archive is None:
            self._archive = Archive(self.home, readonly=True)
        return self._archive

    def searcher(self) -> Searcher:
        version = live_version(self.home)
        if version is None:
            raise NoIndex(f"no index in {self.home}: run `archive ingest PATH` first")
        if version != self._version:
            with self._lock:
                if version != self._version:
                    generation = current_generation(self.home)
                    self._searcher = Searcher(generation, self.home)
                    self._version = version
        return self._searcher

    def search(self, request: SearchRequest) -> SearchResult:
        result = self.searcher().search(request)
        if request.highlight and (result.hits or result.partial):
            self._highlight(result)
        return result

    def facets(self, request: SearchRequest) -> dict:
        """Facet counts alone (no page, no highlighting)."""
        request.size, request.highlight = 1, False
        return self.searcher().search(request).facets

    def terms(self, q: str) -> list[str]:
        """The folded strings a search for `q` highlights (synonyms, split words)."""
        return self.searcher().highlight_terms(parse(q))

    def _highlight(self, result: SearchResult) -> None:
        docs = self.archive.get_many([h.id for h in result.hits + result.partial])
        for hits, terms in ((result.hits, result.terms), (result.partial, result.partial_terms)):
            for hit in hits:
                hit.title_segments = highlight_all(hit.fields.get("title") or "", terms)
                doc = docs.get(hit.id)
                body = doc.record.body if doc else ""
                hit.snippet_segments = snippets(body or "", terms)

    def show(self, doc_id: int) -> dict | None:
        """The public JSON of one bulletin (`archive show --json`), with its
        citations (`cites`, `cited_by`)."""
        doc = self.archive.get(doc_id)
        if doc is None:
            return None
        return {**doc.as_json(), **self.citation_links(doc_id)}

    def citation_links(self, doc_id: int) -> dict:
        """{"cites": [...], "cited_by": [...]} from the live index (empty without one)."""
        try:
            found = self.searcher().citations
        except NoIndex:
            return {"cites": [], "cited_by": []}
        return {"cites": found.cites(doc_id), "cited_by": found.cited_by_records(doc_id)}

    def group_members(self, group_id: int) -> list[dict]:
        """The result-list fields of a reprint group's active bulletins."""
        searcher = self.searcher()
        docnums = searcher.groups.members(group_id)
        return [searcher.stored.get(int(d))["hit"] for d in docnums]

    def versions(self, doc_id: int) -> list[dict]:
        return self.archive.versions(doc_id)

    def version_diff(self, doc_id: int, from_v: int | None = None,
                     to_v: int | None = None) -> dict:
        """What changed between two versions (`archive.versions_diff`)."""
        from .versions_diff import diff

        return diff(doc_id, self.versions(doc_id), segmenter_for(self.home), from_v, to_v)

    def original(self, doc_id: int, vid: int | None = None):
        return self.archive.original(doc_id, vid)

    def original_record(self, doc_id: int, vid: int | None = None,
                        data: bool = True) -> Original | None:
        """What 下载原件 gives: for a record of a JSON Lines file (gzipped or
        not) its own line, decompressed; for a page the whole file.
        `data=False`: only where it comes from (path, line, whole)."""
        from .sources import jsonl_line      # parsers (lxml...): not for every search

        found = self.archive.original_file(doc_id, vid, data)
        if found is None or found.line is None:
            return found
        if not data:
            return replace(found, whole=False)
        line = jsonl_line(found.data, found.line)
        return found if line is None else replace(found, data=line, whole=False)

    def related(self, doc_id: int, limit: int = 5, doc: StoredDoc | None = None) -> list[Hit]:
        """More like this, from the title and the first RELATED_PREFIX_CHARS
        of the body, cached per index version and bulletin version.  (From
        the whole text, a 2M-character body cost 1.9 s under the index lock
        on every view of its page.)  `doc`: the bulletin, when already read."""
        doc = doc or self.archive.get(doc_id)
        if doc is None:
            return []
        searcher = self.searcher()
        key = (self._version, doc_id, doc.vid, limit)
        with self._lock:
            cached = self._related.get(key)
        if cached is not None:
            return cached
        text = f"{doc.record.title or ''}\n{(doc.record.body or '')[:RELATED_PREFIX_CHARS]}"
        hits = searcher.related(doc_id, text, limit)
        with self._lock:
            self._related[key] = hits
            while len(self._related) > RELATED_CACHE_SIZE:
                self._related.pop(next(iter(self._related)))
        return hits

    def document_page(self, doc_id: int, q: str = "") -> DocumentPage | None:
        """What a bulletin's page shows, from one read of the bulletin: its
        public JSON, earlier versions, related bulletins, and the terms of the
        query that led there (from the parsed query, no search is run)."""
        doc = self.archive.get(doc_id)
        if doc is None:
            return None
        return DocumentPage({**doc.as_json(), **self.citation_links(doc_id)},
                            self.archive.versions(doc_id)[1:],
                            self.related(doc_id, doc=doc), self.terms(q))

    def export(self, request: SearchRequest):
        """Every matching bulletin as full public JSON records, in order.

        The search runs now (so NoIndex / QueryError reach the caller here,
        not on first iteration); the records are read lazily."""
        request.all, request.highlight = True, False
        result = self.searcher().search(request)
        return self._export_records([h.id for h in result.hits])

    def _export_records(self, ids: list[int]):
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            docs = self.archive.get_many(chunk)
            for doc_id in chunk:
                if doc_id in docs:
                    yield docs[doc_id].as_json()

    def stats(self) -> dict:
        counts = self.archive.counts()
        generation = current_generation(self.home)
        out = {"home": str(self.home), **counts, "index": None}
        if generation is not None:
            state = generation.state()
            out["index"] = {
                "generation": generation.path.name,
                "documents": self.searcher().doc_count,
                "size_bytes": _tree_size(generation.path),
                "built_at": state.get("built_at"), "synced_at": state.get("synced_at"),
                "applied_seq": state.get("seq"), "archive_seq": self.archive.current_seq(),
            }
        jobs = self.archive.jobs(1)
        out["last_job"] = jobs[0] if jobs else None
        return out


def _tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())
