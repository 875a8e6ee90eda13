"""Serving the web app: `archive serve` calls `serve()`.

Production uses waitress, a pure-Python WSGI server: no compiler, nothing
outside PyPI.  Requests are
answered by `threads` threads in each of `workers` processes.  Searching is
CPU work in Python, so one process uses one core however many threads it
has: on POSIX `serve` binds the port once and forks `workers` processes that
all accept on it, each with its own `SearchService`; a worker accepts only
while no other holds fewer open connections (`web.balance`: left to the
kernel, 8 keep-alive clients were often split 7/1 and one core idled); the index
files are memory-mapped, so the processes share
the page cache, not copies.  The parent restarts a worker that dies and
stops them all on Ctrl+C or SIGTERM.  Where `fork` does not exist there is
one process.  The Whoosh index is opened read-only; each `SearchService`
reopens it when a reindex writes a new generation, so the server never needs
a restart.

Why waitress and not gunicorn (considered, issue 16): the app is meant to
face an intranet directly, with no proxy in front.  gunicorn's standard
(sync) workers read a request inside the worker, so a few slow-drip clients
tie up every worker — gunicorn's own documentation asks for a buffering
proxy in front of them — while waitress reads requests in its asyncore loop
and hands a thread only complete requests: a half-sent request costs a
socket, not a worker.  The pre-fork part gunicorn would add is the ~40
lines of `_serve_forked`; what it does besides (worker timeouts, dying with
the master) is done here too: `web.budget` (per-request budget, stalled
workers replaced) and `archive.children` (workers die with the supervisor,
however it is killed).

Connection limits for an intranet without a proxy (`SERVER_LIMITS`): each
worker accepts up to 1,000 connections (the default 100 was exhausted by
260 half-sent requests, and `/healthz` starved), polls sockets with poll()
(select() stops at descriptor 1,024), drops a connection idle for 30 s,
and refuses request headers over 64 KiB and bodies over 1 MiB (the app
takes no uploads).  The open-files limit is raised to what the kernel
allows.  Behind a reverse proxy, let the proxy do this (README).

`dev=True` runs Flask's development server with the reloader and debugger
(local use only: the debugger can run code, so `serve` refuses it on any
address but loopback).
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path

from archive.children import die_with_parent, watch_parent

from .app import BUDGET, create_app
from .balance import Balance
from .budget import watch_stalls


def display_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


SERVER_LIMITS = {
    "connection_limit": 1000,          # per worker process
    "asyncore_use_poll": True,         # select() cannot watch descriptors past 1,024
    "channel_timeout": 30,             # seconds a connection may stay idle
    "cleanup_interval": 5,
    "backlog": 1024,
    "max_request_header_size": 64 * 1024,
    "max_request_body_size": 1024 * 1024,
}


def raise_open_files_limit() -> None:
    """As many descriptors as the hard limit allows (connections are files)."""
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = hard if hard != resource.RLIM_INFINITY else 65536
        if soft < wanted:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    except (ImportError, ValueError, OSError):
        pass


def make_server(home, host: str = "127.0.0.1", port: int = 8080, threads: int = 4,
                sockets=None, app=None):
    """A waitress server (not yet running): `.run()` serves, `.close()` stops.
    `port=0` picks a free port (`.effective_port`)."""
    from waitress import create_server

    where = {"sockets": sockets} if sockets else {"host": host, "port": port}
    return create_server(app or create_app(Path(home)), threads=threads, ident="archive",
                         clear_untrusted_proxy_headers=True, **SERVER_LIMITS, **where)


def serve(home, host: str = "127.0.0.1", port: int = 8080, workers: int = 2,
          dev: bool = False, threads: int = 4) -> None:
    """Serve the app for the data home `home` until interrupted."""
    if dev:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit(f"archive serve --dev runs Flask's debugger, which can run code: "
                             f"it listens on loopback only (127.0.0.1), not {host}")
        app = create_app(Path(home))
        print(f"archive (development server): open {display_url(host, port)}", flush=True)
        app.run(host=host, port=port, debug=True, use_reloader=True, threaded=True)
        return
    raise_open_files_limit()
    if workers > 1 and hasattr(os, "fork"):
        _serve_forked(home, host, port, workers, threads)
        return
    server = make_server(home, host, port, threads)
    print(f"archive: serving {Path(home)} on {display_url(host, server.effective_port)} "
          f"(1 process, {threads} threads; Ctrl+C to stop)", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


def _serve_forked(home, host: str, port: int, workers: int, threads: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.create_server((host, port), family=family, backlog=1024)
    print(f"archive: serving {Path(home)} on {display_url(host, listener.getsockname()[1])} "
          f"({workers} processes × {threads} threads; Ctrl+C to stop)", flush=True)
    children: dict[int, int] = {}                     # pid -> its slot in `balance`
    supervisor = os.getpid()
    lane_dir = tempfile.mkdtemp(prefix="archive-lane-")   # slot files of costly searches
    balance = Balance(workers)                         # connections spread evenly

    def start_worker(slot: int) -> None:
        pid = os.fork()
        if pid == 0:                                   # the worker
            signal.signal(signal.SIGINT, signal.SIG_IGN)   # the parent decides
            signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
            die_with_parent(supervisor, signal.SIGTERM)    # however the supervisor dies
            watch_parent(supervisor)
            code = 0
            try:
                app = create_app(Path(home), lane_dir=lane_dir)
                watch_stalls(app.extensions[BUDGET])
                server = make_server(home, threads=threads, sockets=[listener], app=app)
                balance.attach(server, slot)
                server.run()
            except BaseException as exc:        # say why, or the parent loops blind
                print(f"archive: worker {os.getpid()} failed: {exc!r}", file=sys.stderr,
                      flush=True)
                code = 1
            finally:
                os._exit(code)
        children[pid] = slot

    def stop(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        for slot in range(workers):
            start_worker(slot)
        while True:
            pid, status = os.wait()
            if pid in children:
                slot = children.pop(pid)
                balance.forget(slot)
                print(f"archive: worker {pid} ended ({status}); starting another",
                      file=sys.stderr, flush=True)
                time.sleep(0.5)                        # no tight loop if it keeps dying
                start_worker(slot)
    except KeyboardInterrupt:
        pass
    finally:
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for pid in list(children):
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        listener.close()
        shutil.rmtree(lane_dir, ignore_errors=True)
