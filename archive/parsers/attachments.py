"""Attachment links of a portal page: [{"name", "url"}].

A link is an attachment when its target (or its text) ends in a document
extension, or its text opens with 附件.  Portals list them under the article
(`附件：1.申报表.docx`) or in a separate download box; a bulletin published
only as an attachment has nothing else, and then the attachment names are
its body text.
"""
from __future__ import annotations

import re

from archive.normalize import collapse_ws

FILE_EXT = re.compile(
    r"\.(?:docx?|xlsx?|xls|pptx?|pdf|zip|rar|7z|wps|et|dps|ofd|csv|txt|ceb|tif)(?:$|[?#])", re.I)
_ATTACHMENT_TEXT = re.compile(r"^附\s*件\s*\d*\s*[:：.、]?")
# Bounds, so a hostile page of 100,000 download links cannot bloat a record:
# real bulletins carry a handful of attachments with names under 100 characters.
MAX_ATTACHMENTS = 200
MAX_NAME_CHARS = 300
MAX_URL_CHARS = 2000


def is_file_link(a) -> bool:
    href = (a.get("href") or "").strip()
    text = collapse_ws(a.text_content())
    if href.lower().startswith(("javascript:", "mailto:", "#")):
        return False
    return bool(FILE_EXT.search(href) or (href and FILE_EXT.search(text))
                or (href and _ATTACHMENT_TEXT.match(text)))


def attachment_links(root) -> list[dict]:
    """Every file link under `root`, once per URL, in page order."""
    found, seen = [], set()
    for a in root.iter("a"):
        if not is_file_link(a):
            continue
        url = (a.get("href") or "").strip()[:MAX_URL_CHARS]
        name = (collapse_ws(a.text_content()) or url.rsplit("/", 1)[-1])[:MAX_NAME_CHARS]
        if url in seen or not name:
            continue
        seen.add(url)
        found.append({"name": name, "url": url})
        if len(found) == MAX_ATTACHMENTS:
            break
    return found


def names_text(attachments: list[dict]) -> str:
    """The attachment names, one a line (the body of an attachment-only bulletin)."""
    return "\n".join(a["name"] for a in attachments)
