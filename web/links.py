"""Template helpers for what ties bulletins together: cited 文号 in a body
as links, reprint groups under a hit, and revision diffs.

Every piece of text goes through `archive.highlight.to_html` (which escapes)
or Jinja's autoescaping; the only markup added here is built from escaped
parts.
"""
from __future__ import annotations

from flask import url_for
from markupsafe import Markup, escape

from archive.citations import find_doc_numbers
from archive.fields import label_of
from archive.highlight import highlight_all, to_html

from .context import service

DIFF_CONTEXT = 40                 # characters of unchanged text kept around a change
MAX_REVISIONS = 5                 # version pairs shown on a document page


def linked_paragraph(text: str, terms, cites: list[dict]) -> Markup:
    """A body paragraph, highlighted, with each cited 文号 that resolves to a
    bulletin of the archive as a link to it."""
    targets = {c["doc_no"]: c["id"] for c in cites or [] if c.get("doc_no") and c.get("id")}
    out, at = [], 0
    for start, end, doc_no in find_doc_numbers(text) if targets else ():
        target = targets.get(doc_no)
        if target is None:
            continue
        out.append(to_html(highlight_all(text[at:start], list(terms or []))))
        label = to_html(highlight_all(text[start:end], list(terms or [])))
        href = url_for("pages.document", doc_id=int(target))
        out.append(f'<a class="cite-link" href="{escape(href)}" '
                   f'title="{escape(doc_no)}">{label}</a>')
        at = end
    out.append(to_html(highlight_all(text[at:], list(terms or []))))
    return Markup("".join(out))


def group_members(group_id: int) -> list[dict]:
    return service().group_members(int(group_id))


def revisions(doc_id: int, versions: int) -> list[dict]:
    """Diffs of consecutive versions, newest first (at most MAX_REVISIONS)."""
    out = []
    for to_v in range(versions, max(1, versions - MAX_REVISIONS), -1):
        result = service().version_diff(doc_id, to_v - 1, to_v)
        result["pieces"] = shortened(result["changes"])
        out.append(result)
    return out


def shortened(changes: list[dict], context: int = DIFF_CONTEXT) -> list[dict]:
    """The changes with long unchanged runs cut to their ends (… between)."""
    pieces = []
    last = len(changes) - 1
    for n, change in enumerate(changes):
        if change["op"] != "equal":
            pieces.append(change)
            continue
        text = change["old"]
        if len(text) > 2 * context:
            head = [text[:context]] if n else []
            tail = [text[-context:]] if n < last else []
            text = " ".join(head + ["…"] + tail)
        pieces.append({"op": "equal", "old": text})
    return pieces


def diff_value(value) -> str:
    if value in (None, "", []):
        return "（空）"
    return "；".join(value) if isinstance(value, list) else str(value)


def init_app(app) -> None:
    app.jinja_env.globals.update(linked_paragraph=linked_paragraph, diff_value=diff_value,
                                 group_members=group_members, revisions=revisions,
                                 field_label=label_of)
