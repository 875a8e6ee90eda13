"""Ingest and reindex jobs, in-process: incremental sync, the writer lock,
job records, full disks, index generations.  (Killed processes: test_crash.)"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import sqlite3
import threading
import time

import pytest
from click.testing import CliRunner

from archive import generations, grams, index, jobs, sources, writer_lock
from archive.cli import main
from archive.search import SearchRequest, SearchService
from archive.store import Archive
from jobtools import check_consistent, make_source, title_of, write_file


def ids_for(home, text, withdrawn=False):
    result = SearchService(home).search(SearchRequest(q=f'"{text}"', all=True, highlight=False,
                                                      include_withdrawn=withdrawn))
    return [hit.id for hit in result.hits]


def reindex(home, src, **kw):
    return jobs.reindex(home, [jobs.Source(src)], **kw)


def test_incremental_add_change_delete_restore(tmp_path, monkeypatch):
    home, src = tmp_path / "home", tmp_path / "src"
    make_source(src, files=3, per_file=5)
    first = reindex(home, src)
    assert (first.outcome, first.added, first.files) == ("ok", 15, 3)
    assert check_consistent(home)["documents"] == 15

    # Nothing changed: recognised by size and mtime, nothing parsed.
    parsed = []
    real_parse = sources.iter_stream_records     # JSON Lines are streamed
    monkeypatch.setattr(sources, "iter_stream_records",
                        lambda *a: parsed.append(a) or real_parse(*a))
    again = reindex(home, src)
    assert (again.added, again.updated, again.unchanged, again.indexed) == (0, 0, 3, 0)
    # Touched, same bytes: the hash decides, still nothing parsed.
    os.utime(src / "part-001.jsonl", (time.time() + 5, time.time() + 5))
    touched = reindex(home, src)
    assert (touched.unchanged, touched.updated) == (3, 0) and parsed == []

    # A changed record: updated, history kept, the new title is found.
    write_file(src, "part-001.jsonl", [5, 6, 7, 8, 9], salt="新")
    changed = reindex(home, src)
    assert (changed.updated, changed.added) == (5, 0) and len(parsed) == 1
    doc_id = ids_for(home, title_of(5, "新"))[0]
    assert len(Archive(home).versions(doc_id)) == 2
    assert ids_for(home, title_of(5)) == []

    # A file gone from the source: withdrawn, hidden, kept.
    (src / "part-002.jsonl").rename(tmp_path / "aside.jsonl")
    gone = reindex(home, src)
    assert gone.withdrawn == 5
    assert ids_for(home, title_of(10)) == []
    assert len(ids_for(home, title_of(10), withdrawn=True)) == 1
    counts = check_consistent(home)
    assert (counts["documents"], counts["withdrawn"]) == (10, 5)

    # It comes back: restored.
    (tmp_path / "aside.jsonl").rename(src / "part-002.jsonl")
    back = reindex(home, src)
    assert back.updated == 5 and back.withdrawn == 0
    assert len(ids_for(home, title_of(10))) == 1
    assert check_consistent(home)["withdrawn"] == 0

    # By hand: `archive withdraw` / `archive restore`.
    runner = CliRunner()
    doc_id = ids_for(home, title_of(0))[0]
    assert runner.invoke(main, ["--home", str(home), "withdraw", str(doc_id)]).exit_code == 0
    assert ids_for(home, title_of(0)) == []
    assert runner.invoke(main, ["--home", str(home), "restore", str(doc_id)]).exit_code == 0
    assert ids_for(home, title_of(0)) == [doc_id]


def test_full_rebuild_switches_generation_and_keeps_one_back(tmp_path):
    home, src = tmp_path / "home", tmp_path / "src"
    make_source(src, files=2, per_file=5)
    reindex(home, src)
    first = generations.current_generation(home).path.name
    make_source(src, files=1, per_file=5, start=2)
    report = reindex(home, src, full=True)
    assert (report.outcome, report.added, report.indexed) == ("ok", 5, 15)
    assert generations.current_generation(home).path.name != first
    reindex(home, src, full=True)
    names = sorted(p.name for p in (home / "index").glob("gen-*"))
    assert len(names) == 2 and first not in names          # live + one back
    assert check_consistent(home)["documents"] == 15


def test_half_built_generation_is_removed_never_switched(tmp_path):
    home, src = tmp_path / "home", tmp_path / "src"
    make_source(src, files=1, per_file=5)
    reindex(home, src)
    live = generations.current_generation(home).path.name
    junk = home / "index" / "gen-0009"
    (junk / "whoosh").mkdir(parents=True)                 # what a killed build leaves
    reindex(home, src)                                    # an incremental run cleans it
    assert not junk.exists() and generations.current_generation(home).path.name == live
    (junk / "whoosh").mkdir(parents=True)
    reindex(home, src, full=True)
    assert not junk.exists()
    check_consistent(home)


def test_stale_whoosh_lock_does_not_block_sync(tmp_path):
    home, src = tmp_path / "home", tmp_path / "src"
    make_source(src, files=1, per_file=5)
    reindex(home, src)
    lock_path = generations.current_generation(home).whoosh_dir / "MAIN_WRITELOCK"
    orphan = open(lock_path, "a")                          # e.g. a dead writer's worker
    fcntl.flock(orphan, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        make_source(src, files=1, per_file=5, start=1)
        report = reindex(home, src)
        assert (report.outcome, report.added, report.indexed) == ("ok", 5, 5)
    finally:
        orphan.close()
    check_consistent(home)


def test_second_writer_waits_or_gives_up(tmp_path):
    home, src = tmp_path / "home", tmp_path / "src"
    make_source(src, files=1, per_file=3)
    with writer_lock.WriterLock(home):
        with pytest.raises(jobs.Locked, match="locked by pid"):
            reindex(home, src)
        result = CliRunner().invoke(main, ["--home", str(home), "reindex", "--source", str(src)])
        assert result.exit_code == jobs.EXIT_LOCKED and "locked" in result.output
    holder = writer_lock.WriterLock(home).__enter__()
    threading.Timer(0.5, holder.__exit__).start()
    assert reindex(home, src, wait=10).outcome == "ok"


def test_killed_job_rows_are_marked(tmp_path):
    home, src = tmp_path / "home", tmp_path / "src"
    make_source(src, files=1, per_file=3)
    stale = Archive(home).start_job("reindex")             # as a killed job leaves it
    report = reindex(home, src)
    rows = {job["id"]: job for job in Archive(home).jobs()}
    assert rows[stale]["outcome"] == "killed"
    assert rows[report.job_id]["outcome"] == "ok"
    assert rows[report.job_id]["counts"]["added"] == 3
    out = CliRunner().invoke(main, ["--home", str(home), "jobs", "--json"]).output
    assert [job["outcome"] for job in json.loads(out)] == ["ok", "killed"]


def test_disk_full_during_ingest_is_reported_and_archive_intact(tmp_path, monkeypatch):
    home, src = tmp_path / "home", tmp_path / "src"
    make_source(src, files=3, per_file=4)
    real_store, calls = Archive.store_file, []

    def store_file(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_store(self, *args, **kwargs)

    monkeypatch.setattr(Archive, "store_file", store_file)
    result = CliRunner().invoke(main, ["--home", str(home), "ingest", str(src)])
    assert result.exit_code == jobs.EXIT_FAILED
    assert "disk full" in result.output
    assert Archive(home).counts()["documents"] == 4        # the first file, whole
    assert Archive(home).jobs(1)[0]["outcome"] == "failed"
    monkeypatch.undo()
    assert reindex(home, src).outcome == "ok"               # the next run completes
    assert check_consistent(home)["documents"] == 12


def test_sqlite_full_is_reported_as_disk_full(tmp_path, monkeypatch):
    home, src = tmp_path / "home", tmp_path / "src"
    make_source(src, files=1, per_file=2)

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Archive, "store_file", full)
    report = reindex(home, src)
    assert report.outcome == "failed" and report.exit_code == jobs.EXIT_FAILED
    assert "disk full" in report.failures[-1]["reason"]


@pytest.mark.parametrize("procs", [1, 2])
def test_disk_full_during_rebuild_keeps_live_index(tmp_path, monkeypatch, procs):
    home, src = tmp_path / "home", tmp_path / "src"
    make_source(src, files=2, per_file=5)
    reindex(home, src)
    live = generations.current_generation(home).path.name

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(grams, "add_segment", full)
    real_rebuild = index.rebuild
    monkeypatch.setattr(index, "rebuild", lambda a, h, **kw: real_rebuild(a, h, procs=procs))
    report = reindex(home, src, full=True)                  # MpWriter workers must not hang
    assert report.outcome == "failed" and "disk full" in report.failures[-1]["reason"]
    assert [p.name for p in (home / "index").glob("gen-*")] == [live]
    monkeypatch.undo()
    check_consistent(home)
    assert reindex(home, src, full=True).outcome == "ok"


def test_log_file_reopens_after_rotation(tmp_path):
    home, src = tmp_path / "home", tmp_path / "src"
    make_source(src, files=1, per_file=2)
    log = tmp_path / "logs" / "archive.log"
    (home).mkdir()
    (home / "archive.toml").write_text(f'[log]\nfile = "{log}"\n', encoding="utf-8")
    runner = CliRunner()
    args = ["--home", str(home), "reindex", "--source", str(src)]
    assert runner.invoke(main, args).exit_code == 0
    assert "reindex ok" in log.read_text(encoding="utf-8")
    log.rename(log.with_suffix(".log.1"))                  # what logrotate does
    assert runner.invoke(main, args).exit_code == 0
    assert "reindex ok" in log.read_text(encoding="utf-8")


def test_missing_source_fails_without_withdrawing(tmp_path):
    home, src = tmp_path / "home", tmp_path / "src"
    make_source(src, files=1, per_file=2)
    reindex(home, src)
    report = jobs.reindex(home, [jobs.Source(src), jobs.Source(tmp_path / "absent")])
    assert report.outcome == "partial" and report.exit_code == jobs.EXIT_PARTIAL
    assert report.withdrawn == 0


def test_exit_code_is_decided_by_the_report():
    """The CLI only prints `JobReport.exit_code`: the rules live here."""
    assert jobs.JobReport("ingest", files=2, added=3).exit_code == jobs.EXIT_OK
    assert jobs.JobReport("ingest", files=2, failed=1, added=1, outcome="partial").exit_code \
        == jobs.EXIT_PARTIAL
    assert jobs.JobReport("reindex", files=1, failed=1, unchanged=1, outcome="partial"
                          ).exit_code == jobs.EXIT_PARTIAL    # a folder failed, a file is fine
    assert jobs.JobReport("ingest", files=2, failed=2, outcome="partial").exit_code \
        == jobs.EXIT_FAILED                       # every file failed: nothing was done
    assert jobs.JobReport("reindex", failed=1, outcome="partial").exit_code \
        == jobs.EXIT_FAILED                       # the only source is missing
    assert jobs.JobReport("ingest", outcome="failed").exit_code == jobs.EXIT_FAILED


# ------------------------------------------------ hostile sources (issue 12) --

def _archive_paths(home) -> dict[str, bytes | None]:
    archive = Archive(home, readonly=True)
    try:
        return {r["path"]: r["raw_path"] for r in archive.db.execute("SELECT * FROM files")}
    finally:
        archive.close()


def test_undecodable_and_control_character_names_are_ingested_and_printed_safely(tmp_path):
    """Item 2: a name that is not UTF-8 (and one carrying a terminal escape)
    is recorded losslessly; the files after it are ingested; a rerun
    changes nothing and withdraws nothing."""
    home, src = tmp_path / "home", tmp_path / "src"
    write_file(src, "a-first.jsonl", [1])
    raw_name = b"b-\xb9\xab\xb8\xe6-gbk-name.jsonl"          # 公告 in GBK: invalid UTF-8
    write_file(src, os.fsdecode(raw_name), [2])
    write_file(src, "c-\x1b]0;owned\x07\x1b[2J.jsonl", [3])
    write_file(src, "d-last.jsonl", [4])
    (src / "e-\x1b[31mjunk.txt").write_text("不是公告的一行字")
    result = CliRunner().invoke(main, ["--home", str(home), "reindex", "--source", str(src)])
    assert result.exit_code == 3, result.output            # the junk file failed, alone
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "\x1b" not in output and "e-\\x1b[31mjunk.txt: unrecognised format" in output
    paths = _archive_paths(home)
    assert len(paths) == 5
    raw = {os.path.basename(bytes(v)) for v in paths.values() if v is not None}
    assert raw == {raw_name}                              # the exact bytes, kept
    assert any(p.endswith("b-\\xb9\\xab\\xb8\\xe6-gbk-name.jsonl") for p in paths)
    assert all(len(ids_for(home, title_of(n))) == 1 for n in (1, 2, 3, 4))
    again = reindex(home, src)
    assert (again.unchanged, again.withdrawn, again.failed) == (4, 0, 1)


def test_unlistable_folder_fails_and_withdraws_nothing(tmp_path, monkeypatch):
    """Item 3: a folder that cannot be listed is that folder's failure
    (exit 3); its bulletins stay; when it is readable again nothing is
    duplicated."""
    home, src = tmp_path / "home", tmp_path / "src"
    write_file(src / "2024", "part.jsonl", range(0, 4))
    write_file(src / "2025", "part.jsonl", range(4, 6))
    assert reindex(home, src).added == 6
    real_scandir = os.scandir

    def scandir(path):
        if os.path.basename(os.fspath(path)) == "2024":
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    blocked = reindex(home, src)
    assert (blocked.outcome, blocked.exit_code, blocked.withdrawn) == ("partial", 3, 0)
    [failure] = blocked.failures
    assert failure["path"].endswith("2024") and "cannot list folder" in failure["reason"]
    assert len(ids_for(home, title_of(0))) == 1
    monkeypatch.undo()
    back = reindex(home, src)
    assert (back.outcome, back.added, back.updated, back.withdrawn) == ("ok", 0, 0, 0)
    assert check_consistent(home)["documents"] == 6


def test_links_out_of_the_source_are_not_followed(tmp_path):
    """Item 4: a link to a file or a folder outside the source root never
    becomes a bulletin; a link inside the root is followed once."""
    home, src, outside = tmp_path / "home", tmp_path / "src", tmp_path / "elsewhere"
    write_file(outside, "secret.jsonl", [90])                 # would parse as a bulletin
    write_file(src, "own.jsonl", [1])
    (src / "to-secret.jsonl").symlink_to(outside / "secret.jsonl")
    (src / "to-folder").symlink_to(outside, target_is_directory=True)
    (src / "to-own.jsonl").symlink_to(src / "own.jsonl")
    (src / "dangling.jsonl").symlink_to(tmp_path / "nothing-here")
    report = reindex(home, src)
    assert (report.outcome, report.added, report.files) == ("ok", 1, 1)
    assert ids_for(home, title_of(90)) == []
    assert all(str(outside) not in path for path in _archive_paths(home))
    skipped = sorted(os.path.basename(w["path"]) for w in report.warnings)
    assert skipped == ["dangling.jsonl", "to-folder", "to-secret.jsonl"]


def test_a_file_past_the_record_limit_is_refused_whole(tmp_path, monkeypatch):
    """Item 5: more records than MAX_RECORDS_PER_FILE: the file is refused,
    the bulletins it held before are kept."""
    home, src = tmp_path / "home", tmp_path / "src"
    write_file(src, "export.jsonl", range(3))
    assert reindex(home, src).added == 3
    monkeypatch.setattr(jobs.limits, "MAX_RECORDS_PER_FILE", 5)
    write_file(src, "export.jsonl", range(3, 12))
    report = reindex(home, src)
    # The only file failed: nothing was done, exit 1 (as the CLI always said).
    assert report.exit_code == 1 and report.withdrawn == 0 and report.added == 0
    assert "more than 5 records" in report.failures[0]["reason"]
    assert len(ids_for(home, title_of(1))) == 1 and ids_for(home, title_of(4)) == []


def test_errors_per_file_are_counted_past_the_kept_ones(tmp_path, monkeypatch):
    """Item 5: thousands of bad lines keep MAX_ERRORS_KEPT messages, count
    them all, and the job record is saved."""
    home, src = tmp_path / "home", tmp_path / "src"
    src.mkdir()
    monkeypatch.setattr(jobs.limits, "MAX_ERRORS_KEPT", 7)
    good = json.dumps({"title": "唯一的好记录", "body": "正文。"}, ensure_ascii=False)
    (src / "junk.jsonl").write_text('{"a": 1}\n' * 3000 + good + "\n" + "[]\n" * 2000)
    report = jobs.ingest(home, [src])
    assert report.records_failed == 5000 and report.added == 1
    messages = [w["message"] for w in report.warnings]
    assert len(messages) == 8 and messages[-1] == "… and 4993 more problems in this file"
    [job] = Archive(home, readonly=True).jobs(1)
    assert job["outcome"] == "partial" and job["counts"]["records_failed"] == 5000
    assert len(ids_for(home, "唯一的好记录")) == 1


def test_a_page_past_its_parse_budget_fails_with_the_reason(tmp_path, monkeypatch):
    """Item 5: a page whose parsing does not end within PAGE_PARSE_SECONDS
    fails with that reason, and the files after it are ingested."""
    home, src = tmp_path / "home", tmp_path / "src"
    src.mkdir()
    (src / "a-endless.html").write_text("<html><body><p>永不结束</p></body></html>")
    write_file(src, "b-after.jsonl", [5])
    real_parse = sources.htmlpage.parse

    def endless(text, encoding=None):
        while "永不结束" in text:             # a parser stuck on its input
            pass
        return real_parse(text, encoding)

    monkeypatch.setattr(sources.htmlpage, "parse", endless)
    monkeypatch.setattr(jobs.limits, "PAGE_PARSE_SECONDS", 0.3)
    report = jobs.ingest(home, [src])
    assert report.exit_code == 3 and report.added == 1
    assert "parsing took longer than 0.3 s" in report.failures[0]["reason"]


def test_every_field_is_bounded_and_the_cut_reported(tmp_path):
    """Item 6: an issuer of 200k characters, a 文号 and 索引号 of 5k, 500
    keywords: each is cut to its limit, the cuts reported, the run ok."""
    home, src = tmp_path / "home", tmp_path / "src"
    src.mkdir()
    line = {"title": "字段超长的公告", "body": "正文。", "issuer": "某" * 200_000,
            "doc_no": "文" * 5000, "index_no": "I" * 5000, "topic": "题" * 3000,
            "keywords": ";".join(f"词{n}" for n in range(500))}
    (src / "long.jsonl").write_text(json.dumps(line, ensure_ascii=False) + "\n")
    report = jobs.ingest(home, [src])
    assert report.outcome == "ok" and report.added == 1
    [doc_id] = ids_for(home, "字段超长的公告")
    doc = Archive(home, readonly=True).get(doc_id).record
    from archive.fields import BY_NAME, MAX_KEYWORDS
    for name in ("issuer", "doc_no", "index_no", "topic"):
        assert len(getattr(doc, name)) == BY_NAME[name].max_chars, name
    assert len(doc.keywords) == MAX_KEYWORDS
    cut = " ".join(w["message"] for w in report.warnings)
    for label in ("发文机关", "发文字号", "索引号", "主题分类", "主题词"):
        assert label in cut, label
