"""发文字号 (document numbers): the one place their bracket rules live.

A 发文字号 names its year in brackets, and sources and readers use any of a
dozen bracket pairs for it: 沁政发〔2025〕12号 is also written 沁政发[2025]12号,
沁政发（2025）12号, 沁政发【2025】12号...  The archive stores the canonical form
(NFKC, no whitespace, the year in 〔〕); the query language recognises a typed
number in any bracket form; search looks for every bracket form in the folded
text, because bodies quote numbers as their authors typed them.

This module imports nothing from the package.
"""
from __future__ import annotations

import re
import unicodedata

# Every bracket pair seen around a year, opening and closing at the same
# position: ASCII, full-width (（［), small (﹝), and the CJK ones (〔【〖).
OPEN = "[【(（〔［﹝〖{"
CLOSE = "]】)）〕］﹞〗}"
_YEAR = r"(?:19|20)\d\d"
_BRACKETED_YEAR = re.compile(rf"[{re.escape(OPEN)}]\s*({_YEAR})\s*[{re.escape(CLOSE)}]")

# A 发文字号 inside a typed query: any non-syntax characters, a bracketed
# year, then the serial (沁政发[2025]12号, 〔2025〕12号, 沁政发（2025）).
QUERY_PATTERN = re.compile(
    rf"[^\s\"():：]*[{re.escape(OPEN)}]\s*{_YEAR}\s*[{re.escape(CLOSE)}]"
    r"(?:\s*第?\s*\d+\s*号?|第|号)?")

# The bracket pairs that survive folding (NFKC turns （［﹝ into (〔[), as
# (open, close), the canonical 〔〕 first: the forms a folded number can take
# in folded text.
FOLDED_BRACKETS: tuple[tuple[str, str], ...] = tuple(dict.fromkeys(
    [("〔", "〕")] + [(unicodedata.normalize("NFKC", a), unicodedata.normalize("NFKC", b))
                     for a, b in zip(OPEN, CLOSE)]))

# A 发文字号 typed without brackets: 北政办发202481号 = 北政办发〔2024〕81号.
_UNBRACKETED = re.compile(rf"([\u4e00-\u9fff]{{2,12}}?)({_YEAR})(\d{{1,4}})号")

_WS_RUN = re.compile(r"\s+")


def has_bracketed_year(text: str) -> bool:
    """True when `text` holds a year in brackets (it reads as a 发文字号)."""
    return _BRACKETED_YEAR.search(text) is not None


def canonical(text: str) -> str:
    """The year in 〔〕 whatever brackets were used; nothing else changes."""
    return _BRACKETED_YEAR.sub(r"〔\1〕", text)


def unbracketed(text: str) -> str | None:
    """The canonical form of a number typed without brackets
    (北政办发202481号 -> 北政办发〔2024〕81号), else None."""
    m = _UNBRACKETED.fullmatch(text)
    return f"{m[1]}〔{m[2]}〕{m[3]}号" if m else None


def normalize_doc_no(text: str | None) -> str | None:
    """The stored form: NFKC, no whitespace, the year in 〔〕; None when empty."""
    if text is None:
        return None
    value = canonical(_WS_RUN.sub("", unicodedata.normalize("NFKC", text)))
    return value or None


def bracket_variants(folded: str) -> list[str]:
    """A folded canonical number in every folded bracket form, itself first,
    and without brackets last (北政办发202481号)."""
    return [folded.replace("〔", a).replace("〕", b) for a, b in FOLDED_BRACKETS + (("", ""),)]
