"""The web app: search page, document pages, JSON API and exports over
`archive.search.SearchService` (see `web.app.create_app`, `web.server.serve`)."""

from .app import create_app

__all__ = ["create_app"]
