"""The public face of a bulletin: what JSON, CSV, the CLI and pages show.

The keys and their order come from `archive.fields` (HIT_KEYS,
DOCUMENT_KEYS), the date forms from `archive.dates` (YYYY-MM-DD or null; a
date known only to the year or month apart, in `*_partial`).  Stored forms
are turned into public ones here, at the edge, so an index built before the
contract was written still answers in it.
"""
from __future__ import annotations

from .dates import DATE_FIELDS, display_date, filed_date, public_dates
from .fields import HIT_KEYS, TABLE_FIELDS, label_of


def public_fields(values: dict, keys: tuple[str, ...] = HIT_KEYS) -> dict:
    """A bulletin's stored fields as the public JSON shows them: `keys` in
    order, dates by the contract, keywords a list."""
    out = dict(values, **public_dates(values))
    out["keywords"] = list(values.get("keywords") or [])
    return {key: out.get(key) for key in keys}


def table_rows(values: dict, names: tuple[str, ...] = TABLE_FIELDS) -> list[tuple[str, str]]:
    """(Chinese label, text) per field, "" when empty: the disclosure table
    of `archive show` and the document page."""
    rows = []
    for name in names:
        value = display_date(values, name) if name in DATE_FIELDS else values.get(name)
        text = "；".join(value) if isinstance(value, list) else str(value or "")
        if name == "issued" and text and values.get("issued_from") == "落款":
            text += "（据落款）"             # read from the closing lines, not a label
        rows.append((label_of(name), text))
    return rows


def summary_values(fields: dict) -> list[str]:
    """A hit's one-line summary, 文号 · 发文机关 · 日期 · 主题分类 (CLI and pages)."""
    values = (fields.get("doc_no"), fields.get("issuer"), filed_date(fields), fields.get("topic"))
    return [str(v) for v in values if v]
