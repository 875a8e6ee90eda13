"""The timeline above the results: counts per year (per month once a year is
chosen) as bar geometry for a small inline SVG drawn by the template.

Only geometry and links are computed here; the counts are the facets of the
search result.  The SVG is sized in user units and scaled by the stylesheet
(no inline styles: the Content-Security-Policy forbids them).
"""
from __future__ import annotations

from dataclasses import dataclass

from archive.search import SearchResult

from .params import changed, search_url_of

MIN_SLOT = 44        # user units per bar slot, at least
MIN_WIDTH = 12 * MIN_SLOT   # a few years get the width of twelve months
MAX_BAR = 56         # bar width, at most
PLOT_TOP = 18        # room for the count above the tallest bar
PLOT_HEIGHT = 64
LABEL_HEIGHT = 20
HEIGHT = PLOT_TOP + PLOT_HEIGHT + LABEL_HEIGHT


@dataclass
class Bar:
    label: str
    title: str        # for screen readers and the tooltip
    count: int
    url: str
    selected: bool
    x: float
    y: float
    width: float
    height: float
    label_x: float
    slot_x: float
    slot_width: float


@dataclass
class Timeline:
    caption: str
    bars: list[Bar]
    width: int
    height: int = HEIGHT
    plot_bottom: int = PLOT_TOP + PLOT_HEIGHT
    reset_url: str | None = None     # back to all years


def build(result: SearchResult, endpoint: str = "pages.search") -> Timeline | None:
    request = result.request
    if request.year is None:
        counts = {f["value"]: f["count"] for f in result.facets.get("year", [])}
        if not counts:
            return None
        keys = list(range(min(counts), max(counts) + 1))
        slots = [(f"{y}", f"{y}年", counts.get(y, 0),
                  changed(request, year=y), False) for y in keys]
        caption, reset = "按年份分布", None
    else:
        counts = {f["value"]: f["count"] for f in result.facets.get("month", [])}
        slots = [(f"{m}月", f"{request.year}年{m}月", counts.get(m, 0),
                  changed(request, month=None if request.month == m else m),
                  request.month == m) for m in range(1, 13)]
        caption = f"{request.year}年 按月份分布"
        reset = search_url_of(changed(request, year=None), endpoint)
    width = max(MIN_WIDTH, len(slots) * MIN_SLOT)
    slot = width / len(slots)
    bar = min(MAX_BAR, round(slot * 0.68, 1))
    top = max(s[2] for s in slots) or 1
    bars = []
    for i, (label, title, count, target, selected) in enumerate(slots):
        height = round(PLOT_HEIGHT * count / top, 1) if count else 0
        left = round(i * slot, 1)
        bars.append(Bar(label, f"{title}：{count} 件", count, search_url_of(target, endpoint),
                        selected, round(left + (slot - bar) / 2, 1),
                        PLOT_TOP + PLOT_HEIGHT - height,
                        bar, height, round(left + slot / 2, 1), left, round(slot, 1)))
    return Timeline(caption, bars, width, reset_url=reset)
