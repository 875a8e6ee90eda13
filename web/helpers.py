"""Template helpers: links that change one parameter, highlighted text.

Highlights are rendered by `archive.highlight.to_html`, which escapes every
character of the text; its output is the only markup marked safe.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import url_for
from markupsafe import Markup

from archive.fields import label_of
from archive.highlight import highlight_all, to_html
from archive.public import summary_values, table_rows
from archive.search import MAX_PAGE, MISSING, SearchRequest

from .params import changed, query_string, search_url_of, toggled
from .security import file_name


def marked(segments) -> Markup:
    """Highlight segments as HTML (escaped text, <mark> around matches)."""
    return Markup(to_html(segments or []))


def highlighted(text: str | None, terms) -> Markup:
    return marked(highlight_all(text or "", list(terms or [])))


def search_url(request: SearchRequest, endpoint: str = "pages.search", **changes) -> str:
    return search_url_of(changed(request, **changes), endpoint)


def toggle_url(request: SearchRequest, name: str, value: str) -> str:
    return search_url_of(toggled(request, name, value))


def doc_url(doc_id: int, request: SearchRequest | None = None, q: str | None = None) -> str:
    """A document's page, carrying the search it was found by (query,
    filters, sort, page): its breadcrumb leads back to the same results."""
    url = url_for("pages.document", doc_id=doc_id)
    if request is None:
        return url + (f"?{urlencode({'q': q})}" if q else "")
    qs = query_string(request)
    return url + (f"?{qs}" if qs else "")


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
    chips = [(label_of("issuer"), v, toggle_url(request, "issuers", v))
             for v in request.issuers]
    chips += [(label_of("topic"), v, toggle_url(request, "topics", v))
              for v in request.topics]
    if request.year is not None:
        chips.append(("年份", f"{request.year}年" if request.year else MISSING,
                      search_url(request, year=None)))
    if request.month:
        chips.append(("月份", f"{request.month}月", search_url(request, month=None)))
    if request.date_from or request.date_to:
        chips.append(("发文日期", f"{request.date_from or '不限'} 至 {request.date_to or '不限'}",
                      search_url(request, date_from=None, date_to=None)))
    return chips


FACET_SHOWN = 10     # values listed before "更多…" (the rest fold away)


@dataclass
class FacetGroup:
    """One sidebar list.  An item is (label, count, URL that toggles it,
    selected, sub-items); `missing` is the 未注明 item (documents without a
    value); `distinct` how many values there are when the list is cut."""
    title: str
    id: str
    items: list
    more: list
    missing: tuple | None
    distinct: int | None

    @property
    def long(self) -> bool:
        return bool(self.more)


def _split(items: list) -> tuple[list, list]:
    """The first FACET_SHOWN items (plus any selected one further down) and the rest."""
    shown = [i for n, i in enumerate(items) if n < FACET_SHOWN or i[3]]
    return shown, [i for i in items if i not in shown]


def facet_groups(result) -> list[FacetGroup]:
    """The sidebar: 发文机关, 主题分类 and 年份 (months under the chosen year)."""
    req, facets = result.request, result.facets
    missing = facets.get("missing", {})
    distinct = facets.get("distinct", {})

    def listed(title, name, field):
        values = getattr(req, field)
        items = [(f["value"], f["count"], toggle_url(req, field, f["value"]),
                  f["value"] in values, []) for f in facets.get(name, [])]
        empty = ((MISSING, missing[name], toggle_url(req, field, MISSING),
                  MISSING in values, []) if missing.get(name) or MISSING in values else None)
        cut = distinct.get(name, 0)
        return FacetGroup(title, name, *_split(items), empty,
                          cut if cut > len(items) else None)

    years = []
    for f in facets.get("year", []):
        chosen = req.year == f["value"]
        months = [(f"{m['value']}月", m["count"],
                   search_url(req, month=None if req.month == m["value"] else m["value"]),
                   req.month == m["value"], []) for m in facets.get("month", [])] if chosen else []
        years.append((f"{f['value']}年", f["count"],
                      search_url(req, year=None if chosen else f["value"]), chosen, months))
    undated = ((MISSING, missing["year"], search_url(req, year=None if req.year == 0 else 0),
                req.year == 0, []) if missing.get("year") or req.year == 0 else None)
    return [listed(label_of("issuer"), "issuer", "issuers"),
            listed(label_of("topic"), "topic", "topics"),
            FacetGroup("年份", "year", *_split(years), undated, None)]


def job_outcome(job: dict) -> tuple[str, str]:
    """(css class, Chinese wording) of how a job ended: a run that finished
    with warnings (a bad line, a 索引号 conflict) says so, rather than 成功."""
    counts, problems = job.get("counts") or {}, len(job.get("errors") or [])
    outcome = job.get("outcome")
    if outcome == "ok" and problems:
        return "warning", f"完成，有 {problems} 条警告"
    if outcome == "partial":
        parts = [f"{counts[k]} {unit}" for k, unit in (("failed", "个文件读取失败"),
                 ("records_failed", "条记录无法读取")) if counts.get(k)]
        return "partial", "部分失败" + (f"：{'，'.join(parts)}" if parts else "")
    return outcome or "running", {"ok": "成功", "failed": "失败", "running": "进行中"}.get(
        outcome, outcome or "进行中")


JOB_COUNT_LABELS = {"files": "文件", "added": "新增", "updated": "更新", "unchanged": "未变",
                    "withdrawn": "撤回", "failed": "读取失败的文件",
                    "records_failed": "无法读取的记录", "indexed": "已索引"}


def job_counts(job: dict) -> str:
    """A job's non-zero counts in Chinese: 文件 3 · 新增 120 · 无法读取的记录 1."""
    counts = job.get("counts") or {}
    return " · ".join(f"{JOB_COUNT_LABELS.get(k, k)} {v}" for k, v in counts.items() if v)


def init_app(app) -> None:
    app.jinja_env.filters["marked"] = marked
    app.jinja_env.globals.update(
        highlighted=highlighted, search_url=search_url, toggle_url=toggle_url,
        export_url=export_url, doc_url=doc_url, page_numbers=page_numbers, meta_line=summary_values,
        doc_rows=table_rows,
        external_url=external_url, job_outcome=job_outcome, job_counts=job_counts,
        file_name=file_name,
        filter_chips=filter_chips, facet_groups=facet_groups)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
