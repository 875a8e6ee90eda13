"""Spreading connections evenly over the forked workers of `archive serve`.

Why: the workers all accept on one listening socket, and the kernel wakes
every one of them for a new connection; whichever calls accept() first
gets it.  With keep-alive clients the split made at connect time lasts the
whole visit, and it was often lopsided: of 8 benchmark clients a worker got
7 and the other 1 in 3 runs out of 4 (`scripts/bench --only web`, 53k
records).  One worker is one core (the GIL), so 7 clients shared one core
while the other idled: throughput fell and p95 doubled.

The rule: a worker accepts only while it holds no more open connections
than any other live worker.  Each worker publishes its count in memory
shared by the forked processes (`Balance`, made by the supervisor before
forking); a worker that declines says so, and a worker that accepts wakes
the decliners through their pipes so that they look again (otherwise the
least-loaded worker could sleep in poll() without watching the listener
while every other one declines).  A worker whose loop has not run for
STALE_SECONDS (stuck, or not started yet) does not count: it can never
make the others refuse connections.
"""
from __future__ import annotations

import mmap
import os
import struct
import time

from waitress import wasyncore

STALE_SECONDS = 3.0         # > waitress's 1 s poll timeout: an idle worker still counts
_SLOT = struct.Struct("qqd")  # open connections, declining (0/1), last loop time (monotonic)


class Balance:
    """Open-connection counts of `workers` slots, shared across fork()."""

    def __init__(self, workers: int):
        self.workers = workers
        self._memory = mmap.mmap(-1, _SLOT.size * workers)   # anonymous, shared on fork
        self._pipes = [os.pipe() for _ in range(workers)]      # wake-ups, one per slot
        for slot in range(workers):
            self.forget(slot)

    def forget(self, slot: int) -> None:
        """The slot's worker is gone or not serving yet: it does not count."""
        self._write(slot, 0, 0, 0.0)

    def _write(self, slot: int, count: int, declining: int, seen: float) -> None:
        _SLOT.pack_into(self._memory, slot * _SLOT.size, count, declining, seen)

    def _read(self, slot: int) -> tuple[int, int, float]:
        return _SLOT.unpack_from(self._memory, slot * _SLOT.size)

    def may_accept(self, slot: int, count: int) -> bool:
        """Publish `slot`'s open connections; True when no live worker holds fewer."""
        now = time.monotonic()
        others = [self._read(s) for s in range(self.workers) if s != slot]
        accept = all(count <= theirs for theirs, _declining, seen in others
                     if now - seen < STALE_SECONDS)
        self._write(slot, count, 0 if accept else 1, now)
        return accept

    def accepted(self, slot: int, count: int) -> None:
        """`slot` took a connection: the workers that declined look again."""
        now = time.monotonic()
        self._write(slot, count, 0, now)
        for other in range(self.workers):
            if other != slot and self._read(other)[1]:
                try:
                    os.write(self._pipes[other][1], b"x")
                except BlockingIOError:          # a wake-up is already pending
                    pass

    def counts(self) -> list[int]:
        return [self._read(s)[0] for s in range(self.workers)]

    def attach(self, server, slot: int) -> None:
        """Make waitress `server` (in worker `slot`) follow the rule."""
        for other, (read_end, write_end) in enumerate(self._pipes):
            os.set_blocking(write_end, False)
            if other != slot:
                os.close(read_end)
        _Wakeup(self._pipes[slot][0], server._map)
        accepts, handle_accept = server.readable, server.handle_accept

        def readable() -> bool:
            return accepts() and self.may_accept(slot, len(server.active_channels))

        def accept_and_tell() -> None:
            handle_accept()
            self.accepted(slot, len(server.active_channels))

        server.readable, server.handle_accept = readable, accept_and_tell


class _Wakeup(wasyncore.file_dispatcher):
    """The read end of a worker's wake-up pipe in its poll loop: a byte
    there makes the loop run again and so re-ask `Balance.may_accept`."""

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def handle_read(self) -> None:
        try:
            os.read(self._fileno, 512)
        except BlockingIOError:
            pass
