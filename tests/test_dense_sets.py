"""Set operations and BM25F over many hits take a mask or a table of
positions instead of a bisection per hit (`archive.matching._intersect`,
`_member`, `archive.ranking.bm25f`): both ways give the same answer, bit for
bit, whatever the density of the sets."""
from __future__ import annotations

import numpy as np
import pytest

from archive import ranking
from archive.matching import _intersect, _member
from archive.search import SearchService


def _sorted_set(rng, size: int, high: int) -> np.ndarray:
    return np.unique(rng.integers(0, high, size)).astype(np.int64)


@pytest.mark.parametrize("seed", range(12))
def test_intersection_and_membership_against_numpy(seed):
    rng = np.random.default_rng(seed)
    high = int(rng.integers(1, 5000))
    for a_size, b_size in [(0, 10), (5, 3000), (3000, 5), (2000, 2500), (1, 1), (40, 4000)]:
        a, b = _sorted_set(rng, a_size, high), _sorted_set(rng, b_size, high)
        expected = np.intersect1d(a, b)
        assert _intersect([a, b]).tolist() == expected.tolist()
        assert _intersect([b, a]).tolist() == expected.tolist()
        assert _member(a, b).tolist() == np.isin(a, b).astype(int).tolist()
        assert _member(b, a).tolist() == np.isin(b, a).astype(int).tolist()
    big = _sorted_set(rng, 3000, high)
    assert _intersect([big, big[::7], big[::3]]).tolist() == big[::21].tolist()


def test_bm25f_walked_and_bisected_are_the_same_floats(sample_home, monkeypatch):
    searcher = SearchService(sample_home).searcher()
    words = ["人大常委会", "通知", "会议", "青石县", "安全"]
    rng = np.random.default_rng(3)
    universe = searcher.universe
    subsets = [universe, universe[::2], universe[:3], universe[-5:],
               np.sort(rng.choice(universe, max(1, universe.size // 5), replace=False))]
    for docs in subsets:
        monkeypatch.setattr(ranking, "WALK_RATIO", 10 ** 9)        # every list walked
        walked = ranking.bm25f(searcher.postings, words, docs)
        monkeypatch.setattr(ranking, "WALK_RATIO", -1)             # every list bisected
        bisected = ranking.bm25f(searcher.postings, words, docs)
        np.testing.assert_array_equal(walked, bisected)
    assert (walked > 0).sum() > 0 and (ranking.bm25f(searcher.postings, words, universe) > 0).sum() > 20


def _brute_facets(searcher, base, request):
    """Each facet counted in Python over the documents every other
    selection keeps (the definition of `archive.facets.count_facets`)."""
    from archive.facets import MISSING

    def chosen(values, wanted):
        return {"" if v == MISSING else v for v in wanted}

    def keeps(d, without):
        issuer = searcher.issuer_values[searcher.issuer[d]]
        topic = searcher.topic_values[searcher.topic[d]]
        return ((without == "issuer" or not request.issuers
                 or issuer in chosen(searcher.issuer_values, request.issuers))
                and (without == "topic" or not request.topics
                     or topic in chosen(searcher.topic_values, request.topics))
                and (without == "year" or request.year is None or searcher.year[d] == request.year)
                and (without == "month" or not request.month or searcher.month[d] == request.month))

    counts = {}
    for name in ("issuer", "topic", "year", "month"):
        tally = {}
        for d in base.tolist():
            if keeps(d, name):
                if name in ("issuer", "topic"):
                    value = getattr(searcher, f"{name}_values")[getattr(searcher, name)[d]]
                else:
                    value = int(getattr(searcher, name)[d])
                tally[value] = tally.get(value, 0) + 1
        counts[name] = tally
    kept = [d for d in base.tolist() if keeps(d, None)]
    return kept, counts


@pytest.mark.parametrize("seed", range(10))
def test_facets_against_brute_force(sample_home, seed):
    from archive.facets import count_facets
    from archive.search import SearchRequest

    searcher = SearchService(sample_home).searcher()
    rng = np.random.default_rng(seed)
    base = np.sort(rng.choice(searcher.universe, int(rng.integers(1, searcher.universe.size)),
                              replace=False))
    issuers = [v or "未注明" for v in searcher.issuer_values]
    topics = [v or "未注明" for v in searcher.topic_values]
    years = sorted({int(y) for y in searcher.year[base]})
    request = SearchRequest(
        q="", issuers=list(rng.choice(issuers, int(rng.integers(0, 3)), replace=False)),
        topics=list(rng.choice(topics, int(rng.integers(0, 2)), replace=False)),
        year=int(rng.choice(years)) if seed % 2 else None,
        month=int(rng.integers(1, 13)) if seed % 4 == 3 else None)
    kept, counts = _brute_facets(searcher, base, request)
    docs, facets = count_facets(searcher, base, request)
    assert docs.tolist() == kept
    for name in ("issuer", "topic"):
        listed = {f["value"]: f["count"] for f in facets[name]}
        assert listed == {v: c for v, c in counts[name].items() if v}
        assert facets["missing"][name] == counts[name].get("", 0)
    assert {f["value"]: f["count"] for f in facets["year"]} == \
        {y: c for y, c in counts["year"].items() if y}
    assert facets["missing"]["year"] == counts["year"].get(0, 0)
    months = {m: c for m, c in counts["month"].items() if m} if request.year else {}
    assert {f["value"]: f["count"] for f in facets["month"]} == months
    assert [f["value"] for f in facets["year"]] == sorted(counts["year"].keys() - {0}, reverse=True)


@pytest.mark.parametrize("seed", range(8))
def test_union_against_numpy(seed):
    from archive.matching import _union

    rng = np.random.default_rng(seed)
    high = int(rng.integers(1, 5000))
    for sizes in [(0,), (10,), (3000, 5), (5, 3000, 40), (2000, 2500), (1, 1), (0, 7)]:
        arrays = [_sorted_set(rng, n, high) for n in sizes]
        got = _union(arrays)
        assert got.tolist() == np.union1d(arrays[0], np.concatenate(arrays)).tolist()
        assert got.dtype == np.int64
