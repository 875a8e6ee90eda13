"""Work of a query's first sight done once for all the workers of a server.

Why: each forked worker of `archive serve` keeps its own cache of a typed
word's alternatives (`archive.suggest.corrections`: edit costs of ~90
vocabulary neighbours and a dozen gram-posting estimates).  Measured on the
53k archive with the bench's 255-query mix: a query's first sight costs a
worker 27 ms of CPU against 7 ms warm, and the alternatives are ~45% of the
difference (~6 ms a word) — paid again by the second worker for every word
the first one already saw.  In the bench's 25 s that is a few seconds of the
two cores, and it lands in the p95.

So the workers share the alternatives — and the posting lists ranking reads
through Whoosh (`archive.ranking.Postings`, ~35% of the difference) —
through a scratch SQLite file in the server's own temporary folder, keyed by
the index version they were computed from (they depend on it alone).  Best
effort: when the file is busy or
broken the worker computes the answer as before; the answer is the same
either way.  Each worker still keeps the words it has seen in memory.
Measured (53k archive, the mix through the app in two fresh processes
sharing one store): the second one's first pass costs 13.9 ms a query
instead of 24.4, the first one's ~1 ms more (the writes); every answer
byte-identical.
"""
from __future__ import annotations

import json
import sqlite3

import numpy as np
import threading
from pathlib import Path

from archive.suggest import WordCache

BUSY_MS = 50                 # a write waits this long for the other worker, then is skipped
KEPT_WORDS = 200_000         # rows kept (~200 bytes each: the file stays under ~50 MB)
TRIM_EVERY = 1_000           # a worker trims the oldest rows after this many writes
POSTINGS_BYTES = 256 << 20   # posting lists kept, newest first (12 bytes a posting)


class SharedWork:
    """The server-wide store: `corrections_for(v)` and `postings_for(v)` are
    one index version's caches."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()        # one connection per thread (opened after fork)
        self._writes = 0

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=BUSY_MS / 1000, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=OFF")       # a scratch file: lost on a crash is fine
            db.execute("CREATE TABLE IF NOT EXISTS corrections (version TEXT, word TEXT,"
                       " alternatives TEXT, PRIMARY KEY (version, word))")
            db.execute("CREATE TABLE IF NOT EXISTS postings (version TEXT, field TEXT,"
                       " word TEXT, docs BLOB, tfs BLOB, size INTEGER,"
                       " PRIMARY KEY (version, field, word))")
            self._local.db = db
        return db

    def corrections_for(self, version) -> VersionCorrections:
        return VersionCorrections(self, json.dumps(list(version)))

    def postings_for(self, version) -> VersionPostings:
        return VersionPostings(self, json.dumps(list(version)))

    def read(self, version: str, word: str):
        try:
            row = self._db().execute("SELECT alternatives FROM corrections WHERE version=?"
                                     " AND word=?", (version, word)).fetchone()
        except sqlite3.Error:
            return None
        return None if row is None else [tuple(item) for item in json.loads(row[0])]

    def write(self, version: str, word: str, alternatives) -> None:
        """Store one word's alternatives; every TRIM_EVERY writes the oldest
        rows past KEPT_WORDS go (a long-running server sees endless new words)."""
        self._writes += 1
        try:
            db = self._db()
            db.execute("INSERT OR IGNORE INTO corrections VALUES (?, ?, ?)",
                       (version, word, json.dumps(alternatives, ensure_ascii=False)))
            if self._writes % TRIM_EVERY == 0:
                db.execute("DELETE FROM corrections WHERE rowid <= "
                           "(SELECT max(rowid) FROM corrections) - ?", (KEPT_WORDS,))
        except sqlite3.Error:
            pass


class VersionCorrections(WordCache):
    """`archive.suggest`'s cache interface (get/put): this worker's memory
    first, then what any worker of the server stored for the same version."""

    def __init__(self, store: SharedWork, version: str):
        super().__init__()
        self.store, self.version = store, version

    def get(self, key):
        found = super().get(key)
        if found is None:
            found = self.store.read(self.version, key)
            if found is not None:
                super().put(key, found)
        return found

    def put(self, key, value) -> None:
        super().put(key, value)
        self.store.write(self.version, key, value)


class VersionPostings:
    """`archive.ranking.Postings`'s shared store of one index version:
    (sorted document numbers, term frequencies) of a word in a field.
    Best effort like the alternatives; the newest POSTINGS_BYTES are kept."""

    def __init__(self, store: SharedWork, version: str):
        self.store, self.version = store, version
        self._writes = 0

    def get(self, fieldname: str, word: str):
        try:
            row = self.store._db().execute(
                "SELECT docs, tfs FROM postings WHERE version=? AND field=? AND word=?",
                (self.version, fieldname, word)).fetchone()
        except sqlite3.Error:
            return None
        if row is None:
            return None
        # Read-only views of the bytes SQLite returned, not copies: ranking
        # only reads a posting list.  A list of 200,000 postings: 2.4 MB
        # allocated instead of 4.8, 1.3-1.6 ms CPU a read instead of 3.9 (load ~9).
        return np.frombuffer(row[0], dtype=np.int64), np.frombuffer(row[1], dtype=np.float32)

    def put(self, fieldname: str, word: str, found) -> None:
        # SQLite copies a blob from any buffer: the arrays themselves are
        # bound, converted only if they are not already int64/float32 (no
        # astype copy and tobytes copy: 3.2 MB less for 200,000 postings).
        docs = np.ascontiguousarray(found[0], dtype=np.int64)
        tfs = np.ascontiguousarray(found[1], dtype=np.float32)
        self._writes += 1
        try:
            db = self.store._db()
            db.execute("INSERT OR IGNORE INTO postings VALUES (?, ?, ?, ?, ?, ?)",
                       (self.version, fieldname, word, docs, tfs, docs.nbytes + tfs.nbytes))
            if self._writes % 100 == 0:
                db.execute("DELETE FROM postings WHERE rowid < (SELECT min(rowid) FROM"
                           " (SELECT rowid, sum(size) OVER (ORDER BY rowid DESC) AS newer"
                           "  FROM postings) WHERE newer <= ?)", (POSTINGS_BYTES,))
        except sqlite3.Error:
            pass
