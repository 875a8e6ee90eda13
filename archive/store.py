"""The archive of record: SQLite, the one place nothing is ever lost.

Every ingested file keeps its original bytes (deduplicated by SHA-256), its
path, hash and ingest time; every bulletin (`docs`) keeps every version of its
parsed record (`versions`).  Nothing is ever deleted: a bulletin whose source
disappears is marked *withdrawn* and can be restored.

Each change to a bulletin takes the next value of a global change counter
(`docs.seq`).  The search index records the last counter value it applied, so
bringing it up to date is "apply every doc with seq > applied" — idempotent,
and complete after any crash.

Matching on re-ingest: a record from a file that was ingested before is
matched to that file's bulletin with the same 索引号, else to the one at the
same line.  A 索引号 already used by a bulletin from another file, with other
content, is a *conflict*: both are kept and the conflict is reported.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .model import Record

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
"""

DB_NAME = "archive.sqlite"


def now_iso() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def record_json(record: Record) -> str:
    return json.dumps(record.to_dict(), ensure_ascii=False, sort_keys=True)


def record_hash(record: Record) -> str:
    """Content hash of a parsed record, independent of where it came from."""
    data = record.to_dict()
    data.pop("source_line", None)
    return sha256_hex(json.dumps(data, ensure_ascii=False, sort_keys=True).encode())


@dataclass
class FileOutcome:
    """What ingesting one file did."""
    path: str
    status: str                       # added | updated | unchanged | failed
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    errors: list[str] = field(default_factory=list)     # per-record problems
    conflicts: list[str] = field(default_factory=list)  # duplicate 索引号 etc.


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

    def as_json(self) -> dict:
        r = self.record
        return {
            "id": self.id, "index_no": r.index_no, "doc_no": r.doc_no, "title": r.title,
            "issuer": r.issuer, "topic": r.topic, "issued": r.issued,
            "published": r.published, "keywords": list(r.keywords or []),
            "body": r.body, "url": r.url, "source_path": self.source_path,
            "source_line": r.source_line, "ingested_at": self.ingested_at,
            "sha256": self.sha256, "status": self.status, "versions": self.versions,
        }


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

    # -- connection -------------------------------------------------------
    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self.readonly:
                if not self.path.exists():
                    raise FileNotFoundError(f"no archive at {self.path}")
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
            db.execute("ROLLBACK")
            raise
        else:
            db.execute("COMMIT")

    # -- meta ---------------------------------------------------------------
    def next_seq(self, db: sqlite3.Connection) -> int:
        row = db.execute("SELECT value FROM meta WHERE key='seq'").fetchone()
        seq = int(row[0]) + 1 if row else 1
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('seq', ?)", (str(seq),))
        return seq

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

    def record_failure(self, path: str, size: int, mtime: float, data: bytes | None,
                       reason: str) -> FileOutcome:
        """A file that yielded nothing: keep its bytes and the reason.

        Bulletins it held before (if any) are left as they were: a file that
        turned to garbage must not take good records down with it.
        """
        stamp = now_iso()
        with self.transaction() as db:
            sha = None
            if data is not None:
                sha = sha256_hex(data)
                db.execute("INSERT OR IGNORE INTO blobs(sha256, size, data) VALUES (?,?,?)",
                           (sha, len(data), data))
            row = db.execute("SELECT id FROM files WHERE path=?", (path,)).fetchone()
            if row is None:
                db.execute("INSERT INTO files(path, size, mtime, sha256, status, error, first_seen)"
                           " VALUES (?,?,?,?, 'failed', ?, ?)",
                           (path, size, mtime, sha, reason, stamp))
            else:
                db.execute("UPDATE files SET size=?, mtime=?, sha256=?, status='failed', error=?"
                           " WHERE id=?", (size, mtime, sha, reason, row["id"]))
        return FileOutcome(path, "failed", errors=[reason])

    def store_file(self, path: str, size: int, mtime: float, data: bytes, fmt: str,
                   encoding: str | None, records: list[Record],
                   errors: list[str]) -> FileOutcome:
        """Keep a file's bytes and reconcile its records with the archive."""
        sha = sha256_hex(data)
        stamp = now_iso()
        outcome = FileOutcome(path, "unchanged", errors=list(errors))
        with self.transaction() as db:
            row = db.execute("SELECT * FROM files WHERE path=?", (path,)).fetchone()
            if row is not None and row["sha256"] == sha and row["status"] == "active":
                db.execute("UPDATE files SET size=?, mtime=? WHERE id=?", (size, mtime, row["id"]))
                outcome.unchanged = db.execute(
                    "SELECT COUNT(*) FROM docs WHERE file_id=? AND status='active'",
                    (row["id"],)).fetchone()[0]
                return outcome
            db.execute("INSERT OR IGNORE INTO blobs(sha256, size, data) VALUES (?,?,?)",
                       (sha, len(data), data))
            if row is None:
                file_id = db.execute(
                    "INSERT INTO files(path, size, mtime, sha256, format, encoding, status,"
                    " first_seen, last_ingest) VALUES (?,?,?,?,?,?, 'active', ?, ?)",
                    (path, size, mtime, sha, fmt, encoding, stamp, stamp)).lastrowid
            else:
                file_id = row["id"]
                db.execute("UPDATE files SET size=?, mtime=?, sha256=?, format=?, encoding=?,"
                           " status='active', error=NULL, last_ingest=? WHERE id=?",
                           (size, mtime, sha, fmt, encoding, stamp, file_id))
            ingest_id = db.execute(
                "INSERT INTO ingests(file_id, sha256, ingested_at, records, errors)"
                " VALUES (?,?,?,?,?)",
                (file_id, sha, stamp, len(records), json.dumps(errors, ensure_ascii=False))
            ).lastrowid
            self._reconcile(db, file_id, ingest_id, records, stamp, outcome)
        if outcome.added or outcome.updated or outcome.withdrawn:
            outcome.status = "updated" if row is not None else "added"
        return outcome

    def _reconcile(self, db, file_id: int, ingest_id: int, records: list[Record],
                   stamp: str, outcome: FileOutcome) -> None:
        existing = db.execute(
            "SELECT d.id, d.source_line, d.index_no, d.status, v.sha256"
            " FROM docs d LEFT JOIN versions v ON v.id = d.current_vid WHERE d.file_id=?",
            (file_id,)).fetchall()
        by_index = {r["index_no"]: r for r in existing if r["index_no"]}
        by_line = {r["source_line"]: r for r in existing}
        seen: set[int] = set()
        for record in records:
            content = record_hash(record)
            match = by_index.get(record.index_no) if record.index_no else None
            if match is None or match["id"] in seen:
                match = by_line.get(record.source_line)
                if match is not None and (match["id"] in seen or (
                        record.index_no and match["index_no"]
                        and match["index_no"] != record.index_no)):
                    match = None
            if match is not None:
                seen.add(match["id"])
                if match["sha256"] == content and match["status"] == "active":
                    if match["source_line"] != record.source_line:   # moved, not changed
                        db.execute("UPDATE docs SET source_line=? WHERE id=?",
                                   (record.source_line, match["id"]))
                    outcome.unchanged += 1
                    continue
                self._add_version(db, match["id"], ingest_id, record, content, stamp,
                                  withdrawn_before=match["status"] != "active")
                outcome.updated += 1
                continue
            self._check_conflict(db, file_id, record, content, outcome)
            doc_id = db.execute(
                "INSERT INTO docs(file_id, source_line, index_no, status, seq, created_at,"
                " updated_at) VALUES (?,?,?, 'active', 0, ?, ?)",
                (file_id, record.source_line, record.index_no, stamp, stamp)).lastrowid
            seen.add(doc_id)
            self._add_version(db, doc_id, ingest_id, record, content, stamp)
            outcome.added += 1
        for row in existing:
            if row["id"] not in seen and row["status"] == "active":
                db.execute("UPDATE docs SET status='withdrawn', seq=?, updated_at=? WHERE id=?",
                           (self.next_seq(db), stamp, row["id"]))
                outcome.withdrawn += 1

    def _add_version(self, db, doc_id: int, ingest_id: int, record: Record, content: str,
                     stamp: str, withdrawn_before: bool = False) -> None:
        vid = db.execute(
            "INSERT INTO versions(doc_id, ingest_id, record, sha256, created_at)"
            " VALUES (?,?,?,?,?)",
            (doc_id, ingest_id, record_json(record), content, stamp)).lastrowid
        db.execute("UPDATE docs SET current_vid=?, index_no=?, source_line=?, status='active',"
                   " seq=?, updated_at=? WHERE id=?",
                   (vid, record.index_no, record.source_line, self.next_seq(db), stamp, doc_id))

    def _check_conflict(self, db, file_id: int, record: Record, content: str,
                        outcome: FileOutcome) -> None:
        if not record.index_no:
            return
        other = db.execute(
            "SELECT d.id, f.path, v.sha256 FROM docs d JOIN files f ON f.id = d.file_id"
            " JOIN versions v ON v.id = d.current_vid"
            " WHERE d.index_no=? AND d.file_id<>? AND d.status='active' LIMIT 1",
            (record.index_no, file_id)).fetchone()
        if other is not None and other["sha256"] != content:
            where = f" (line {record.source_line})" if record.source_line else ""
            outcome.conflicts.append(
                f"索引号 {record.index_no}{where} also belongs to a different bulletin "
                f"(#{other['id']}, from {other['path']}); both are kept")

    # -- withdraw / restore ---------------------------------------------------
    def withdraw_file(self, path: str) -> int:
        """The source file is gone: hide its bulletins, keep everything."""
        stamp = now_iso()
        with self.transaction() as db:
            row = db.execute("SELECT id FROM files WHERE path=?", (path,)).fetchone()
            if row is None:
                return 0
            db.execute("UPDATE files SET status='withdrawn' WHERE id=?", (row["id"],))
            ids = [r[0] for r in db.execute(
                "SELECT id FROM docs WHERE file_id=? AND status='active'", (row["id"],))]
            for doc_id in ids:
                db.execute("UPDATE docs SET status='withdrawn', seq=?, updated_at=? WHERE id=?",
                           (self.next_seq(db), stamp, doc_id))
        return len(ids)

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

    def get(self, doc_id: int) -> StoredDoc | None:
        row = self.db.execute(self._DOC_SQL + " WHERE d.id=?", (doc_id,)).fetchone()
        return self._stored(row) if row else None

    def get_many(self, doc_ids: list[int]) -> dict[int, StoredDoc]:
        out = {}
        for chunk in _chunks(list(doc_ids), 500):
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(self._DOC_SQL + f" WHERE d.id IN ({marks})", chunk):
                out[row["id"]] = self._stored(row)
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
                      data: bool = True) -> "Original | None":
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
            "SELECT d.id, d.status, d.current_vid, v.record, d.seq FROM docs d"
            " JOIN versions v ON v.id = d.current_vid WHERE d.seq > ? ORDER BY d.seq", (seq,))
        for row in cursor:
            yield row[0], row[1], row[2], json.loads(row[3]), row[4]

    def all_docs(self):
        """(doc id, vid, status, record) of every bulletin, withdrawn included."""
        cursor = self.db.execute(
            "SELECT d.id, d.current_vid, d.status, v.record FROM docs d"
            " JOIN versions v ON v.id = d.current_vid ORDER BY d.id")
        for row in cursor:
            yield row[0], row[1], row[2], json.loads(row[3])

    def sample_titles(self, n: int) -> list[tuple[int, str]]:
        """A few (doc id, title) pairs of active bulletins, spread over the archive."""
        ids = [r[0] for r in self.db.execute(
            "SELECT id FROM docs WHERE status='active' ORDER BY id")]
        if not ids:
            return []
        picks = sorted({ids[0], ids[len(ids) // 2], ids[-1]})[:n]
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


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]
