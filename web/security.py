"""What visitors may send and see: security headers, request sanity, paths.

* Security headers on every response (pages, API, static files, errors).
  The policy allows only this origin's scripts, styles and images (plus
  data: images): no inline scripts, no style attributes, no framing.
* `HostGuard`: a request whose Host header cannot be a host name (bad IDNA,
  a label over 63 characters, control characters) gets a plain 400 before
  Flask sees it.  Flask could not build URLs for such a request, so even
  its error page failed: it was a 500.
* `visitor_view`: the server's file system paths are not shown to visitors
  (the API and the document page name a source file by its file name only).
* `download_headers`: an original is always a download of opaque bytes
  (`application/octet-stream`, `attachment`), whatever its name says: a
  `.js` or `.html` original served with its own type from this origin could
  run as the app's own script.
"""
from __future__ import annotations

import re
from urllib.parse import quote

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def init_app(app) -> None:
    app.wsgi_app = HostGuard(app.wsgi_app, app)

    @app.after_request
    def add_headers(response):
        for name, value in HEADERS.items():
            response.headers[name] = value
        return response


_IPV6 = re.compile(r"\[[0-9A-Fa-f:.]+\]")


def valid_host(host: str) -> bool:
    """Whether `host` (with an optional port) is a name Flask can build URLs
    for: an IPv6 literal in brackets, or a name that survives IDNA both ways."""
    if host.startswith("["):
        name, _, port = host.partition("]")
        return bool(_IPV6.fullmatch(name + "]")) and (not port or port[1:].isdigit()
                                                      and port[0] == ":")
    name, _, port = host.rpartition(":") if ":" in host else (host, "", "")
    if port and not port.isdigit():
        return False
    if not name or any(ord(c) < 33 or ord(c) == 127 for c in name):
        return False
    try:
        name.encode("idna").decode("idna")
    except UnicodeError:
        return False
    return True


class HostGuard:
    """WSGI middleware: 400 for a Host header Flask cannot route with."""

    def __init__(self, wsgi_app, flask_app):
        self.wsgi_app, self.flask_app = wsgi_app, flask_app

    def __call__(self, environ, start_response):
        try:
            self.flask_app.url_map.bind_to_environ(environ)
            ok = valid_host(environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "")
        except Exception:  # noqa: BLE001 - any failure here means "not a host name"
            ok = False
        if not ok:
            body = b'{"error": "invalid Host header", "status": 400}'
            start_response("400 Bad Request", [("Content-Type", "application/json"),
                                               ("Content-Length", str(len(body))),
                                               *HEADERS.items()])
            return [body]
        return self.wsgi_app(environ, start_response)


def file_name(path: str | None) -> str:
    """The last component of a source path (either separator)."""
    return re.split(r"[\\/]", path or "")[-1]


def visitor_view(doc: dict) -> dict:
    """A bulletin's public JSON as the web shows it: file names, not paths."""
    doc = dict(doc)
    doc["source_path"] = file_name(doc.get("source_path"))
    if "sources" in doc:
        doc["sources"] = [{**s, "path": file_name(s.get("path"))} for s in doc["sources"]]
    return doc


_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f-\x9f"\\;]')


def download_headers(path: str) -> dict[str, str]:
    """Headers of an original's download: opaque bytes, as an attachment,
    under its file name with control characters and quotes replaced."""
    name = _UNSAFE_NAME.sub("_", file_name(path)).strip() or "original"
    ascii_name = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    return {"Content-Type": "application/octet-stream",
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; "
                                   f"filename*=UTF-8''{quote(name, safe='')}"}
