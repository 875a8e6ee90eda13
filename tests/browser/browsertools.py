"""Shared by the browser tests: headless Chromium through Playwright, the
waitress server of `web.server` on a free localhost port, screenshots.

Needs Debian's chromium at /usr/bin/chromium (`.ci/install-browser`) and the
`playwright` package (the browser download of `playwright install` is not
used).  Screenshots go to test-artifacts/ (git-ignored).
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextmanager
def serving(home):
    """The production server for `home`; yields its base URL."""
    from web.server import make_server

    server = make_server(home, "127.0.0.1", 0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(5)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (run .ci/install-browser)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page_errors():
    return []


def open_page(browser, base_url, errors, width, height=900, javascript=True):
    context = browser.new_context(viewport={"width": width, "height": height},
                                  accept_downloads=True, base_url=base_url,
                                  java_script_enabled=javascript)
    page = context.new_page()
    # CSP violations and script errors show up here.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page


def params_of(page) -> dict:
    return parse_qs(urlsplit(page.url).query)


def shot(page, name: str, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=full_page)
