"""Access to the app's `SearchService` from views."""
from __future__ import annotations

from flask import current_app

from archive.search import SearchService

SERVICE = "archive.service"
LANE = "archive.lane"


def service() -> SearchService:
    """The app's one search service (inside a request)."""
    return current_app.extensions[SERVICE]


def costly(q: str | None):
    """The block runs in the app's lane for costly searches (web.admission)."""
    return current_app.extensions[LANE].admit(q)
