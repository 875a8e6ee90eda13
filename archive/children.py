"""Child processes die with their parent, however the parent dies.

Why: a supervisor killed with SIGKILL runs no cleanup, and its forked web
workers kept serving the port (seen 45 minutes later); the index-build
workers of a killed ingest lingered too.  Two mechanisms, both cheap:

* Linux: `prctl(PR_SET_PDEATHSIG)` — the kernel signals the child the
  moment its parent dies (then a check that the parent did not die before
  the call);
* elsewhere (and as a second line on Linux): `watch_parent`, a daemon
  thread that polls `os.getppid()` once a second and exits the process
  when the parent is gone (the child is re-parented).
"""
from __future__ import annotations

import ctypes
import os
import signal
import threading
import time

PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int, sig: int = signal.SIGKILL) -> bool:
    """In a freshly forked child: have the kernel send `sig` when the parent
    dies.  Exits at once if the parent is already gone.  False where the
    kernel cannot (not Linux): use `watch_parent` there."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        armed = libc.prctl(PR_SET_PDEATHSIG, int(sig)) == 0
    except (OSError, AttributeError):
        armed = False
    if os.getppid() != parent_pid:
        os._exit(1)
    return armed


def watch_parent(parent_pid: int, interval: float = 1.0) -> threading.Thread:
    """A daemon thread that ends this process when `parent_pid` is no longer
    its parent."""
    def watch():
        while os.getppid() == parent_pid:
            time.sleep(interval)
        os._exit(1)

    thread = threading.Thread(target=watch, name="watch-parent", daemon=True)
    thread.start()
    return thread
