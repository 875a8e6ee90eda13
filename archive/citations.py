"""Citation links: which bulletins a bulletin cites, and which cite it.

Chinese official documents cite each other in a fixed form: a 发文字号
(国发〔2018〕39号, in any bracket form), a title in 《》, or both together
(根据《国务院关于……的通知》（国发〔2018〕39号）).  `extract` finds every
such reference in a bulletin's title and body; a reference in the title of a
"关于转发《X》的通知" is a 转发 (the notice forwards X).

A reference resolves to a bulletin of the archive by its normalised 发文字号
(`archive.normalize.normalize_doc_no`, the one rule the whole archive uses),
else by its exact folded title, else it stays unresolved.  When several
bulletins carry the key (a law in several revisions), the newest one dated
on or before the citing bulletin wins, else the oldest; of several copies of one
bulletin (a reprint group, `archive.reprints`), the first.

The references are derived data: each index generation keeps them in its own
SQLite file (`citations.sqlite`), written by the full build from the archive
alone and kept current by every sync (a changed bulletin's references are
replaced).  Resolution happens when read, so a reference to a bulletin that
arrives later resolves as soon as that bulletin is indexed.
"""
from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from . import doc_numbers
from .folding import fold
from .normalize import normalize_doc_no

FILE_NAME = "citations.sqlite"

# The bracket sets of 发文字号 are doc_numbers' (one rule for the whole archive).
_OPEN = f"[{re.escape(doc_numbers.OPEN)}]"
_CLOSE = f"[{re.escape(doc_numbers.CLOSE)}]"
# The year in any brackets and the serial; then, looking back from there, the
# 机关代字 (letters too: 京政发, 川府发).  Anchoring on the bracketed year first
# is 10x faster than a pattern that starts at every Chinese character.
YEAR_SERIAL = re.compile(rf"\s*{_OPEN}\s*(?P<year>[12１２]\d{{3}})\s*{_CLOSE}\s*第?\s*"
                         rf"(?P<serial>\d{{1,5}})\s*号")
_AGENCY_BEFORE = re.compile(r"[\u4e00-\u9fffA-Za-z]{1,14}$")
# 《title》, nested quotes as 〈〉 (or, rarely, 《》 one level deep), then an
# optional 文号 in brackets right after it.
TITLE_IN_TEXT = re.compile(
    r"《(?P<title>(?:[^《》\n]|《[^《》\n]*》){2,120}?)》"
    r"(?:\s*[（(]\s*(?P<docno>(?:[^（()）\n]|[（(]\s*\d{4}\s*[）)]){2,40}?)\s*[）)])?")
_REPRINT_TITLE = re.compile(r"转发[^《]{0,20}《")

# Words that precede a 发文字号 in running text but belong to no agency code:
# "根据国发〔2018〕39号" must give 国发〔2018〕39号.
_LEAD_WORDS = ("根据", "按照", "依据", "依照", "参照", "参见", "遵照", "遵循", "贯彻落实", "贯彻",
               "落实", "执行", "印发", "转发", "下发", "发布", "关于", "对照", "详见", "结合",
               "通过", "再次", "重申", "同时", "以及", "并且", "已经", "已", "并", "还", "也",
               "按", "依", "据", "见", "即", "对", "将", "由", "请", "以", "在", "是", "为",
               "于", "从", "文件", "精神", "要求", "规定", "通知", "意见")
_CUT_CHARS = "号的、和及与或》"


@dataclass(frozen=True)
class Reference:
    doc_no: str | None                # normalised, None when only a title was given
    title: str | None                 # as written inside 《》
    start: int                        # span in the text it was found in
    end: int
    kind: str = "cite"                # cite | reprint (the title's 关于转发《X》)

    @property
    def doc_no_key(self) -> str | None:
        return self.doc_no

    @property
    def title_key(self) -> str | None:
        return title_key(self.title)


def title_key(title: str | None) -> str | None:
    """The folded form titles are matched by: no spaces, nested 〈〉 as 《》."""
    if not title:
        return None
    key = "".join(fold(title).split()).replace("〈", "《").replace("〉", "》")
    return key or None


def _agency(raw: str) -> str:
    """The 机关代字 of a 发文字号 found in running text (leading words cut)."""
    for ch in _CUT_CHARS:
        raw = raw.rpartition(ch)[2]
    stripped = True
    while stripped and raw:
        stripped = False
        for word in _LEAD_WORDS:
            if raw.startswith(word) and len(raw) > len(word):
                raw, stripped = raw[len(word):], True
                break
    return raw


def find_doc_numbers(text: str) -> list[tuple[int, int, str]]:
    """(start, end, normalised 发文字号) of every 文号 in `text` (body links)."""
    out = []
    for match in YEAR_SERIAL.finditer(text or ""):
        before = _AGENCY_BEFORE.search(text, max(0, match.start() - 14), match.start())
        agency = _agency(before.group()) if before else ""
        if agency:
            doc_no = normalize_doc_no(
                f"{agency}〔{match.group('year')}〕{int(match.group('serial'))}号")
            out.append((match.start() - len(agency), match.end(), doc_no))
    return out


def extract(title: str | None, body: str | None) -> list[Reference]:
    """Every reference of a bulletin, first occurrence of each, in order.

    Title references come first; a 《X》 after 转发 in the title is a reprint.
    """
    found: list[Reference] = []
    reprint = bool(title and _REPRINT_TITLE.search(title))
    for text, in_title in ((title or "", True), (body or "", False)):
        covered: list[tuple[int, int]] = []
        for match in TITLE_IN_TEXT.finditer(text):
            cited = match.group("title").strip()
            doc_no = None
            if match.group("docno"):
                inner = find_doc_numbers(match.group("docno"))
                doc_no = inner[0][2] if inner else None
            kind = "reprint" if in_title and reprint else "cite"
            found.append(Reference(doc_no, cited, match.start(), match.end(), kind))
            covered.append(match.span())
        for start, end, doc_no in find_doc_numbers(text):
            if not any(a <= start < b for a, b in covered):
                found.append(Reference(doc_no, None, start, end))
    return _first_of_each(found)


def _first_of_each(refs: list[Reference]) -> list[Reference]:
    """A reference whose every key was seen already (国发〔2018〕39号 again
    after 《…》（国发〔2018〕39号）) is the same reference."""
    doc_nos: set[str] = set()
    titles: set[str] = set()
    out = []
    for ref in refs:
        if (ref.doc_no is None or ref.doc_no in doc_nos) and \
                (ref.title_key is None or ref.title_key in titles):
            continue
        doc_nos.add(ref.doc_no)
        titles.add(ref.title_key)
        out.append(ref)
    return out


# ------------------------------------------------------------------ storage --

TABLES = """
CREATE TABLE IF NOT EXISTS refs (
    src INTEGER NOT NULL, pos INTEGER NOT NULL, kind TEXT NOT NULL,
    doc_no TEXT, title TEXT, doc_no_key TEXT, title_key TEXT);
CREATE TABLE IF NOT EXISTS keys (
    doc INTEGER PRIMARY KEY, doc_no_key TEXT, title_key TEXT, title TEXT, doc_no TEXT,
    date INTEGER NOT NULL, active INTEGER NOT NULL);
"""
# A full build creates the indexes after its inserts: built in one sorted
# pass they are smaller and quicker than grown row by row.
INDEXES = """
CREATE INDEX IF NOT EXISTS refs_src ON refs(src);
CREATE INDEX IF NOT EXISTS refs_doc_no ON refs(doc_no_key);
CREATE INDEX IF NOT EXISTS refs_title ON refs(title_key);
CREATE INDEX IF NOT EXISTS keys_doc_no ON keys(doc_no_key);
CREATE INDEX IF NOT EXISTS keys_title ON keys(title_key);
"""


def _date_code(record: dict) -> int:
    iso = record.get("issued") or record.get("published") or ""
    digits = iso.replace("-", "")
    return int(digits.ljust(8, "0")) if digits.isdigit() else 0


def document_rows(doc_id: int, status: str, record: dict) -> tuple[tuple, list[tuple]]:
    """(its `keys` row, its `refs` rows) of one bulletin: what it can be cited
    by and what it cites.  The title and 文号 as written are kept only for a
    bulletin that cites something: they are read only to list it under
    被引用 (`cited_by_records`); the other 72% of the 53k corpus's titles
    took 2.5 MB of the file for nothing."""
    title, doc_no = record.get("title"), record.get("doc_no")
    refs = [(doc_id, n, r.kind, r.doc_no, r.title, r.doc_no_key, r.title_key)
            for n, r in enumerate(extract(title, record.get("body")))]
    key = (doc_id, normalize_doc_no(doc_no), title_key(title), title if refs else None,
           doc_no if refs else None, _date_code(record), int(status == "active"))
    return key, refs


class CitationWriter:
    """Replaces the references of changed bulletins in a generation's file."""

    def __init__(self, generation_path: Path, full: bool):
        self.path = Path(generation_path) / FILE_NAME
        if full:
            self.path.unlink(missing_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(TABLES if full else TABLES + INDEXES)
        self.db.execute("BEGIN")
        self.full = full
        self.refs = self.docs = 0

    def add(self, doc_id: int, status: str, record: dict) -> None:
        self.store(document_rows(doc_id, status, record))

    def store(self, rows: tuple) -> None:
        """A bulletin's rows, as `document_rows` makes them (maybe elsewhere:
        the build's workers extract, this process only inserts)."""
        key, refs = rows
        if not self.full:
            self.db.execute("DELETE FROM refs WHERE src=?", (key[0],))
        self.db.execute("INSERT OR REPLACE INTO keys VALUES (?,?,?,?,?,?,?)", key)
        self.db.executemany("INSERT INTO refs VALUES (?,?,?,?,?,?,?)", refs)
        self.refs += len(refs)
        self.docs += 1

    def finish(self) -> None:
        if self.full:
            for statement in INDEXES.split(";"):
                if statement.strip():
                    self.db.execute(statement)
        self.db.execute("COMMIT")
        self.db.close()

    def cancel(self) -> None:
        self.db.execute("ROLLBACK")
        self.db.close()


class Citations:
    """Read side: a bulletin's references (resolved now) and who cites it."""

    def __init__(self, generation_path: Path, group_of=None):
        self.path = Path(generation_path) / FILE_NAME
        self._db = None
        # doc id -> its reprint group's first bulletin: a reference to a
        # bulletin that exists in several copies resolves to the first one.
        self.group_of = group_of or (lambda doc_id: doc_id)

    @property
    def available(self) -> bool:
        return self.path.exists()

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True,
                                       check_same_thread=False, timeout=30)
        return self._db

    def _key_row(self, doc_id: int):
        return self.db.execute("SELECT doc_no_key, title_key, date FROM keys WHERE doc=?",
                               (doc_id,)).fetchone()

    def resolve(self, doc_no_key: str | None, title_key_: str | None, date: int = 0,
                exclude: int | None = None) -> int | None:
        """The bulletin a reference points to (文号 first, then title), or None."""
        for column, key in (("doc_no_key", doc_no_key), ("title_key", title_key_)):
            if not key:
                continue
            rows = self.db.execute(f"SELECT doc, date FROM keys WHERE {column}=? AND active=1"
                                   " ORDER BY date, doc", (key,)).fetchall()
            rows = [r for r in rows if r[0] != exclude]
            if rows:
                before = [r for r in rows if date and 0 < r[1] <= date]
                target = (before[-1] if before else rows[0])[0]
                first = self.group_of(target)
                return first if first != exclude and any(r[0] == first for r in rows) \
                    else target
        return None

    def cites(self, doc_id: int) -> list[dict]:
        """[{doc_no, title, id, kind}] in the order the bulletin makes them."""
        if not self.available:
            return []
        own = self._key_row(doc_id)
        date = own[2] if own else 0
        out: list[dict] = []
        by_target: dict[int, dict] = {}
        for doc_no, title, dkey, tkey, kind in self.db.execute(
                "SELECT doc_no, title, doc_no_key, title_key, kind FROM refs WHERE src=?"
                " ORDER BY pos", (doc_id,)).fetchall():
            target = self.resolve(dkey, tkey, date, exclude=doc_id)
            if target is None and own and ((dkey and dkey == own[0]) or (tkey and tkey == own[1])):
                continue                       # the bulletin naming itself
            seen = by_target.get(target) if target is not None else None
            if seen is not None:               # the same bulletin named again: one entry
                seen["doc_no"] = seen["doc_no"] or doc_no
                seen["title"] = seen["title"] or title
                continue
            entry = {"doc_no": doc_no, "title": title, "id": target, "kind": kind}
            if target is not None:
                by_target[target] = entry
            out.append(entry)
        return out

    def cited_by(self, doc_id: int) -> list[int]:
        """Ids of the active bulletins whose references resolve to `doc_id`."""
        if not self.available:
            return []
        own = self._key_row(doc_id)
        if own is None:
            return []
        rows = self.db.execute(
            "SELECT DISTINCT r.src, r.doc_no_key, r.title_key, k.date FROM refs r"
            " JOIN keys k ON k.doc = r.src AND k.active = 1"
            " WHERE (r.doc_no_key=? AND ? IS NOT NULL) OR (r.title_key=? AND ? IS NOT NULL)",
            (own[0], own[0], own[1], own[1])).fetchall()
        return sorted({src for src, dkey, tkey, date in rows
                       if src != doc_id and self.resolve(dkey, tkey, date, src) == doc_id})

    def cited_by_records(self, doc_id: int) -> list[dict]:
        """[{id, title, doc_no}] of the bulletins citing `doc_id`."""
        ids = self.cited_by(doc_id)
        rows = {r[0]: r for r in self.db.execute(
            f"SELECT doc, title, doc_no FROM keys WHERE doc IN ({','.join('?' * len(ids))})",
            ids)} if ids else {}
        return [{"id": i, "title": rows[i][1], "doc_no": rows[i][2]} for i in ids if i in rows]

    def citing(self, value: str) -> list[int]:
        """Ids of the bulletins citing `value`, a 发文字号 (any brackets) or a title.

        A bulletin cited by 文号 is also found by the references that name
        only its title, and the other way round.
        """
        if not self.available or not value.strip():
            return []
        doc_no = normalize_doc_no(value) if YEAR_SERIAL.search(value) else None
        tkey = None if doc_no else title_key(value.strip().strip("《》"))
        dkeys, tkeys = {doc_no} - {None}, {tkey} - {None}
        target = self.resolve(doc_no, tkey)
        if target is not None:
            row = self._key_row(target)
            dkeys |= {row[0]} - {None}
            tkeys |= {row[1]} - {None}
        found: set[int] = set()
        for column, keys in (("doc_no_key", dkeys), ("title_key", tkeys)):
            for key in keys:
                found.update(r[0] for r in self.db.execute(
                    f"SELECT src FROM refs WHERE {column}=?", (key,)))
        if target is not None:
            found.discard(target)
        return sorted(found)

    def counts(self) -> dict:
        if not self.available:
            return {}
        refs = self.db.execute("SELECT COUNT(*) FROM refs").fetchone()[0]
        return {"references": refs}

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
