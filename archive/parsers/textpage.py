"""Disclosure text pages: metadata labels, then the body, in any layout.

The seed's table::

    字体大小:【大】 【中】 【小】          (optional widget line)
    | 索引号:000014349/2025-32207 | |
    | 发文字号: | 发文时间:2025-12-25 |
    <body paragraphs>

and the renderings portals and scrapers make of the same page: one
`标签：值` pair a line, several pairs on a line separated by spaces, tabs or
full-width spaces, a title line above the labels, a header block and then
the body.  A text file is a bulletin page when its opening lines carry
several known labels (the one vocabulary of `archive/fields.py`), whatever
the layout.  Values may be empty; an empty value stays empty (the next
label on the line starts a new pair).
"""
from __future__ import annotations

import re

from archive.model import ParseResult, Record
from archive.normalize import build_record, collapse_ws, label_field, pick_fields
from archive.parsers import titles
from archive.parsers.closing import closing_date
from archive.parsers.labels import LABEL_AT, plausible

_WIDGET = re.compile(r"^\s*字\s*体\s*大\s*小\s*[:：]|^\s*【?\s*字\s*[体号]\s*[:：]\s*【?[大中小]")
_ROW = re.compile(r"^\s*\|.*\|\s*$")
# What may separate two pairs on a line without a colon after the label.
_WIDE_GAP = re.compile(r"(?:[\t\u3000|｜]|\s{2})[\s\u3000]*$")
_VALUE_TRIM = " \t\u3000\xa0|｜"
_HEAD_LINES = 60          # labels are looked for in the opening lines only
_MAX_TITLE_LINES = 3      # unlabelled lines (a title) allowed above the labels
_SENTENCE_END = re.compile(r"[。；！？!?:：，,]$")
# A label the vocabulary does not know, with its value (`栏目: 部门文件`), inside
# a header block; and the rule that ends a header (`==== 正文 ====`).
_OTHER_PAIR = re.compile(r"^[\u4e00-\u9fff]{2,6}\s*[:：]\s*\S")
_RULE = re.compile(r"^\s*[=\-—_*~#]{3,}")
_RULE_LOOKAHEAD = 4
# Page chrome a scraper kept in the text: the breadcrumb, date and share
# widgets before the article, the source and download widgets after it.
_CRUMB = re.compile(r"^(?:当前位置|您的位置|您现在的位置|所在位置)\s*[:：]")
_AFTER_CRUMB = re.compile(r"^\s*(?:(?:发布)?时间\s*[:：]\s*[\d\-/.: ]+)?\s*"
                          r"(?:(?:微信|微博|QQ空间|分享到[:：]?|打印|收藏)\s*)*")
# A 发文字号 heading the document (`岚经发〔2016〕40号`), and the 版记 closing it.
_DOC_NO_HEAD = re.compile(r"^\s*(\S{1,16}?[〔\[（(【]\d{4}[〕\]）)】]\d+号)\s*")
_IMPRINT = re.compile(
    r"(?:(?:^|\s+)抄送[:：]\S*)?(?:^|\s+)\S{2,30}?\s*\d{4}年\d{1,2}月\d{1,2}日印发\s*$"
    r"|(?:^|\s+)抄送[:：]\S*\s*$")
_TAIL_CHROME = re.compile(
    r"(?:\s*(?:来源\s*[:：]\s*\S+|附件下载|【?(?:打印本页|打印|关闭窗口|关闭)】?))+\s*$")


def _line_pairs(line: str) -> list[tuple[str, str]] | None:
    """The (label, value) pairs of a label line; None if the line is not one.

    A label opens the line (after any `|`) or follows a space; one that does
    not open the line needs a colon, or a wide gap before it (tab, U+3000,
    two spaces, `|`) and a space after it.
    """
    text = line.rstrip()
    start = len(text) - len(text.lstrip(_VALUE_TRIM))
    kept = []
    for m in LABEL_AT.finditer(text):
        opening = m.start() == start
        spaced = (m.end() == len(text) or text[m.end() - 1].isspace()
                  or text[m.end():m.end() + 1].isspace())
        if m.group(2) or (opening and spaced) or (
                _WIDE_GAP.search(text[:m.start()]) and spaced):
            kept.append(m)
    if not kept or kept[0].start() != start:
        return None
    pairs = []
    for i, m in enumerate(kept):
        end = kept[i + 1].start() if i + 1 < len(kept) else len(text)
        pairs.append((m.group(1), text[m.end():end].strip(_VALUE_TRIM)))
    return pairs


def _header(lines: list[str]) -> tuple[list[tuple[str, str]], list[str], int, bool]:
    """(pairs, unlabelled lines above the labels, index where the body starts, table?)."""
    pairs: list[tuple[str, str]] = []
    above: list[str] = []
    table = False
    body_start = 0
    for i, line in enumerate(lines[:_HEAD_LINES]):
        if not line.strip() or _WIDGET.match(line):
            continue
        found = _line_pairs(line)
        if found and _ROW.match(line):
            table = True
        elif found:
            found = [(lb, v) for lb, v in found if plausible(label_field(lb)[0], v)] or None
        if found:
            pairs += found
            body_start = i + 1
            continue
        if pairs and _OTHER_PAIR.match(line):
            body_start = i + 1      # a header line with a label of no field of ours
            continue
        if pairs or len(above) >= _MAX_TITLE_LINES or len(collapse_ws(line)) > 100:
            break
        above.append(line)
    return pairs, above, body_start, table


def is_textpage(text: str) -> bool:
    """True when the opening lines carry several known labels, in any layout."""
    pairs, _, _, table = _header(text.lstrip("\ufeff").splitlines())
    fields = {label_field(label)[0] for label, _ in pairs}
    return len(fields) >= 2 and (table or len(pairs) >= 2)


def parse_text(text: str) -> Record:
    """The record of one text page (already decoded)."""
    lines = text.lstrip("\ufeff").splitlines()
    pairs, above, start, _ = _header(lines)
    if not pairs:
        start = 0
    values = pick_fields(pairs)
    body = [line for line in lines[_after_rule(lines, start):] if line.strip()]
    body = _strip_chrome(body, collapse_ws(values.get("title") or ""))
    body = _strip_heading(body, values)
    if not collapse_ws(values.get("title") or ""):
        values["title"], body = _title(above, body)
    values["body"] = "\n".join(body)
    extra = {}
    if not values.get("issued"):
        # Paragraphs a scraper ran together stay apart by spaces: split on them.
        pieces = [piece for line in body for piece in line.split()]
        values["issued"] = closing_date(pieces, values.get("issuer"))
        extra = {"issued_from": "落款"} if values["issued"] else {}
    raw = {}
    for label, value in pairs:
        raw.setdefault(label, value)
    return build_record(values, raw, **extra)


def _after_rule(lines: list[str], start: int) -> int:
    """Where the body starts: after a `==== 正文 ====` rule just below the header."""
    if not start:
        return start
    ahead = [i for i in range(start, min(len(lines), start + _RULE_LOOKAHEAD)) if lines[i].strip()]
    rule = next((i for i in ahead if _RULE.match(lines[i])), None)
    return rule + 1 if rule is not None else start


def _strip_chrome(body: list[str], title: str) -> list[str]:
    """The body without a leading breadcrumb line and trailing source/download widgets."""
    if body and _CRUMB.match(body[0].strip()):
        first = body[0].strip()
        cut = first.find(title) + len(title) if title and title in first else -1
        rest = _AFTER_CRUMB.sub("", first[cut:], count=1).strip() if cut > 0 else ""
        body = ([rest] if rest else []) + body[1:]
    if body:
        last = _IMPRINT.sub("", _TAIL_CHROME.sub("", body[-1]).rstrip()).rstrip()
        body = body[:-1] + ([last] if last.strip() else [])
    return body


def _strip_heading(body: list[str], values: dict) -> list[str]:
    """Drop the document's own heading (发文字号, then the title, run together on the
    body's first line) from the body; the 发文字号 becomes the record's when no label
    gave one."""
    if not body:
        return body
    first, title = body[0].lstrip(), titles.squash(values.get("title") or "")
    m = _DOC_NO_HEAD.match(first)
    if not m:
        return body             # a title line alone at the top is the text's own (seed pages)
    rest = first[m.end():]
    if title and len(title) >= 6:
        squashed, taken = "", 0
        for taken, ch in enumerate(rest, 1):  # noqa: B007 (read after the loop)
            squashed += "" if ch.isspace() else ch
            if len(squashed) >= len(title):
                break
        if squashed != title:
            return body
        rest = rest[taken:]
    if not collapse_ws(values.get("doc_no") or ""):
        values["doc_no"] = m.group(1)
    rest = rest.strip()
    return ([rest] if rest else []) + body[1:]


def _title(above: list[str], body: list[str]) -> tuple[str | None, list[str]]:
    """A title line above the labels, else a heading-like first body line."""
    above = [collapse_ws(a) for a in above if titles.acceptable(a)]
    if above:
        return "".join(above), body
    if body:
        first = collapse_ws(body[0])
        if len(first) <= 80 and not _SENTENCE_END.search(first) and len(body) > 1:
            return first, body[1:]
    return None, body


def parse(text: str, encoding: str | None = None) -> ParseResult:
    record = parse_text(text)
    if not (record.title or record.body):
        return ParseResult("textpage", errors=["no title and no body"], encoding=encoding)
    return ParseResult("textpage", records=[record], encoding=encoding)
