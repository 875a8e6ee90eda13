"""Two small readings of a page's metadata that no label gives directly.

`issuer_meta`: TRS/Hanweb heads may carry two source metas.  ContentSource is
what the parser reads first, but it is sometimes only the site's own name
(`农业农村部网站` on www.moa.gov.cn) or a short form of the office
(`市场与信息化司` beside `source` = `农业农村部市场与信息化司` on scs.moa.gov.cn).
The `source` meta then names the office in full and is the better issuer.

`info_line_stamp`: some county templates print the posting time in the info
line under the heading with no label at all, beside a labelled 来源
(`内乡政府门户网站 www.neixiangxian.gov.cn  2018-04-19 17:32:17  来源：…`).
The line is a metadata block (its 来源 pair is read), so its unlabelled
timestamp is the page's publication time.  Only a date with a clock time,
not right after a label colon, is taken: a bare date in such a line may be
an expiry or a meeting day.
"""
from __future__ import annotations

import re

from archive.dates import parse_date
from archive.parsers.labels import site_name

_STAMP = re.compile(r"(?<![:：\d])[\s\u3000\xa0]*(\d{4}-\d{1,2}-\d{1,2})[\sT\xa0]+\d{1,2}:\d{2}(?::\d{2})?")


def issuer_meta(content_source: str | None, source: str | None) -> str | None:
    """The issuer the head metas give: ContentSource unless `source` names
    the office better (ContentSource is a site name, or a tail of `source`)."""
    content_source = (content_source or "").strip()
    source = (source or "").strip()
    if not source or source == content_source:
        return content_source or None
    if not content_source or site_name(content_source) or source.endswith(content_source):
        return source
    return content_source


def info_line_stamp(texts: list[str]) -> str | None:
    """ISO date of the first unlabelled `YYYY-MM-DD HH:MM` in the metadata
    blocks' texts, or None."""
    for text in texts:
        for m in _STAMP.finditer(text):
            before = text[:m.start()].rstrip(" \u3000\xa0")
            if before.endswith(("：", ":")):
                continue
            date = parse_date(m.group(1))
            if date:
                return date
    return None
