"""The URL interface: query-string parameters <-> `archive.search.SearchRequest`.

The search page, the JSON API and the exports take the same parameters
(the names of `archive search`'s options):

    q        the query (see /help and `archive.query`)
    issuer   发文机关, repeatable        topic   主题分类, repeatable
    year     e.g. 2024; 0 = undated    month   1-12 (needs year)
    from     date, e.g. 2024, 2024-03, 2024-03-18      to   the same, inclusive
    sort     relevance | date | -date  (default: relevance with a query, -date without)
    page     1-1000                    size    1-100 (default 10)
    collapse 1: one hit per group of reprints and copies (the search page
             always collapses; each group's other bulletins expand under it)
    headers  en | zh   (export.csv only: the header row's keys or Chinese labels)

issuer=未注明 / topic=未注明 select the bulletins without one (`archive.search.MISSING`).

`parse_search` is the one function that reads them; `search_url` writes a
request back as a link (defaults left out, so URLs stay short and stable).
"""
from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

from flask import url_for

from archive.query import MAX_QUERY_CHARS
from archive.search import QueryError, SearchRequest

from .messages import chinese

DEFAULT_SIZE = 10
# Hard bounds on what a URL may carry: every link on a result page repeats
# the request, so an unbounded q or issuer list would multiply into a
# response of megabytes.  (Queries over MAX_QUERY_CHARS but within
# MAX_Q_CHARS are cut by `archive.query.parse`, with a warning.)
MAX_Q_CHARS = 2 * MAX_QUERY_CHARS
MAX_FILTER_VALUES = 20            # issuer / topic values per request
MAX_VALUE_CHARS = 200             # characters of one issuer / topic / date value


class ParamError(ValueError):
    """A query-string parameter that cannot be used (HTTP 400)."""


def default_sort(q: str) -> str:
    return "relevance" if q.strip() else "-date"


def _text(args, name: str) -> str | None:
    value = (args.get(name) or "").strip()
    return value or None


def _int(args, name: str, label: str) -> int | None:
    value = _text(args, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise ParamError(f"{label}（{name}）必须是整数，而不是“{value[:40]}”") from None


def _values(args, name: str) -> list[str]:
    values = list(dict.fromkeys(v.strip() for v in args.getlist(name) if v.strip()))
    if len(values) > MAX_FILTER_VALUES:
        raise ParamError(f"筛选条件（{name}）最多 {MAX_FILTER_VALUES} 个")
    if any(len(v) > MAX_VALUE_CHARS for v in values):
        raise ParamError(f"筛选条件（{name}）过长（超过 {MAX_VALUE_CHARS} 字）")
    return values


def _or(value, default):
    return default if value is None else value


def parse_search(args) -> SearchRequest:
    """A validated `SearchRequest` from query-string `args` (a MultiDict).

    Raises `ParamError` with a message for the reader on any bad value.
    """
    q = args.get("q") or ""
    if len(q) > MAX_Q_CHARS:
        raise ParamError(f"检索词过长（{len(q)} 字）：最多 {MAX_Q_CHARS} 字，"
                         f"超过 {MAX_QUERY_CHARS} 字的部分不参与检索")
    for name in ("from", "to"):
        if len(args.get(name) or "") > MAX_VALUE_CHARS:
            raise ParamError(f"日期（{name}）过长")
    year = _int(args, "year", "年份")
    if year is not None and not 0 <= year <= 9999:      # 0: the undated (未注明)
        raise ParamError(f"年份（year）超出范围：{year}")
    request = SearchRequest(
        q=q,
        issuers=_values(args, "issuer"),
        topics=_values(args, "topic"),
        year=year,
        month=_int(args, "month", "月份"),
        date_from=_text(args, "from"),
        date_to=_text(args, "to"),
        sort=_text(args, "sort") or default_sort(q),
        page=_or(_int(args, "page", "页码"), 1),
        size=_or(_int(args, "size", "每页条数"), DEFAULT_SIZE),
        collapse=args.get("collapse") in ("1", "true"),
    )
    try:
        request.validate()
    except QueryError as exc:
        raise ParamError(chinese(exc)) from None
    return request


def export_headers(args) -> str:
    """`headers` of /export.csv: en (the JSON keys, default) or zh (Chinese labels)."""
    from archive.export import HEADERS

    value = _text(args, "headers") or "en"
    if value not in HEADERS:
        raise ParamError(f"表头（headers）只能是 {' 或 '.join(HEADERS)}")
    return value


def query_pairs(request: SearchRequest) -> list[tuple[str, str | int]]:
    """The request as query-string pairs, defaults left out."""
    pairs: list[tuple[str, str | int]] = []
    if request.q:
        pairs.append(("q", request.q))
    pairs += [("issuer", v) for v in request.issuers]
    pairs += [("topic", v) for v in request.topics]
    for name, value in (("year", request.year), ("month", request.month),
                        ("from", request.date_from), ("to", request.date_to)):
        if value is not None:
            pairs.append((name, value))
    if request.sort != default_sort(request.q):
        pairs.append(("sort", request.sort))
    if request.page != 1:
        pairs.append(("page", request.page))
    if request.size != DEFAULT_SIZE:
        pairs.append(("size", request.size))
    return pairs


def query_string(request: SearchRequest) -> str:
    return urlencode(query_pairs(request))


def changed(request: SearchRequest, **changes) -> SearchRequest:
    """A copy with `changes`; back to page 1 unless a page is given, and
    without a month once the year changes."""
    changes.setdefault("page", 1)
    if "year" in changes and changes["year"] != request.year:
        changes.setdefault("month", None)
    return replace(request, **changes)


def toggled(request: SearchRequest, name: str, value: str) -> SearchRequest:
    """A copy with `value` added to, or removed from, list field `name`."""
    values = list(getattr(request, name))
    values = [v for v in values if v != value] if value in values else values + [value]
    return changed(request, **{name: values})


def search_url_of(request: SearchRequest, endpoint: str = "pages.search") -> str:
    """The URL of `endpoint` (search page, export, API) for `request`."""
    qs = query_string(request)
    return url_for(endpoint) + (f"?{qs}" if qs else "")
