"""The closing lines of a bulletin: its 落款 (signing body, then the date).

A notice without a 成文日期/发文时间 label still shows when it was issued: the
date line that closes the body right under the signing body's name
(`平潭综合实验区公安局` / `2023年12月5日`, or `二〇二四年三月五日`).  Where the
page names its issuer, the closing 落款 must be that issuer's: a notice that
forwards a report may end with the report's own 落款, and that date is not
the notice's.
"""
from __future__ import annotations

import re
import unicodedata

from archive.dates import parse_date
from archive.normalize import collapse_ws
from archive.parsers.labels import site_name

_HZ = "〇零○Ｏ一二两三四五六七八九十"
_DATE = (rf"(?:\d{{4}}\s*年\s*\d{{1,2}}\s*月\s*\d{{1,2}}\s*日"
         rf"|[{_HZ}]{{4}}\s*年\s*[{_HZ}]{{1,3}}\s*月\s*[{_HZ}]{{1,4}}\s*日"
         rf"|\d{{4}}\s*[-/.．]\s*\d{{1,2}}\s*[-/.．]\s*\d{{1,2}})")
# A line that is only a date (full-width digits are NFKC-folded first).
_DATE_LINE = re.compile(rf"^[（(]?\s*{_DATE}\s*[）)]?$")
# A signing body and its date on one line: `某某局　2024年3月5日`.
_SIGNED_LINE = re.compile(rf"^(?P<signer>\S.{{1,38}}?)[\s\u3000]*(?P<date>{_DATE})$")
_NOT_SIGNER = re.compile(r"[。；;！？!?:：，,]|^附件|^[（(]|^\d")
# Notes that may follow a 落款: （此件公开发布）, （联系人：…）, 抄送：….
_TRAILER = re.compile(r"^[（(].*[）)]$|^抄送|^(?:联系人|联系电话)")
_ORG_END = re.compile(
    r"(?:局|委|会|府|办|室|院|厅|部|处|所|站|队|中心|公司|政府|办公室|小组|指挥部)$")
_LAST_LINES = 8


def _signer_ok(line: str) -> bool:
    line = collapse_ws(line)
    return (2 <= len(line) <= 40 and not _NOT_SIGNER.search(line)
            and parse_date(line) is None and re.search(r"[\u4e00-\u9fff]", line) is not None)


def signatures(lines: list[str]) -> list[tuple[int, str, str]]:
    """(line index, signer, ISO date) of every 落款 block in `lines`."""
    found = []
    for i, line in enumerate(lines):
        text = collapse_ws(_fold(line))
        if _DATE_LINE.match(text) and i > 0 and _signer_ok(lines[i - 1]):
            date = parse_date(text)
            if date:
                found.append((i, collapse_ws(lines[i - 1]), date))
            continue
        m = _SIGNED_LINE.match(text)
        if m and _signer_ok(m.group("signer")) and parse_date(m.group("date")):
            found.append((i, collapse_ws(m.group("signer")), parse_date(m.group("date"))))
    return found


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _common(a: str, b: str) -> int:
    """Length of the longest common substring (short strings: names)."""
    best = 0
    for i in range(len(a)):
        for j in range(i + best + 1, len(a) + 1):
            if a[i:j] in b:
                best = j - i
            else:
                break
    return best


# The 版记 under a 落款: `抄送：…`, then `某某办公室 2024年3月5日印发`.
_IMPRINT = re.compile(r"^(?:抄送|抄报|主送)|印发$")


def _closes_body(lines: list[str], index: int) -> bool:
    """True when only trailing notes (and the 版记) follow line `index`."""
    rest = [collapse_ws(line) for line in lines[index + 1:]]
    imprint = next((i for i, line in enumerate(rest) if _IMPRINT.search(line)), len(rest))
    notes = rest[:imprint]
    if imprint < len(rest) and rest[imprint].endswith("印发") and notes and _signer_ok(notes[-1]):
        notes = notes[:-1]              # the printing office's name above its 印发 date
    return all(_TRAILER.match(note) for note in notes)


def closing_date(lines: list[str], issuer: str | None) -> str | None:
    """The issued date from the 落款 that closes the body, or None.

    With no known issuer (or an issuer that is a site or newspaper name rather
    than an office) the closing 落款 counts.  With an office as issuer, it
    counts when that office signed it (the signer shares at least four
    characters of its name): a notice that ends with a forwarded report's
    落款 (`国务院办公厅` forwarding `国家地震局`) gets no date from it.
    """
    tail = lines[-(_LAST_LINES + 1):]      # a 落款 closes the body: look at its end only
    found = signatures(tail)
    if not found:
        return None
    index, signer, date = found[-1]
    if not _closes_body(tail, index):
        return None
    issuer = re.sub(r"\s+", "", issuer or "")
    if issuer and _ORG_END.search(issuer) and not site_name(issuer) and _score(signer, issuer) < 4:
        return None
    return date


def _score(signer: str, issuer: str) -> int:
    signer = re.sub(r"\s+", "", signer)
    if issuer in signer or signer in issuer:
        return 100 + min(len(signer), len(issuer))
    return _common(signer, issuer)
