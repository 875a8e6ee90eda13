"""Array ranking (archive/ranking.py) against Whoosh's own BM25F scorer, and
the relevance order's paging and ties against a full sort."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive import ranking
from archive.search import SearchRequest, SearchService

WORD_SETS = [["人大常委会"], ["防汛"], ["教育", "安全"], ["青石县", "通知", "会议"],
             ["政府"], ["绝无此词甲乙"]]


def whoosh_scores(searcher, words: list[str]) -> dict[int, float]:
    """Every document's BM25F from Whoosh itself: the union of
    title^3 / meta^1.5 / body^1 terms, no shortcuts, no limit."""
    from whoosh import query as wq
    from whoosh.collectors import TopCollector

    terms = [wq.Term(f, w, boost=b) for w in words for f, b in ranking.FIELD_BOOSTS]
    query = wq.Or(terms)
    query.matcher_type = wq.Or.DEFAULT_MATCHER
    from whoosh.searching import Searcher

    collector = TopCollector(limit=10**9, usequality=False, replace=0)
    with searcher.whoosh_lock:
        Searcher(searcher.whoosh).search_with_collector(query, collector)
        return {hit.docnum: hit.score for hit in collector.results()}


def check_against_whoosh(home) -> int:
    searcher = SearchService(home).searcher()
    scored = 0
    for words in WORD_SETS + [list(_common_words(searcher))]:
        expected = whoosh_scores(searcher, words)
        docs = searcher.universe
        got = ranking.bm25f(searcher.postings, words, docs)
        want = np.asarray([expected.get(int(d), 0.0) for d in docs])
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=str(words))
        scored += int((want > 0).sum())
    return scored


def _common_words(searcher):
    """A few words of the index's first title (present whatever the data)."""
    title = searcher.whoosh.stored_fields(int(searcher.universe[0]))["hit"]["title"]
    return searcher.query_segmenter.words_of(title)[:4]


def test_bm25f_equals_whoosh_on_the_sample(sample_home):
    assert check_against_whoosh(sample_home) > 20      # the check compared real scores


def test_bm25f_equals_whoosh_across_segments(corpus_slice_home):
    searcher = SearchService(corpus_slice_home).searcher()
    assert len(list(searcher.whoosh.leaf_readers())) > 1   # offsets are exercised
    assert check_against_whoosh(corpus_slice_home) > 100


def test_a_words_scores_are_computed_once_and_kept(sample_home):
    postings = SearchService(sample_home).searcher().postings
    ids, tfs = postings.of("body", "通知")
    assert ids.size and np.all(np.diff(ids) > 0)          # sorted, unique docnums
    first = postings.impacts("通知")
    assert postings.impacts("通知") is first
    assert np.all(np.diff(first[0]) > 0) and np.isin(ids, first[0]).all()
    assert np.all(first[1] > 0)


def test_cache_is_bounded(sample_home):
    searcher = SearchService(sample_home).searcher()
    small = ranking.Postings(searcher.whoosh, searcher.whoosh_lock, capacity=200)
    for word in ("通知", "政府", "会议", "安全", "教育"):
        small.of("body", word)
        small.impacts(word)
        kept = sum(a.nbytes + b.nbytes for a, b in small._cache.values())
        assert kept == small._cached
        assert kept <= 200 or len(small._cache) == 1
    assert small._cached > 100                    # the words filled it
    ids, tfs = small.of("body", "教育")
    assert ids.size and small.impacts("教育")[0].size >= ids.size


# ------------------------------------------------------------------- paging --

@pytest.mark.parametrize("q", ["通知", "人大 会议", "青石县 OR 防汛", "政府 -教育", '"人大常委会"'])
def test_pages_add_up_to_the_whole_order(sample_home, q):
    service = SearchService(sample_home)
    everything = service.search(SearchRequest(q=q, all=True, highlight=False))
    ids = [h.id for h in everything.hits]
    assert len(ids) == everything.total and len(set(ids)) == len(ids)
    for size in (1, 3, 7):
        paged = []
        for page in range(1, everything.total // size + 2):
            result = service.search(SearchRequest(q=q, size=size, page=page, highlight=False))
            paged += [h.id for h in result.hits]
        assert paged == ids, (q, size)


# --------------------------------------------------------------------- ties --

@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.sampled_from([0.0, 0.5, 1.25, 3.0]),
                          st.integers(0, 3)), min_size=1, max_size=40),
       st.integers(0, 45), st.integers(1, 12))
def test_order_equals_a_full_sort(rows, start, size):
    """The partitioned top-k equals slicing a full sort (tier, score, newest,
    docnum), however many ties sit at the cut."""
    docs = np.arange(len(rows), dtype=np.int64) * 3
    tiers = np.asarray([r[0] * 100 for r in rows], dtype=np.int64)
    scores = np.asarray([r[1] for r in rows])
    dates = np.asarray([20200101 + r[2] for r in rows], dtype=np.int64)
    full = sorted(range(len(rows)), key=lambda i: (-tiers[i], -scores[i], -dates[i], docs[i]))
    got = ranking.order(docs, tiers, scores, dates, start, start + size)
    assert got.tolist() == full[start:start + size]
    newest = sorted(range(len(rows)), key=lambda i: (-dates[i], docs[i]))
    oldest = sorted(range(len(rows)), key=lambda i: (dates[i], docs[i]))
    assert ranking.by_date(docs, dates, start, start + size).tolist() == \
        newest[start:start + size]
    assert ranking.by_date(docs, dates, start, start + size, newest_first=False).tolist() == \
        oldest[start:start + size]


def test_equal_scores_are_newest_first_then_docnum():
    docs = np.asarray([2, 5, 9, 11], dtype=np.int64)
    zeros = np.zeros(4, dtype=np.int64)
    dates = np.asarray([20200101, 20240101, 20200101, 20240101], dtype=np.int64)
    got = ranking.order(docs, zeros, np.ones(4), dates, 0, 4)
    assert docs[got].tolist() == [5, 11, 2, 9]


def test_title_tier_equals_a_scan_of_the_titles(corpus_slice_home, monkeypatch):
    """The title tier (words found in the title rank first) of words in
    fewer than 1,000 hits, from the gram segments and from the docnum-indexed
    title table (`Matching.titles`, once every segment's table is built),
    equals a scan of every hit's folded title."""
    from archive.folding import fold
    from archive.query import parse

    searcher = SearchService(corpus_slice_home).searcher()
    titles = {int(d): fold(searcher.stored.get(int(d))["hit"]["title"] or "")
              for d in searcher.universe}
    sample = list(titles.values())[::97]
    words = sorted({t[i:i + n] for t in sample for n in (2, 3, 5) for i in (0, 4)
                    if len(t) >= i + n and t[i:i + n].strip()})
    assert len(words) > 60
    for seg in searcher.grams.segments:                 # a fresh searcher: no tables yet
        assert not seg.has_field_table("title")
    cases = []
    for word in words:
        leaf = searcher.leaf(parse(word).words()[0])
        having = searcher.leaf_docs(leaf)
        if 0 < having.size < 1000:
            want = [d for d in having.tolist() if any(v in titles[d] for v in leaf.variants)]
            cases.append((leaf, having, want))
    assert len(cases) > 50 and sum(bool(want) for *_, want in cases) > 50

    with monkeypatch.context() as patched:
        patched.setattr(searcher, "titles", lambda: None)      # the gram segments
        assert [searcher.title_docs(leaf, having).tolist() for leaf, having, _ in cases] == \
            [want for *_, want in cases]
    for seg in searcher.grams.segments:
        seg.field_table("title")
    assert searcher.titles() is not None
    assert [searcher.title_docs(leaf, having).tolist() for leaf, having, _ in cases] == \
        [want for *_, want in cases]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sets(st.integers(0, 300), min_size=1, max_size=60), min_size=1, max_size=6),
       st.integers(1, 400))
def test_position_tables_are_handed_back_clean(doc_sets, size):
    """The per-thread table of `_Positions` serves query after query (and a
    use inside another) with every entry not of the current documents -1."""
    outer_docs = np.array(sorted(doc_sets[0]), dtype=np.int64)
    with ranking._Positions(outer_docs, size) as outer:
        outer_table = outer.table()
        for docs in doc_sets[1:]:
            docs = np.array(sorted(docs), dtype=np.int64)
            with ranking._Positions(docs, size) as inner:
                table = inner.table()
                expected = np.full(table.size, -1)
                expected[docs] = np.arange(docs.size)
                assert table.tolist() == expected.tolist()
        expected = np.full(outer_table.size, -1)
        expected[outer_docs] = np.arange(outer_docs.size)
        assert outer_table.tolist() == expected.tolist()
    kept = ranking._Positions._kept.slots
    assert kept is not None and (kept == -1).all()


# ------------------------------------------------------- tier pruning --

@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0, 1, 100, 101, 200, 201]), st.integers(0, 3)),
                min_size=1, max_size=60),
       st.integers(0, 70), st.integers(1, 12))
def test_ranked_scores_only_the_top_tiers_and_equals_scoring_all(rows, start, size):
    """`ranked` scores the highest tiers that hold the page and gives the
    same ranks and scores as scoring every document and sorting them all."""
    docs = np.arange(len(rows), dtype=np.int64) * 2 + 1
    tiers = np.asarray([r[0] for r in rows], dtype=np.int64)
    dates = np.zeros(int(docs[-1]) + 1, dtype=np.int64)
    dates[docs] = [20200101 + r[1] for r in rows]
    every = {int(d): 0.25 * (int(d) % 5) for d in docs}         # a score per document
    asked = []

    class Scores:
        def bm25f(self, postings, words, some):
            asked.append(some.tolist())
            return np.asarray([every[int(d)] for d in some])

    import unittest.mock as mock
    with mock.patch.object(ranking, "bm25f", Scores().bm25f):
        at, scores = ranking.ranked(None, ["w"], docs, tiers, dates, start, start + size)
    full = sorted(range(len(rows)), key=lambda i: (-tiers[i], -every[int(docs[i])],
                                                   -dates[docs[i]], docs[i]))
    assert at.tolist() == full[start:start + size]
    assert scores.tolist() == [every[int(docs[i])] for i in at]
    end = min(start + size, len(rows))
    if end > start:
        lowest = min(tiers[full[:end]])
        assert asked[0] == docs[tiers >= lowest].tolist()   # the page's tiers, whole, no more


def test_a_common_word_page_is_scored_from_its_title_tier(sample_home):
    """Ranking a common word reads the scores of its title tier only, and
    the page equals the one scoring every hit gives."""
    import unittest.mock as mock

    service = SearchService(sample_home)
    seen = []
    real = ranking.bm25f

    def spy(postings, words, docs):
        seen.append(docs.size)
        return real(postings, words, docs)

    with mock.patch.object(ranking, "bm25f", spy):
        result = service.search(SearchRequest(q="会议", size=3, highlight=False))
    everything = service.search(SearchRequest(q="会议", all=True, highlight=False))
    assert [h.id for h in result.hits] == [h.id for h in everything.hits[:3]]
    assert seen and seen[0] < result.total
