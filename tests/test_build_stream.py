"""A home's first index is built while its files are ingested
(`archive.build_stream`), and published only when it is exactly the archive.

* the streamed generation answers every query as a rebuild from the
  archive does (same ids, scores, facets), and no rebuild ran;
* rows fed and then withdrawn in the same run, or fed from a file whose
  transaction was rolled back (refused past a limit), are never published:
  the streamed generation is dropped and the job's sync rebuilds;
* an index failure while streaming fails no file: the archive keeps every
  record and the job reports the index error as before.
"""
from __future__ import annotations

import logging

from archive import generations, index, jobs, limits, writer
from archive.config import Source
from archive.store import Archive
from jobtools import answers, check_consistent, make_source


def _no_rebuild(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the first index was rebuilt, not streamed")
    monkeypatch.setattr(index, "rebuild", refuse)


def test_first_ingest_streams_an_index_that_answers_as_a_rebuild(tmp_path, monkeypatch):
    monkeypatch.setattr(jobs, "FEED_RECORDS", 40)           # many feeds inside each file
    source = tmp_path / "src"
    make_source(source, files=3, per_file=150)
    home = tmp_path / "home"
    with monkeypatch.context() as patch:
        _no_rebuild(patch)
        report = jobs.ingest(home, [source])
    assert (report.outcome, report.added, report.indexed) == ("ok", 450, 450)
    streamed = answers(home)
    assert streamed[("通知", "relevance")][0] == 450
    check_consistent(home)

    index.rebuild(Archive(home), home)
    assert answers(home) == streamed


def test_rows_withdrawn_after_they_were_fed_are_rebuilt(tmp_path, monkeypatch, caplog):
    source = tmp_path / "src"
    first, _ = make_source(source, files=2, per_file=30)
    home = tmp_path / "home"
    archive = Archive(home)            # stored by a run killed before its index was built
    jobs.FileIngest(archive, jobs.JobReport("ingest")).files([first])
    archive.close()
    assert generations.current_generation(home) is None
    first.unlink()

    caplog.set_level(logging.INFO, logger="archive.build_stream")
    report = jobs.reindex(home, [Source(path=str(source))])
    assert (report.outcome, report.withdrawn) == ("ok", 30)
    assert "streamed index dropped" in caplog.text
    counts = check_consistent(home)
    assert (counts["documents"], counts["withdrawn"]) == (30, 30)


def test_rows_of_a_refused_file_are_never_published(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(jobs, "FEED_RECORDS", 20)
    monkeypatch.setattr(limits, "MAX_RECORDS_PER_FILE", 60)
    source = tmp_path / "src"
    make_source(source, files=1, per_file=50)
    make_source(source, files=1, per_file=80, start=1)     # refused after 60 records fed
    make_source(source, files=1, per_file=50, start=3)     # reuses the refused rows' ids
    home = tmp_path / "home"
    caplog.set_level(logging.INFO, logger="archive.build_stream")
    report = jobs.ingest(home, [source])
    assert (report.outcome, report.added, report.failed) == ("partial", 100, 1)
    assert "rolled back" in caplog.text
    assert check_consistent(home)["documents"] == 100


def test_an_index_failure_while_streaming_loses_no_record(tmp_path, monkeypatch):
    source = tmp_path / "src"
    make_source(source, files=2, per_file=30)
    home = tmp_path / "home"

    def broken(self, **fields):
        raise ValueError("boom")
    monkeypatch.setattr(writer.FastSegmentWriter, "add_document", broken)
    report = jobs.ingest(home, [source])
    assert report.outcome == "failed" and "index worker failed" in report.failures[-1]["reason"]
    assert report.added == 60
    assert Archive(home).counts()["documents"] == 60
    assert generations.current_generation(home) is None
    monkeypatch.undo()
    assert jobs.ingest(home, [source]).outcome == "ok"
    assert check_consistent(home)["documents"] == 60


def test_one_core_builds_after_the_ingest(tmp_path, monkeypatch):
    monkeypatch.setattr("archive.build_stream._cpus", lambda: 1)
    source = tmp_path / "src"
    make_source(source, files=1, per_file=20)
    home = tmp_path / "home"
    calls = []
    real = index.rebuild
    monkeypatch.setattr(index, "rebuild", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    assert jobs.ingest(home, [source]).outcome == "ok"
    assert calls == [1]
    check_consistent(home)
