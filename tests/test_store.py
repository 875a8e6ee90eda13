"""The archive of record: idempotence, history, matching, conflicts,
withdraw/restore, original bytes."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from archive import jobs
from archive.search import SearchRequest, SearchService
from archive.store import Archive

SAMPLE = Path(__file__).resolve().parents[1] / "sample"


def write_jsonl(path: Path, records: list[dict]) -> bytes:
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
    path.write_bytes(data)
    return data


def rec(n: int, index_no: str | None = "auto", **extra) -> dict:
    record = {"title": f"青石县测试公告第{n}号", "body": f"这是第{n}号公告的正文。",
              "issuer": "青石县人民政府", "issued": f"2024-0{1 + n % 9}-1{n % 10}"}
    if index_no == "auto":
        record["index_no"] = f"TEST-{n:04d}"
    elif index_no:
        record["index_no"] = index_no
    record.update(extra)
    return record


def state(home: Path) -> dict:
    archive = Archive(home, readonly=True)
    try:
        return {"counts": archive.counts(), "seq": archive.current_seq(),
                "fingerprint": archive.content_fingerprint(),
                "docs": {d: (v, s) for d, v, s, _ in archive.all_docs()}}
    finally:
        archive.close()


def doc_ids_by_index_no(home: Path) -> dict[str, int]:
    archive = Archive(home, readonly=True)
    try:
        return {r["index_no"]: d for d, _v, _s, r in archive.all_docs() if r.get("index_no")}
    finally:
        archive.close()


def search_ids(home: Path, q: str, **kw) -> set[int]:
    result = SearchService(home).search(SearchRequest(q=q, all=True, highlight=False, **kw))
    return {h.id for h in result.hits}


# ------------------------------------------------------------- idempotence --

def test_reingesting_unchanged_sample_changes_nothing(tmp_path):
    home = tmp_path / "home"
    first = jobs.ingest(home, [SAMPLE])
    assert first.added > 0 and first.failed == 0
    before = state(home)
    second = jobs.ingest(home, [SAMPLE])
    assert (second.added, second.updated, second.withdrawn, second.failed) == (0, 0, 0, 0)
    assert second.unchanged == second.files == first.files
    after = state(home)
    assert after == before                       # counts, seq, versions, docs
    assert after["counts"]["versions"] == after["counts"]["documents"]


def test_touching_a_file_without_changing_it_adds_no_version(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    write_jsonl(src / "a.jsonl", [rec(1), rec(2)])
    home = tmp_path / "home"
    jobs.ingest(home, [src])
    before = state(home)
    write_jsonl(src / "a.jsonl", [rec(1), rec(2)])            # same bytes, new mtime
    jobs.reindex(home, [jobs.Source(src)])
    assert state(home) == before


# ----------------------------------------------------------------- history --

def test_changed_file_makes_a_new_version_and_keeps_the_old(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    old_bytes = write_jsonl(src / "a.jsonl", [rec(1), rec(2)])
    home = tmp_path / "home"
    jobs.ingest(home, [src])
    ids = doc_ids_by_index_no(home)
    seq_before = state(home)["seq"]
    new_bytes = write_jsonl(src / "a.jsonl", [rec(1, body="修订后的正文：新增营商环境条款。"), rec(2)])
    report = jobs.ingest(home, [src])
    assert (report.added, report.updated, report.withdrawn) == (0, 1, 0)
    assert doc_ids_by_index_no(home) == ids                    # same bulletins
    archive = Archive(home, readonly=True)
    changed, same = ids["TEST-0001"], ids["TEST-0002"]
    versions = archive.versions(changed)
    assert len(versions) == 2
    assert versions[0]["record"]["body"] == "修订后的正文：新增营商环境条款。"   # newest first
    assert versions[1]["record"]["body"] == "这是第1号公告的正文。"
    assert len(archive.versions(same)) == 1
    assert archive.original(changed)[1] == new_bytes
    assert archive.original(changed, versions[1]["vid"])[1] == old_bytes
    assert archive.original(changed, versions[0]["vid"])[1] == new_bytes
    assert archive.get(changed).versions == 2
    # what snippets read: each bulletin's current body, nothing for an unknown id
    assert archive.bodies([changed, same, 10 ** 6]) == {
        changed: "修订后的正文：新增营商环境条款。", same: "这是第2号公告的正文。"}
    assert archive.current_seq() == seq_before + 1            # only the changed doc
    archive.close()
    # the index follows: the new text is found, the old text is not
    assert search_ids(home, "营商环境条款") == {changed}
    assert search_ids(home, '"这是第1号公告"') == set()


# ---------------------------------------------------------------- matching --

def test_jsonl_records_match_by_index_no_when_lines_move(tmp_path):
    """Ids stay with their 索引号, nothing is re-versioned, and the reported
    source_line follows each record to its new line."""
    src = tmp_path / "src"
    src.mkdir()
    records = [rec(1), rec(2), rec(3)]
    write_jsonl(src / "a.jsonl", records)
    home = tmp_path / "home"
    jobs.ingest(home, [src])
    ids = doc_ids_by_index_no(home)
    write_jsonl(src / "a.jsonl", [rec(0)] + records[::-1])     # new first line, reversed
    report = jobs.ingest(home, [src])
    assert (report.added, report.updated, report.withdrawn) == (1, 0, 0)
    after = doc_ids_by_index_no(home)
    assert {k: after[k] for k in ids} == ids                   # same ids, by 索引号
    archive = Archive(home, readonly=True)
    assert archive.counts()["versions"] == 4                    # nothing re-versioned
    # source_line follows the record to its new line
    lines = {k: archive.get(after[k]).as_json()["source_line"] for k in after}
    archive.close()
    assert lines == {"TEST-0000": 1, "TEST-0003": 2, "TEST-0002": 3, "TEST-0001": 4}


def test_jsonl_records_without_index_no_match_by_line(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    write_jsonl(src / "a.jsonl", [rec(1, None), rec(2, None)])
    home = tmp_path / "home"
    jobs.ingest(home, [src])
    archive = Archive(home, readonly=True)
    by_line = {r["source_line"]: d for d, _v, _s, r in archive.all_docs()}
    archive.close()
    write_jsonl(src / "a.jsonl", [rec(1, None), rec(2, None, body="第二行改过了。")])
    report = jobs.ingest(home, [src])
    assert (report.added, report.updated, report.withdrawn) == (0, 1, 0)
    archive = Archive(home, readonly=True)
    assert len(archive.versions(by_line[2])) == 2
    assert len(archive.versions(by_line[1])) == 1
    archive.close()


def test_removed_record_is_withdrawn_and_comes_back(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    write_jsonl(src / "a.jsonl", [rec(1), rec(2)])
    home = tmp_path / "home"
    jobs.ingest(home, [src])
    ids = doc_ids_by_index_no(home)
    write_jsonl(src / "a.jsonl", [rec(1)])
    assert jobs.ingest(home, [src]).withdrawn == 1
    assert search_ids(home, "第2号公告") == set()
    assert search_ids(home, "第2号公告", include_withdrawn=True) == {ids["TEST-0002"]}
    write_jsonl(src / "a.jsonl", [rec(1), rec(2)])
    jobs.ingest(home, [src])
    assert doc_ids_by_index_no(home)["TEST-0002"] == ids["TEST-0002"]
    assert search_ids(home, "第2号公告") == {ids["TEST-0002"]}


# --------------------------------------------------------------- conflicts --

def test_duplicate_index_no_from_another_file_is_kept_and_reported(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    write_jsonl(src / "a.jsonl", [rec(1)])
    home = tmp_path / "home"
    jobs.ingest(home, [src])
    write_jsonl(src / "b.jsonl", [rec(1, body="同一索引号，不同内容。")])
    report = jobs.ingest(home, [src / "b.jsonl"])
    assert report.added == 1
    conflicts = [w for w in report.warnings if "TEST-0001" in w["message"]]
    assert conflicts, report.warnings
    archive = Archive(home, readonly=True)
    same_no = [d for d, _v, s, r in archive.all_docs() if r.get("index_no") == "TEST-0001"]
    assert len(same_no) == 2
    job = archive.jobs(1)[0]
    assert any("TEST-0001" in str(e) for e in job["errors"])  # recorded with the job
    archive.close()
    assert len(search_ids(home, "TEST-0001")) == 2


def test_same_record_in_another_file_is_not_a_conflict(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    write_jsonl(src / "a.jsonl", [rec(1)])
    write_jsonl(src / "b.jsonl", [rec(1)])
    home = tmp_path / "home"
    report = jobs.ingest(home, [src])
    assert not [w for w in report.warnings if "TEST-0001" in w["message"]]


# -------------------------------------------------------- withdraw/restore --

def test_withdraw_and_restore_by_hand(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    write_jsonl(src / "a.jsonl", [rec(1), rec(2)])
    home = tmp_path / "home"
    jobs.ingest(home, [src])
    doc = doc_ids_by_index_no(home)["TEST-0001"]
    log = tmp_path / "jobs.log"
    jobs.open_log(log)

    report = jobs.set_status(home, doc, "withdrawn")
    assert (report.outcome, report.withdrawn, report.exit_code) == ("ok", 1, 0)
    archive = Archive(home)
    assert archive.get(doc).status == "withdrawn"             # kept
    assert archive.counts()["withdrawn"] == 1
    assert search_ids(home, "公告") == {doc_ids_by_index_no(home)["TEST-0002"]}
    assert jobs.set_status(home, doc, "active").outcome == "ok"
    assert doc in search_ids(home, "公告")
    missing = jobs.set_status(home, 99999, "active")
    assert missing.outcome == "failed" and missing.exit_code == jobs.EXIT_FAILED
    assert missing.failures == [{"path": None, "reason": "no bulletin #99999"}]
    # Each one is a job: a record and a log line.
    assert [j["kind"] for j in archive.jobs(3)] == ["restore", "restore", "withdraw"]
    assert [j["outcome"] for j in archive.jobs(3)] == ["failed", "ok", "ok"]
    text = log.read_text(encoding="utf-8")
    assert " withdraw ok " in text and " restore failed " in text
    with pytest.raises(ValueError):
        archive.set_doc_status(doc, "deleted")
    archive.close()


def test_file_removed_from_source_is_withdrawn_then_restored(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    write_jsonl(src / "a.jsonl", [rec(1)])
    write_jsonl(src / "b.jsonl", [rec(2)])
    home = tmp_path / "home"
    jobs.reindex(home, [jobs.Source(src)])
    ids = doc_ids_by_index_no(home)
    (src / "b.jsonl").rename(tmp_path / "b.jsonl")
    report = jobs.reindex(home, [jobs.Source(src)])
    assert report.withdrawn == 1
    assert search_ids(home, "公告") == {ids["TEST-0001"]}
    archive = Archive(home, readonly=True)
    assert archive.get(ids["TEST-0002"]).status == "withdrawn"
    archive.close()
    shutil.move(tmp_path / "b.jsonl", src / "b.jsonl")
    jobs.reindex(home, [jobs.Source(src)])
    assert search_ids(home, "公告") == {ids["TEST-0001"], ids["TEST-0002"]}
    assert doc_ids_by_index_no(home) == ids


# ------------------------------------------------------------ original bytes --

def test_original_bytes_are_kept_exactly(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(SAMPLE, src)
    gbk = src / "pages" / "gbk_page.txt"
    text = (SAMPLE / "pages" / "qs_renda_2025_001.txt").read_text(encoding="utf-8")
    gbk.write_bytes(text.replace("QS003-2025-00004", "QS003-2025-99999").encode("gb18030")
                    + b"\r\n")
    home = tmp_path / "home"
    report = jobs.ingest(home, [src])
    assert report.failed == 0
    archive = Archive(home, readonly=True)
    seen = 0
    for doc_id, _vid, _status, _record in archive.all_docs():
        path, data = archive.original(doc_id)
        assert Path(path).read_bytes() == data, path
        assert archive.get(doc_id).sha256 == __import__("hashlib").sha256(data).hexdigest()
        seen += 1
    assert seen == report.added
    archive.close()


def test_failed_file_keeps_its_bytes_and_does_not_drop_old_records(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    write_jsonl(src / "a.jsonl", [rec(1)])
    home = tmp_path / "home"
    jobs.ingest(home, [src])
    ids = doc_ids_by_index_no(home)
    (src / "a.jsonl").write_bytes(b"\x00\x01garbage\xff" * 20)
    report = jobs.ingest(home, [src])
    assert report.failed == 1
    assert search_ids(home, "公告") == {ids["TEST-0001"]}       # not taken down
    archive = Archive(home, readonly=True)
    row = archive.file_row(str((src / "a.jsonl").resolve()))
    assert row["status"] == "failed" and row["error"]
    blob = archive.db.execute("SELECT data FROM blobs WHERE sha256=?", (row["sha256"],)).fetchone()
    assert bytes(blob[0]) == b"\x00\x01garbage\xff" * 20
    archive.close()


def test_sample_titles_gives_n_spread_over_the_archive(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    write_jsonl(src / "a.jsonl", [rec(n) for n in range(1, 11)])
    home = tmp_path / "home"
    jobs.ingest(home, [src])
    archive = Archive(home, readonly=True)
    ids = sorted(d for d, _v, _s, _r in archive.all_docs())
    assert [d for d, _ in archive.sample_titles(1)] == [ids[0]]
    five = [d for d, _ in archive.sample_titles(5)]
    assert len(five) == 5 and five[0] == ids[0] and five[-1] == ids[-1]
    assert sorted(d for d, _ in archive.sample_titles(50)) == ids
    assert archive.sample_titles(0) == []
    archive.close()


# ------------------------------------------- identity without 索引号 (issue 12) --

def _news(n: int, **extra) -> dict:
    """A news-like record: no 索引号, no 文号, no URL (as every news record in the corpus)."""
    return {"title": f"县融媒体中心第{n}条消息", "body": f"第{n}条消息的正文。",
            "issuer": "县融媒体中心", "published": f"2024-05-{1 + n % 28:02d}", **extra}


def _ids_by_title(home) -> dict[str, int]:
    archive = Archive(home, readonly=True)
    try:
        return {r["title"]: d for d, _v, s, r in archive.all_docs() if s == "active"}
    finally:
        archive.close()


def test_lines_inserted_deleted_and_reordered_change_only_what_changed(tmp_path):
    src, home = tmp_path / "src", tmp_path / "home"
    src.mkdir()
    records = [_news(n) for n in range(6)] + [{"title": "无日期的说明", "body": "只有标题和正文。"},
                                              {"body": "既无标题也无日期的一段正文。"}]
    write_jsonl(src / "news.jsonl", records)
    jobs.ingest(home, [src])
    before = _ids_by_title(home)
    shuffled = [_news(100)] + [r for r in records[::-1] if r != _news(3)]
    write_jsonl(src / "news.jsonl", shuffled)
    report = jobs.ingest(home, [src])
    assert (report.added, report.updated, report.withdrawn) == (1, 0, 1)
    after = _ids_by_title(home)
    assert {t: after[t] for t in before if t != _news(3)["title"]} == \
        {t: i for t, i in before.items() if t != _news(3)["title"]}
    archive = Archive(home, readonly=True)
    assert all(len(archive.versions(i)) == 1 for i in after.values())   # no history mixed
    archive.close()


def test_migration_gives_existing_archives_content_keys(tmp_path):
    """An archive of schema 1 (no content keys) is migrated when a writer
    opens it; then a reordered export changes nothing."""
    src, home = tmp_path / "src", tmp_path / "home"
    src.mkdir()
    records = [_news(n) for n in range(4)]
    write_jsonl(src / "news.jsonl", records)
    jobs.ingest(home, [src])
    archive = Archive(home)
    with archive.transaction() as db:                 # back to schema 1
        db.execute("DROP INDEX docs_by_key")
        db.execute("DROP INDEX docs_by_content_key")
        db.execute("ALTER TABLE docs DROP COLUMN content_key")
        db.execute("ALTER TABLE files DROP COLUMN raw_path")
        db.execute("DROP TABLE doc_sources")
        db.execute("DELETE FROM meta WHERE key='schema'")
    archive.close()
    reader = Archive(home, readonly=True)              # a server before any writer ran
    assert reader.get(1).as_json()["sources"][0]["path"].endswith("news.jsonl")
    reader.close()
    migrated = Archive(home)
    keys = [r[0] for r in migrated.db.execute("SELECT content_key FROM docs ORDER BY id")]
    assert keys == [f"title:{r['title']}|{r['published']}" for r in records]
    assert migrated.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()[0] == "3"
    assert "docs_by_content_key" in {r[1] for r in migrated.db.execute("PRAGMA index_list(docs)")}
    migrated.close()
    write_jsonl(src / "news.jsonl", records[::-1])
    report = jobs.ingest(home, [src])
    assert (report.added, report.updated, report.withdrawn, report.outcome) == (0, 0, 0, "ok")


def test_same_bulletin_from_two_files_is_one_with_both_sources(tmp_path):
    """#11 item 4: same 索引号 and content in two files: one bulletin, both
    files listed, the summary counts the duplicate; when the first file goes,
    the bulletin stays, held by the second."""
    src, home = tmp_path / "src", tmp_path / "home"
    src.mkdir()
    shared = rec(7)
    write_jsonl(src / "a-portal.jsonl", [shared, rec(8)])
    write_jsonl(src / "b-mirror.jsonl", [rec(9), shared])
    report = jobs.reindex(home, [jobs.Source(src)])
    assert (report.added, report.duplicates) == (3, 1)
    [doc_id] = search_ids(home, "第7号公告")
    archive = Archive(home, readonly=True)
    sources = archive.get(doc_id).as_json()["sources"]
    archive.close()
    assert [(Path(s["path"]).name, s["line"]) for s in sources] == \
        [("a-portal.jsonl", 1), ("b-mirror.jsonl", 2)]
    (src / "a-portal.jsonl").unlink()
    gone = jobs.reindex(home, [jobs.Source(src)])
    assert gone.withdrawn == 1                       # rec(8) only
    assert search_ids(home, "第7号公告") == {doc_id}
    archive = Archive(home, readonly=True)
    sources = archive.get(doc_id).as_json()["sources"]
    archive.close()
    assert [(Path(s["path"]).name, s["line"]) for s in sources] == [("b-mirror.jsonl", 2)]


def test_full_database_while_storing_is_reported_as_disk_full(tmp_path, monkeypatch):
    """A real SQLITE_FULL in the store phase (the database may not grow):
    "disk full", not SQLite's "cannot rollback"; nothing half-stored."""
    src, home = tmp_path / "src", tmp_path / "home"
    src.mkdir()
    write_jsonl(src / "small.jsonl", [rec(1)])
    jobs.ingest(home, [src])
    before = state(home)
    write_jsonl(src / "big.jsonl", [rec(n, body="很长的正文。" * 20_000) for n in range(2, 40)])
    real_migrate = Archive._migrate

    def cramped(self):
        real_migrate(self)
        pages = self.db.execute("PRAGMA page_count").fetchone()[0]
        self.db.execute(f"PRAGMA max_page_count = {pages + 20}")

    monkeypatch.setattr(Archive, "_migrate", cramped)
    report = jobs.ingest(home, [src])
    assert report.outcome == "failed"
    reason = report.failures[-1]["reason"]
    assert reason.startswith("disk full") and "rollback" not in reason
    monkeypatch.undo()
    assert state(home)["fingerprint"] == before["fingerprint"]


def test_verify_archive_passes_then_names_each_corruption(tmp_path):
    """scripts/verify_archive: clean on a fresh archive; a changed record, a
    changed original and a bulletin lost from its file are each named."""
    import sqlite3
    import subprocess
    import sys
    script = Path(__file__).resolve().parents[1] / "scripts" / "verify_archive"
    src, home = tmp_path / "src", tmp_path / "home"
    src.mkdir()
    write_jsonl(src / "a.jsonl", [rec(1), rec(2), _news(3)])
    jobs.ingest(home, [src])

    def verify():
        return subprocess.run([sys.executable, str(script), "--home", str(home),
                               "--source", str(src)], capture_output=True, text=True, timeout=120)

    clean = verify()
    assert clean.returncode == 0 and "source files checked: 1" in clean.stdout, clean.stdout
    db = sqlite3.connect(home / "archive.sqlite")
    db.execute("UPDATE versions SET record = replace(record, '第1号', '第9号') WHERE doc_id = 1")
    db.execute("UPDATE blobs SET data = CAST('tampered' AS BLOB)")
    db.execute("UPDATE docs SET status = 'withdrawn' WHERE id = 3")
    db.commit()
    db.close()
    broken = verify()
    assert broken.returncode == 1
    problems = [l for l in broken.stdout.splitlines() if l.startswith("PROBLEM")]
    assert len(problems) == 3, broken.stdout
    assert any("version 1 of #1: record does not match" in p for p in problems)
    assert any("original" in p and "do not match" in p for p in problems)
    assert any("a.jsonl: 1 record(s) of the file not in the archive" in p for p in problems)
