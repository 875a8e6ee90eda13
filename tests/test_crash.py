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

from archive import generations, jobs, writer_lock
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


VERIFY = Path(__file__).resolve().parents[1] / "scripts" / "verify_archive"


def verify(home: Path, src: Path, against: Path | None = None, save: Path | None = None) -> None:
    """The independent check (scripts/verify_archive) passes."""
    args = [sys.executable, str(VERIFY), "--home", str(home), "--source", str(src)]
    args += ["--against", str(against)] if against else []
    args += ["--save", str(save)] if save else []
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "source files checked" in done.stdout


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
    assert "pid" in (home / writer_lock.LOCK_NAME).read_text()   # the file stays; the lock does not
    rerun = run(home, "reindex", "--source", str(src))
    assert rerun.returncode == 0, rerun.stderr
    assert [j["outcome"] for j in Archive(home).jobs(2)] == ["ok", "killed"]
    assert check_consistent(home)["documents"] == 50
    verify(home, src)


@pytest.mark.parametrize("point", ["ingest-file", "sync-commit", "sync-state"])
def test_kill_during_incremental_run(data, point):
    home, src = data
    ids = home.parent / "ids.json"
    verify(home, src, save=ids)
    make_source(src, files=2, per_file=10, start=4)
    (src / "part-000.jsonl").unlink()
    kill9(start_paused(home, point, "reindex", "--source", str(src)))
    SearchService(home).search(SearchRequest(q="通知"))    # still searchable
    rerun = run(home, "reindex", "--source", str(src))
    assert rerun.returncode == 0, rerun.stderr
    counts = check_consistent(home)
    assert (counts["documents"], counts["withdrawn"]) == (50, 10)
    verify(home, src, against=ids)                           # no identity moved


@pytest.mark.parametrize("point", ["rebuild-commit", "rebuild-switch"])
def test_kill_during_full_rebuild(data, point):
    home, src = data
    live = generations.current_generation(home).path.name
    kill9(start_paused(home, point, "reindex", "--full"))   # 2 Whoosh worker processes
    assert generations.current_generation(home).path.name == live  # never switched
    check_consistent(home)
    with writer_lock.WriterLock(home):                              # workers died with it
        pass
    rerun = run(home, "reindex", "--full")
    assert rerun.returncode == 0, rerun.stderr
    names = sorted(p.name for p in (home / "index").glob("gen-*"))
    assert len(names) == 2 and generations.current_generation(home).path.name == names[-1]
    assert check_consistent(home)["documents"] == 40
    verify(home, src)


@pytest.mark.parametrize("point", ["ingest-file", "rebuild-commit", "rebuild-switch"])
def test_kill_during_a_first_ingest_that_streams_its_index(tmp_path, point):
    """The first index is built while the files are stored
    (archive.build_stream): a kill leaves no index published, no worker
    holding the lock, and a rerun ends consistent."""
    home, src = tmp_path / "home", tmp_path / "src"
    make_source(src, files=3, per_file=300)
    kill9(start_paused(home, point, "ingest", str(src)))
    assert generations.current_generation(home) is None
    with writer_lock.WriterLock(home):                              # workers died with it
        pass
    rerun = run(home, "ingest", str(src))
    assert rerun.returncode == 0, rerun.stderr
    assert check_consistent(home)["documents"] == 900
    verify(home, src)


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


# ------------------------------------------- children die with their parent --

def _children(pid: int) -> set[int]:
    out = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        out |= {int(c) for c in text.split()}
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")           # a zombie has exited


def _all_gone(pids: set[int], seconds: float = 5.0) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    return {p for p in pids if _alive(p)}


def _kill_all(pids: set[int]) -> None:
    """Leave nothing behind when a test fails half-way (our own processes)."""
    for pid in pids:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str = "/healthz", timeout: float = 5.0) -> int:
    import urllib.request
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        return r.status


def start_server(home: Path, workers: int = 2) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    proc = subprocess.Popen(cli(home, "serve", "--port", str(port), "--workers", str(workers),
                                "--threads", "2"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            if _get(port, timeout=2) == 200:
                return proc, port
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc (Linux)")
def test_server_workers_exit_when_the_supervisor_is_killed(data):
    home, _ = data
    proc, port = start_server(home, workers=2)
    workers = _children(proc.pid)
    try:
        assert len(workers) == 2 and all(_alive(w) for w in workers)
        kill9(proc)
        assert _all_gone(workers) == set()
        with pytest.raises(OSError):             # nobody serves the port any more
            _get(port, timeout=2)
    finally:
        _kill_all({proc.pid} | workers)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc (Linux)")
def test_index_build_workers_exit_when_the_ingest_is_killed(data):
    home, src = data
    make_source(src, files=2, per_file=200, start=4)   # enough for Whoosh's worker batches
    assert jobs.reindex(home, [jobs.Source(src)]).outcome == "ok"
    proc = start_paused(home, "rebuild-commit", "reindex", "--full")
    workers = _children(proc.pid)
    try:
        assert workers, "the rebuild runs Whoosh worker processes"
        kill9(proc)
        assert _all_gone(workers) == set()
    finally:
        _kill_all({proc.pid} | workers)
    with writer_lock.WriterLock(home):                  # and none of them holds the lock
        pass


def test_slow_drip_clients_do_not_starve_healthz(data):
    """300 connections that send half a request and then a byte now and
    then: /healthz and a search still answer at once."""
    import socket
    home, _ = data
    proc, port = start_server(home, workers=2)
    drips = []
    try:
        for _ in range(300):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET /api/search?q=x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            drips.append(s)
        time.sleep(0.5)
        for s in drips[:50]:
            s.sendall(b"a")
        assert _get(port, "/healthz", timeout=5) == 200
        assert _get(port, "/api/search?q=%E9%80%9A%E7%9F%A5", timeout=10) == 200
    finally:
        for s in drips:
            s.close()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
