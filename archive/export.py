"""Export formats for result sets, shared by `archive export` and the web app.

Both take the public JSON records of `SearchService.export`.  CSV is written
UTF-8 with a BOM so Excel opens Chinese text correctly; keywords are joined
with "；"; cells that would start a spreadsheet formula are quoted with `'`.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from .fields import CSV_COLUMNS, label_of

FORMATS = ("jsonl", "csv")
HEADERS = ("en", "zh")    # CSV header row: the JSON keys (default) or the Chinese labels


def jsonl_lines(records: Iterable[dict]) -> Iterator[str]:
    for record in records:
        yield json.dumps(record, ensure_ascii=False) + "\n"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """A CSV cell Excel will not run: text starting like a formula gets a
    leading apostrophe (a bulletin title "=HYPERLINK(...)" stays text)."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(_FORMULA_START) else text


def csv_header(headers: str = "en") -> list[str]:
    """The header row: JSON keys, or the fields' Chinese labels (`fields.label_of`)."""
    if headers not in HEADERS:
        raise ValueError(f"headers must be one of {', '.join(HEADERS)}")
    return [label_of(c) for c in CSV_COLUMNS] if headers == "zh" else list(CSV_COLUMNS)


def csv_lines(records: Iterable[dict], headers: str = "en") -> Iterator[str]:
    """CSV text in chunks, the BOM first."""
    header = csv_header(headers)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(header)
    for record in records:
        row = dict(record, keywords="；".join(record.get("keywords") or []))
        writer.writerow([_cell(row.get(c)) for c in CSV_COLUMNS])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def lines(records: Iterable[dict], fmt: str, headers: str = "en") -> Iterator[str]:
    """`headers` applies to CSV (JSON Lines keys stay the public JSON's)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    if fmt == "jsonl":
        return jsonl_lines(records)
    csv_header(headers)                     # a bad value fails now, not mid-stream
    return csv_lines(records, headers)
