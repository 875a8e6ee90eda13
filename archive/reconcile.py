"""Which stored bulletin a parsed record continues: the archive's identity rules.

Why a module of its own: identity is the rule most easily broken by a
change elsewhere.  Records used to be matched by line number when they had
no 索引号 (every news record in the corpus): one line inserted at the top
of an export re-versioned every record below it with another's text.

For the records of one file, in order:

1. the file's bulletin with the same 索引号;
2. else the first unclaimed one of the file with the same *content key*
   (`content_key`: URL, else 发文字号, else title + date, else the content
   hash) and no other 索引号;
3. else, when another file holds an active bulletin with the same identity
   and the very same content, that bulletin (a *duplicate*: the file joins
   its `doc_sources`, the summary counts it under `duplicates`).  The
   identity is the 索引号, or for a record without one its content key (so
   the same news item in a portal export and in a mirror is one bulletin
   too).  The same 索引号 with other content is a reported *conflict*, and
   both are kept; the same content key with other content is simply two
   bulletins (two news items may share a title and a date);
4. else a new bulletin.

The file's bulletins left unclaimed are withdrawn, unless another file
still holds them (then they move to it: `withdraw_doc`).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from .model import Record


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def record_json(record: Record) -> str:
    return json.dumps(record.to_dict(), ensure_ascii=False, sort_keys=True)


def record_hash(record: Record) -> str:
    """Content hash of a parsed record, independent of where it came from."""
    data = record.to_dict()
    data.pop("source_line", None)
    return sha256_hex(json.dumps(data, ensure_ascii=False, sort_keys=True).encode())


_SOURCE_LINE = ', "source_line": '


def record_texts(record: Record) -> tuple[str, str]:
    """`(record_json(record), record_hash(record))` from one serialisation.

    Each was a `json.dumps` of the whole record (the body dominates): 8% of
    the ingesting process's time, profiled at 10k bulletins.  The hash's
    text is the stored one without its `source_line` member: keys are
    sorted and the ones after it (title, topic, url) are strings, so its
    last occurrence is the top-level member (inside a string the quotes
    would be escaped), and its value is an integer or null (else: two
    serialisations, as before)."""
    text = record_json(record)
    if not _spliceable(record):
        return text, record_hash(record)
    start = text.rfind(_SOURCE_LINE)
    end = min(i for i in (text.find(", ", start + len(_SOURCE_LINE)), len(text) - 1)
              if i >= 0)
    return text, sha256_hex((text[:start] + text[end:]).encode())


def _spliceable(record: Record) -> bool:
    return (type(record.source_line) is int or record.source_line is None) and all(
        value is None or type(value) is str for value in (record.title, record.topic, record.url))


@dataclass
class FileOutcome:
    """What ingesting one file did."""
    path: str
    status: str                       # added | updated | unchanged | failed
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    duplicates: int = 0               # records already held, same content, from another file
    errors: list[str] = field(default_factory=list)     # per-record problems
    conflicts: list[str] = field(default_factory=list)  # duplicate 索引号 etc.


def next_seq(db) -> int:
    """The next value of the archive's change counter (see store)."""
    row = db.execute("SELECT value FROM meta WHERE key='seq'").fetchone()
    seq = int(row[0]) + 1 if row else 1
    db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('seq', ?)", (str(seq),))
    return seq


def content_key(record: Record, content: str | None = None) -> str:
    """What identifies a record without 索引号 inside its file, best first:
    its URL, else its 发文字号, else title + date, else its content hash.
    (Line numbers identified them once: one line inserted at the top of an
    export re-versioned every record below it with another's text.)"""
    if record.url and record.url.strip():
        return "url:" + record.url.strip()
    if record.doc_no:
        return "doc_no:" + record.doc_no
    date = record.issued or record.published
    if record.title and date:
        return f"title:{record.title}|{date}"
    return "hash:" + (content or record_hash(record))


def reconcile(db, file_id: int, ingest_id: int, records, stamp: str,
               outcome: FileOutcome) -> int:
    """Match `records` to the file's bulletins (by 索引号, else content
    key), add versions and new bulletins, withdraw the ones gone.
    Returns the number of records."""
    existing = db.execute(
        "SELECT d.id, d.source_line, d.index_no, d.content_key, d.status, v.sha256"
        " FROM docs d LEFT JOIN versions v ON v.id = d.current_vid WHERE d.file_id=?"
        " ORDER BY d.source_line, d.id", (file_id,)).fetchall()
    by_index = {r["index_no"]: r for r in existing if r["index_no"]}
    by_key: dict[str, list] = {}
    for r in existing:
        by_key.setdefault(r["content_key"], []).append(r)
    held = {r[0] for r in db.execute("SELECT doc_id FROM doc_sources WHERE file_id=?",
                                     (file_id,))}
    seen: set[int] = set()
    count = 0
    for record in records:
        count += 1
        text, content = record_texts(record)
        key = content_key(record, content)
        match = _match(record, key, by_index, by_key, seen)
        if match is not None:
            seen.add(match["id"])
            _refresh(db, match, ingest_id, record, text, content, key, stamp, outcome)
            continue
        twin = _twin(db, file_id, record, content, key, outcome)
        if twin is not None:
            db.execute("INSERT OR REPLACE INTO doc_sources(doc_id, file_id, source_line)"
                       " VALUES (?,?,?)", (twin, file_id, record.source_line))
            held.discard(twin)
            outcome.duplicates += 1
            continue
        doc_id = db.execute(
            "INSERT INTO docs(file_id, source_line, index_no, content_key, status, seq,"
            " created_at, updated_at) VALUES (?,?,?,?, 'active', 0, ?, ?)",
            (file_id, record.source_line, record.index_no, key, stamp, stamp)).lastrowid
        seen.add(doc_id)
        _add_version(db, doc_id, ingest_id, record, text, content, stamp)
        outcome.added += 1
    for doc_id in held:                 # duplicates this file no longer holds
        db.execute("DELETE FROM doc_sources WHERE doc_id=? AND file_id=?", (doc_id, file_id))
    for row in existing:
        if row["id"] not in seen and row["status"] == "active":
            outcome.withdrawn += withdraw_doc(db, row["id"], stamp)
    return count

def _match(record: Record, key: str, by_index: dict, by_key: dict, seen: set):
    """The file's bulletin `record` continues: same 索引号, else the first
    unclaimed one with the same content key (and no other 索引号)."""
    if record.index_no:
        match = by_index.get(record.index_no)
        if match is not None and match["id"] not in seen:
            return match
    for candidate in by_key.get(key, ()):
        if candidate["id"] in seen:
            continue
        if record.index_no and candidate["index_no"] and candidate["index_no"] != record.index_no:
            continue
        return candidate
    return None

def _refresh(db, match, ingest_id: int, record: Record, text: str, content: str, key: str,
             stamp: str, outcome: FileOutcome) -> None:
    if match["sha256"] == content and match["status"] == "active":
        if match["source_line"] != record.source_line:   # moved, not changed
            db.execute("UPDATE docs SET source_line=? WHERE id=?",
                       (record.source_line, match["id"]))
        outcome.unchanged += 1
        return
    _add_version(db, match["id"], ingest_id, record, text, content, stamp, key)
    outcome.updated += 1

def _add_version(db, doc_id: int, ingest_id: int, record: Record, text: str, content: str,
                 stamp: str, key: str | None = None) -> None:
    vid = db.execute(
        "INSERT INTO versions(doc_id, ingest_id, record, sha256, created_at)"
        " VALUES (?,?,?,?,?)",
        (doc_id, ingest_id, text, content, stamp)).lastrowid
    db.execute("UPDATE docs SET current_vid=?, index_no=?, source_line=?, status='active',"
               " content_key=COALESCE(?, content_key), seq=?, updated_at=? WHERE id=?",
               (vid, record.index_no, record.source_line, key, next_seq(db), stamp,
                doc_id))

def _twin(db, file_id: int, record: Record, content: str, key: str,
          outcome: FileOutcome) -> int | None:
    """The active bulletin of another file with this identity (索引号, else
    content key) and this very content (a duplicate: its id), else None; a
    different content with the same 索引号 is a conflict, reported."""
    if not record.index_no:
        row = db.execute(
            "SELECT d.id FROM docs d JOIN versions v ON v.id = d.current_vid"
            " WHERE d.content_key=? AND d.file_id<>? AND d.status='active'"
            " AND COALESCE(d.index_no, '')='' AND v.sha256=? ORDER BY d.id LIMIT 1",
            (key, file_id, content)).fetchone()
        return row["id"] if row is not None else None
    others = db.execute(
        "SELECT d.id, f.path, v.sha256 FROM docs d JOIN files f ON f.id = d.file_id"
        " JOIN versions v ON v.id = d.current_vid"
        " WHERE d.index_no=? AND d.file_id<>? AND d.status='active' ORDER BY d.id LIMIT 20",
        (record.index_no, file_id)).fetchall()
    for other in others:
        if other["sha256"] == content:
            return other["id"]
    if others:
        other = others[0]
        where = f" (line {record.source_line})" if record.source_line else ""
        outcome.conflicts.append(
            f"索引号 {record.index_no}{where} also belongs to a different bulletin "
            f"(#{other['id']}, from {other['path']}); both are kept")
    return None

def withdraw_doc(db, doc_id: int, stamp: str) -> int:
    """Its file no longer holds bulletin `doc_id`: hand it over to another
    file that holds it too (a duplicate), else withdraw it.  1 if withdrawn."""
    other = db.execute(
        "SELECT ds.file_id, ds.source_line FROM doc_sources ds JOIN files f"
        " ON f.id = ds.file_id WHERE ds.doc_id=? AND f.status='active' LIMIT 1",
        (doc_id,)).fetchone()
    if other is not None:
        db.execute("UPDATE docs SET file_id=?, source_line=? WHERE id=?",
                   (other["file_id"], other["source_line"], doc_id))
        db.execute("DELETE FROM doc_sources WHERE doc_id=? AND file_id=?",
                   (doc_id, other["file_id"]))
        return 0
    db.execute("UPDATE docs SET status='withdrawn', seq=?, updated_at=? WHERE id=?",
               (next_seq(db), stamp, doc_id))
    return 1
