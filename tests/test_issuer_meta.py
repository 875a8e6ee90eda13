"""A ContentSource meta that names the portal itself is not the issuer.

CMSs fill ContentSource with the site name when the editor leaves the source
empty (www.baoding.gov.cn: `保定市人民政府网`, the page showing no 来源);
taking it made the site the issuer of every such release.  A source the page
shows as a label stays, even when it is the site's name: the portal says so.
"""
from __future__ import annotations

import pytest

from archive.parsers import htmlpage

BODY = "<h1>关于做好防汛工作的通知</h1><div class='content'><p>各乡镇：现将防汛有关事项通知如下，请认真落实。</p></div>"


def _page(head: str, body: str = BODY) -> str:
    return f"<html><head>{head}</head><body>{body}</body></html>"


def _issuer(page: str) -> str | None:
    [record] = htmlpage.parse(page).records
    return record.issuer


@pytest.mark.parametrize("head", [
    # the SiteName meta names the site
    '<meta name="SiteName" content="某市人民政府网"><meta name="ContentSource" content="某市人民政府网">'
    "<title>关于做好防汛工作的通知</title>",
    # no SiteName: the site part of <title>, before or after the article title
    '<meta name="ContentSource" content="某市人民政府网"><title>某市人民政府网——关于做好防汛工作的通知</title>',
    '<meta name="ContentSource" content="中国某某"><title>关于做好防汛工作的通知_中国某某</title>',
])
def test_contentsource_equal_to_the_site_name_is_no_issuer(head):
    assert _issuer(_page(head)) is None


def test_contentsource_naming_another_body_is_the_issuer():
    head = ('<meta name="SiteName" content="某市人民政府网"><meta name="ContentSource" content="某市水利局">'
            "<title>关于做好防汛工作的通知_某市人民政府网</title>")
    assert _issuer(_page(head)) == "某市水利局"


def test_a_shown_source_label_is_kept_even_when_it_is_the_site_name():
    head = ('<meta name="SiteName" content="中国某某"><meta name="ContentSource" content="中国某某">'
            "<title>关于做好防汛工作的通知_中国某某</title>")
    body = "<div class='info'><span>发布时间：2024-05-06</span>　<span>来源：中国某某</span></div>" + BODY
    assert _issuer(_page(head, body)) == "中国某某"
