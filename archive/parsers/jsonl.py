"""JSON Lines bulk exports: one record a line.

Keys are English (`index_no, doc_no, issued, issuer, keywords, title, topic,
published, body, url`) or the Chinese labels (`索引号, 发文字号, 发文时间/成文日期,
发文机关, 主题词, 标题, 主题分类, 发布日期, 正文, 链接`). A bad line becomes an error
`"line N: reason"` (1-based) and the other lines are still read.

`iter_lines` streams, so a file of any size is read once and never held
whole; `parse_lines` collects the stream into one ParseResult.  A line over
`MAX_LINE_BYTES` is refused unread: no bulletin is that long, and parsing a
hostile 200 MB line would cost gigabytes.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from archive.model import ParseResult, Record
from archive.normalize import build_record, label_field, pick_fields

MAX_LINE_BYTES = 16 * 1024 * 1024


def _decode_line(line: bytes | str) -> str:
    if isinstance(line, str):
        return line
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        # Exports re-saved by Windows tools arrive as GBK now and then.
        try:
            return line.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise ValueError(f"undecodable bytes at offset {exc.start}") from None


def parse_line(text: str, number: int) -> Record:
    """One JSON object to a Record; ValueError with the reason if it is not a bulletin."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        message = exc.msg.removesuffix(" at")
        raise ValueError(f"invalid JSON: {message} at column {exc.colno}") from None
    except RecursionError:
        raise ValueError("invalid JSON: nested too deeply") from None
    if not isinstance(obj, dict):
        raise ValueError(f"not a JSON object but {type(obj).__name__}")
    values = pick_fields(obj.items())
    # The body is kept once, in Record.body; raw holds the other values as given.
    raw = {k: v for k, v in obj.items() if not _is_body(k)}
    record = build_record(values, raw, source_line=number, **_derived_keys(obj))
    if not (record.title or record.body):
        raise ValueError("no title and no body")
    return record


def _derived_keys(obj: dict) -> dict:
    """issued_from and attachments as this archive's own export writes them."""
    found = {}
    if obj.get("issued_from") == "落款":
        found["issued_from"] = "落款"
    attachments = obj.get("attachments")
    if isinstance(attachments, list):
        found["attachments"] = [{"name": str(a.get("name") or ""), "url": str(a.get("url") or "")}
                                for a in attachments if isinstance(a, dict) and a.get("name")]
    return found


def _is_body(key: str) -> bool:
    hit = label_field(key)
    return hit is not None and hit[0] == "body"


def iter_lines(lines: Iterable[bytes | str]) -> Iterator[tuple[int, Record | None, str | None]]:
    """(line number, record, None) for each good line, (line number, None, error) for a bad one.

    Blank lines are skipped silently.
    """
    for number, line in enumerate(lines, 1):
        try:
            if len(line) > MAX_LINE_BYTES:
                raise ValueError(f"line too long: over {MAX_LINE_BYTES // (1024 * 1024)} MiB")
            text = _decode_line(line)
            if number == 1:
                text = text.lstrip("\ufeff")
            if not text.strip():
                continue
            yield number, parse_line(text, number), None
        except (ValueError, RecursionError) as exc:
            yield number, None, f"line {number}: {exc}"


def parse_lines(lines: Iterable[bytes | str], encoding: str | None = "utf-8") -> ParseResult:
    result = ParseResult("jsonl", encoding=encoding)
    for _, record, error in iter_lines(lines):
        if record is not None:
            result.records.append(record)
        else:
            result.errors.append(error)
    return result
