"""The writers' testing hook: pause at a named point so a test can kill there.

With ARCHIVE_TEST_PAUSE_AT=NAME in the environment, a writer prints "paused
at NAME" to stderr at the named point and sleeps (ARCHIVE_TEST_PAUSE_SECONDS,
default 60).  Points: ingest-file (after each stored file, `archive.jobs`),
sync-commit (gram segment written, Whoosh not committed), sync-state
(committed, state not written), rebuild-commit (new generation filled, not
committed), rebuild-switch (verified, not switched) (`archive.index`).

Its own module because both the jobs and the index build pause: the index
must not import the jobs that drive it.
"""
from __future__ import annotations

import os
import sys
import time


def pause_point(name: str) -> None:
    """Pause here if the environment asks for it; a no-op otherwise."""
    if os.environ.get("ARCHIVE_TEST_PAUSE_AT") == name:
        print(f"paused at {name}", file=sys.stderr, flush=True)
        time.sleep(float(os.environ.get("ARCHIVE_TEST_PAUSE_SECONDS", "60")))
