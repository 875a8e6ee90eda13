"""The search page in headless Chromium at desktop (1280 px) and phone
(360 px) widths, on 94 bulletins dated over 45 years from 57 issuers
(`spreadtools`): facet lists with "更多…", the grouped timeline, the phone's
filter panel, the breadcrumb back to the results, printing, and all of it
without JavaScript.  Screenshots go to test-artifacts/ to be looked at."""
from __future__ import annotations

import re

import pytest
from browsertools import browser, page_errors  # noqa: F401  (fixtures)
from browsertools import ARTIFACTS, open_page, params_of, serving, shot

pytestmark = pytest.mark.browser

MIN_LABEL_PX = 11


@pytest.fixture(scope="module")
def base_url(spread_home):
    with serving(spread_home) as url:
        yield url


def _visible_texts(locator) -> list[str]:
    return [t for t, v in zip(locator.all_inner_texts(),
                              [x.is_visible() for x in locator.all()]) if v]


def test_facets_with_more(browser, base_url, page_errors):
    page = open_page(browser, base_url, page_errors, 1280)
    page.goto("/?q=远山市")
    issuer = page.locator("section.facet").filter(has=page.locator("#facet-issuer"))
    assert len(_visible_texts(issuer.locator(".facet-value"))) == 10 + 1      # + 未注明
    assert issuer.locator(".facet-missing .facet-value").inner_text() == "未注明"
    assert issuer.locator(".facet-cut").is_visible()
    more = issuer.locator("details.facet-more")
    assert not more.locator("li").first.is_visible()
    shot(page, "facets-desktop-1280.png")
    more.locator("summary").click()
    assert more.locator("li").first.is_visible()
    assert len(_visible_texts(issuer.locator(".facet-value"))) == 50 + 1
    # The filter box (script) narrows the list, folded part included.
    box = issuer.get_by_label("筛选发文机关")
    box.fill("第4")
    shown = _visible_texts(issuer.locator(".facet-value"))
    assert shown and all("第4" in v for v in shown)
    assert set(shown) == {v for v in issuer.locator(".facet-value").all_inner_texts()
                          if "第4" in v}
    box.fill("没有这个机关")
    assert issuer.get_by_role("status").inner_text().startswith("没有包含")
    box.fill("")
    # 未注明 filters to the bulletin without an issuer.
    issuer.locator(".facet-missing a").click()
    page.wait_for_url("**issuer=*")
    assert params_of(page)["issuer"] == ["未注明"]
    assert page.locator("li.hit").count() == 1
    assert page_errors == []


@pytest.mark.parametrize("width", [1280, 360])
def test_timeline_over_45_years(browser, base_url, page_errors, width):
    page = open_page(browser, base_url, page_errors, width, 800)
    page.goto("/?q=远山市")
    bars = page.locator(".timeline a.tl-bar")
    count = bars.count()
    assert 2 <= count <= 12
    assert "每柱 5 年" in page.locator(".timeline figcaption").inner_text()
    labels = page.locator(".timeline .tl-label")
    sizes = labels.evaluate_all("els => els.map(e => parseFloat(getComputedStyle(e).fontSize))")
    assert min(sizes) >= MIN_LABEL_PX
    boxes = [labels.nth(i).bounding_box() for i in range(labels.count())]
    for left, right in zip(boxes, boxes[1:]):            # side by side, none overlapping
        assert left["x"] + left["width"] <= right["x"] + 0.5
    assert boxes[-1]["x"] + boxes[-1]["width"] <= width
    # What a screen reader hears is what is drawn: "1980–1984年：n 件" over
    # the label "1980 –1984" and the count n.
    for i in range(count):
        bar = bars.nth(i)
        label, count_text = bar.locator(".tl-label").inner_text(), bar.locator(".tl-count").inner_text()
        first, last = re.fullmatch(r"(\d{4})\s*–(\d{4})", label.strip()).groups()
        assert bar.get_attribute("aria-label") == f"{first}–{last}年：{count_text} 件"
    page.locator(".timeline").scroll_into_view_if_needed()
    shot(page, f"timeline-45-years-{width}.png")
    page.locator(".timeline").screenshot(path=str(ARTIFACTS / f"timeline-chart-{width}.png"))
    # One tab stop: from the sort links, Tab enters the chart once and the
    # next Tab leaves it; arrow keys move inside.
    page.locator(".sort a").last.focus()
    page.keyboard.press("Tab")
    if width == 360:                                       # the 筛选 button comes first
        assert page.evaluate("document.activeElement.dataset.filterToggle") == ""
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "tl-bar"
    first_label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    page.keyboard.press("ArrowRight")
    second_label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert first_label != second_label and second_label == bars.nth(1).get_attribute("aria-label")
    page.keyboard.press("End")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == \
        bars.nth(count - 1).get_attribute("aria-label")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") != "tl-bar"
    # Enter on a span drills down to its years.
    bars.first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**from=*")
    assert params_of(page)["from"] == ["1980"] and params_of(page)["to"] == ["1984"]
    assert page.locator(".timeline .tl-label").all_inner_texts() == [str(y) for y in range(1980, 1985)]
    assert page_errors == []


@pytest.mark.parametrize("width", [1280, 360])
def test_month_timeline_with_empty_months(browser, base_url, page_errors, width):
    page = open_page(browser, base_url, page_errors, width, 800)
    page.goto("/?year=2000")                       # three bulletins: January, May, September
    slots = page.locator(".timeline .tl-slot")
    assert slots.count() == 12 and page.locator(".timeline a.tl-bar").count() == 3
    widths = slots.evaluate_all("els => els.map(e => e.getBoundingClientRect().width)")
    assert max(widths) - min(widths) < 1                 # empty months take no extra room
    labels = page.locator(".timeline .tl-label")
    fits = labels.evaluate_all("els => els.map(e => e.scrollWidth <= e.clientWidth + 0.5)")
    assert all(fits) and labels.all_inner_texts() == [f"{m}月" for m in range(1, 13)]
    page.locator(".timeline").screenshot(path=str(ARTIFACTS / f"timeline-months-{width}.png"))
    assert page_errors == []


def test_phone_filter_panel(browser, base_url, page_errors):
    page = open_page(browser, base_url, page_errors, 360, 740)
    page.goto("/?q=远山市")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    first_hit = page.locator("li.hit").first.bounding_box()
    assert first_hit["y"] < 740                            # results first, on screen
    assert not page.locator("#filters").is_visible()
    shot(page, "phone-results-360.png", full_page=False)
    toggle = page.locator("[data-filter-toggle]")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    panel = page.locator("#filters")
    box = panel.bounding_box()
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 360, 740)
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.evaluate("document.activeElement.textContent") == "完成"
    inside = 0                    # Tab reaches nothing behind the panel (it is inert)
    for _ in range(60):
        page.keyboard.press("Tab")
        where = page.evaluate("document.activeElement.closest('#filters') ? 'panel' : "
                              "document.activeElement.tagName")
        assert where in ("panel", "BODY")
        inside += where == "panel"
    assert inside > 30
    shot(page, "phone-filter-panel-360.png", full_page=False)
    page.keyboard.press("Escape")
    assert not panel.is_visible()
    assert page.evaluate("document.activeElement.dataset.filterToggle") == ""
    toggle.click()
    panel.locator("#facet-topic ~ .facet-top a").first.click()
    page.wait_for_url("**topic=*")
    assert page.locator(".chip").count() == 1 and not page.locator("#filters").is_visible()
    assert "（已选 1）" in page.locator("[data-filter-toggle]").inner_text()
    assert page_errors == []


def test_breadcrumb_back_to_the_same_results(browser, base_url, page_errors):
    page = open_page(browser, base_url, page_errors, 1280)
    page.goto("/?q=远山市&topic=专题2&sort=date&size=3")
    page.get_by_role("link", name="下一页 ›").click()
    page.wait_for_url("**page=2*")
    results = params_of(page)
    titles = page.locator("li.hit .hit-title").all_inner_texts()
    page.locator("li.hit .hit-title a").nth(1).click()
    page.wait_for_url("**/doc/*")
    crumb = page.locator(".breadcrumb a[rel=up]")
    assert crumb.inner_text() == "“远山市”的检索结果"
    shot(page, "breadcrumb-doc-1280.png", full_page=False)
    crumb.click()
    page.wait_for_url("**/?*")
    assert params_of(page) == results == {"q": ["远山市"], "topic": ["专题2"], "sort": ["date"],
                                           "page": ["2"], "size": ["3"]}
    assert page.locator("li.hit .hit-title").all_inner_texts() == titles
    assert page_errors == []


def test_print_shows_query_filters_and_full_width_list(browser, base_url, page_errors):
    page = open_page(browser, base_url, page_errors, 1280)
    page.goto("/?q=远山市&topic=专题2&sort=-date")
    page.emulate_media(media="print")
    summary = page.locator(".print-summary")
    assert summary.is_visible()
    text = summary.inner_text()
    assert "检索词：远山市" in text and "主题分类：专题2" in text and "排序：最新" in text
    assert not page.locator("#filters").is_visible() and not page.locator(".search-form").is_visible()
    body = page.locator("body").bounding_box()
    hits = page.locator("ol.hits").bounding_box()
    assert hits["width"] >= body["width"] - 2
    shot(page, "print-results-1280.png")
    assert page_errors == []


@pytest.mark.parametrize("width", [360, 1280])
def test_without_javascript(browser, base_url, width):
    page = open_page(browser, base_url, [], width, 800, javascript=False)
    page.goto("/?q=远山市")
    sidebar = page.locator("#filters")
    assert sidebar.is_visible()
    assert not page.locator("[data-filter-toggle]").is_visible()
    hits_box = page.locator("ol.hits").bounding_box()
    side_box = sidebar.bounding_box()
    if width == 360:                                     # the filters follow the results
        assert side_box["y"] > hits_box["y"] + hits_box["height"]
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    else:                                                # beside them on a desktop
        assert side_box["x"] + side_box["width"] <= hits_box["x"]
    shot(page, f"no-js-{width}.png")
    more = page.locator("#facet-issuer ~ details.facet-more")
    more.locator("summary").click()
    assert more.locator("li").first.is_visible()
    assert page.locator(".facet-filter").count() == 0     # the box is the script's
    page.locator(".timeline a.tl-bar").first.click()
    page.wait_for_url("**from=*")
    assert page.locator(".chip").count() == 1
