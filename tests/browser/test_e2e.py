"""End to end in real headless Chromium on the bundled sample: the waitress
server of `web.server` on a free localhost port, driven by Playwright
(fixtures and helpers in browsertools.py)."""
from __future__ import annotations

import pytest
from browsertools import browser, page_errors  # noqa: F401  (fixtures)
from browsertools import open_page as _page, params_of as _params, serving, shot as _shot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(sample_home):
    with serving(sample_home) as url:
        yield url


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
    assert page.locator(".result-count strong").inner_text() == "43"
    assert page.locator("li.hit").count() == 10
    assert page.locator(".timeline a.tl-bar").count() == 3
    _shot(page, "search-desktop-1280.png")

    # A facet filters; its chip removes the filter again.
    facet = page.locator("#facet-issuer ~ .facet-top a").first
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
    page.locator(".timeline a.tl-bar").first.click()
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
    # Filters start hidden on a phone, and open as a panel from the button.
    assert not page.locator("#facet-topic").is_visible()
    _shot(page, "search-mobile-360.png")
    page.locator("[data-filter-toggle]").click()
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
