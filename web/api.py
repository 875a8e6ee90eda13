"""The JSON API: the same shapes as `archive search --json` and `archive show --json`.

    GET /api/search?<params>   SearchResult.to_json()
    GET /api/facets?<params>   its "facets" part
    GET /api/doc/<id>          SearchService.show(id)
    GET /healthz               {"status": "ok", "documents": N, "generation": ...}

Parameters as in `web.params`; errors as {"error": ..., "status": N}.
"""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from .context import costly, service
from .params import parse_search
from .security import visitor_view
from .views import MAX_ID

bp = Blueprint("api", __name__)


@bp.get("/api/search")
def search():
    req = parse_search(request.args)
    with costly(req.q):
        return jsonify(service().search(req).to_json())


@bp.get("/api/facets")
def facets():
    req = parse_search(request.args)
    with costly(req.q):
        return jsonify(service().facets(req))


@bp.get("/api/doc/<int:doc_id>")
def document(doc_id: int):
    data = service().show(doc_id) if doc_id <= MAX_ID else None
    if data is None:
        abort(404, description=f"no bulletin #{doc_id}")
    return jsonify(visitor_view(data))


@bp.get("/healthz")
def healthz():
    """For monitors: 200 when the index answers, 503 otherwise."""
    try:
        searcher = service().searcher()
        body = {"status": "ok", "documents": searcher.doc_count,
                "generation": searcher.generation.path.name}
        return jsonify(body)
    except Exception as exc:          # any failure means "not healthy"
        response = jsonify(status="unavailable", error=type(exc).__name__)   # no server path
        response.status_code = 503
        return response
