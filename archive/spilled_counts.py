"""Counts of string keys whose memory does not grow with the corpus.

A full build's reading process adds up the vocabulary entries of every
bulletin (`archive.prepare.Derived`) until the build's end: most entries
are names, numbers and runs seen once, so the counts grew with the
archive (~0.3 KB a bulletin: ~60 MB at 200k, ~300 MB at 1M bulletins,
held while both index workers write their last segments — the moment of
the build's peak memory).  Here, past `SPILL_KEYS` distinct keys, the
counts are written to a run file sorted by key and cleared; `items()`
merges the runs and what is still held (heapq, one entry per run in
memory) and adds up each key's counts.  The totals are the same as one
`Counter` would give, key for key (tested against one).

A run is a file of `marshal` records, each a list of at most `RECORD`
(key, count) pairs: marshal is the fastest serialiser of plain strings
and ints in the standard library, and safe here because the files are
this process's own, read back before the build ends.
"""
from __future__ import annotations

import heapq
import itertools
import marshal
import shutil
from collections import Counter
from collections.abc import Iterator, Mapping
from operator import itemgetter
from pathlib import Path

SPILL_KEYS = 262_144       # ~30 MB of short keys held at most, then a run file
RECORD = 8_192             # pairs per marshal record of a run


class SpilledCounts:
    """`update(mapping)` like `Counter.update`; `items()` yields every
    (key, total) once, in key order; `close()` removes the run files."""

    def __init__(self, directory: Path, spill_keys: int | None = None):
        self.directory = Path(directory)
        self.spill_keys = spill_keys or SPILL_KEYS
        self.counts: Counter = Counter()
        self.runs: list[Path] = []

    def update(self, counts: Mapping[str, int]) -> None:
        self.counts.update(counts)
        if len(self.counts) > self.spill_keys:
            self._spill()

    def _spill(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"run-{len(self.runs):05d}.marshal"
        pairs = sorted(self.counts.items())
        self.counts = Counter()
        with open(path, "wb") as handle:
            for start in range(0, len(pairs), RECORD):
                marshal.dump(pairs[start:start + RECORD], handle)
        self.runs.append(path)

    def items(self) -> Iterator[tuple[str, int]]:
        streams = [_read_run(path) for path in self.runs]
        streams.append(iter(sorted(self.counts.items())))
        for key, group in itertools.groupby(heapq.merge(*streams), key=itemgetter(0)):
            yield key, sum(count for _, count in group)

    def close(self) -> None:
        self.counts = Counter()
        self.runs = []
        shutil.rmtree(self.directory, ignore_errors=True)


def _read_run(path: Path) -> Iterator[tuple[str, int]]:
    with open(path, "rb") as handle:
        while True:
            try:
                pairs = marshal.load(handle)
            except EOFError:
                return
            yield from pairs
