"""What libxml2 is given of a page's start tags: a bounded number of attributes.

Why a module of its own: libxml2 compares each attribute of an element with
the ones before it, so one element with 60,000 attributes parsed for over
40 s — past any parse budget, since the C call cannot be interrupted.  A
start tag with more than MAX_TAG_ATTRIBUTES attributes keeps its first
ones; long attribute values are left whole (a 100,000-character meta title
is read and cut, with a warning, by the field limits).  Only tags longer
than MAX_TAG_CHARS are looked at, so ordinary pages pay one regex scan.
"""
from __future__ import annotations

import re

MAX_TAG_CHARS = 4096
MAX_TAG_ATTRIBUTES = 200
_LONG_TAG = re.compile(rf"<([a-zA-Z][a-zA-Z0-9:-]*)(\s[^<>]{{{MAX_TAG_CHARS},}})>")
_ATTRIBUTE = re.compile(r"""[^\s"'=<>/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?""")


def fewer_attributes(text: str) -> str:
    """`text` with every start tag cut to its first MAX_TAG_ATTRIBUTES attributes."""
    return _LONG_TAG.sub(_cut, text)


def _cut(match: re.Match) -> str:
    found = _ATTRIBUTE.finditer(match.group(2))
    kept = [a.group() for _, a in zip(range(MAX_TAG_ATTRIBUTES + 1), found)]
    if len(kept) <= MAX_TAG_ATTRIBUTES:
        return match.group(0)
    return f"<{match.group(1)} {' '.join(kept[:MAX_TAG_ATTRIBUTES])}>"
