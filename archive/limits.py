"""Per-file budgets of ingest: what one file may cost, and what happens past it.

Why: one small hostile file used to decide the fate of a whole run.  A 30 KB
`.jsonl.gz` of `{}` lines kept 10.5 M error strings (10.5 GB), 13 KB of gzip
added 500k bulletins, one HTML page held the writer lock for four minutes.
Every per-file resource now has a bound, and each bound has one outcome:

| resource | bound | past it |
|---|---|---|
| records in one file | `MAX_RECORDS_PER_FILE` (corpus max: 5,000) | file refused, old kept |
| problems kept per file | `MAX_ERRORS_KEPT` | counted, not kept ("… and N more") |
| decompressed JSON Lines | `sources.MAX_JSONL_BYTES` | the file is refused whole |
| HTML / text page | `sources.MAX_FILE_BYTES` | the file fails |
| time to parse one page | `PAGE_PARSE_SECONDS` | the page fails with that reason |
| each field | `fields.Field.max_chars` (keywords: `fields.MAX_KEYWORDS`) | cut, cut reported |
| the body | `MAX_BODY_CHARS` | the record is refused, with a reason |
| source-specific values kept in `raw` | `MAX_RAW_KEYS` × `MAX_RAW_CHARS` | cut, reported |
"""
from __future__ import annotations

import json
import signal
import threading
from contextlib import contextmanager

from .fields import BY_NAME, MAX_KEYWORDS
from .model import Record

MAX_RECORDS_PER_FILE = 200_000
MAX_ERRORS_KEPT = 200
PAGE_PARSE_SECONDS = 10.0
MAX_BODY_CHARS = BY_NAME["body"].max_chars
MAX_RAW_KEYS = 100
MAX_RAW_CHARS = 10_000
_CUT_FIELDS = tuple(f for f in BY_NAME.values() if f.kind not in ("body", "keywords"))


class FileRefused(ValueError):
    """A file past a whole-file bound: it is refused, nothing of it stored."""


class ParseTimeout(Exception):
    """A page whose parsing ran past PAGE_PARSE_SECONDS.  (Not a ValueError:
    parsers catch those, and this must reach the caller.)"""


class Cut(str):
    """A message saying a value was cut: a warning, not a failed record."""


class ErrorLog(list):
    """A list of problems that keeps the first MAX_ERRORS_KEPT and counts the rest."""

    def __init__(self, items=(), limit: int | None = None):
        super().__init__()
        self.limit, self.total = MAX_ERRORS_KEPT if limit is None else limit, 0
        self.extend(items)

    def append(self, item) -> None:
        self.total += 1
        if len(self) < self.limit:
            super().append(item)

    def extend(self, items) -> None:
        for item in items:
            self.append(item)

    def summary(self) -> list:
        """The kept problems, plus a line counting the ones left out."""
        more = self.total - len(self)
        return list(self) + ([f"… and {more} more problems in this file"] if more > 0 else [])


def _where(record: Record) -> str:
    return f"line {record.source_line}: " if record.source_line else ""


def body_too_long(record: Record) -> str | None:
    """Why `record` is refused for the size of its body, or None."""
    size = len(record.body or "")
    if size <= MAX_BODY_CHARS:
        return None
    return f"{_where(record)}body too long: {size} characters (limit {MAX_BODY_CHARS})"


def clip_fields(record: Record) -> list[str]:
    """Cut every over-long field of `record` in place; the cuts, as messages."""
    cuts = []
    for field in _CUT_FIELDS:
        value = getattr(record, field.name)
        if isinstance(value, str) and len(value) > field.max_chars:
            setattr(record, field.name, value[:field.max_chars])
            cuts.append(f"{field.label} ({field.name}) cut to {field.max_chars} characters "
                        f"(was {len(value)})")
    cuts += _clip_keywords(record)
    cuts += _clip_raw(record)
    return [Cut(f"{_where(record)}{cut}") for cut in cuts]


def _clip_keywords(record: Record) -> list[str]:
    limit = BY_NAME["keywords"].max_chars
    keywords = list(record.keywords or [])
    cuts = []
    if len(keywords) > MAX_KEYWORDS:
        cuts.append(f"主题词 (keywords): {len(keywords)} keywords, the first {MAX_KEYWORDS} kept")
        keywords = keywords[:MAX_KEYWORDS]
    if any(len(k) > limit for k in keywords):
        cuts.append(f"主题词 (keywords) cut to {limit} characters each")
        keywords = [k[:limit] for k in keywords]
    record.keywords = keywords
    return cuts


def _clip_raw(record: Record) -> list[str]:
    raw = record.raw or {}
    long = [k for k, v in raw.items() if _size(v) > MAX_RAW_CHARS]
    if len(raw) <= MAX_RAW_KEYS and not long:
        return []
    kept = {}
    for key, value in list(raw.items())[:MAX_RAW_KEYS]:
        if _size(value) > MAX_RAW_CHARS:
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            value = text[:MAX_RAW_CHARS]
        kept[str(key)[:200]] = value
    record.raw = kept
    cuts = [f"source value {str(k)[:40]!r} (raw) cut to {MAX_RAW_CHARS} characters"
            for k in long[:3]]
    if len(raw) > MAX_RAW_KEYS:
        cuts.append(f"source values (raw): {len(raw)} keys, the first {MAX_RAW_KEYS} kept")
    return cuts


def _size(value) -> int:
    if isinstance(value, str):
        return len(value)
    if value is None or isinstance(value, (int, float, bool)):
        return 0
    return len(json.dumps(value, ensure_ascii=False))


@contextmanager
def time_budget(seconds: float | None = None):
    """Raise ParseTimeout in the block after `seconds` (wall clock).

    A SIGALRM timer: the regular-expression engine and lxml both give way
    to it (measured: a catastrophic regex and a 100k-element parse each
    stopped within the 0.5 s asked), so a page that would take minutes fails
    after the budget with a reason.  Only in the main thread (signals are
    delivered there); elsewhere the block runs unbounded.
    """
    seconds = PAGE_PARSE_SECONDS if seconds is None else seconds
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return

    def expired(*_):
        raise ParseTimeout(f"parsing took longer than {seconds:g} s: the page is refused "
                           "(limit PAGE_PARSE_SECONDS)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
