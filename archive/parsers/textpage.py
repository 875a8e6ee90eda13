"""Disclosure text pages in the seed's style.

    字体大小:【大】 【中】 【小】          (optional widget line)
    | 索引号:000014349/2025-32207 | |
    | 发文字号: | 发文时间:2025-12-25 |
    ...
    <body paragraphs>

Table rows hold `label:value` cells (two a row, values may be empty); every
line after the table is the body.
"""
from __future__ import annotations

import re

from archive.model import ParseResult, Record
from archive.normalize import build_record, label_field, pick_fields

# A cell opening with a short label and a colon; the value may be empty.
_CELL = re.compile(r"^\s*([^:：|]{1,20}?)\s*[:：]\s*(.*?)\s*$", re.S)
_ROW = re.compile(r"^\s*\|.*\|\s*$")
_WIDGET = re.compile(r"^\s*字\s*体\s*大\s*小\s*[:：]")


def is_textpage(text: str) -> bool:
    """True if the first rows look like the seed's `| label:value |` table."""
    rows = 0
    for line in text.lstrip("\ufeff").splitlines()[:40]:
        if not line.strip() or _WIDGET.match(line):
            continue
        if not _ROW.match(line):
            break
        rows += any(_labelled(c) for c in _cells(line))
    return rows >= 2


def _cells(line: str) -> list[str]:
    """Split a row on `|`; a piece that does not open with a label belongs to the
    previous cell (a `|` inside a value)."""
    pieces = line.strip()[1:-1].split("|")
    cells: list[str] = []
    for piece in pieces:
        if cells and piece.strip() and not _labelled(piece):
            cells[-1] += "|" + piece
        else:
            cells.append(piece)
    return cells


def _labelled(cell: str) -> tuple[str, str] | None:
    m = _CELL.match(cell)
    if m and label_field(m.group(1)):
        return m.group(1), m.group(2)
    return None


def parse_text(text: str) -> Record:
    """The record of one text page (already decoded)."""
    lines = text.lstrip("\ufeff").splitlines()
    pairs: list[tuple[str, str]] = []
    start = 0
    for i, line in enumerate(lines):
        if not line.strip() or _WIDGET.match(line):
            continue
        if not _ROW.match(line):
            start = i
            break
        for cell in _cells(line):
            m = _CELL.match(cell)
            if m:
                pairs.append((m.group(1), m.group(2)))
    else:
        start = len(lines)
    values = pick_fields(pairs)
    values["body"] = "\n".join(lines[start:])
    raw = {}
    for label, value in pairs:
        raw.setdefault(label, value)
    return build_record(values, raw)


def parse(text: str, encoding: str | None = None) -> ParseResult:
    record = parse_text(text)
    if not (record.title or record.body):
        return ParseResult("textpage", errors=["no title and no body"], encoding=encoding)
    return ParseResult("textpage", records=[record], encoding=encoding)
