"""Citations, revisions and reprint groups in real Chromium (issue 15).

A data home of the bundled sample, then the revised versions of two of its
bulletins (docs/sample-revision) ingested over a copy: the notice
青政发〔2025〕8号 then cites one bulletin, is cited by two (one of them its
转发), has two versions, and forms a reprint group with its 转发.
Screenshots go to test-artifacts/ (git-ignored).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from browsertools import browser  # noqa: F401  (a fixture)
from browsertools import open_page as _page, serving, shot as _shot

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def revised_home(tmp_path_factory):
    from archive import jobs

    src = tmp_path_factory.mktemp("revised-src") / "sample"
    shutil.copytree(ROOT / "sample", src)
    home = tmp_path_factory.mktemp("revised-home")
    assert jobs.ingest(home, [src]).added == 43
    for path in (ROOT / "docs" / "sample-revision").glob("*.txt"):
        shutil.copy(path, src / "pages" / path.name)
    assert jobs.ingest(home, [src]).updated == 2
    return home


@pytest.fixture(scope="module")
def links_url(revised_home):
    with serving(revised_home) as url:
        yield url


def test_document_with_citations_and_revisions(browser, links_url):  # noqa: F811
    errors: list[str] = []
    page = _page(browser, links_url, errors, 1280, 1000)
    page.goto("/?q=" + "引用:青政发〔2025〕8号")
    assert page.locator("li.hit").count() == 2         # the 转发 and the 回头看 notice
    page.goto("/?q=标题:人居环境整治提升实施方案")
    page.locator("li.hit .hit-title a", has_text="青石县人民政府关于印发").click()
    page.wait_for_url("**/doc/*")
    cites = page.locator("section.citations li")      # the 公报, and the plan it issues
    assert cites.count() == 2
    resolved = cites.filter(has_text="青政发〔2025〕4号")
    assert resolved.locator("a").count() == 1
    plan = cites.filter(has_text="未收录")
    assert plan.count() == 1 and plan.locator("a").count() == 0
    assert page.locator("#cited-by-heading").inner_text() == "被引用（2）"
    assert page.locator("section.cited-by li").count() == 2
    link = page.locator(".doc-body a.cite-link").first
    assert link.inner_text() == "青政发〔2025〕4号"
    revision = page.locator("section.revisions article.revision")
    assert revision.count() == 1 and "第 1 版 → 第 2 版" in revision.inner_text()
    assert page.locator("section.revisions ins", has_text="2500").count() == 1
    assert page.locator("section.revisions del", has_text="2000").count() == 1
    assert page.locator("section.revisions ins .diff-mark").first.inner_text() == "增"
    _shot(page, "document-citations-revisions-1280.png")
    link.click()
    page.wait_for_url("**/doc/*")
    assert "生态环境状况公报" in page.locator("h1.doc-title").inner_text()
    assert not errors, errors


def test_result_list_with_collapsed_group(browser, links_url):  # noqa: F811
    errors: list[str] = []
    page = _page(browser, links_url, errors, 1280, 1000)
    page.goto("/?q=人居环境整治")
    total = int(page.locator(".result-count strong").inner_text())
    assert page.locator("li.hit").count() == total - 1         # the 转发 is under its original
    group = page.locator("details.group")
    assert group.count() == 1
    assert group.locator("summary").inner_text() == "另有 1 篇相同或相近"
    assert not group.locator("ul a").is_visible()
    group.locator("summary").click()
    member = group.locator("ul a")
    assert member.is_visible() and "转发" in member.inner_text()
    _shot(page, "search-collapsed-group-1280.png")
    assert not errors, errors
