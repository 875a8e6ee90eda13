"""Template helpers for what ties bulletins together: cited 文号 in a body
as links, reprint groups under a hit, and revision diffs.

Every piece of text goes through `archive.highlight.to_html` (which escapes)
or Jinja's autoescaping; the only markup added here is built from escaped
parts.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from markupsafe import Markup, escape

from archive.citations import find_doc_numbers
from archive.fields import label_of
from archive.highlight import highlight_all, to_html
from archive.request import check_request_deadline

from .context import service

DIFF_CONTEXT = 40                 # characters of unchanged text kept around a change
HIGHLIGHT_BODY_CHARS = 100_000    # of a body, marked and linked on its page; the rest plain
SHOWN_BODY_CHARS = 200_000        # of a body, on its page; the rest in the original and JSON
MAX_CHANGE_SHOWN = 2000           # characters of one changed run shown in the revision log
MAX_REVISIONS = 5                 # version pairs shown on a document page


def cite_targets(cites: list[dict] | None) -> dict[str, int]:
    """Cited 文号 -> the bulletin it resolves to (built once per page: per
    paragraph it cost 10 s on a 2M-character body of 24,000 paragraphs)."""
    return {c["doc_no"]: c["id"] for c in cites or [] if c.get("doc_no") and c.get("id")}


def linked_paragraph(text: str, terms: list[str], targets: dict[str, int]) -> Markup:
    """A body paragraph, highlighted, with each cited 文号 that resolves to a
    bulletin of the archive (`targets`) as a link to it."""
    out, at = [], 0
    for start, end, doc_no in find_doc_numbers(text) if targets else ():
        target = targets.get(doc_no)
        if target is None:
            continue
        out.append(to_html(highlight_all(text[at:start], terms)))
        label = to_html(highlight_all(text[start:end], terms))
        href = url_for("pages.document", doc_id=int(target))
        out.append(f'<a class="cite-link" href="{escape(href)}" '
                   f'title="{escape(doc_no)}">{label}</a>')
        at = end
    out.append(to_html(highlight_all(text[at:], terms)))
    return Markup("".join(out))


@dataclass
class BodyView:
    """A document page's body: `paragraphs` as HTML, of which the first
    HIGHLIGHT_BODY_CHARS characters are highlighted and linked; `cut` when
    the rest is shown plain; `hidden` characters past SHOWN_BODY_CHARS are
    left to the original and the JSON."""
    paragraphs: list[Markup]
    cut: bool
    limit: int
    hidden: int = 0
    shown: int = 0


def body_view(body: str | None, terms, cites: list[dict] | None,
              limit: int | None = None) -> BodyView:
    """Highlighting and 文号 links grow with the body and the query; a body
    may hold 2,000,000 characters (archive.limits), so only its opening is
    marked, the request's deadline checked at every paragraph, and the rest
    escaped as plain text (cheap: one pass).  The page shows the first
    SHOWN_BODY_CHARS: the HTML of a whole 2,000,000-character body (6 MB)
    cost ~1 s a view, and hostile clients could ask for it at will."""
    limit = HIGHLIGHT_BODY_CHARS if limit is None else limit
    terms, targets = list(terms or []), cite_targets(cites)
    body = body or ""
    shown = body[:SHOWN_BODY_CHARS]
    out, used = [], 0
    for paragraph in shown.split("\n"):
        if not paragraph.strip():
            continue
        room = limit - used
        if room <= 0 or not (terms or targets):
            out.append(escape(paragraph))
            continue
        check_request_deadline()
        head = linked_paragraph(paragraph[:room], terms, targets)
        out.append(head + escape(paragraph[room:]) if len(paragraph) > room else head)
        used += len(paragraph)
    return BodyView(out, used > limit, limit, len(body) - len(shown), len(shown))


def group_members(group_id: int) -> list[dict]:
    return service().group_members(int(group_id))


def revisions(doc_id: int, versions: int) -> list[dict]:
    """Diffs of consecutive versions, newest first (at most MAX_REVISIONS)."""
    out = []
    for to_v in range(versions, max(1, versions - MAX_REVISIONS), -1):
        check_request_deadline()
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
            pieces.append({**change, "old": _clipped(change["old"]),
                           "new": _clipped(change["new"])})
            continue
        text = change["old"]
        if len(text) > 2 * context:
            head = [text[:context]] if n else []
            tail = [text[-context:]] if n < last else []
            text = " ".join(head + ["…"] + tail)
        pieces.append({"op": "equal", "old": text})
    return pieces


def _clipped(text: str, limit: int = MAX_CHANGE_SHOWN) -> str:
    """A changed run as shown on the page: a revision that rewrote a long
    body is not printed twice in full."""
    return text if len(text) <= limit else f"{text[:limit]} …（共 {len(text):,} 字）"


def diff_value(value) -> str:
    if value in (None, "", []):
        return "（空）"
    return "；".join(value) if isinstance(value, list) else str(value)


def init_app(app) -> None:
    app.jinja_env.globals.update(diff_value=diff_value,
                                 group_members=group_members, revisions=revisions,
                                 field_label=label_of)
