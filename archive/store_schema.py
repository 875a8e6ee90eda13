"""The archive's SQLite schema and its migrations (`archive.store`).

Schema versions (`meta.schema`), migrated on open by a writer: 1 the first;
2 adds `docs.content_key`, `files.raw_path` (a path's bytes when they are
not UTF-8) and `doc_sources` (the other files of a duplicated bulletin);
3 indexes `docs.content_key` alone (duplicates without 索引号 across files).
Apart from `archive.store` so that the schema reads as one text and a
migration is added without touching the archive's queries.
"""
from __future__ import annotations

import json

from .model import Record
from .reconcile import content_key

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


def migrate(conn, transaction) -> None:
    """Bring the archive open on `conn` to SCHEMA_VERSION (idempotent);
    `transaction()` is the archive's write transaction (`Archive.transaction`)."""
    row = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
    if row is not None and int(row[0]) >= SCHEMA_VERSION:
        return
    with transaction() as db:
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
