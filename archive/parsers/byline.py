"""An unlabelled byline right under the title heading.

Some templates print the source in square brackets and the publication date
with no 来源/发布时间 label at all, in one short element after the heading:
`[省发改委]  2016-04-01  字号：T | T` (www.fujian.gov.cn's 2016 article pages,
which carry no PubDate/ContentSource meta either).  Without this the page has
no published date and no issuer.  Only an element whose previous sibling is the
page's title is read, and only the bracket-then-date shape, so a bracketed
word inside the article (`[附件]`, `【打印】`) is never taken for a source.
"""
from __future__ import annotations

import re

from archive.normalize import collapse_ws
from archive.parsers.labels import issuer_like

_SPACE = r"[\s\u3000\xa0]"
_BYLINE = re.compile(
    rf"^[\[［](?P<source>[^\]］\[［]{{2,30}})[\]］]{_SPACE}*"
    rf"(?P<date>\d{{4}}(?:-\d{{1,2}}-\d{{1,2}}|年\d{{1,2}}月\d{{1,2}}日))(?:{_SPACE}|字号|$)")
_MAX_LEN = 80


def bylines(root) -> list[tuple[str, str, str]]:
    """(text of the element before, source, date) for every byline-shaped
    element; read before chrome removal, which drops the 字号 widget line."""
    found = []
    for el in root.iter("h4", "h5", "h6", "p", "div"):
        text = collapse_ws(el.text_content())
        prev = el.getprevious()
        if prev is None or len(text) > _MAX_LEN:
            continue
        m = _BYLINE.match(text)
        if m:
            found.append((collapse_ws(prev.text_content()), m["source"].strip(), m["date"]))
    return found


def fill_from_byline(values: dict, found: list[tuple[str, str, str]]) -> None:
    """Set a missing `published`/`issuer` from the byline under the title."""
    title = re.sub(r"\s+", "", values.get("title") or "")
    for before, source, date in found:
        if not title or re.sub(r"\s+", "", before) != title:
            continue
        if not collapse_ws(values.get("published") or ""):
            values["published"] = date
        if not collapse_ws(values.get("issuer") or "") and issuer_like(source):
            values["issuer"] = source
        return
