"""Talking to an `archive serve` on this machine: a free port, one GET,
waiting for /healthz, and a query of the mix as URL parameters.  Shared by
the bench's web part and scripts/loadtest (and so scripts/hostile_load)."""
from __future__ import annotations

import http.client
import socket
import subprocess
import time

HOST = "127.0.0.1"                     # never anything else


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def http_get(port: int, path: str, timeout: float = 30) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_healthy(port: int, server: subprocess.Popen, timeout: float) -> bool:
    """True once /healthz answers 200; False if the server exits or
    `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return False
        try:
            if http_get(port, "/healthz", 5)[0] == 200:
                return True
        except OSError:
            pass
        time.sleep(0.25)
    return False


def query_params(q: dict) -> list[tuple[str, str]]:
    """A query of the mix (scripts/bench_queries.jsonl) as the web app's
    URL parameters."""
    params = [("q", q.get("q") or "")]
    params += [("issuer", v) for v in q.get("issuers") or []]
    params += [("topic", v) for v in q.get("topics") or []]
    for key in ("year", "from", "to", "sort"):
        if q.get(key) not in (None, ""):
            params.append((key, str(q[key])))
    return params
