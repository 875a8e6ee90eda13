"""Where a page's source and date come from when no label gives them.

`site_names`/`issuer_not_site`: the portal's own name (SiteName meta, the
site part of <title>) is never an issuer.

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
from archive.parsers import titles
from archive.parsers.labels import site_name

_STAMP = re.compile(r"(?<![:：\d])[\s\u3000\xa0]*(\d{4}-\d{1,2}-\d{1,2})"
                    r"[\sT\xa0]+\d{1,2}:\d{2}(?::\d{2})?")


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


def issuer_not_site(issuer: str, sites: tuple[str, ...], tag_text: str) -> str | None:
    """A ContentSource meta holding the portal's own name is no issuer: CMSs
    fill it with the site name when the source was left empty (保定市人民政府网
    on www.baoding.gov.cn, which shows no 来源).  The site is the SiteName meta
    or the part of <title> beside the article title (`站名——标题`, `标题_站名`).
    Only called when no label on the page named the issuer."""
    name = titles.squash(issuer)
    if any(name == titles.squash(site) for site in sites):
        return None
    parts = [titles.squash(p) for p in re.split(r"——|—|[|｜_]+|\s[-–]\s", tag_text)]
    if len(parts) > 1 and name in (parts[0], parts[-1]):
        return None
    return issuer


def site_names(meta: dict[str, str]) -> tuple[str, ...]:
    """The SiteName / og:site_name metas' values."""
    return tuple(v.strip() for k, v in meta.items()
                 if k.lower() in ("sitename", "og:site_name") and v and v.strip())
