"""What a search asks and what it answers: the request, its hits, the result,
and the deadline every search keeps.

The request is validated here (the same bounds for the CLI, the web page and
the API); `SearchResult.to_json` is the public shape of `archive search
--json` and `/api/search` (README, "JSON shapes").
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from .errors import QueryError, RequestTimeout, SearchTimeout
from .highlight import to_html
from .public import public_fields
from .query import MAX_INPUT_CHARS, MAX_QUERY_CHARS, ParsedQuery, date_bound

SORTS = ("relevance", "date", "-date")
MAX_PAGE_SIZE = 100
MAX_PAGE = 1000
SEARCH_TIME_LIMIT = 10.0          # seconds; a longer search is cut and says so


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


def check_request_deadline() -> None:
    """For the loops of a request outside a search (a document page's
    paragraphs, related documents, an export's records): past the request's
    deadline, stop with `RequestTimeout`."""
    end = getattr(_deadline, "at", None)
    if end is not None and time.perf_counter() > end:
        raise RequestTimeout("request took longer than its time budget and was stopped: "
                             "try again later, or with a shorter query")


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
