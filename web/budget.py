"""The per-request time budget the server enforces.

Why: one request of a repeated word held a worker for seconds, and sixteen
of them made a normal query wait 12.6 s.  A Python thread cannot be
stopped from outside, so the budget has two levels:

* soft, `REQUEST_SECONDS`: every search a request runs (a page may run
  several: results, highlight terms, facets, an export's selection) ends by
  the request's deadline (`archive.search.request_deadline`); past it the
  library raises `SearchTimeout` and the visitor gets a 503 that says so;
* hard, `STALL_SECONDS`: code that never reaches a deadline check cannot
  hold a worker for ever.  In the forked server (`web.server`) each worker
  runs `watch_stalls`: when a request has run this long, the worker exits
  and its supervisor starts a fresh one (the others keep serving; the
  stalled request's connection is closed, a 503-like outcome for that
  visitor, and the log says which path stalled).
"""
from __future__ import annotations

import os
import sys
import threading
import time

from archive.search import request_deadline

REQUEST_SECONDS = 15.0
STALL_SECONDS = 60.0
EXIT_STALLED = 70


class RequestBudget:
    """WSGI middleware: a deadline for each request, and a record of what runs."""

    def __init__(self, wsgi_app, seconds: float = REQUEST_SECONDS):
        self.wsgi_app, self.seconds = wsgi_app, seconds
        self.active: dict[int, tuple[float, str]] = {}   # thread -> (started, path)

    def __call__(self, environ, start_response):
        ident = threading.get_ident()
        self.active[ident] = (time.monotonic(), environ.get("PATH_INFO", ""))
        try:
            with request_deadline(self.seconds):
                return self.wsgi_app(environ, start_response)
        finally:
            self.active.pop(ident, None)

    def stalled(self, limit: float) -> list[tuple[float, str]]:
        """(seconds running, path) of the requests running longer than `limit`."""
        now = time.monotonic()
        return [(now - started, path) for started, path in list(self.active.values())
                if now - started > limit]


def watch_stalls(budget: RequestBudget, limit: float = STALL_SECONDS,
                 interval: float = 1.0) -> threading.Thread:
    """In a supervised worker: exit when a request has run past `limit`."""
    def watch():
        while True:
            time.sleep(interval)
            stalled = budget.stalled(limit)
            if stalled:
                seconds, path = stalled[0]
                print(f"archive: worker {os.getpid()}: a request to {path!r} ran {seconds:.0f} s "
                      f"(limit {limit:g} s); restarting this worker", file=sys.stderr, flush=True)
                os._exit(EXIT_STALLED)

    thread = threading.Thread(target=watch, name="watch-stalls", daemon=True)
    thread.start()
    return thread
