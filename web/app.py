"""The application factory.

One `SearchService` per app, shared by every thread: it is thread-safe,
opens the index read-only and follows reindexes without a restart.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from archive.search import SearchService

from . import errors, helpers, links, security
from .budget import RequestBudget
from .api import bp as api_bp
from .admission import Lane
from .context import LANE, SERVICE
from .shared_cache import SharedWork
from .views import bp as pages_bp

BUDGET = "archive.budget"


def create_app(home, service: SearchService | None = None, lane_dir=None) -> Flask:
    """The app for data home `home`; `lane_dir`: the folder the forked
    workers of one server share: slot files of costly searches
    (`web.admission`) and first-sight work (`web.shared_cache`)."""
    app = Flask("web")
    app.config["ARCHIVE_HOME"] = Path(home)
    app.json.ensure_ascii = False        # the API's Chinese stays readable
    app.json.sort_keys = False           # same key order as `archive ... --json`
    shared = SharedWork(Path(lane_dir) / "shared-work.sqlite") if lane_dir else None
    app.extensions[SERVICE] = service or SearchService(Path(home), shared=shared)
    app.extensions[LANE] = Lane(lock_dir=lane_dir)
    helpers.init_app(app)
    links.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    app.register_blueprint(pages_bp)
    app.register_blueprint(api_bp)
    app.extensions[BUDGET] = app.wsgi_app = RequestBudget(app.wsgi_app)
    return app

