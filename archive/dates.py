"""Dates: reading them from sources and queries, and the forms they take.

One contract, coded here and nowhere else:

* **Stored** (`Record.issued` / `Record.published`, the archive and the
  index): ISO 8601 — `YYYY-MM-DD`, or the reduced forms `YYYY` / `YYYY-MM`
  when a source gives only a year or a month (``2019``, ``2019年3月``), so
  such a bulletin still falls under its year in filters and facets.
* **Public** (JSON of search/show/export, the API, CSV, templates):
  `issued` / `published` are `YYYY-MM-DD` or null, never anything else; a
  reduced date is given separately as `issued_partial` / `published_partial`
  (`YYYY` or `YYYY-MM`, else null) — see `public_dates`.
* **Date codes** (the docmap's sort/filter column and query bounds): the
  integer YYYYMMDD, with 00 for an unknown month or day, so a bare year or
  month sorts first and lies inside its own year's or month's range.
* **The date a bulletin is filed under** (sorting, filters, the year facet,
  one-line summaries): 发文时间 (`issued`) if known, else 发布日期
  (`published`) — `filed_date`.

This module imports nothing from the package.
"""
from __future__ import annotations

import datetime as _dt
import re
import unicodedata

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


# ------------------------------------------------------------ the contract

DATE_FIELDS = ("issued", "published")


def is_full(value: str | None) -> bool:
    """True for a stored `YYYY-MM-DD` (not a reduced form, not None)."""
    return bool(value) and len(value) == 10


def public_dates(record: dict) -> dict:
    """The public date keys of a record: `issued`/`published` full dates or
    None, `issued_partial`/`published_partial` the reduced forms or None."""
    out = {}
    for name in DATE_FIELDS:
        value = record.get(name)
        out[name] = value if is_full(value) else None
        out[f"{name}_partial"] = value if value and not is_full(value) else None
    return out


def filed_date(record: dict) -> str | None:
    """The date a bulletin is filed under: 发文时间 if known, else 发布日期
    (stored form, so possibly reduced)."""
    return record.get("issued") or record.get("published")


def display_date(values: dict, name: str) -> str | None:
    """A date as people read it (CLI, pages): the full date, else its
    reduced form; from stored or public fields alike."""
    return values.get(name) or values.get(f"{name}_partial")


def date_code(iso: str | None) -> int:
    """YYYYMMDD as an int (0 when unknown); a bare year or month sorts first."""
    if not iso:
        return 0
    digits = iso.replace("-", "")
    return int(digits.ljust(8, "0")) if digits.isdigit() else 0


def code_range(text: str) -> tuple[int, int] | None:
    """First and last date code (YYYYMMDD) of a year, a month or a day typed
    as text; None when it is not a date."""
    parts = parse_date_partial(text.strip())
    if parts is None:
        return None
    year, month, day = parts
    # A year starts at YYYY0000 and a month at YYYYMM00: bulletins dated only
    # by year or month (date_code) fall inside their own range.
    if month is None:
        return year * 10000, year * 10000 + 1231
    if day is None:
        return year * 10000 + month * 100, year * 10000 + month * 100 + 31
    code = year * 10000 + month * 100 + day
    return code, code
