"""Pure functions that derive normalised field values from source strings.

The original strings are never modified: parsers keep them in `Record.raw`
and store the results of these functions in the derived fields. The rules
follow the corpus README ("Truth for the pages"): titles and names have
their whitespace collapsed, 索引号 is NFKC, dates are ISO `YYYY-MM-DD`,
发文字号 is NFKC without spaces and with the year in 〔〕, keywords are a list.
"""
from __future__ import annotations

import datetime as _dt
import re
import unicodedata

from archive.fields import FIELD_LABELS
from archive.model import Record

# Python's whitespace: ASCII, U+3000, &nbsp; (U+00A0) and the other Unicode
# spaces, as str.split() sees them. Zero-width characters are not whitespace
# (the corpus truth keeps them).
_WS_RUN = re.compile(r"\s+")
_KEYWORD_SEP = re.compile(r"[\s;；,，、]+")

# Full-width ASCII block (！..～) maps to ASCII by a fixed offset.
_HALFWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_HALFWIDTH[0x3000] = 0x20


def to_halfwidth(text: str) -> str:
    """Full-width ASCII letters, digits, punctuation and U+3000 to ASCII."""
    return text.translate(_HALFWIDTH)


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


# ---------------------------------------------------------------- dates

_HANZI_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "o": 0, "一": 1, "二": 2,
                 "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_HZ = "〇零○Ｏ一二两三四五六七八九十"
_SEP = r"\s*[-/.．年]\s*"

# Numeric forms: 2025-12-25, 2025/12/25, 2025.12.25, 2025年12月25日 (with any time after).
_NUM_DATE = re.compile(rf"(?<!\d)(\d{{4}}){_SEP}(\d{{1,2}})\s*[-/.．月]\s*(\d{{1,2}})(?!\d)")
_NUM_YEAR_MONTH = re.compile(rf"(?<!\d)(\d{{4}}){_SEP}(\d{{1,2}})(?![\d])\s*月?")
_NUM_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)\s*年?")
# Hanzi forms: 二〇二五年十二月二十五日.
_HZ_DATE = re.compile(rf"([{_HZ}]{{4}})\s*年\s*([{_HZ}]{{1,3}})\s*月\s*([{_HZ}]{{1,4}})\s*日")
_HZ_YEAR_MONTH = re.compile(rf"([{_HZ}]{{4}})\s*年\s*(?:([{_HZ}]{{1,3}})\s*月)?")


def _hanzi_number(text: str) -> int | None:
    """一 .. 三十一, and digit-by-digit years (二〇二五)."""
    if "十" in text:
        tens, _, units = text.partition("十")
        t = _HANZI_DIGITS.get(tens, None) if tens else 1
        u = _HANZI_DIGITS.get(units, None) if units else 0
        if t is None or u is None:
            return None
        return t * 10 + u
    value = 0
    for ch in text:
        digit = _HANZI_DIGITS.get(ch)
        if digit is None:
            return None
        value = value * 10 + digit
    return value


def _prepare(text: str) -> str:
    # NFKC turns full-width digits and separators into ASCII.
    return unicodedata.normalize("NFKC", text)


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return _dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_date(text: str | None) -> str | None:
    """The first full date in `text` as ISO `YYYY-MM-DD`; None if none or impossible.

    Any time after the date is ignored. Impossible dates (2025-13-45, Feb 30)
    give None rather than a guess.
    """
    if not text:
        return None
    text = _prepare(text)
    m = _NUM_DATE.search(text)
    if m:
        return _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _HZ_DATE.search(text)
    if m:
        parts = [_hanzi_number(g) for g in m.groups()]
        if None not in parts:
            return _iso(*parts)
    return None


_WHOLE_PARTIAL = re.compile(r"^\s*\d{4}\s*(?:年|[-/.．年]\s*\d{1,2}\s*月?)?\s*$")


def parse_iso_date(text: str | None) -> str | None:
    """A full date as YYYY-MM-DD; a value that is only a year or a month
    (``2019``, ``2019年3月``) as ISO 8601's reduced forms YYYY / YYYY-MM."""
    full = parse_date(text)
    if full or not text or not _WHOLE_PARTIAL.match(_prepare(text)):
        return full
    parts = parse_date_partial(text)
    if parts is None:
        return None
    year, month, _ = parts
    return f"{year:04d}" if month is None else f"{year:04d}-{month:02d}"


def parse_date_partial(text: str | None) -> tuple[int, int | None, int | None] | None:
    """(year, month or None, day or None) for full dates, `2025年3月`, `2025-03`, `2025`.

    None when no year is found or the month/day is impossible.
    """
    if not text:
        return None
    full = parse_date(text)
    if full:
        y, mo, d = full.split("-")
        return int(y), int(mo), int(d)
    text = _prepare(text)
    if _NUM_DATE.search(text) or _HZ_DATE.search(text):
        return None  # a full date that is impossible
    m = _NUM_YEAR_MONTH.search(text)
    if m:
        return _year_month(int(m.group(1)), int(m.group(2)))
    m = _HZ_YEAR_MONTH.search(text)
    if m:
        year = _hanzi_number(m.group(1))
        month = _hanzi_number(m.group(2)) if m.group(2) else None
        if year is None or (m.group(2) and month is None):
            return None
        return _year_month(year, month)
    m = _NUM_YEAR.search(text)
    if m:
        return _year_month(int(m.group(1)), None)
    return None


def _year_month(year: int, month: int | None) -> tuple[int, int | None, None] | None:
    if not 1 <= year <= 9999 or (month is not None and not 1 <= month <= 12):
        return None
    return year, month, None


# ---------------------------------------------------------------- 发文字号

# Any bracket pair around a 4-digit year becomes 〔〕. NFKC has already turned
# ［］（）﹝﹞ into []()〔〕; 【】〖〗 survive NFKC and are listed explicitly.
_YEAR_BRACKETS = re.compile(r"[\[【(〔〖{](\d{4})[\]】)〕〗}]")
_DOC_NO = re.compile(
    r"^(?P<agency>.*?)(?:〔(?P<year>\d{4})〕)?第?(?P<serial>[0-9]+(?:-[0-9]+)?)号?$")


def normalize_doc_no(text: str | None) -> str | None:
    """发文字号: NFKC, no whitespace, the year in 〔〕; None when empty."""
    if text is None:
        return None
    value = _WS_RUN.sub("", unicodedata.normalize("NFKC", text))
    value = _YEAR_BRACKETS.sub(r"〔\1〕", value)
    return value or None


def doc_no_parts(text: str | None) -> dict | None:
    """Split a 发文字号 into agency (机关代字), year and serial.

    `晋政办发[2024]3号` -> {"agency": "晋政办发", "year": 2024, "serial": "3"}.
    Numbers without a bracketed year give year None
    (`中华人民共和国国务院令第517号` -> agency 中华人民共和国国务院令, serial 517).
    None when nothing recognisable is left.
    """
    value = normalize_doc_no(text)
    if not value:
        return None
    m = _DOC_NO.match(value)
    if not m:
        year = re.search(r"〔(\d{4})〕", value)
        agency = value[:year.start()] if year else value
        return {"agency": agency or None, "year": int(year.group(1)) if year else None,
                "serial": None}
    return {"agency": m.group("agency") or None,
            "year": int(m.group("year")) if m.group("year") else None,
            "serial": m.group("serial")}


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
