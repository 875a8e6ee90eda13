"""Connections spread evenly over the forked workers (web.balance)."""
from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive import jobs
from jobtools import make_source
from web.balance import STALE_SECONDS, Balance


def _pending(balance: Balance, slot: int) -> bytes:
    read_end = balance._pipes[slot][0]
    os.set_blocking(read_end, False)
    try:
        return os.read(read_end, 64)
    except BlockingIOError:
        return b""


def test_a_worker_accepts_only_while_no_other_holds_fewer_connections():
    balance = Balance(3)
    assert balance.may_accept(0, 0) and balance.may_accept(1, 0) and balance.may_accept(2, 0)
    balance.accepted(0, 1)
    assert not balance.may_accept(0, 1)           # 1 and 2 hold none
    assert balance.may_accept(1, 0)
    balance.accepted(1, 1)
    balance.accepted(2, 1)
    assert balance.may_accept(0, 1)               # all even again
    assert balance.counts() == [1, 1, 1]


def test_taking_a_connection_wakes_only_the_workers_that_declined():
    balance = Balance(3)
    balance.may_accept(1, 0)
    balance.may_accept(2, 0)
    assert not balance.may_accept(0, 2)           # declines: the others hold fewer
    balance.accepted(1, 1)
    assert _pending(balance, 0) == b"x"           # looks again
    assert _pending(balance, 2) == b""            # was accepting anyway


def test_a_gone_or_silent_worker_does_not_block_the_others(monkeypatch):
    balance = Balance(2)
    balance.may_accept(1, 0)
    assert not balance.may_accept(0, 3)
    balance.forget(1)                             # died: the supervisor forgets it
    assert balance.may_accept(0, 3)
    balance.may_accept(1, 0)                      # its successor serves
    assert not balance.may_accept(0, 3)
    later = time.monotonic() + STALE_SECONDS + 1  # then its loop stops running
    monkeypatch.setattr("web.balance.time.monotonic", lambda: later)
    assert balance.may_accept(0, 3)


# -- a real server ------------------------------------------------------------------

def _workers_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _connections_to(port: int) -> set[str]:
    """Inodes of the server side of established TCP connections to `port`."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        parts = line.split()
        if int(parts[1].split(":")[1], 16) == port and parts[3] == "01":   # ESTABLISHED
            inodes.add(parts[9])
    return inodes


def _held_by(pid: int, inodes: set[str]) -> int:
    held = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        held += target.startswith("socket:[") and target[8:-1] in inodes
    return held


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs /proc (Linux)")
def test_keep_alive_clients_are_split_evenly_between_the_workers(tmp_path):
    """Eight clients connecting one after the other: four on each worker
    (without the rule, whichever worker woke first took each one: 7/1 was
    common)."""
    home, src = tmp_path / "home", tmp_path / "src"
    make_source(src, files=2, per_file=10)
    assert jobs.reindex(home, [jobs.Source(src)]).outcome == "ok"
    with socket_port() as port:
        proc = subprocess.Popen([sys.executable, "-m", "archive.cli", "--home", str(home),
                                 "serve", "--port", str(port), "--workers", "2",
                                 "--threads", "2"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    clients = []
    try:
        _wait_healthy(port, proc)
        for _ in range(8):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            response.read()
            assert response.status == 200
            clients.append(conn)
        workers = _workers_of(proc.pid)
        assert len(workers) == 2
        inodes = _connections_to(port)
        assert sorted(_held_by(w, inodes) for w in workers) == [4, 4]
    finally:
        for conn in clients:
            conn.close()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


class socket_port:
    """A free TCP port on loopback."""

    def __enter__(self) -> int:
        import socket
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return self.sock.getsockname()[1]

    def __exit__(self, *exc) -> None:
        self.sock.close()


def _wait_healthy(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
        time.sleep(0.2)
