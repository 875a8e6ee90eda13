"""A browse (no query words) answered from combinations, not documents.

An empty query with issuer / topic / year / month selections selects, of
the active bulletins, those of some (issuer, topic, year, month)
combinations: the facet counts and the total follow from the combinations'
sizes, and the page from the newest few of each chosen combination.  The
53k archive holds 1,793 combinations; counting facets over every active
bulletin instead cost ~2 ms at 53k and ~10 ms at 200k (CPU, a year's or a
topic's browse): the work that grew with the archive.

`Combinations` is built once per index generation (a sort of the active
bulletins); `answer` gives what `archive.facets.count_facets` and the page
would: the same total, facets and hits, by construction (tested against
them).
"""
from __future__ import annotations

import numpy as np

from .facets import FACETS, _Selection, tally
from .sorted_arrays import run_starts


class Combinations:
    """The active bulletins grouped by (issuer, topic, year, month), each
    group ordered newest first (then by docnum: the page's order)."""

    def __init__(self, searcher):
        universe = searcher.universe
        active = universe[searcher.status[universe] == 0]
        columns = [f.column(searcher)[active] for f in FACETS]
        order = np.lexsort((active, -searcher.date[active].astype(np.int64), *columns[::-1]))
        self.docs = active[order]
        sorted_columns = [c[order] for c in columns]
        change = np.zeros(order.size, dtype=bool)
        for column in sorted_columns:
            change |= run_starts(column)
        self.starts = np.flatnonzero(change)
        self.sizes = np.diff(np.append(self.starts, order.size))
        self.columns = {f.name: c[self.starts] for f, c in zip(FACETS, sorted_columns)}

    def answer(self, searcher, request, parsed, first: int | None):
        """(total, documents, facets) of a browse: the documents are every
        selected bulletin (`first` None), or enough of them to rank the
        first `first` newest exactly (each chosen combination's newest
        `first`), sorted by docnum."""
        selection = _Selection(searcher, np.arange(self.starts.size), request, parsed,
                               self.columns)
        facets = tally(selection, request, self.sizes)
        chosen = selection.kept()
        sizes = self.sizes[chosen]
        total = int(sizes.sum())
        if first is not None:
            sizes = np.minimum(sizes, first)
        # The chosen groups' leading `sizes` positions, as one index array.
        before = np.cumsum(sizes) - sizes
        at = np.repeat(self.starts[chosen] - before, sizes) + np.arange(int(sizes.sum()))
        return total, np.sort(self.docs[at]), facets


def applies(request, parsed) -> bool:
    """Whether a search is a browse `Combinations` answers: no query words
    or dates, active bulletins only, no date range."""
    return (parsed.root is None and not parsed.dates and not request.include_withdrawn
            and not request.date_from and not request.date_to)
