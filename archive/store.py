"""The archive of record: SQLite, the one place nothing is ever lost.

Every ingested file keeps its original bytes (deduplicated by SHA-256), its
path, hash and ingest time; every bulletin (`docs`) keeps every version of its
parsed record (`versions`).  Nothing is ever deleted: a bulletin whose source
disappears is marked *withdrawn* and can be restored.

Each change to a bulletin takes the next value of a global change counter
(`docs.seq`).  The search index records the last counter value it applied, so
bringing it up to date is "apply every doc with seq > applied" — idempotent,
and complete after any crash.

Matching on re-ingest (which bulletin a record continues: by 索引号, else
by content key — never by line number; duplicates and conflicts across
files) is `archive.reconcile`.

Schema versions (`meta.schema`), migrated on open by a writer: 1 the first;
2 adds `docs.content_key`, `files.raw_path` (a path's bytes when they are
not UTF-8) and `doc_sources` (the other files of a duplicated bulletin);
3 indexes `docs.content_key` alone (duplicates without 索引号 across files).
"""
from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .errors import NoArchive
from .fields import DOCUMENT_KEYS
from .model import Record
from .public import public_fields
from .reconcile import (FileOutcome, content_key, next_seq, reconcile,  # noqa: F401
                        record_hash, record_json, sha256_hex, withdraw_doc)

SCHEMA = """
CREATE TABLE IF NOT EXISTS blobs (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    size INTEGER,
    mtime REAL,
    sha256 TEXT,
    format TEXT,
    encoding TEXT,
    status TEXT NOT NULL DEFAULT 'active',   -- active | failed | withdrawn
    error TEXT,
    first_seen TEXT NOT NULL,
    last_ingest TEXT
);
CREATE TABLE IF NOT EXISTS ingests (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files(id),
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    ingested_at TEXT NOT NULL,
    records INTEGER NOT NULL,
    errors TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS docs (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files(id),
    source_line INTEGER,
    index_no TEXT,
    current_vid INTEGER,
    status TEXT NOT NULL DEFAULT 'active',   -- active | withdrawn
    seq INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS docs_by_file ON docs(file_id, source_line);
CREATE INDEX IF NOT EXISTS docs_by_index_no ON docs(index_no);
CREATE INDEX IF NOT EXISTS docs_by_seq ON docs(seq);
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY,
    doc_id INTEGER NOT NULL REFERENCES docs(id),
    ingest_id INTEGER NOT NULL REFERENCES ingests(id),
    record TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS versions_by_doc ON versions(doc_id);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT,                            -- running | ok | partial | failed
    counts TEXT NOT NULL DEFAULT '{}',
    errors TEXT NOT NULL DEFAULT '[]',
    detail TEXT
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS doc_sources (
    doc_id INTEGER NOT NULL REFERENCES docs(id),
    file_id INTEGER NOT NULL REFERENCES files(id),
    source_line INTEGER,
    PRIMARY KEY (doc_id, file_id)
);
CREATE INDEX IF NOT EXISTS doc_sources_by_file ON doc_sources(file_id);
"""

SCHEMA_VERSION = 3
# Columns added after version 1: (table, column, declaration).
_ADDED_COLUMNS = (("docs", "content_key", "TEXT"), ("files", "raw_path", "BLOB"))

DB_NAME = "archive.sqlite"


def now_iso() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


@dataclass
class Original:
    """An original as ingested: the whole file, or one record's line of it."""
    path: str
    data: bytes
    line: int | None = None           # the record's 1-based line (JSON Lines), else None
    whole: bool = True                # False: `data` is only that line


@dataclass
class StoredDoc:
    """A bulletin as the archive holds it: its current record and provenance."""
    id: int
    vid: int
    status: str
    record: Record
    source_path: str
    ingested_at: str
    sha256: str                       # of the original file content
    versions: int
    sources: list[dict] = field(default_factory=list)   # every file holding it
    def as_json(self) -> dict:
        r = self.record
        values = dict(r.to_dict(), id=self.id, source_path=self.source_path,
                      ingested_at=self.ingested_at, sha256=self.sha256, status=self.status,
                      versions=self.versions,
                      sources=self.sources or [{"path": self.source_path, "line": r.source_line}],
                      attachments=[dict(a) for a in r.attachments or []])
        return public_fields(values, DOCUMENT_KEYS)


class Archive:
    """The SQLite archive under a data home.  One writer at a time (see jobs)."""

    def __init__(self, home: Path, readonly: bool = False):
        self.home = Path(home)
        self.path = self.home / DB_NAME
        self.readonly = readonly
        self._local = threading.local()
        if not readonly:
            self.home.mkdir(parents=True, exist_ok=True)
            self.db.executescript(SCHEMA)
            self._migrate()

    def _migrate(self) -> None:
        """Bring an archive of an older schema to SCHEMA_VERSION (idempotent)."""
        row = self.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is not None and int(row[0]) >= SCHEMA_VERSION:
            return
        with self.transaction() as db:
            for table, column, declaration in _ADDED_COLUMNS:
                have = {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
                if column not in have:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
            rows = db.execute("SELECT d.id, v.record, v.sha256 FROM docs d JOIN versions v"
                              " ON v.id = d.current_vid WHERE d.content_key IS NULL").fetchall()
            for doc_id, text, sha in rows:
                key = content_key(Record.from_dict(json.loads(text)), sha)
                db.execute("UPDATE docs SET content_key=? WHERE id=?", (key, doc_id))
            db.execute("CREATE INDEX IF NOT EXISTS docs_by_key ON docs(file_id, content_key)")
            # 3: a bulletin without 索引号 is found in other files by content key
            db.execute("CREATE INDEX IF NOT EXISTS docs_by_content_key ON docs(content_key)")
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema', ?)",
                       (str(SCHEMA_VERSION),))

    # -- connection -------------------------------------------------------
    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self.readonly:
                if not self.path.exists():
                    raise NoArchive(f"no archive in {self.home}: run `archive ingest PATH` "
                                    "first", home=str(self.home))
                conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True,
                                       check_same_thread=False, timeout=30,
                                       isolation_level=None)
            else:
                # isolation_level=None: transactions are ours (BEGIN IMMEDIATE).
                conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30,
                                       isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            conn.row_factory = sqlite3.Row
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def transaction(self):
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if db.in_transaction:      # SQLite ends it by itself on SQLITE_FULL: then
                db.execute("ROLLBACK")  # a ROLLBACK would hide the cause ("cannot rollback")
            raise
        else:
            try:
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    # -- meta ---------------------------------------------------------------
    def next_seq(self, db: sqlite3.Connection) -> int:
        return next_seq(db)

    def current_seq(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key='seq'").fetchone()
        return int(row[0]) if row else 0

    # -- files ----------------------------------------------------------------
    def file_row(self, path: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM files WHERE path=?", (path,)).fetchone()

    def known_files(self) -> dict[str, sqlite3.Row]:
        return {row["path"]: row for row in self.db.execute("SELECT * FROM files")}

    def touch_file(self, path: str, size: int, mtime: float) -> None:
        """Record a new size/mtime for a file whose content did not change."""
        with self.transaction() as db:
            db.execute("UPDATE files SET size=?, mtime=? WHERE path=?", (size, mtime, path))

    def _put_blob(self, db, sha: str, data) -> None:
        """Keep an original once.  `data` is bytes, or (open file, size):
        a file is copied in 1 MiB pieces into a zero-filled blob, so a large
        export is never held in memory whole."""
        if isinstance(data, (bytes, bytearray, memoryview)):
            db.execute("INSERT OR IGNORE INTO blobs(sha256, size, data) VALUES (?,?,?)",
                       (sha, len(data), bytes(data)))
            return
        fileobj, size = data
        cursor = db.execute("INSERT OR IGNORE INTO blobs(sha256, size, data)"
                            " VALUES (?,?, zeroblob(?))", (sha, size, size))
        if cursor.rowcount:
            fileobj.seek(0)
            with db.blobopen("blobs", "data", cursor.lastrowid) as blob:
                while chunk := fileobj.read(1 << 20):
                    blob.write(chunk)

    def _file_id(self, db, path: str, raw_path: bytes | None, values: dict) -> int:
        """Insert or update the `files` row of `path` with `values`; its id."""
        row = db.execute("SELECT id FROM files WHERE path=?", (path,)).fetchone()
        if row is None:
            values = {**values, "path": path, "raw_path": raw_path, "first_seen": now_iso()}
            names = ", ".join(values)
            return db.execute(f"INSERT INTO files({names}) VALUES ({', '.join('?' * len(values))})",
                              tuple(values.values())).lastrowid
        db.execute(f"UPDATE files SET {', '.join(f'{k}=?' for k in values)} WHERE id=?",
                   (*values.values(), row["id"]))
        return row["id"]

    def record_failure(self, path: str, size: int, mtime: float, data, reason: str,
                       sha: str | None = None, raw_path: bytes | None = None) -> FileOutcome:
        """A file that yielded nothing: keep its bytes and the reason.

        Bulletins it held before (if any) are left as they were: a file that
        turned to garbage must not take good records down with it.
        """
        with self.transaction() as db:
            if data is not None:
                sha = sha or sha256_hex(data)
                self._put_blob(db, sha, data)
            self._file_id(db, path, raw_path, {"size": size, "mtime": mtime, "sha256": sha,
                                               "status": "failed", "error": reason})
        return FileOutcome(path, "failed", errors=[reason])

    def store_file(self, path: str, size: int, mtime: float, data, fmt: str,
                   encoding: str | None, records, errors: list[str],
                   sha: str | None = None, raw_path: bytes | None = None) -> FileOutcome:
        """Keep a file's bytes and reconcile its records with the archive.

        `records` may be a stream (a generator that appends its problems to
        `errors` as it goes): it is consumed inside the transaction, so an
        exception from it (`limits.FileRefused`) leaves the archive as it
        was, and so does a stream that yields no record at all (`NoRecords`).
        """
        sha = sha or sha256_hex(data)
        stamp = now_iso()
        outcome = FileOutcome(path, "unchanged", errors=errors)
        with self.transaction() as db:
            row = db.execute("SELECT * FROM files WHERE path=?", (path,)).fetchone()
            if row is not None and row["sha256"] == sha and row["status"] == "active":
                db.execute("UPDATE files SET size=?, mtime=? WHERE id=?", (size, mtime, row["id"]))
                outcome.unchanged = db.execute(
                    "SELECT COUNT(*) FROM docs WHERE file_id=? AND status='active'",
                    (row["id"],)).fetchone()[0]
                return outcome
            self._put_blob(db, sha, data)
            file_id = self._file_id(db, path, raw_path, {
                "size": size, "mtime": mtime, "sha256": sha, "format": fmt,
                "encoding": encoding, "status": "active", "error": None, "last_ingest": stamp})
            ingest_id = db.execute(
                "INSERT INTO ingests(file_id, sha256, ingested_at, records) VALUES (?,?,?,0)",
                (file_id, sha, stamp)).lastrowid
            count = reconcile(db, file_id, ingest_id, records, stamp, outcome)
            if count == 0:
                raise NoRecords("; ".join(list(errors)[:3]) or "no bulletin found")
            kept = errors.summary() if hasattr(errors, "summary") else list(errors)
            db.execute("UPDATE ingests SET records=?, errors=? WHERE id=?",
                       (count, json.dumps(kept, ensure_ascii=False), ingest_id))
        if outcome.added or outcome.updated or outcome.withdrawn:
            outcome.status = "updated" if row is not None else "added"
        return outcome

    # -- withdraw / restore ---------------------------------------------------
    def withdraw_file(self, path: str) -> int:
        """The source file is gone: hide its bulletins, keep everything."""
        stamp = now_iso()
        with self.transaction() as db:
            row = db.execute("SELECT id FROM files WHERE path=?", (path,)).fetchone()
            if row is None:
                return 0
            db.execute("UPDATE files SET status='withdrawn' WHERE id=?", (row["id"],))
            db.execute("DELETE FROM doc_sources WHERE file_id=?", (row["id"],))
            ids = [r[0] for r in db.execute(
                "SELECT id FROM docs WHERE file_id=? AND status='active'", (row["id"],))]
            return sum(withdraw_doc(db, doc_id, stamp) for doc_id in ids)

    def set_doc_status(self, doc_id: int, status: str) -> bool:
        """Withdraw or restore one bulletin by hand."""
        if status not in ("active", "withdrawn"):
            raise ValueError(status)
        with self.transaction() as db:
            row = db.execute("SELECT status FROM docs WHERE id=?", (doc_id,)).fetchone()
            if row is None:
                return False
            if row["status"] != status:
                db.execute("UPDATE docs SET status=?, seq=?, updated_at=? WHERE id=?",
                           (status, self.next_seq(db), now_iso(), doc_id))
        return True

    # -- reading ----------------------------------------------------------------
    _DOC_SQL = (
        "SELECT d.id, d.status, d.current_vid AS vid, d.source_line, v.record, f.path,"
        " i.ingested_at, i.sha256,"
        " (SELECT COUNT(*) FROM versions WHERE doc_id = d.id) AS nversions"
        " FROM docs d JOIN versions v ON v.id = d.current_vid"
        " JOIN ingests i ON i.id = v.ingest_id JOIN files f ON f.id = d.file_id")

    def _stored(self, row) -> StoredDoc:
        record = Record.from_dict(json.loads(row["record"]))
        record.source_line = row["source_line"]      # where the record is now
        return StoredDoc(row["id"], row["vid"], row["status"], record, row["path"],
                         row["ingested_at"], row["sha256"], row["nversions"])

    def _has_doc_sources(self) -> bool:
        """False for a schema-1 archive a reader opens before any writer migrated it."""
        if getattr(self, "_doc_sources", None) is None:
            self._doc_sources = self.db.execute(
                "SELECT 1 FROM sqlite_master WHERE name='doc_sources'").fetchone() is not None
        return self._doc_sources

    def get(self, doc_id: int) -> StoredDoc | None:
        return self.get_many([doc_id]).get(doc_id)

    def get_many(self, doc_ids: list[int]) -> dict[int, StoredDoc]:
        out = {}
        for chunk in _chunks(list(doc_ids), 500):
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(self._DOC_SQL + f" WHERE d.id IN ({marks})", chunk):
                out[row["id"]] = self._stored(row)
            if not self._has_doc_sources():
                continue
            for row in self.db.execute(
                    "SELECT ds.doc_id, f.path, ds.source_line FROM doc_sources ds JOIN files f"
                    f" ON f.id = ds.file_id WHERE ds.doc_id IN ({marks}) ORDER BY f.path", chunk):
                doc = out.get(row[0])
                if doc is not None:
                    if not doc.sources:
                        doc.sources = [{"path": doc.source_path, "line": doc.record.source_line}]
                    doc.sources.append({"path": row[1], "line": row[2]})
        return out

    def bodies(self, doc_ids: list[int]) -> dict[int, str]:
        """The current body of each bulletin (what a result page's snippets
        need): one join, no sources, counts or record object — 0.44 ms a
        page of 8 where `get_many` took 0.74."""
        out = {}
        for chunk in _chunks(list(doc_ids), 500):
            marks = ",".join("?" * len(chunk))
            for doc_id, record in self.db.execute(
                    "SELECT d.id, v.record FROM docs d JOIN versions v ON v.id = d.current_vid"
                    f" WHERE d.id IN ({marks})", chunk):
                out[doc_id] = json.loads(record).get("body") or ""
        return out

    def versions(self, doc_id: int) -> list[dict]:
        """Every version of a bulletin, newest first (the current one included)."""
        rows = self.db.execute(
            "SELECT v.id, v.record, v.sha256, v.created_at, f.path, i.sha256 AS file_sha"
            " FROM versions v JOIN ingests i ON i.id = v.ingest_id JOIN files f ON f.id = i.file_id"
            " WHERE v.doc_id=? ORDER BY v.id DESC", (doc_id,)).fetchall()
        return [{"vid": r["id"], "created_at": r["created_at"], "source_path": r["path"],
                 "sha256": r["file_sha"], "record": json.loads(r["record"])} for r in rows]

    def original(self, doc_id: int, vid: int | None = None) -> tuple[str, bytes] | None:
        """(source path, original bytes) of the file a bulletin version came from."""
        found = self.original_file(doc_id, vid)
        return (found.path, found.data) if found else None

    def original_file(self, doc_id: int, vid: int | None = None,
                      data: bool = True) -> Original | None:
        """The file a bulletin version came from, with the version's line in
        it (JSON Lines records): the line as it was in *that* file, which a
        later ingest may have moved.  `data=False`: where it is, not the
        bytes (a page saying where 下载原件 comes from reads no blob)."""
        blob = "b.data" if data else "x''"
        row = self.db.execute(
            f"SELECT f.path, {blob} AS data, v.record FROM versions v"
            " JOIN ingests i ON i.id = v.ingest_id JOIN files f ON f.id = i.file_id"
            " JOIN blobs b ON b.sha256 = i.sha256"
            " WHERE v.doc_id=? AND v.id = COALESCE(?, (SELECT current_vid FROM docs WHERE id=?))",
            (doc_id, vid, doc_id)).fetchone()
        if row is None:
            return None
        line = json.loads(row["record"]).get("source_line")
        return Original(row["path"], bytes(row["data"]), line if isinstance(line, int) else None)

    def changes_since(self, seq: int):
        """(doc id, status, vid, record, seq) of every doc changed after `seq`."""
        cursor = self.db.execute(
            "SELECT d.id, d.status, d.current_vid, v.record, d.seq, d.source_line FROM docs d"
            " JOIN versions v ON v.id = d.current_vid WHERE d.seq > ? ORDER BY d.seq", (seq,))
        for row in cursor:
            yield row[0], row[1], row[2], dict(json.loads(row[3]), source_line=row[5]), row[4]

    def all_docs(self):
        """(doc id, vid, status, record) of every bulletin, withdrawn included."""
        cursor = self.db.execute(
            "SELECT d.id, d.current_vid, d.status, v.record, d.source_line FROM docs d"
            " JOIN versions v ON v.id = d.current_vid ORDER BY d.id")
        for row in cursor:
            yield row[0], row[1], row[2], dict(json.loads(row[3]), source_line=row[4])

    def sample_titles(self, n: int) -> list[tuple[int, str]]:
        """A few (doc id, title) pairs of active bulletins, spread over the archive."""
        ids = [r[0] for r in self.db.execute(
            "SELECT id FROM docs WHERE status='active' ORDER BY id")]
        if not ids or n < 1:
            return []
        # n evenly spaced picks, the first and the last included.
        picks = sorted({ids[i * (len(ids) - 1) // max(1, n - 1)] for i in range(n)})
        out = []
        for doc in self.get_many(picks).values():
            if doc.record.title:
                out.append((doc.id, doc.record.title))
        return out

    def counts(self) -> dict:
        db = self.db
        one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "documents": one("SELECT COUNT(*) FROM docs WHERE status='active'"),
            "withdrawn": one("SELECT COUNT(*) FROM docs WHERE status='withdrawn'"),
            "versions": one("SELECT COUNT(*) FROM versions"),
            "files": one("SELECT COUNT(*) FROM files"),
            "failed_files": one("SELECT COUNT(*) FROM files WHERE status='failed'"),
            "original_bytes": one("SELECT COALESCE(SUM(size), 0) FROM blobs"),
        }

    def content_fingerprint(self) -> dict[int, str]:
        """doc id -> hash of every version's content: for 'nothing lost' checks."""
        out: dict[int, list[str]] = {}
        for doc_id, sha in self.db.execute("SELECT doc_id, sha256 FROM versions ORDER BY id"):
            out.setdefault(doc_id, []).append(sha)
        return {k: sha256_hex("".join(v).encode()) for k, v in out.items()}

    # -- jobs -------------------------------------------------------------------
    def start_job(self, kind: str, detail: dict | None = None) -> int:
        with self.transaction() as db:
            return db.execute(
                "INSERT INTO jobs(kind, started_at, outcome, detail) VALUES (?,?, 'running', ?)",
                (kind, now_iso(), json.dumps(detail or {}, ensure_ascii=False))).lastrowid

    def finish_job(self, job_id: int, outcome: str, counts: dict, errors: list) -> None:
        with self.transaction() as db:
            db.execute("UPDATE jobs SET finished_at=?, outcome=?, counts=?, errors=? WHERE id=?",
                       (now_iso(), outcome, json.dumps(counts),
                        json.dumps(errors, ensure_ascii=False), job_id))

    def mark_stale_jobs(self) -> int:
        """Mark jobs left 'running' as 'killed'.  Only call it holding the
        writer lock: then no job can really be running."""
        with self.transaction() as db:
            return db.execute("UPDATE jobs SET outcome='killed', finished_at=?"
                              " WHERE outcome='running'", (now_iso(),)).rowcount

    def jobs(self, limit: int = 20) -> list[dict]:
        rows = self.db.execute("SELECT * FROM jobs ORDER BY id DESC LIMIT ?", (limit,))
        return [{"id": r["id"], "kind": r["kind"], "started_at": r["started_at"],
                 "finished_at": r["finished_at"], "outcome": r["outcome"],
                 "counts": json.loads(r["counts"]), "errors": json.loads(r["errors"]),
                 "detail": json.loads(r["detail"] or "{}")} for r in rows]


class NoRecords(ValueError):
    """A file whose stream yielded no bulletin: it failed, nothing changed."""


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]
