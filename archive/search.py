"""The search service: the one API behind the CLI, the web page and the JSON API.

How a query is answered (see `archive.query` for the language):

1. Every word becomes a set of documents from the substring index
   (`archive.grams`): the documents whose folded text contains the word
   verbatim (or a synonym, or the same 发文字号 in other brackets), plus, for
   an unquoted word that jieba splits into several words, the documents that
   contain all of those words.  Sets are combined by AND / OR / NOT.
2. Status, date, issuer, topic, year and month filters are array masks over
   the docmap (`archive.index`); facet counts are `bincount`s of the same
   arrays, each facet counted without its own filter.
3. Relevance: documents are tiered — words matched exactly before words
   matched only as split words, then words found in the title — and each tier
   is ranked by Whoosh's BM25F over jieba words in title, body and metadata.
   Only the tiers that reach the requested page are scored.
4. The page's records come from Whoosh's stored fields, snippets from the
   archive's text of those few documents.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import grams, ranking
from . import config
from .analysis import SYNONYMS, WordTable, fold, read_synonyms, segmenter_for
from .highlight import highlight_all, snippets, to_html
from .index import Generation, compute_docmap, current_generation, live_version
from .query import And, Not, Or, ParsedQuery, Word, date_bound, parse
from .store import Archive
from .stored import StoredFields

SORTS = ("relevance", "date", "-date")
MAX_PAGE_SIZE = 100
MAX_PAGE = 1000
FACET_LIMIT = 50
SEARCH_TIME_LIMIT = 10.0          # seconds; a longer search is cut and says so
SUGGEST_MAX_WORDS = 8             # no "did you mean" for longer queries (cost grows as n²)
SUGGEST_MAX_CANDIDATES = 30       # candidate queries tried at most


class QueryError(ValueError):
    """A request that cannot be answered as given (bad page, sort, date...)."""


class SearchTimeout(QueryError):
    """A search that ran past SEARCH_TIME_LIMIT and was cut (web: 503)."""


# The running search's deadline (time.perf_counter() value), per thread: the
# Searcher is shared by every web thread.  Checked between stages (after each
# query word, before facets, before ranking, per suggestion), so one query
# cannot hold a worker much beyond the limit.
_deadline = threading.local()


def _check_deadline() -> None:
    end = getattr(_deadline, "at", None)
    if end is not None and time.perf_counter() > end:
        raise SearchTimeout(f"search took longer than {SEARCH_TIME_LIMIT:g} s and was "
                            "stopped: use fewer or longer words, or add filters")


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

    def validate(self) -> None:
        if self.sort not in SORTS:
            raise QueryError(f"sort must be one of {', '.join(SORTS)}")
        if not 1 <= self.page <= MAX_PAGE:
            raise QueryError(f"page must be between 1 and {MAX_PAGE}")
        if not 1 <= self.size <= MAX_PAGE_SIZE:
            raise QueryError(f"size must be between 1 and {MAX_PAGE_SIZE}")
        if self.month is not None and not 1 <= self.month <= 12:
            raise QueryError("month must be between 1 and 12")
        if self.month is not None and self.year is None:
            raise QueryError("month needs a year")
        for value in (self.date_from, self.date_to):
            try:
                date_bound(value, end=False)
            except ValueError as exc:
                raise QueryError(str(exc)) from None


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
        out = dict(self.fields)
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
    terms: list[str] = field(default_factory=list)   # folded, for highlighting

    @property
    def warnings(self) -> list[str]:
        return self.parsed.warnings

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.request.size))

    def to_json(self) -> dict:
        return {
            "query": self.request.q, "total": self.total, "page": self.request.page,
            "page_size": self.request.size, "sort": self.request.sort,
            "hits": [h.to_json() for h in self.hits], "facets": self.facets,
            "warnings": self.warnings, "suggestion": self.suggestion,
            "took_ms": round(self.took_ms, 1),
        }


@dataclass
class _Leaf:
    docs: np.ndarray                  # every match
    exact: np.ndarray                 # matches of the word itself (or a synonym)
    title: np.ndarray                 # exact matches in the title
    terms: list[str]                  # folded strings to highlight
    words: list[str]                  # jieba words, for BM25F


_EMPTY = np.empty(0, dtype=np.int64)


class Searcher:
    """A read-only view of one index generation, reusable across requests."""

    def __init__(self, generation: Generation, home: Path | None = None):
        self.generation = generation
        self.home = Path(home) if home else generation.path.parent.parent
        self.segmenter = segmenter_for(self.home)      # documents (related)
        # Queries are segmented from the generation's dictionary snapshot:
        # same words as the index, without loading jieba (fast cold start).
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
        """Docnums whose folded text (or field) contains `folded` verbatim."""
        return self.docnums_of_vids(self.grams.find(folded, fieldname))

    def variants(self, word: Word) -> list[str]:
        folded = " ".join(fold(word.text).split())
        found = [folded]
        if not word.quoted:
            found += sorted(self.synonyms.get(folded, ()))
        if word.doc_no:
            found += [folded.replace("〔", a).replace("〕", b)
                      for a, b in (("[", "]"), ("(", ")"), ("【", "】"), ("〖", "〗"), ("{", "}"))]
        return found

    def leaf(self, word: Word) -> _Leaf:
        fieldname = word.field if word.field in grams.FIELDS else None
        variants = self.variants(word)
        exact = _union([self.exact(v, fieldname) for v in variants])
        docs = exact
        segmented = [self.query_segmenter.words_of(v) for v in variants]
        words = [w for variant_words in segmented for w in variant_words]
        terms = list(variants)
        parts = segmented[0]
        if not word.quoted and not word.doc_no and len(parts) > 1:
            split = _intersect([self.exact(p, fieldname) for p in parts])
            docs = _union([exact, split])
            terms += parts
        title = (_union([self.exact(v, "title") for v in variants])
                 if fieldname in (None, "title") else _EMPTY)
        return _Leaf(docs, exact, title, terms, words)

    def evaluate(self, node, leaves: list[_Leaf]) -> np.ndarray:
        """Sorted docnums matching the boolean query `node`."""
        if node is None:
            return self.universe
        if isinstance(node, Word):
            found = self.leaf(node)
            leaves.append(found)
            _check_deadline()
            return found.docs
        if isinstance(node, Not):
            return np.setdiff1d(self.universe, self.evaluate(node.item, []), assume_unique=True)
        if isinstance(node, And):
            positive = [i for i in node.items if not isinstance(i, Not)]
            negative = [i.item for i in node.items if isinstance(i, Not)]
            result = (_intersect([self.evaluate(i, leaves) for i in positive])
                      if positive else self.universe)
            for item in negative:
                if result.size:
                    result = np.setdiff1d(result, self.evaluate(item, []), assume_unique=True)
            return result
        if isinstance(node, Or):
            return _union([self.evaluate(i, leaves) for i in node.items])
        raise TypeError(node)

    # -- the search -------------------------------------------------------------
    def search(self, request: SearchRequest) -> SearchResult:
        started = time.perf_counter()
        outer = getattr(_deadline, "at", None)
        _deadline.at = started + SEARCH_TIME_LIMIT
        try:
            return self._search(request, started)
        finally:
            _deadline.at = outer

    def _search(self, request: SearchRequest, started: float) -> SearchResult:
        request.validate()
        self._refresh_synonyms()
        parsed = parse(request.q)
        leaves: list[_Leaf] = []
        final, facets = self._matching(request, parsed, leaves)
        _check_deadline()
        hits = self._page(final, leaves, request, parsed)
        result = SearchResult(request, parsed, int(final.size), hits, facets, 0.0,
                              terms=[t for leaf in leaves for t in leaf.terms])
        if result.total == 0 and parsed.words():
            try:
                result.suggestion = self.suggest(parsed, request)
            except SearchTimeout:       # the suggestion is optional: answer without it
                result.suggestion = None
        result.took_ms = (time.perf_counter() - started) * 1000
        return result

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
        return self._facets(base, request)

    def _base_filter(self, docs: np.ndarray, request: SearchRequest,
                     parsed: ParsedQuery) -> np.ndarray:
        if not request.include_withdrawn:
            docs = docs[self.status[docs] == 0]
        ranges = [(r.start, r.end) for r in parsed.dates]
        low, high = date_bound(request.date_from, False), date_bound(request.date_to, True)
        if low or high:
            ranges.append((low, high))
        for start, end in ranges:
            dates = self.date[docs]
            keep = dates > 0
            if start:
                keep &= dates >= start
            if end:
                keep &= dates <= end
            docs = docs[keep]
        return docs

    def _facets(self, base: np.ndarray, request: SearchRequest):
        masks = {}
        if request.issuers:
            codes = [self.issuer_values.index(v) for v in request.issuers
                     if v in self.issuer_values]
            masks["issuer"] = np.isin(self.issuer[base], codes)
        if request.topics:
            codes = [self.topic_values.index(v) for v in request.topics
                     if v in self.topic_values]
            masks["topic"] = np.isin(self.topic[base], codes)
        if request.year:
            masks["year"] = self.year[base] == request.year
        if request.month:
            masks["month"] = self.month[base] == request.month

        def without(name):
            keep = np.ones(base.size, dtype=bool)
            for other, mask in masks.items():
                if other != name:
                    keep &= mask
            return base[keep]

        facets = {
            "issuer": _counts(self.issuer[without("issuer")], self.issuer_values),
            "topic": _counts(self.topic[without("topic")], self.topic_values),
            "year": _year_counts(self.year[without("year")]),
            "month": [],
        }
        if request.year:
            docs = without("month")
            months = self.month[docs][self.year[docs] == request.year]
            facets["month"] = [{"value": int(m), "count": int(c)} for m, c in
                               enumerate(np.bincount(months, minlength=13)) if m and c]
        return without(None), facets

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
    def suggest(self, parsed: ParsedQuery, request: SearchRequest) -> str | None:
        """A query close to this one that finds something (did you mean)."""
        words = [w for w in parsed.words()]
        if len(words) > SUGGEST_MAX_WORDS:
            return None
        candidates: list[str] = []
        if len(words) > 1:
            for skip in range(len(words)):
                candidates.append(" ".join(_word_text(w) for i, w in enumerate(words) if i != skip))
        # Nearby dictionary words (one character different or missing), from
        # the generation's word table: Whoosh's spelling corrector took
        # 0.3-1 s a query here (bench), this takes a millisecond.
        neighbors = getattr(self.query_segmenter, "neighbors", None)
        for w in words if neighbors else ():
            for s in neighbors(fold(w.text)):
                candidates.append(" ".join(_word_text(x) if x is not w else s
                                           for x in words))
        for w in words:
            for part in self.query_segmenter.words_of(fold(w.text)):
                if part != fold(w.text):
                    candidates.append(part)
        for candidate in list(dict.fromkeys(candidates))[:SUGGEST_MAX_CANDIDATES]:
            if candidate and candidate != request.q:
                probe = SearchRequest(q=candidate, size=1, highlight=False,
                                      include_withdrawn=request.include_withdrawn)
                if self.search_count(probe):
                    return candidate
        return None

    def search_count(self, request: SearchRequest) -> int:
        return int(self._matching(request, parse(request.q), [])[0].size)

    def related(self, doc_id: int, text: str, limit: int = 5) -> list[Hit]:
        """More like this: the document's most distinctive words, itself excluded."""
        from whoosh import query as wq

        counts: dict[str, int] = {}
        for word in self.segmenter.words_of(fold(text)):
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


def _word_text(word: Word) -> str:
    return f'"{word.text}"' if word.quoted else word.text


def _union_query(terms: list):
    from whoosh import query as wq

    # Whoosh preloads whole-index arrays for an Or on a small index (under
    # 5,000 documents): 12 ms a query on the 40-bulletin sample.  The union
    # tree it uses on large indexes is right at every size.
    query = wq.Or(terms)
    query.matcher_type = wq.Or.DEFAULT_MATCHER
    return query


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


def _counts(codes: np.ndarray, values: list[str]) -> list[dict]:
    counts = np.bincount(codes, minlength=len(values)) if codes.size else []
    pairs = [(int(c), values[i]) for i, c in enumerate(counts) if c and values[i]]
    pairs.sort(key=lambda p: (-p[0], p[1]))
    return [{"value": v, "count": c} for c, v in pairs[:FACET_LIMIT]]


def _year_counts(years: np.ndarray) -> list[dict]:
    years = years[years > 0]
    if not years.size:
        return []
    values, counts = np.unique(years, return_counts=True)
    return [{"value": int(v), "count": int(c)} for v, c in
            sorted(zip(values, counts), key=lambda p: -p[0])]


# ------------------------------------------------------------------ service --

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
        if request.highlight and result.hits:
            self._highlight(result)
        return result

    def facets(self, request: SearchRequest) -> dict:
        """Facet counts alone (no page, no highlighting)."""
        request.size, request.highlight = 1, False
        return self.searcher().search(request).facets

    def terms(self, q: str) -> list[str]:
        """The folded strings a search for `q` highlights (synonyms, split words)."""
        if not q.strip():
            return []
        probe = SearchRequest(q=q, size=1, sort="date", highlight=False)
        return self.searcher().search(probe).terms

    def _highlight(self, result: SearchResult) -> None:
        docs = self.archive.get_many([h.id for h in result.hits])
        for hit in result.hits:
            hit.title_segments = highlight_all(hit.fields.get("title") or "", result.terms)
            doc = docs.get(hit.id)
            body = doc.record.body if doc else ""
            hit.snippet_segments = snippets(body or "", result.terms)

    def show(self, doc_id: int) -> dict | None:
        """The public JSON of one bulletin (`archive show --json`)."""
        doc = self.archive.get(doc_id)
        return doc.as_json() if doc else None

    def document(self, doc_id: int):
        return self.archive.get(doc_id)

    def versions(self, doc_id: int) -> list[dict]:
        return self.archive.versions(doc_id)

    def original(self, doc_id: int, vid: int | None = None):
        return self.archive.original(doc_id, vid)

    def related(self, doc_id: int, limit: int = 5) -> list[Hit]:
        doc = self.archive.get(doc_id)
        if doc is None:
            return []
        text = f"{doc.record.title or ''}\n{doc.record.body or ''}"
        return self.searcher().related(doc_id, text, limit)

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


class NoIndex(RuntimeError):
    """The data home has no index yet."""


def _tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())
