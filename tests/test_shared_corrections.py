"""Did-you-mean alternatives shared by the workers of one server (web.shared_cache)."""
from __future__ import annotations

import multiprocessing

import pytest

from archive import suggest
from archive.search import SearchRequest, SearchService
from web.shared_cache import SharedCorrections


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
    first = _answers(SearchService(home, corrections=SharedCorrections(store_path)))
    assert first == alone                       # the same answers as without sharing
    assert first[0]["suggestion"] == "冶炼"      # a real suggestion went through the store
    monkeypatch.setattr(suggest, "_corrections", _never_computed)
    second = _answers(SearchService(home, corrections=SharedCorrections(store_path)))
    assert second == alone


def _compute_in_child(path, version, word):
    SharedCorrections(path).for_version(version).put(word, [(0.5, 12, "营商环境")])


def test_the_store_crosses_processes_and_keeps_versions_apart(tmp_path):
    path = tmp_path / "corrections.sqlite"
    child = multiprocessing.get_context("fork").Process(
        target=_compute_in_child, args=(path, ("gen-1", 3), "营商坏境"))
    child.start()
    child.join(30)
    assert child.exitcode == 0
    store = SharedCorrections(path)
    assert store.for_version(("gen-1", 3)).get("营商坏境") == [(0.5, 12, "营商环境")]
    assert store.for_version(("gen-1", 4)).get("营商坏境") is None     # another commit
    assert store.for_version(("gen-1", 3)).get("营商") is None


def test_an_unusable_store_only_means_computing_again(home, tmp_path):
    broken = tmp_path / "not-a-database"
    broken.write_bytes(b"this is not sqlite" * 100)
    cache = SharedCorrections(broken).for_version(("gen-1", 1))
    cache.put("治炼", [(0.6, 3, "冶炼")])        # no error
    assert cache.get("治炼") == [(0.6, 3, "冶炼")]  # this worker's memory still has it
    assert SharedCorrections(broken).for_version(("gen-1", 1)).get("治炼") is None
    assert _answers(SearchService(home, corrections=SharedCorrections(broken))) == \
        _answers(SearchService(home))


def test_the_store_keeps_only_the_newest_words(tmp_path, monkeypatch):
    monkeypatch.setattr("web.shared_cache.KEPT_WORDS", 5)
    monkeypatch.setattr("web.shared_cache.TRIM_EVERY", 4)
    cache = SharedCorrections(tmp_path / "c.sqlite").for_version(("gen-1", 1))
    for n in range(12):
        cache.put(f"词{n}", [(0.5, n + 1, f"字{n}")])
    fresh = SharedCorrections(tmp_path / "c.sqlite").for_version(("gen-1", 1))
    kept = [n for n in range(12) if fresh.get(f"词{n}") is not None]
    assert kept == [7, 8, 9, 10, 11]                  # trimmed to the newest 5 at the 12th write
