"""Pure functions that derive normalised field values from source strings.

The original strings are never modified: parsers keep them in `Record.raw`
and store the results of these functions in the derived fields. The rules
follow the corpus README ("Truth for the pages"): titles and names have
their whitespace collapsed, 索引号 is NFKC, keywords are a list; dates are
read by `archive.dates` and 发文字号 by `archive.doc_numbers`.
"""
from __future__ import annotations

import re
import unicodedata

from archive.dates import parse_iso_date
from archive.doc_numbers import normalize_doc_no
from archive.fields import FIELD_LABELS
from archive.model import Record

# Python's whitespace: ASCII, U+3000, &nbsp; (U+00A0) and the other Unicode
# spaces, as str.split() sees them. Zero-width characters are not whitespace
# (the corpus truth keeps them).
_WS_RUN = re.compile(r"\s+")
_KEYWORD_SEP = re.compile(r"[\s;；,，、]+")

def collapse_ws(text: str | None) -> str:
    """Collapse every whitespace run (incl. U+3000, &nbsp;) to one space; trim."""
    if not text:
        return ""
    return _WS_RUN.sub(" ", text).strip()


def strip_ws(text: str) -> str:
    """Trim whitespace (incl. U+3000 and &nbsp;) at both ends, keep the inside."""
    return text.strip()



def clean_text(text: str | None) -> str | None:
    """A display field (title, issuer, topic): whitespace collapsed, or None if empty."""
    return collapse_ws(text) or None


def clean_index_no(text: str | None) -> str | None:
    """索引号: NFKC and whitespace collapsed; None when empty."""
    if text is None:
        return None
    return collapse_ws(unicodedata.normalize("NFKC", text)) or None


def split_keywords(text: str | None) -> list[str]:
    """主题词: split on whitespace and ;；,，、 ; empty items dropped."""
    if not text:
        return []
    return [k for k in _KEYWORD_SEP.split(text) if k]


def normalize_body(text: str | None) -> str:
    """Body text: each line trimmed of spaces, U+3000 and &nbsp;; empty lines dropped."""
    if not text:
        return ""
    lines = (strip_ws(line) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


# ---------------------------------------------------------------- labels -> record

# Source labels for each record field, best first (archive/fields.py): when a
# page shows several labels for one field, the earlier wins.
_LABEL_RANK = {label: (fld, rank)
               for fld, labels in FIELD_LABELS.items() for rank, label in enumerate(labels)}


def label_field(label: str) -> tuple[str, int] | None:
    """(field, rank) for a source label, ignoring inner spaces (索　引　号); else None."""
    hit = _LABEL_RANK.get(label)  # the common case, without a regex
    return hit if hit is not None else _LABEL_RANK.get(_WS_RUN.sub("", label))


def pick_fields(pairs) -> dict:
    """Field -> value from (label, value) pairs.

    A non-empty value wins over an empty one, then the best-ranked label, then
    the first seen.
    """
    best: dict[str, tuple[tuple[bool, int], object]] = {}
    for label, value in pairs:
        hit = label_field(label)
        if hit is None:
            continue
        fld, rank = hit
        # A shown value beats an empty one whatever the label's rank.
        key = (not _has_value(value), rank)
        if fld not in best or key < best[fld][0]:
            best[fld] = (key, value)
    return {fld: value for fld, (_, value) in best.items()}


def _has_value(value) -> bool:
    if isinstance(value, (list, tuple)):
        return any(v not in (None, "") for v in value)
    return value is not None and not str(value).isspace() and str(value) != ""


def _derive_keywords(value) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [k for k in (collapse_ws(str(v)) for v in value if v is not None) if k]
    return split_keywords(str(value)) if value is not None else []


def _as_text(value) -> str | None:
    # Exports sometimes carry numbers where text is expected (an index_no as int).
    if value is None or isinstance(value, (dict, list, tuple)):
        return None
    return str(value)


def derive_fields(values: dict) -> dict:
    """Derived (normalised) record fields from field -> source value."""
    text = {k: _as_text(v) for k, v in values.items()}
    return {
        "title": clean_text(text.get("title")),
        "issuer": clean_text(text.get("issuer")),
        "topic": clean_text(text.get("topic")),
        "index_no": clean_index_no(text.get("index_no")),
        "doc_no": normalize_doc_no(text.get("doc_no")),
        "issued": parse_iso_date(text.get("issued")),
        "published": parse_iso_date(text.get("published")),
        "keywords": _derive_keywords(values.get("keywords")),
        "url": clean_text(text.get("url")),
    }


def build_record(values: dict, raw: dict, **extra) -> Record:
    """A Record from field -> source value, with `raw` kept as given.

    `extra` sets fields that need no derivation (source_line).
    """
    derived = derive_fields(values)
    return Record(body=normalize_body(_as_text(values.get("body"))), raw=raw, **derived, **extra)
