"""The HTML pages and the exports: thin views over `SearchService`."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from itertools import chain

from flask import Blueprint, Response, abort, render_template, request, stream_with_context

from archive.export import lines

from . import timeline
from .context import service
from .params import parse_search
from .security import download_headers, visitor_view

bp = Blueprint("pages", __name__)

MAX_ID = 2 ** 63 - 1          # SQLite integers; larger ids cannot exist


@bp.get("/")
def search():
    req = parse_search(request.args)
    result = service().search(req)
    return render_template("search.html", result=result, req=req, q=req.q,
                           timeline=timeline.build(result))


@bp.get("/help")
def help_page():
    return render_template("help.html")


def _show(doc_id: int) -> dict:
    data = service().show(doc_id) if doc_id <= MAX_ID else None
    if data is None:
        abort(404)
    return visitor_view(data)


def highlight_terms(q: str) -> list[str]:
    """The folded strings a search for `q` highlights (synonyms and split words too)."""
    return service().terms(q)


@bp.get("/doc/<int:doc_id>")
def document(doc_id: int):
    doc = _show(doc_id)
    q = request.args.get("q", "")
    history = service().versions(doc_id)[1:]
    return render_template("doc.html", doc=doc, q=q, terms=highlight_terms(q),
                           paragraphs=[p for p in (doc["body"] or "").split("\n") if p.strip()],
                           related=service().related(doc_id), history=history)


@bp.get("/doc/<int:doc_id>/original")
def original(doc_id: int):
    """The file the bulletin was ingested from, byte for byte, as a download."""
    _show(doc_id)
    vid = request.args.get("vid")
    if vid is not None:            # a version id, nothing else (never a path)
        if not re.fullmatch(r"[0-9]{1,18}", vid):
            abort(400, description="vid must be a version number")
        vid = int(vid)
    found = service().original(doc_id, vid)
    if found is None:
        abort(404)
    path, data = found
    response = Response(data, headers=download_headers(path))
    response.headers["Cache-Control"] = "no-cache"
    return response


EXPORT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}


@bp.get("/export.csv", endpoint="export_csv", defaults={"fmt": "csv"})
@bp.get("/export.jsonl", endpoint="export_jsonl", defaults={"fmt": "jsonl"})
def export(fmt: str):
    """Every bulletin of the result set (all pages), streamed."""
    req = parse_search(request.args)
    records = service().export(req)
    first = next(records, None)          # errors (no index...) before the headers
    chunks = lines(chain([first], records) if first is not None else [], fmt)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    response = Response(stream_with_context(c.encode("utf-8") for c in chunks),
                        content_type=EXPORT_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="bulletins-{stamp}.{fmt}"'
    return response


@bp.get("/status")
def status():
    return render_template("status.html", stats=service().stats())
