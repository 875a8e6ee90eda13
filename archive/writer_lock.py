"""The data home's writer lock: one writer at a time, never stale.

Every job that writes (`archive.jobs`) holds it.  It is a `flock`, which the
kernel releases when its holder dies however it dies, so a lock left by a
killed process is never stale.  A fork made while it is held (the build's
index workers) lets go of it in the child and the child dies with the
parent (`_after_fork`), so a killed writer's workers cannot keep it.
"""
from __future__ import annotations

import errno
import fcntl
import os
import time
from pathlib import Path

from .children import die_with_parent, watch_parent
from .errors import Locked
from .store import now_iso

LOCK_NAME = "writer.lock"

_held: list = []          # lock files this process holds (see _after_fork)
_holder_pid = 0


def _after_fork() -> None:
    """In a child forked while the writer lock is held (Whoosh's MpWriter
    workers): drop the child's reference to the lock and die with the parent.

    A `flock` belongs to the open file, which a fork shares; a worker left
    blocked on its queue by a killed parent would otherwise hold the lock
    forever.  dup2 of /dev/null (not close) keeps the fd number valid for any
    code that still owns it.
    """
    if not _held:
        return
    null = os.open(os.devnull, os.O_RDONLY)
    for handle in _held:
        os.dup2(null, handle.fileno())
    os.close(null)
    _held.clear()
    if not die_with_parent(_holder_pid):     # SIGKILL from the kernel (Linux),
        watch_parent(_holder_pid)            # else a thread that watches


os.register_at_fork(after_in_child=_after_fork)


class WriterLock:
    """An exclusive advisory lock on ``<home>/writer.lock``.

    The kernel releases a `flock` when its holder dies, however it dies, so a
    lock left by a killed process is never stale: the next writer simply gets
    it (forked workers let go of it, see `_after_fork`).  The file records
    who holds it, for the message others see.
    """

    def __init__(self, home: Path, wait: float = 0.0):
        self.path = Path(home) / LOCK_NAME
        self.wait = wait
        self.handle = None

    def holder(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8").strip() or "another process"
        except OSError:
            return "another process"

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")
        deadline = time.monotonic() + max(0.0, self.wait)
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    handle.close()
                    raise
                if time.monotonic() >= deadline:
                    holder = self.holder()
                    handle.close()
                    raise Locked(f"the data home is locked by {holder}; gave up after "
                                 f"waiting {self.wait:g} s (--wait SECONDS to wait longer)"
                                 ) from None
                time.sleep(0.1)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {now_iso()}\n")
        handle.flush()
        self.handle = handle
        global _holder_pid
        _holder_pid = os.getpid()
        _held.append(handle)
        return self

    def __exit__(self, *exc):
        if self.handle:
            _held.remove(self.handle)
            self.handle.seek(0)
            self.handle.truncate()
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None
