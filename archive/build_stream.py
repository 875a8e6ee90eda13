"""A data home's first index, built while its first files are ingested.

Before, a first `archive ingest` stored every record (parsing and SQLite on
one core: 22 s CPU of the 148 s of a 53k build) and only then started the
index workers: one core idle for a sixth of the build.  Here the full
build (`archive.index.FullBuild`) is opened before the ingest, and every
few hundred stored records the rows stored since the last look are read
back through the archive's own connection — inside the file's transaction,
so not yet committed — and handed to the index workers.

Nothing about what the archive promises changes: the archive is written
and committed exactly as before, and the generation is published only at
the end, after every file's transaction, by the same verify-and-switch as
a rebuild.  A row the workers saw may still be rolled back (a file refused
past its limits) or replaced later in the same run (a record updated by a
later one): `finish` compares what was fed with what the archive holds,
and on any difference drops the streamed generation — the job's usual
`index.sync` then rebuilds from the archive, as it always did.  A kill at
any moment leaves an unswitched generation, removed by the next build.
"""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from . import index
from .generations import current_generation
from .store import Archive

log = logging.getLogger("archive.build_stream")

POLL_RECORDS = 200          # records stored between two looks (one pipeline batch)


class StreamingBuild:
    """Feeds the rows an ingest stores to a `FullBuild`, then publishes it
    if it matches the archive exactly."""

    def __init__(self, archive: Archive, home: Path, procs: int | None = None):
        self.archive = archive
        self.build = index.FullBuild(home, procs=procs)
        # From the start: rows an earlier run stored but never indexed (it
        # was killed before its build finished) are fed too.
        self.cursor = 0
        self.fed = FedRows()
        self.dropped = False

    def poll(self) -> None:
        """Feed every row changed since the last poll (committed or not).

        An index failure here must not fail the file being stored: the
        build is dropped and the job's `index.sync` rebuilds after the
        archive is committed, reporting the error as it always did."""
        if self.dropped:
            return
        try:
            self._feed()
        except Exception as exc:
            log.warning("streamed index dropped (%s); the index is rebuilt after the ingest",
                        exc)
            self.cancel()

    def _feed(self) -> None:
        if self.archive.current_seq() < self.cursor:
            # A file's transaction was rolled back after its rows were fed
            # (refused past a limit): ids, version ids and change numbers
            # are given again to other rows, so nothing fed can be trusted.
            log.info("streamed index dropped: a file was rolled back; it is rebuilt after"
                     " the ingest")
            self.cancel()
            return
        for doc_id, status, vid, record, seq in self.archive.changes_since(self.cursor):
            self.cursor = seq
            if doc_id in self.fed:           # a Whoosh segment cannot take it back
                log.info("streamed index dropped: bulletin #%s changed again; it is rebuilt"
                         " after the ingest", doc_id)
                self.cancel()
                return
            self.fed.add((doc_id, vid, status, record.get("source_line")))
            self.build.add((doc_id, vid, status, record))

    def finish(self) -> bool:
        """Publish the generation if the rows fed are the archive's current
        rows, one for one; else drop it (False: the caller rebuilds)."""
        self.poll()
        if self.dropped:
            return False
        try:
            matches = self._matches_archive()
            if not matches:
                log.info("streamed index dropped: the archive changed under it; rebuilding")
                self.build.cancel()
                return False
            self.build.finish(self.archive, self.archive.current_seq())
        except BaseException:
            self.build.cancel()
            raise
        return True

    def cancel(self) -> None:
        self.dropped = True
        self.build.cancel()

    def _matches_archive(self) -> bool:
        """The rows fed are the archive's current rows, one for one."""
        held = FedRows()
        for row in self.archive.db.execute(
                "SELECT id, current_vid, status, source_line FROM docs"):
            held.add(tuple(row))
        return held.same_rows(self.fed)


class FedRows:
    """A set of `(doc id, vid, status, source line)` rows in a few bytes a
    row: a bitmap of the ids (a bulletin fed twice drops the build) and an
    order-free digest, the sum of a 128-bit hash of each row.  Two sets
    with the same ids, count and digest hold the same rows but with
    probability ~2**-128.  A dict of every row was ~30 MB at 200k
    bulletins (~150 MB at 1M) held to the ingest's end, the moment of the
    build's peak memory; the bitmap is 25 KB at 200k."""

    FAR = 1 << 32          # ids past this (never given by SQLite in practice) go in a set

    def __init__(self):
        self.ids = bytearray()
        self.far: set[int] = set()
        self.count = 0
        self.digest = 0

    def __contains__(self, doc_id: int) -> bool:
        if not 0 <= doc_id < self.FAR:
            return doc_id in self.far
        byte = doc_id >> 3
        return byte < len(self.ids) and bool(self.ids[byte] >> (doc_id & 7) & 1)

    def add(self, row: tuple) -> None:
        doc_id = row[0]
        if not 0 <= doc_id < self.FAR:
            self.far.add(doc_id)
        else:
            byte = doc_id >> 3
            if byte >= len(self.ids):
                self.ids.extend(bytes(max(byte + 1 - len(self.ids), len(self.ids))))
            self.ids[byte] |= 1 << (doc_id & 7)
        self.count += 1
        digest = hashlib.blake2b(repr(row).encode(), digest_size=16).digest()
        self.digest = (self.digest + int.from_bytes(digest, "little")) & (1 << 128) - 1

    def same_rows(self, other: FedRows) -> bool:
        return (self.count, self.digest, self.far) == (other.count, other.digest, other.far) \
            and self.ids.rstrip(b"\0") == other.ids.rstrip(b"\0")


def start(archive: Archive, home: Path) -> StreamingBuild | None:
    """A streaming build if this job will build the home's first generation
    with index workers (a sync of a live index stays incremental)."""
    if current_generation(home) is not None or min(2, _cpus()) < 2:
        return None
    return StreamingBuild(archive, home)


def _cpus() -> int:
    import os

    return os.cpu_count() or 1
