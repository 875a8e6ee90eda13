"""End to end in real headless Chromium: the waitress server of `web.server`
on a free localhost port, driven by Playwright.

Needs Debian's chromium at /usr/bin/chromium (`.ci/install-browser`) and the
`playwright` package (the browser download of `playwright install` is not
used).  Screenshots go to test-artifacts/ (git-ignored).
"""
from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def base_url(sample_home):
    from web.server import make_server

    server = make_server(sample_home, "127.0.0.1", 0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
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


def _page(browser, base_url, errors, width, height=900):
    context = browser.new_context(viewport={"width": width, "height": height},
                                  accept_downloads=True, base_url=base_url)
    page = context.new_page()
    # CSP violations and script errors show up here.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page


def _params(page) -> dict:
    return parse_qs(urlsplit(page.url).query)


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_search_journey(browser, base_url, page_errors, tmp_path):
    page = _page(browser, base_url, page_errors, 1280)
    page.goto("/")
    # "/" focuses the search box from anywhere on the page.
    page.locator("body").click(position={"x": 5, "y": 400})
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("青石县")
    page.keyboard.press("Enter")
    page.wait_for_url("**/?q=*")
    assert page.locator("#q").input_value() == "青石县"
    assert "“青石县”的检索结果" in page.title()
    assert page.locator(".result-count strong").inner_text() == "40"
    assert page.locator("li.hit").count() == 10
    assert page.locator(".timeline svg a").count() == 3
    _shot(page, "search-desktop-1280.png")

    # A facet filters; its chip removes the filter again.
    facet = page.locator("#facet-issuer + ul a").first
    issuer = facet.locator(".facet-value").inner_text()
    facet.click()
    page.wait_for_url("**issuer=*")
    assert _params(page)["issuer"] == [issuer]
    assert page.locator(".chip").count() == 1
    assert all(issuer in meta for meta in page.locator(".hit-meta").all_inner_texts())
    page.locator(".chip").click()
    page.wait_for_load_state()
    assert "issuer" not in _params(page)
    assert page.locator(".chip").count() == 0

    # A timeline bar filters by year.
    page.locator(".timeline svg a").first.click()
    page.wait_for_url("**year=*")
    assert page.locator(".chip").count() == 1
    page.locator(".chip").click()
    page.wait_for_load_state()

    # Sort by newest, then page 2.
    page.get_by_role("link", name="最新").click()
    page.wait_for_url("**sort=-date*")
    dates = page.locator(".hit-meta").all_inner_texts()
    assert len(dates) == 10
    page.get_by_role("link", name="下一页 ›").click()
    page.wait_for_url("**page=2*")
    assert _params(page)["sort"] == ["-date"]
    assert page.locator("ol.hits").get_attribute("start") == "11"
    assert page.locator("li.hit").count() == 10

    # Open a document: the search terms are highlighted.
    first = page.locator("li.hit .hit-title a").first
    title = first.inner_text()
    first.click()
    page.wait_for_url("**/doc/*")
    assert page.locator("h1.doc-title").inner_text() == title
    assert page.locator(".doc-body mark, h1 mark").count() > 0
    assert page.locator(".meta-table th").count() == 7
    assert page.locator("button[data-print]").is_visible()       # shown by the script
    _shot(page, "document-desktop-1280.png")

    # Back on the results, download the CSV of the result set.
    page.go_back()
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV（Excel 可直接打开）").click()
    target = tmp_path / "export.csv"
    info.value.save_as(target)
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("id,index_no,doc_no,title")
    assert len(text.strip().split("\r\n")) >= 41 and "青石县" in text

    assert page_errors == []


def test_empty_and_suggestion(browser, base_url, page_errors):
    page = _page(browser, base_url, page_errors, 1280)
    page.goto("/?q=安全生产越")
    assert "没有找到" in page.locator(".empty h2").inner_text()
    page.locator(".suggestion a").click()
    page.wait_for_load_state()
    assert page.locator("#q").input_value() == "安全生产"
    assert int(page.locator(".result-count strong").inner_text()) > 0
    assert page_errors == []


def test_narrow_screen(browser, base_url, page_errors):
    page = _page(browser, base_url, page_errors, 360, 780)
    page.goto("/?q=安全")
    # Nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # Filters start folded on a phone, and open on a tap.
    panel = page.locator("details.facet-panel")
    assert panel.get_attribute("open") is None
    _shot(page, "search-mobile-360.png")
    panel.locator("summary").click()
    assert page.locator("#facet-topic").is_visible()
    page.goto("/doc/1?q=防汛")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    _shot(page, "document-mobile-360.png")
    assert page_errors == []


def test_works_without_javascript(browser, base_url):
    context = browser.new_context(java_script_enabled=False, base_url=base_url,
                                  viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto("/")
    page.fill("#q", "防汛")
    page.press("#q", "Enter")
    page.wait_for_url("**q=*")
    assert page.locator("li.hit").count() > 0
    page.fill("#from", "2024")
    page.fill("#to", "2024")
    page.get_by_role("button", name="应用").click()
    page.wait_for_url("**from=2024*")
    assert page.locator(".chip").count() == 1
    dates = [t.split("·") for t in page.locator(".hit-meta").all_inner_texts()]
    assert dates and all("2024" in " ".join(d) for d in dates)
    context.close()
