"""A browse answered from (issuer, topic, year, month) combinations
(`archive.browse`) gives exactly what the search over every document gives:
total, facets, the page's hits in order, for any selection, sort, page,
collapse or `all`."""
from __future__ import annotations

import numpy as np
import pytest

from archive import browse
from archive.search import SearchRequest, SearchService


def _answer(service, request_args, monkeypatch, combined: bool):
    monkeypatch.setattr(browse, "applies", (lambda r, p: True) if combined
                        else (lambda r, p: False))
    result = service.search(SearchRequest(**request_args))
    return (result.total, result.facets, [(h.id, h.fields.get("group_size")) for h in result.hits],
            result.groups, result.warnings)


def _requests(searcher, seed: int, count: int):
    rng = np.random.default_rng(seed)
    issuers = [v or "未注明" for v in searcher.issuer_values] + ["没有这个机关"]
    topics = [v or "未注明" for v in searcher.topic_values]
    years = sorted({int(y) for y in searcher.year[searcher.universe]})
    for _ in range(count):
        year = int(rng.choice(years)) if rng.random() < 0.5 else None
        yield dict(q="",
                   issuers=list(rng.choice(issuers, int(rng.choice([0, 0, 1, 2])), replace=False)),
                   topics=list(rng.choice(topics, int(rng.integers(0, 2)), replace=False)),
                   year=year, month=int(rng.integers(1, 13)) if year and rng.random() < 0.3 else None,
                   sort=str(rng.choice(["relevance", "-date", "date"])),
                   page=int(rng.integers(1, 4)), size=int(rng.choice([1, 3, 10])),
                   collapse=bool(rng.random() < 0.2), all=bool(rng.random() < 0.1))


@pytest.mark.parametrize("seed", range(4))
def test_browse_from_combinations_is_the_search(sample_home, monkeypatch, seed):
    service = SearchService(sample_home)
    searcher = service.searcher()
    service.search(SearchRequest(q=""))          # a searcher's first browse is counted
    for args in _requests(searcher, seed, 25):
        assert _answer(service, args, monkeypatch, True) == \
            _answer(service, args, monkeypatch, False), args


def test_browse_on_a_corpus_slice(corpus_slice_home, monkeypatch):
    service = SearchService(corpus_slice_home)
    searcher = service.searcher()
    service.search(SearchRequest(q=""))
    assert searcher.combinations.starts.size > 20        # real groups of combinations
    paged = 0
    for args in _requests(searcher, 9, 60):
        combined = _answer(service, args, monkeypatch, True)
        assert combined == _answer(service, args, monkeypatch, False), args
        paged += combined[0] > args["size"] * args["page"]
    assert paged >= 10                  # many cases rank a page out of many bulletins


def test_which_searches_are_browses():
    from archive.query import parse

    assert browse.applies(SearchRequest(q="", year=2024, issuers=["国务院"]), parse(""))
    assert not browse.applies(SearchRequest(q="通知"), parse("通知"))
    assert not browse.applies(SearchRequest(q="日期:2024"), parse("日期:2024"))
    assert not browse.applies(SearchRequest(q="", include_withdrawn=True), parse(""))
    assert not browse.applies(SearchRequest(q="", date_from="2024-01-01"), parse(""))


def test_a_fresh_searcher_counts_its_first_browse(sample_home):
    """The combinations are built from a searcher's second browse on (a
    fresh `archive search` does not pay for them), with the same answer."""
    service = SearchService(sample_home)
    searcher = service.searcher()
    first = service.search(SearchRequest(q="", year=None))
    assert "combinations" not in vars(searcher)
    second = service.search(SearchRequest(q="", year=None))
    assert "combinations" in vars(searcher)
    assert (first.total, first.facets, [h.id for h in first.hits]) == \
        (second.total, second.facets, [h.id for h in second.hits])


@pytest.mark.parametrize("q", ["", "通知", "人大常委会 -会议", "标题:青石县", "日期:2023 安全"])
def test_count_is_the_searchs_total(sample_home, q):
    """`search_count` (a suggestion's count: no facets) is the total of the
    same search, under any selection."""
    service = SearchService(sample_home)
    searcher = service.searcher()
    for args in _requests(searcher, 5, 12):
        request = SearchRequest(**{**args, "q": q})
        assert searcher.search_count(SearchRequest(**{**args, "q": q})) == \
            service.search(request).total, args
