"""The sidebar's facets: one class per kind, each a selection and its counts.

Every facet is counted over the documents the request selects *without its
own selection* (choosing one issuer still lists the others with their
counts), from one `bincount` of a docmap column — 1.8 ms for the four
facets of an empty query over 53,000 bulletins.  A facet also reports how
many documents have no value (the page's 未注明, selectable as `MISSING`)
and, for long lists, how many values there are (the page says when it cuts
the list to `FACET_LIMIT`).
"""
from __future__ import annotations

import heapq

import numpy as np

from .grams import unique_counts
from .matching import _warn
from .query import ParsedQuery

FACET_LIMIT = 50
MISSING = "未注明"                 # issuer/topic filter value: documents without one


class Facet:
    """One facet: whether a request selects on it, the mask of its selection
    over the base documents, and its counts (written into `facets`)."""

    name = ""

    def selected(self, request) -> bool:
        raise NotImplementedError

    def mask(self, searcher, base: np.ndarray, request, parsed) -> np.ndarray:
        raise NotImplementedError

    def count(self, searcher, docs: np.ndarray, request, facets: dict) -> None:
        raise NotImplementedError


class ColumnFacet(Facet):
    """A coded text column: 发文机关 (issuer), 主题分类 (topic)."""

    def __init__(self, name: str, label: str, request_attr: str):
        self.name, self.label, self.request_attr = name, label, request_attr

    def selected(self, request) -> bool:
        return bool(getattr(request, self.request_attr))

    def mask(self, searcher, base, request, parsed):
        values = getattr(searcher, f"{self.name}_values")
        wanted = getattr(request, self.request_attr)
        unknown = [v for v in wanted if v != MISSING and v not in values]
        if unknown and parsed is not None:
            _warn(parsed, f"没有{self.label}为“{'”“'.join(unknown)}”的文件"
                          "（筛选值须与侧栏列出的完全一致）")
        return np.isin(getattr(searcher, self.name)[base], _codes(wanted, values))

    def count(self, searcher, docs, request, facets):
        values = getattr(searcher, f"{self.name}_values")
        listed, missing, distinct = _counts(getattr(searcher, self.name)[docs], values)
        facets[self.name] = listed
        facets["missing"][self.name] = missing
        facets["distinct"][self.name] = distinct


class YearFacet(Facet):
    """The filed date's year (发文时间, else 发布日期); year 0 = undated."""

    name = "year"

    def selected(self, request) -> bool:
        return request.year is not None       # 0: the undated (MISSING in the sidebar)

    def mask(self, searcher, base, request, parsed):
        return searcher.year[base] == request.year

    def count(self, searcher, docs, request, facets):
        years = searcher.year[docs]
        facets["year"] = _year_counts(years)
        facets["missing"]["year"] = int(np.count_nonzero(years == 0))


class MonthFacet(Facet):
    """Months of the selected year (listed only once a year is chosen)."""

    name = "month"

    def selected(self, request) -> bool:
        return bool(request.month)

    def mask(self, searcher, base, request, parsed):
        return searcher.month[base] == request.month

    def count(self, searcher, docs, request, facets):
        facets["month"] = []
        if request.year:
            months = searcher.month[docs][searcher.year[docs] == request.year]
            facets["month"] = [{"value": int(m), "count": int(c)} for m, c in
                               enumerate(np.bincount(months, minlength=13)) if m and c]


FACETS: tuple[Facet, ...] = (ColumnFacet("issuer", "发文机关", "issuers"),
                             ColumnFacet("topic", "主题分类", "topics"),
                             YearFacet(), MonthFacet())


def _masks(searcher, base: np.ndarray, request, parsed) -> dict[str, np.ndarray]:
    return {f.name: f.mask(searcher, base, request, parsed)
            for f in FACETS if f.selected(request)}


def select(searcher, base: np.ndarray, request) -> np.ndarray:
    """The documents every facet selection keeps (no counts: near matches)."""
    keep = np.ones(base.size, dtype=bool)
    for mask in _masks(searcher, base, request, None).values():
        keep &= mask
    return base[keep]


def count_facets(searcher, base: np.ndarray, request,
                 parsed: ParsedQuery | None = None) -> tuple[np.ndarray, dict]:
    """The documents every selection keeps, and each facet's counts."""
    masks = _masks(searcher, base, request, parsed)

    def without(name):
        keep = np.ones(base.size, dtype=bool)
        for other, mask in masks.items():
            if other != name:
                keep &= mask
        return base[keep]

    facets: dict = {"missing": {}, "distinct": {}}
    for facet in FACETS:
        facet.count(searcher, without(facet.name), request, facets)
    order = ("issuer", "topic", "year", "month", "missing", "distinct")
    return without(None), {key: facets[key] for key in order}


def _counts(codes: np.ndarray, values: list[str]) -> tuple[list[dict], int, int]:
    """One facet from one bincount: its list (the FACET_LIMIT largest values),
    how many documents have no value (the page's 未注明) and how many values
    there are (the page says when the list is cut)."""
    counts = np.bincount(codes, minlength=len(values)) if codes.size else np.zeros(0, np.int64)
    present = np.flatnonzero(counts)       # the values there are, not every value known
    pairs, missing = [], 0
    for i, c in zip(present.tolist(), counts[present].tolist()):
        if values[i]:
            pairs.append((c, values[i]))
        else:
            missing += c
    top = heapq.nsmallest(FACET_LIMIT, pairs, key=lambda p: (-p[0], p[1]))
    return [{"value": v, "count": c} for c, v in top], missing, len(pairs)


def _codes(values: list[str], known: list[str]) -> list[int]:
    """Column codes of filter values; MISSING selects the empty value."""
    wanted = {"" if v == MISSING else v for v in values}
    return [code for code, value in enumerate(known) if value in wanted]


def _year_counts(years: np.ndarray) -> list[dict]:
    years = years[years > 0]
    if not years.size:
        return []
    values, counts = unique_counts(years)
    return [{"value": int(v), "count": int(c)} for v, c in
            sorted(zip(values, counts), key=lambda p: -p[0])]
