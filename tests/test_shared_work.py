"""First-sight work shared by the workers of one server (web.shared_cache):
did-you-mean alternatives and ranking's posting lists."""
from __future__ import annotations

import multiprocessing

import pytest

import numpy as np

from archive import ranking, suggest
from archive.search import SearchRequest, SearchService
from web.shared_cache import SharedWork


def _record(n, title, body):
    return {"index_no": f"C-{n:03d}", "title": title, "body": body,
            "issuer": "青石县人民政府", "topic": "综合政务", "issued": "2024-03-01"}


RECORDS = ([_record(i, f"冶炼企业安全检查第{i}次", "冶炼企业安全生产检查情况。") for i in range(3)]
           + [_record(10 + i, f"全民健身锻炼活动第{i}期", "组织群众锻炼身体。") for i in range(8)])
QUERIES = ["治炼", "冶炼", "锻练 活动", "安全检查", "全民"]


@pytest.fixture(scope="module")
def home(records_home):
    return records_home("shared-corrections", RECORDS)


def _answers(service: SearchService) -> list[dict]:
    out = []
    for q in QUERIES:
        data = service.search(SearchRequest(q=q)).to_json()
        data.pop("took_ms")
        out.append(data)
    return out


def _never_computed(searcher, typed):
    raise AssertionError(f"alternatives of {typed!r} computed again")


def test_a_second_worker_reads_the_alternatives_the_first_computed(home, tmp_path, monkeypatch):
    store_path = tmp_path / "corrections.sqlite"
    alone = _answers(SearchService(home))
    first = _answers(SearchService(home, shared=SharedWork(store_path)))
    assert first == alone                       # the same answers as without sharing
    assert first[0]["suggestion"] == "冶炼"      # a real suggestion went through the store
    monkeypatch.setattr(suggest, "_corrections", _never_computed)
    monkeypatch.setattr(ranking.Postings, "_read", _never_read)
    second = _answers(SearchService(home, shared=SharedWork(store_path)))
    assert second == alone


def _never_read(postings, fieldname, word):
    raise AssertionError(f"postings of {word!r} read again through Whoosh")


def test_shared_posting_lists_are_those_read_through_whoosh(home, tmp_path):
    searcher = SearchService(home).searcher()
    shared = SharedWork(tmp_path / "w.sqlite").postings_for(("gen-1", 1))
    for fieldname, word in [("title", "冶炼"), ("body", "锻炼"), ("title", "没有的词")]:
        docs, tfs = searcher.postings._read(fieldname, word)
        shared.put(fieldname, word, (docs, tfs))
        got_docs, got_tfs = SharedWork(tmp_path / "w.sqlite").postings_for(
            ("gen-1", 1)).get(fieldname, word)
        assert got_docs.dtype == docs.dtype and got_tfs.dtype == tfs.dtype
        assert np.array_equal(got_docs, docs) and np.array_equal(got_tfs, tfs)
        # Views of the row's bytes (no copy), read-only as ranking's lists are used.
        assert isinstance(got_docs.base, bytes) and not got_docs.flags.writeable
    assert searcher.postings._read("title", "冶炼")[0].size > 0      # real lists compared
    assert shared.get("title", "安全") is None


def test_posting_lists_past_the_byte_budget_go_oldest_first(tmp_path, monkeypatch):
    monkeypatch.setattr("web.shared_cache.POSTINGS_BYTES", 3 * 12 * 10)
    shared = SharedWork(tmp_path / "w.sqlite").postings_for(("gen-1", 1))
    lists = {f"词{n}": (np.arange(10, dtype=np.int64) + n, np.ones(10, dtype=np.float32))
             for n in range(100)}
    for word, found in lists.items():
        shared.put("body", word, found)               # trimmed at the 100th write
    kept = [n for n in range(100) if shared.get("body", f"词{n}") is not None]
    assert kept == [97, 98, 99]
    assert np.array_equal(shared.get("body", "词99")[0], lists["词99"][0])


def _compute_in_child(path, version, word):
    SharedWork(path).corrections_for(version).put(word, [(0.5, 12, "营商环境")])


def test_the_store_crosses_processes_and_keeps_versions_apart(tmp_path):
    path = tmp_path / "corrections.sqlite"
    child = multiprocessing.get_context("fork").Process(
        target=_compute_in_child, args=(path, ("gen-1", 3), "营商坏境"))
    child.start()
    child.join(30)
    assert child.exitcode == 0
    store = SharedWork(path)
    assert store.corrections_for(("gen-1", 3)).get("营商坏境") == [(0.5, 12, "营商环境")]
    assert store.corrections_for(("gen-1", 4)).get("营商坏境") is None     # another commit
    assert store.corrections_for(("gen-1", 3)).get("营商") is None


def test_an_unusable_store_only_means_computing_again(home, tmp_path):
    broken = tmp_path / "not-a-database"
    broken.write_bytes(b"this is not sqlite" * 100)
    cache = SharedWork(broken).corrections_for(("gen-1", 1))
    cache.put("治炼", [(0.6, 3, "冶炼")])        # no error
    assert cache.get("治炼") == [(0.6, 3, "冶炼")]  # this worker's memory still has it
    assert SharedWork(broken).corrections_for(("gen-1", 1)).get("治炼") is None
    assert _answers(SearchService(home, shared=SharedWork(broken))) == \
        _answers(SearchService(home))


def test_the_store_keeps_only_the_newest_words(tmp_path, monkeypatch):
    monkeypatch.setattr("web.shared_cache.KEPT_WORDS", 5)
    monkeypatch.setattr("web.shared_cache.TRIM_EVERY", 4)
    cache = SharedWork(tmp_path / "c.sqlite").corrections_for(("gen-1", 1))
    for n in range(12):
        cache.put(f"词{n}", [(0.5, n + 1, f"字{n}")])
    fresh = SharedWork(tmp_path / "c.sqlite").corrections_for(("gen-1", 1))
    kept = [n for n in range(12) if fresh.get(f"词{n}") is not None]
    assert kept == [7, 8, 9, 10, 11]                  # trimmed to the newest 5 at the 12th write


def test_lists_of_other_types_and_strides_are_stored_as_int64_and_float32(tmp_path):
    shared = SharedWork(tmp_path / "w.sqlite").postings_for(("gen-1", 1))
    docs = np.arange(40, dtype=np.int32)[::3]                  # not contiguous, not int64
    tfs = np.linspace(1, 5, 40)[::3]                           # float64
    shared.put("body", "词", (docs, tfs))
    got_docs, got_tfs = SharedWork(tmp_path / "w.sqlite").postings_for(("gen-1", 1)).get(
        "body", "词")
    assert (got_docs.dtype, got_tfs.dtype) == (np.int64, np.float32)
    assert got_docs.tolist() == docs.tolist()
    assert np.array_equal(got_tfs, tfs.astype(np.float32))
