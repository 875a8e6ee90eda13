"""Serving the web app: `archive serve` calls `serve()`.

Production uses waitress, a pure-Python threaded WSGI server.  It was chosen
over gunicorn because it runs anywhere Python runs — including the Windows
machines of government intranets, where gunicorn (which needs `fork`) does
not — and because one process with threads suits this app: the search
service, its open index and its caches are shared by every request instead
of being loaded once per forked worker.  `workers` is therefore the number
of waitress threads, i.e. how many requests are answered at the same time.
The Whoosh index is opened read-only; `SearchService` reopens it when a
reindex writes a new generation, so the server never needs a restart.

`dev=True` runs Flask's development server with the reloader and debugger
(local use only: the debugger can run code, so `serve` refuses it on any
address but loopback).
"""
from __future__ import annotations

from pathlib import Path

from .app import create_app


def display_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def make_server(home, host: str = "127.0.0.1", port: int = 8080, workers: int = 4):
    """A waitress server (not yet running): `.run()` serves, `.close()` stops.
    `port=0` picks a free port (`.effective_port`)."""
    from waitress import create_server

    return create_server(create_app(Path(home)), host=host, port=port, threads=workers,
                         ident="archive", clear_untrusted_proxy_headers=True)


def serve(home, host: str = "127.0.0.1", port: int = 8080, workers: int = 4,
          dev: bool = False) -> None:
    """Serve the app for the data home `home` until interrupted."""
    if dev:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit(f"archive serve --dev runs Flask's debugger, which can run code: "
                             f"it listens on loopback only (127.0.0.1), not {host}")
        app = create_app(Path(home))
        print(f"archive (development server): open {display_url(host, port)}", flush=True)
        app.run(host=host, port=port, debug=True, use_reloader=True, threaded=True)
        return
    server = make_server(home, host, port, workers)
    print(f"archive: serving {Path(home)} on {display_url(host, server.effective_port)} "
          f"({workers} threads; Ctrl+C to stop)", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
