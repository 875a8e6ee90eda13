"""Template helpers: links that change one parameter, highlighted text.

Highlights are rendered by `archive.highlight.to_html`, which escapes every
character of the text; its output is the only markup marked safe.
"""
from __future__ import annotations

import re

from markupsafe import Markup

from archive.fields import label_of
from archive.highlight import highlight_all, to_html
from archive.public import summary_values, table_rows
from archive.search import MAX_PAGE, SearchRequest

from .params import changed, search_url_of, toggled


def marked(segments) -> Markup:
    """Highlight segments as HTML (escaped text, <mark> around matches)."""
    return Markup(to_html(segments or []))


def highlighted(text: str | None, terms) -> Markup:
    return marked(highlight_all(text or "", list(terms or [])))


def search_url(request: SearchRequest, endpoint: str = "pages.search", **changes) -> str:
    return search_url_of(changed(request, **changes), endpoint)


def toggle_url(request: SearchRequest, name: str, value: str) -> str:
    return search_url_of(toggled(request, name, value))


def export_url(request: SearchRequest, fmt: str) -> str:
    return search_url_of(changed(request, page=1, size=10), f"pages.export_{fmt}")


def page_numbers(current: int, pages: int, around: int = 2) -> list[int | None]:
    """1 … 4 5 [6] 7 8 … 20 — None where pages are left out."""
    pages = min(pages, MAX_PAGE)
    shown = {1, pages, *range(max(1, current - around), min(pages, current + around) + 1)}
    out: list[int | None] = []
    for n in sorted(shown):
        if out and n - (out[-1] or 0) > 1:
            out.append(None)
        out.append(n)
    return out


def external_url(url: str | None) -> str | None:
    """A bulletin's source link, only if it is http(s): a `javascript:` or
    `data:` URL from a hostile file must never become a live link."""
    url = (url or "").strip()
    return url if re.match(r"(?i)https?://[^\s]+$", url) else None


def filter_chips(request: SearchRequest) -> list[tuple[str, str, str]]:
    """The selected filters as (label, value, URL without it)."""
    chips = [(label_of("issuer"), v, toggle_url(request, "issuers", v)) for v in request.issuers]
    chips += [(label_of("topic"), v, toggle_url(request, "topics", v)) for v in request.topics]
    if request.year:
        chips.append(("年份", f"{request.year}年", search_url(request, year=None)))
    if request.month:
        chips.append(("月份", f"{request.month}月", search_url(request, month=None)))
    if request.date_from or request.date_to:
        chips.append(("发文日期", f"{request.date_from or '不限'} 至 {request.date_to or '不限'}",
                      search_url(request, date_from=None, date_to=None)))
    return chips


def facet_groups(result) -> list[tuple[str, str, list]]:
    """Sidebar groups (title, id, items); an item is (label, count, URL that
    toggles it, selected, sub-items) — months under the chosen year."""
    req, facets = result.request, result.facets

    def listed(name, field):
        values = getattr(req, field)
        return [(f["value"], f["count"], toggle_url(req, field, f["value"]),
                 f["value"] in values, []) for f in facets.get(name, [])]

    years = []
    for f in facets.get("year", []):
        chosen = req.year == f["value"]
        months = [(f"{m['value']}月", m["count"],
                   search_url(req, month=None if req.month == m["value"] else m["value"]),
                   req.month == m["value"], []) for m in facets.get("month", [])] if chosen else []
        years.append((f"{f['value']}年", f["count"],
                      search_url(req, year=None if chosen else f["value"]), chosen, months))
    return [(label_of("issuer"), "issuer", listed("issuer", "issuers")),
            (label_of("topic"), "topic", listed("topic", "topics")),
            ("年份", "year", years)]


def init_app(app) -> None:
    app.jinja_env.filters["marked"] = marked
    app.jinja_env.globals.update(
        highlighted=highlighted, search_url=search_url, toggle_url=toggle_url,
        export_url=export_url, page_numbers=page_numbers, meta_line=summary_values,
        doc_rows=table_rows,
        external_url=external_url,
        filter_chips=filter_chips, facet_groups=facet_groups)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
