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

from .matching import _warn
from .query import ParsedQuery

FACET_LIMIT = 50
MISSING = "未注明"                 # issuer/topic filter value: documents without one


class Facet:
    """One facet: its column (a value per docnum), whether a request selects
    on it, the mask of its selection over the base documents' values, and
    its counts from those values (written into `facets`)."""

    name = ""

    def column(self, searcher) -> np.ndarray:
        raise NotImplementedError

    def selected(self, request) -> bool:
        raise NotImplementedError

    def mask(self, searcher, values: np.ndarray, request, parsed) -> np.ndarray:
        raise NotImplementedError

    def count(self, searcher, values: np.ndarray, request, facets: dict,
              weights: np.ndarray | None = None) -> None:
        """Counts of `values` (each `weights` times, when given: the
        bulletins of a (issuer, topic, year, month) combination,
        `archive.browse`)."""
        raise NotImplementedError


class ColumnFacet(Facet):
    """A coded text column: 发文机关 (issuer), 主题分类 (topic)."""

    def __init__(self, name: str, label: str, request_attr: str):
        self.name, self.label, self.request_attr = name, label, request_attr

    def column(self, searcher):
        return getattr(searcher, self.name)

    def selected(self, request) -> bool:
        return bool(getattr(request, self.request_attr))

    def mask(self, searcher, values, request, parsed):
        known = getattr(searcher, f"{self.name}_values")
        wanted = getattr(request, self.request_attr)
        unknown = [v for v in wanted if v != MISSING and v not in known]
        if unknown and parsed is not None:
            _warn(parsed, f"没有{self.label}为“{'”“'.join(unknown)}”的文件"
                          "（筛选值须与侧栏列出的完全一致）")
        chosen = np.zeros(len(known), dtype=bool)        # a lookup per value, not np.isin
        chosen[_codes(wanted, known)] = True
        return chosen[values]

    def count(self, searcher, values, request, facets, weights=None):
        listed, missing, distinct = _counts(values, getattr(searcher, f"{self.name}_values"),
                                            weights)
        facets[self.name] = listed
        facets["missing"][self.name] = missing
        facets["distinct"][self.name] = distinct


class YearFacet(Facet):
    """The filed date's year (发文时间, else 发布日期); year 0 = undated."""

    name = "year"

    def column(self, searcher):
        return searcher.year

    def selected(self, request) -> bool:
        return request.year is not None       # 0: the undated (MISSING in the sidebar)

    def mask(self, searcher, values, request, parsed):
        return values == request.year

    def count(self, searcher, values, request, facets, weights=None):
        facets["year"] = _year_counts(values, weights)
        undated = values == 0
        facets["missing"]["year"] = int(np.count_nonzero(undated) if weights is None
                                        else weights[undated].sum())


class MonthFacet(Facet):
    """Months of the selected year (listed only once a year is chosen)."""

    name = "month"

    def column(self, searcher):
        return searcher.month

    def selected(self, request) -> bool:
        return bool(request.month)

    def mask(self, searcher, values, request, parsed):
        return values == request.month

    def count(self, searcher, values, request, facets, weights=None):
        # Counted with the year's selection: every value is of that year.
        facets["month"] = []
        if request.year:
            facets["month"] = [{"value": int(m), "count": int(c)} for m, c in
                               enumerate(_bincount(values, weights, 13)) if m and c]


FACETS: tuple[Facet, ...] = (ColumnFacet("issuer", "发文机关", "issuers"),
                             ColumnFacet("topic", "主题分类", "topics"),
                             YearFacet(), MonthFacet())


class _Selection:
    """The base documents' facet values (each column gathered once, when
    first needed) and the masks of the request's selections over them.

    Counting each facet from its column under the other selections' masks,
    rather than from a docnum array per facet, reads each column once: the
    four facets of a browse over 53k bulletins cost ~5 array copies of the
    base and np.isin per selection before (3.5 ms CPU for a topic of 50,082
    bulletins), and the cost follows the base, which grows with the archive."""

    def __init__(self, searcher, base: np.ndarray, request, parsed,
                 columns: dict[str, np.ndarray] | None = None):
        self.searcher, self.base, self.request = searcher, base, request
        self._values: dict[str, np.ndarray] = dict(columns or {})     # given: over `base`
        self.masks = {f.name: f.mask(searcher, self.values(f), request, parsed)
                      for f in FACETS if f.selected(request)}

    def values(self, facet: Facet) -> np.ndarray:
        found = self._values.get(facet.name)
        if found is None:
            found = self._values[facet.name] = facet.column(self.searcher)[self.base]
        return found

    def keep(self, without: str | None = None) -> np.ndarray | None:
        """The mask of every selection but `without`'s (None: keep all)."""
        keep = None
        for name, mask in self.masks.items():
            if name != without:
                keep = mask if keep is None else keep & mask
        return keep

    def kept(self, without: str | None = None) -> np.ndarray:
        keep = self.keep(without)
        return self.base if keep is None else self.base[keep]


def select(searcher, base: np.ndarray, request) -> np.ndarray:
    """The documents every facet selection keeps (no counts: near matches)."""
    return _Selection(searcher, base, request, None).kept()


def count_facets(searcher, base: np.ndarray, request,
                 parsed: ParsedQuery | None = None) -> tuple[np.ndarray, dict]:
    """The documents every selection keeps, and each facet's counts."""
    selection = _Selection(searcher, base, request, parsed)
    return selection.kept(), tally(selection, request)


def tally(selection: _Selection, request, weights: np.ndarray | None = None) -> dict:
    """Each facet counted under the other selections (`weights`: how many
    bulletins each of the selection's base stands for)."""
    searcher = selection.searcher
    facets: dict = {"missing": {}, "distinct": {}}
    for facet in FACETS:
        if facet.name == "month" and not request.year:
            facets["month"] = []               # listed only under a chosen year
            continue
        keep = selection.keep(facet.name)
        values = selection.values(facet)
        if keep is None:
            facet.count(searcher, values, request, facets, weights)
        else:
            facet.count(searcher, values[keep], request, facets,
                        None if weights is None else weights[keep])
    order = ("issuer", "topic", "year", "month", "missing", "distinct")
    return {key: facets[key] for key in order}


def _bincount(values: np.ndarray, weights: np.ndarray | None, minlength: int = 0) -> list[int]:
    """np.bincount as integers, weighted or not."""
    if weights is None:
        return np.bincount(values, minlength=minlength).tolist()
    return np.bincount(values, weights=weights, minlength=minlength).astype(np.int64).tolist()


def _counts(codes: np.ndarray, values: list[str],
            weights: np.ndarray | None = None) -> tuple[list[dict], int, int]:
    """One facet from one bincount: its list (the FACET_LIMIT largest values),
    how many documents have no value (the page's 未注明) and how many values
    there are (the page says when the list is cut)."""
    counts = np.asarray(_bincount(codes, weights, len(values)) if codes.size else [],
                        dtype=np.int64)
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


def _year_counts(years: np.ndarray, weights: np.ndarray | None = None) -> list[dict]:
    """Each year's count, newest first, from one bincount (a sort of every
    hit's year before)."""
    dated = years > 0
    years = years[dated]
    if not years.size:
        return []
    first = int(years.min())
    counts = np.asarray(_bincount(years - first, None if weights is None else weights[dated]))
    present = np.flatnonzero(counts)[::-1]
    return [{"value": first + int(v), "count": int(c)}
            for v, c in zip(present.tolist(), counts[present].tolist())]
