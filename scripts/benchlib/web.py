"""`archive serve` under keep-alive clients cycling through the query mix."""
from __future__ import annotations

import http.client
import subprocess
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

from benchlib.latency import percentiles
from benchlib.local_server import HOST, free_port, http_get, query_params, wait_healthy
from benchlib.measure import archive_command


def web_available() -> tuple[bool, str]:
    import importlib.util

    try:
        found = importlib.util.find_spec("web.server") is not None
    except (ImportError, ValueError) as exc:
        return False, str(exc)
    return found, "" if found else "web.server does not exist yet"


def api_path(q: dict) -> str:
    return "/api/search?" + urllib.parse.urlencode(query_params(q))


def measure_web(home: Path, queries: list[dict], seconds: float, clients: int = 8,
                workers: int = 2, threads: int = 4) -> dict:
    """`archive serve --workers 2 --threads 4` (a process per core) in a
    subprocess; `clients` keep-alive http.client threads cycle through the
    query mix for `seconds`."""
    ok, why = web_available()
    if not ok:
        return {"skipped": why}
    port = free_port()
    log = open(home.parent / "serve.log", "w")
    server = subprocess.Popen([*archive_command(), "--home", str(home), "serve", "--port",
                               str(port), "--workers", str(workers),
                               "--threads", str(threads)],
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        if not wait_healthy(port, server, 60):
            return {"skipped": f"server did not answer /healthz (exit {server.poll()}); "
                               f"see {home.parent / 'serve.log'}"}
        paths = [api_path(q) for q in queries]
        for path in paths[:20]:                       # warm the workers a little
            http_get(port, path)
        return load_test(port, paths, seconds, clients)
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def load_test(port: int, paths: list[str], seconds: float, clients: int) -> dict:
    stop = time.monotonic() + seconds
    latencies: list[float] = []
    statuses: Counter = Counter()
    lock = threading.Lock()

    def client(offset: int):
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        mine, codes, i = [], Counter(), offset
        while time.monotonic() < stop:
            path = paths[i % len(paths)]
            i += clients
            started = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                codes[response.status] += 1
                if response.getheader("connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection(HOST, port, timeout=30)
            except (OSError, http.client.HTTPException) as exc:
                codes[type(exc).__name__] += 1
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
            mine.append((time.perf_counter() - started) * 1000)
        conn.close()
        with lock:
            latencies.extend(mine)
            statuses.update(codes)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    non2xx = sum(c for s, c in statuses.items() if not (isinstance(s, int) and 200 <= s < 300))
    return {"clients": clients, "seconds": round(elapsed, 1), "requests": len(latencies),
            "req_s": round(len(latencies) / elapsed, 1), **percentiles(latencies),
            "non_2xx": non2xx, "statuses": {str(k): v for k, v in statuses.items()}}
