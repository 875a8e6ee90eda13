"""The search service: the one API the CLI, the web page and the JSON API use.

Thread-safe and long-lived (one per web worker).  It follows the live index
generation (a reindex switches it without a restart), highlights the page's
hits from the archive's text, and serves what a bulletin's page shows:
its record, versions and diffs, originals, citations, related bulletins.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import NoIndex, RequestTimeout
from .highlight import highlight_all, snippets
from .generations import current_generation
from .live_watch import LiveVersionWatch
from .query import parse
from .request import Hit, SearchRequest, SearchResult, check_request_deadline
from .searcher import Searcher
from .store import Archive, Original, StoredDoc

# Of the body, for "related documents": segmented with the word table at
# ~35 µs a character (measured, see SearchService.related), so 1,000 cost
# ~35 ms on the page's first view; the result is cached.
RELATED_PREFIX_CHARS = 1000
RELATED_CACHE_SIZE = 2048         # pages' related lists kept per service
EXPORT_CHUNK = 500                # records read from the archive at a time
EXPORT_STREAM_SECONDS = 600.0     # an export's stream, after its search (53k records: ~30 s)
MAX_HIGHLIGHT_TERMS = 32          # the query's 16 distinct words, with a synonym each


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

    def __init__(self, home: Path, shared=None):
        """`shared`: where each index version's did-you-mean alternatives and
        ranking's posting lists are also kept (`.corrections_for(v)`,
        `.postings_for(v)`: the forked web workers share them,
        `web.shared_cache`); by default each searcher keeps its own."""
        self.home = Path(home)
        self._shared = shared
        self._archive: Archive | None = None
        self._searcher: Searcher | None = None
        self._version = None
        self._lock = threading.Lock()
        self._related: dict[tuple, list] = {}        # oldest first (see related)
        self._live_version = LiveVersionWatch(self.home)

    @property
    def archive(self) -> Archive:
        if self._archive is None:
            self._archive = Archive(self.home, readonly=True)
        return self._archive

    def searcher(self) -> Searcher:
        version = self._live_version()
        if version is None:
            raise NoIndex(f"no index in {self.home}: run `archive ingest PATH` first")
        if version != self._version:
            with self._lock:
                if version != self._version:
                    searcher = Searcher(current_generation(self.home), self.home)
                    if self._shared is not None:
                        searcher.corrections_cache = self._shared.corrections_for(version)
                        searcher.postings.shared = self._shared.postings_for(version)
                    self._searcher = searcher
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
        """The folded strings a search for `q` highlights (synonyms, split
        words), at most MAX_HIGHLIGHT_TERMS: every term is one pass over the
        text it marks."""
        return self.searcher().highlight_terms(parse(q))[:MAX_HIGHLIGHT_TERMS]

    def _highlight(self, result: SearchResult) -> None:
        bodies = self.archive.bodies([h.id for h in result.hits + result.partial])
        for hits, terms in ((result.hits, result.terms), (result.partial, result.partial_terms)):
            for hit in hits:
                hit.title_segments = highlight_all(hit.fields.get("title") or "", terms)
                hit.snippet_segments = snippets(bodies.get(hit.id, ""), terms)

    def show(self, doc_id: int) -> dict | None:
        """The public JSON of one bulletin (`archive show --json`), with its
        citations (`cites`, `cited_by`)."""
        doc = self.archive.get(doc_id)
        if doc is None:
            return None
        data = {**doc.as_json(), **self.citation_links(doc_id)}
        check_request_deadline()
        return data

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
        from .analysis import segmenter_for
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
        data = {**doc.as_json(), **self.citation_links(doc_id)}
        check_request_deadline()          # each stage grows with the body or the archive
        history = self.archive.versions(doc_id)[1:]
        related = self.related(doc_id, doc=doc)
        check_request_deadline()
        return DocumentPage(data, history, related, self.terms(q))

    def export(self, request: SearchRequest):
        """Every matching bulletin as full public JSON records, in order.

        The search runs now, under the caller's deadline (so NoIndex,
        QueryError and a timeout reach the caller here, before anything is
        sent); the records are read lazily, in chunks, while the stream is
        consumed — after the web request's budget has ended — so the stream
        keeps its own limit, EXPORT_STREAM_SECONDS, checked at every chunk
        (past it the stream stops: a download cut short, never a stalled
        worker)."""
        request.all, request.highlight = True, False
        result = self.searcher().search(request)
        return self._export_records([h.id for h in result.hits])

    def _export_records(self, ids: list[int]):
        until = time.perf_counter() + EXPORT_STREAM_SECONDS
        for start in range(0, len(ids), EXPORT_CHUNK):
            if time.perf_counter() > until:
                raise RequestTimeout(f"export stopped after {start} records: it took longer "
                                     f"than {EXPORT_STREAM_SECONDS:g} s")
            chunk = ids[start:start + EXPORT_CHUNK]
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
