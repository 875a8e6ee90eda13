"""The HTML pages and the exports: thin views over `SearchService`."""
from __future__ import annotations

import re
from datetime import datetime, UTC
from itertools import chain

from flask import Blueprint, Response, abort, render_template, request, stream_with_context

from archive.export import lines

from . import timeline
from .context import costly, service
from .links import body_view
from .params import ParamError, export_headers, parse_search, search_url_of
from .security import download_headers, file_name, visitor_view

bp = Blueprint("pages", __name__)

MAX_ID = 2 ** 63 - 1          # SQLite integers; larger ids cannot exist
SEARCH_PARAMS = ("q", "issuer", "topic", "year", "month", "from", "to", "sort", "page", "size")


@bp.get("/")
def search():
    req = parse_search(request.args)
    req.collapse = True               # one entry per reprint group, the rest expands
    with costly(req.q):
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


@bp.get("/doc/<int:doc_id>")
def document(doc_id: int):
    q = request.args.get("q", "")
    page = service().document_page(doc_id, q) if doc_id <= MAX_ID else None
    if page is None:
        abort(404)
    doc = visitor_view(page.doc)
    return render_template("doc.html", doc=doc, q=q, terms=page.terms,
                           back=results_url(request.args),
                           original=service().original_record(doc_id, data=False),
                           body=body_view(doc["body"], page.terms, doc.get("cites")),
                           related=page.related, history=page.history)


def results_url(args) -> str | None:
    """The breadcrumb back to the results a document was opened from: its
    link carries the search's parameters (query, filters, sort, page), so
    the way back lands on the same page.  None when it came from elsewhere
    (or the parameters are unusable: the breadcrumb then starts afresh)."""
    if not any(name in args for name in SEARCH_PARAMS):
        return None
    try:
        return search_url_of(parse_search(args))
    except ParamError:
        return None


def original_name(found) -> str:
    """The download's name: the source file's, or for one JSON Lines record
    `<file>-line<N>.jsonl` (the line is plain JSON, even from a .jsonl.gz)."""
    name = file_name(found.path) or "original"
    if found.whole:
        return name
    stem = re.sub(r"(?i)(\.jsonl|\.json|\.ndjson)?(\.gz)?$", "", name) or "record"
    return f"{stem}-line{found.line}.jsonl"


@bp.get("/doc/<int:doc_id>/original")
def original(doc_id: int):
    """The file the bulletin was ingested from, byte for byte, as a download."""
    _show(doc_id)
    vid = request.args.get("vid")
    if vid is not None:            # a version id, nothing else (never a path)
        if not re.fullmatch(r"[0-9]{1,18}", vid):
            abort(400, description="vid must be a version number")
        vid = int(vid)
    found = service().original_record(doc_id, vid)
    if found is None:
        abort(404)
    response = Response(found.data, headers=download_headers(original_name(found)))
    response.headers["Cache-Control"] = "no-cache"
    return response


EXPORT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}


@bp.get("/export.csv", endpoint="export_csv", defaults={"fmt": "csv"})
@bp.get("/export.jsonl", endpoint="export_jsonl", defaults={"fmt": "jsonl"})
def export(fmt: str):
    """Every bulletin of the result set (all pages), streamed."""
    req = parse_search(request.args)
    headers = export_headers(request.args)
    with costly(req.q):
        records = service().export(req)
        first = next(records, None)      # errors (no index...) before the headers
    chunks = lines(chain([first], records) if first is not None else [], fmt, headers)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    response = Response(stream_with_context(c.encode("utf-8") for c in chunks),
                        content_type=EXPORT_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="bulletins-{stamp}.{fmt}"'
    return response


@bp.get("/status")
def status():
    return render_template("status.html", stats=service().stats())
