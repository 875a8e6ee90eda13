"""A narrow lane for costly searches, so that they cannot crowd out the rest.

Why: the time budget (`web.budget`) bounds one request, not how many run at
once.  Sixteen clients sending expensive queries together took every thread
and both cores of a worker, and a normal query's p95 grew to 3.6× its idle
value (`scripts/hostile_load`, 5k records, 2 workers × 8 threads).

A search's cost shows in its shape before it runs: the long queries and the
many-word ones are the expensive ones (the bench's mix of 255 real queries
is at most 31 characters and 4 words; every query of the hostile set that
costs seconds is over 48 characters or 6 words).  Such a search takes one of
HEAVY_SLOTS of the server (all worker processes together); when none frees up within
HEAVY_WAIT_SECONDS the request gets a 503 saying the server is busy, so
waiting hostile requests release their threads instead of holding them.
Ordinary searches never wait for the lane.
"""
from __future__ import annotations

import fcntl
import os
import threading
import time
from contextlib import contextmanager

HEAVY_CHARS = 48                 # a query longer than this is costly
HEAVY_TOKENS = 6                 # so is one of more space-separated parts
HEAVY_SLOTS = 1                  # costly searches running at once, in the whole server
HEAVY_WAIT_SECONDS = 0.5         # waited for a slot before "busy" (waiting holds a thread)
LOCK_POLL_SECONDS = 0.02


class Busy(Exception):
    """No slot for a costly search within HEAVY_WAIT_SECONDS (web: 503)."""


def is_heavy(q: str | None) -> bool:
    q = q or ""
    return len(q) > HEAVY_CHARS or len(q.split()) > HEAVY_TOKENS


class Lane:
    """The slots of one server.  In one process a semaphore; across the
    forked workers of `archive serve` also one lock file per slot in
    `lock_dir` (flock: the kernel frees a slot whose holder dies, so a
    killed worker cannot leak one), so that HEAVY_SLOTS costly searches run
    at once in the whole server, leaving the other cores to the rest."""

    def __init__(self, slots: int = HEAVY_SLOTS, wait: float = HEAVY_WAIT_SECONDS,
                 lock_dir: str | os.PathLike | None = None):
        self.slots, self.wait = threading.BoundedSemaphore(slots), wait
        self.lock_files = ([os.path.join(lock_dir, f"slot-{n}.lock") for n in range(slots)]
                           if lock_dir else [])

    @contextmanager
    def admit(self, q: str | None):
        """Run the block now for an ordinary query; for a costly one, when
        a slot is free (raises Busy when none frees up in time)."""
        if not is_heavy(q):
            yield
            return
        until = time.monotonic() + self.wait
        if not self.slots.acquire(timeout=self.wait):
            raise Busy(q)
        try:
            held = self._lock_file(until)
            try:
                yield
            finally:
                if held is not None:
                    os.close(held)            # releases its flock
        finally:
            self.slots.release()

    def _lock_file(self, until: float) -> int | None:
        """A descriptor holding one of the server's slot files (None when
        there are none); Busy when none is free before `until`."""
        if not self.lock_files:
            return None
        while True:
            for path in self.lock_files:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return fd
                except BlockingIOError:
                    os.close(fd)
            if time.monotonic() >= until:
                raise Busy("no slot")
            time.sleep(LOCK_POLL_SECONDS)
