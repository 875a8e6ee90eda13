"""Real processes: two writers, killed writers (kill -9 at named points, see
the ARCHIVE_TEST_PAUSE_AT hook in archive.jobs), searches during a rebuild.

After every kill the archive and the live index must be consistent and
searchable, the writer lock free, and a plain rerun must complete the work.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from archive import index, jobs
from archive.search import SearchRequest, SearchService
from archive.store import Archive
from jobtools import check_consistent, make_source

pytestmark = pytest.mark.slow          # each test starts Python processes (~2-3 s each)


def cli(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "archive.cli", "--home", str(home), *args]


def run(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(cli(home, *args), capture_output=True, text=True, timeout=300)


def start_paused(home: Path, point: str, *args: str, seconds: float = 120):
    """Start a writer that stops at `point`; returns it once it got there."""
    log = home.parent / f"paused-{point}-{time.monotonic_ns()}.err"
    env = dict(os.environ, ARCHIVE_TEST_PAUSE_AT=point, ARCHIVE_TEST_PAUSE_SECONDS=str(seconds))
    proc = subprocess.Popen(cli(home, *args), env=env, stdout=subprocess.DEVNULL,
                            stderr=open(log, "w"))
    deadline = time.monotonic() + 120
    while f"paused at {point}" not in log.read_text():
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "writer never reached " + point
        time.sleep(0.05)
    return proc


def kill9(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()


@pytest.fixture
def data(tmp_path):
    home, src = tmp_path / "home", tmp_path / "src"
    make_source(src, files=4, per_file=10)
    assert jobs.reindex(home, [jobs.Source(src)]).outcome == "ok"
    return home, src


def test_two_writers_one_waits_one_gives_up(data):
    home, src = data
    make_source(src, files=1, per_file=10, start=4)
    first = start_paused(home, "ingest-file", "reindex", "--source", str(src), seconds=4)
    locked = run(home, "reindex", "--source", str(src))
    assert locked.returncode == 75 and "locked by pid" in locked.stderr
    waiter = run(home, "reindex", "--source", str(src), "--wait", "120")
    assert first.wait(timeout=120) == 0
    assert waiter.returncode == 0, waiter.stderr
    assert check_consistent(home)["documents"] == 50


def test_stale_lock_of_killed_writer_is_taken_over(data):
    home, src = data
    make_source(src, files=1, per_file=10, start=4)
    holder = start_paused(home, "ingest-file", "reindex", "--source", str(src))
    kill9(holder)
    assert "pid" in (home / jobs.LOCK_NAME).read_text()   # the file stays; the lock does not
    rerun = run(home, "reindex", "--source", str(src))
    assert rerun.returncode == 0, rerun.stderr
    assert [j["outcome"] for j in Archive(home).jobs(2)] == ["ok", "killed"]
    assert check_consistent(home)["documents"] == 50


@pytest.mark.parametrize("point", ["ingest-file", "sync-commit", "sync-state"])
def test_kill_during_incremental_run(data, point):
    home, src = data
    make_source(src, files=2, per_file=10, start=4)
    (src / "part-000.jsonl").unlink()
    kill9(start_paused(home, point, "reindex", "--source", str(src)))
    SearchService(home).search(SearchRequest(q="通知"))    # still searchable
    rerun = run(home, "reindex", "--source", str(src))
    assert rerun.returncode == 0, rerun.stderr
    counts = check_consistent(home)
    assert (counts["documents"], counts["withdrawn"]) == (50, 10)


@pytest.mark.parametrize("point", ["rebuild-commit", "rebuild-switch"])
def test_kill_during_full_rebuild(data, point):
    home, src = data
    live = index.current_generation(home).path.name
    kill9(start_paused(home, point, "reindex", "--full"))   # 2 Whoosh worker processes
    assert index.current_generation(home).path.name == live  # never switched
    check_consistent(home)
    with jobs.WriterLock(home):                              # workers died with it
        pass
    rerun = run(home, "reindex", "--full")
    assert rerun.returncode == 0, rerun.stderr
    names = sorted(p.name for p in (home / "index").glob("gen-*"))
    assert len(names) == 2 and index.current_generation(home).path.name == names[-1]
    assert check_consistent(home)["documents"] == 43


SEARCH_LOOP = """
import sys, time
from pathlib import Path
from archive.search import SearchRequest, SearchService
service, stop, errors, totals = SearchService(sys.argv[1]), Path(sys.argv[2]), 0, []
while not stop.exists():
    try:
        totals.append(service.search(SearchRequest(q="通知")).total)
    except Exception as exc:
        errors += 1
        print("error", repr(exc), file=sys.stderr)
print(errors, len(totals), totals[0] if totals else -1, totals[-1] if totals else -1)
"""


def test_full_rebuild_while_searching(data):
    home, src = data
    make_source(src, files=2, per_file=10, start=4)         # the rebuild adds 20
    stop = home.parent / "stop"
    other = subprocess.Popen([sys.executable, "-c", SEARCH_LOOP, str(home), str(stop)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    errors, totals = [], []

    def search_loop():
        service = SearchService(home)
        while not stop.exists():
            try:
                totals.append(service.search(SearchRequest(q="通知")).total)
            except Exception as exc:            # noqa: BLE001 - counted, then asserted
                errors.append(exc)

    thread = threading.Thread(target=search_loop)
    thread.start()
    time.sleep(3)                               # the other process is searching by now
    rebuild = run(home, "reindex", "--full", "--source", str(src))
    time.sleep(1)
    stop.touch()
    thread.join()
    out, err = other.communicate(timeout=60)
    assert rebuild.returncode == 0, rebuild.stderr
    assert errors == [] and set(totals) == {40, 60}, (errors, set(totals))
    assert totals[-1] == 60
    other_errors, searches, first, last = map(int, out.split())
    assert other_errors == 0, err
    assert searches > 0 and (first, last) == (40, 60)
    check_consistent(home)
