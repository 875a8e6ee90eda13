"""The timeline above the results: counts per year, per span of years when
there are many, or per month once a year is chosen.

At most MAX_BARS bars, so that every label stays legible (≥ 11 px) from a
360 px phone to a desktop: 40 years drawn one bar each made 4–7 px labels
(browser review, issue 11).  Years are grouped into spans of 5, 10, 20…
years, aligned on round years (1990–1994, 1995–1999); a span's bar filters
by that date range, a year's bar by the year.

Only the numbers and links are computed here; the template draws each bar as
a link holding a tiny SVG whose rect height is an attribute (the
Content-Security-Policy forbids inline styles), and app.js gives the chart a
single tab stop with arrow keys inside.
"""
from __future__ import annotations

from dataclasses import dataclass

from archive.search import SearchRequest, SearchResult

from .params import changed, search_url_of

MAX_BARS = 12                       # twelve months; years are grouped beyond this
SPANS = (1, 5, 10, 20, 50, 100, 200, 500, 1000)   # years per bar, the first that fits
MIN_HEIGHT = 3                      # percent: a bar of 1 among thousands stays visible


@dataclass
class Bar:
    label: str          # under the bar: "2024", "1990", "3月"
    sublabel: str       # second line of a span: "–1994"
    title: str          # what a screen reader hears and the tooltip: "1990–1994年：12 件"
    count: int
    url: str
    selected: bool
    height: float       # percent of the plot's height


@dataclass
class Timeline:
    caption: str
    bars: list[Bar]
    note: str = ""                   # "每柱 5 年" when years are grouped
    reset_url: str | None = None     # back to all years


def build(result: SearchResult, endpoint: str = "pages.search") -> Timeline | None:
    request = result.request
    if request.year:
        return _months(result, endpoint)
    counts = {f["value"]: f["count"] for f in result.facets.get("year", []) if f["value"]}
    if not counts:
        return None
    low, high = min(counts), max(counts)
    span = next(s for s in SPANS if (high - (low - low % s)) // s < MAX_BARS)
    slots = []
    for start in range(low - low % span, high + 1, span):
        end = start + span - 1
        count = sum(c for y, c in counts.items() if start <= y <= end)
        if span == 1:
            slots.append((str(start), "", f"{start}年", count,
                          changed(request, year=start), False))
        else:
            first, last = max(start, low), min(end, high)
            target = changed(request, year=None, date_from=str(first), date_to=str(last))
            chosen = (request.date_from, request.date_to) == (str(first), str(last))
            slots.append((str(first), f"–{last}", f"{first}–{last}年", count, target, chosen))
    note = f"每柱 {span} 年" if span > 1 else ""
    return Timeline("按年份分布", _bars(slots, endpoint), note)


def _months(result: SearchResult, endpoint: str) -> Timeline:
    request = result.request
    counts = {f["value"]: f["count"] for f in result.facets.get("month", [])}
    slots = [(f"{m}月", "", f"{request.year}年{m}月", counts.get(m, 0),
              changed(request, month=None if request.month == m else m), request.month == m)
             for m in range(1, 13)]
    reset = search_url_of(changed(request, year=None), endpoint)
    return Timeline(f"{request.year}年 按月份分布", _bars(slots, endpoint), reset_url=reset)


def _bars(slots: list[tuple[str, str, str, int, SearchRequest, bool]],
          endpoint: str) -> list[Bar]:
    top = max(s[3] for s in slots) or 1
    return [Bar(label, sub, f"{title}：{count} 件", count, search_url_of(target, endpoint),
                selected, max(MIN_HEIGHT, round(100 * count / top, 1)) if count else 0)
            for label, sub, title, count, target, selected in slots]
