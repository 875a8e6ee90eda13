"""Noticing a reindex before every search, for the price of two stat() calls.

`archive.generations.live_version` reads the CURRENT pointer and lists the live
generation's Whoosh folder (86 files at 53k bulletins) to find its latest
commit: ~0.3 ms of CPU, on every search of a server.  What it reads changes
only when CURRENT is replaced (a full rebuild switches generations by a
rename) or when a file appears in or leaves the Whoosh folder (a sync's
commit, a merge): both change what `stat` reports of CURRENT or of the
folder.  So the version is read again only when those stats change.

A stat taken within RACY_SECONDS of the file's own modification time is not
trusted (a second change in the same clock tick would leave it unchanged):
until the files have been quiet that long, every check reads the version,
as before.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from .generations import CURRENT, index_root, live_version

RACY_SECONDS = 2.0


class LiveVersionWatch:
    """`live_version(home)`, re-read only when CURRENT or the live Whoosh
    folder changed.  Thread-safe: its state is one tuple, replaced whole."""

    def __init__(self, home: Path):
        self.root = index_root(home)
        self.home = Path(home)
        self._known: tuple | None = None          # (stamp, version)

    def __call__(self) -> tuple[str, int] | None:
        known = self._known
        if known is not None and self._stamp(known[1][0]) == known[0]:
            return known[1]
        version = live_version(self.home)
        self._known = None
        if version is not None:
            stamp = self._stamp(version[0])
            # Read again after the stat: a change in between would otherwise
            # pair the new files' stamp with the old version, for good.
            if (stamp is not None and time.time() - max(stamp[1], stamp[4]) / 1e9 > RACY_SECONDS
                    and live_version(self.home) == version):
                self._known = (stamp, version)
        return version

    def _stamp(self, generation: str) -> tuple | None:
        """What stat says of CURRENT and of `generation`'s Whoosh folder."""
        try:
            pointer = os.stat(self.root / CURRENT)
            folder = os.stat(self.root / generation / "whoosh")
        except OSError:
            return None
        return (pointer.st_ino, pointer.st_mtime_ns, pointer.st_size,
                folder.st_ino, folder.st_mtime_ns)
