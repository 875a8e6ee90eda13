"""archive.live_watch: a reindex is noticed, and a quiet index is not re-read."""
from __future__ import annotations

import os
import time

from archive import live_watch


def _generation(root, name: str, commits: list[int]) -> None:
    folder = root / name / "whoosh"
    folder.mkdir(parents=True)
    for number in commits:
        (folder / f"_MAIN_{number}.toc").write_bytes(b"")


def _quiet(*paths) -> None:
    """As if last changed a minute ago (stamps that new are not trusted)."""
    past = time.time() - 60
    for path in paths:
        os.utime(path, (past, past))


def test_the_watch_notices_commits_and_switches_and_reads_a_quiet_index_once(
        tmp_path, monkeypatch):
    root = tmp_path / "index"
    _generation(root, "gen-0001", [1])
    (root / "CURRENT").write_text("gen-0001", encoding="utf-8")
    _quiet(root / "CURRENT", root / "gen-0001" / "whoosh")
    reads = []
    real = live_watch.live_version
    monkeypatch.setattr(live_watch, "live_version", lambda home: reads.append(1) or real(home))
    watch = live_watch.LiveVersionWatch(tmp_path)

    assert watch() == ("gen-0001", 1)
    read_first = len(reads)
    assert [watch() for _ in range(5)] == [("gen-0001", 1)] * 5
    assert len(reads) == read_first                        # stat alone

    (root / "gen-0001" / "whoosh" / "_MAIN_2.toc").write_bytes(b"")    # a sync's commit
    assert watch() == ("gen-0001", 2)

    _generation(root, "gen-0002", [7])                     # a rebuild switches
    (root / "CURRENT.tmp").write_text("gen-0002", encoding="utf-8")
    os.replace(root / "CURRENT.tmp", root / "CURRENT")
    assert watch() == ("gen-0002", 7)
    assert watch() == ("gen-0002", 7)


def test_a_fresh_change_is_read_on_every_check(tmp_path, monkeypatch):
    """Within RACY_SECONDS of a change the stamp could miss a second change
    in the same clock tick: the version is read each time."""
    root = tmp_path / "index"
    _generation(root, "gen-0001", [3])
    (root / "CURRENT").write_text("gen-0001", encoding="utf-8")
    reads = []
    real = live_watch.live_version
    monkeypatch.setattr(live_watch, "live_version", lambda home: reads.append(1) or real(home))
    watch = live_watch.LiveVersionWatch(tmp_path)
    assert [watch() for _ in range(3)] == [("gen-0001", 3)] * 3
    assert len(reads) == 3
