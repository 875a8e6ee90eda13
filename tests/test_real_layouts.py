"""Layouts seen on real portal pages added to tests/pages (issue #13 item 7).

Each test builds the smallest page with the layout and checks what a reader
sees: the heading cell above the date line is the title when the page has no
<title> and no h1 (a saved <body> of www.yuhang.gov.cn), and a click counter
run into the 来源 value on the same line is not part of the issuer.
"""
from __future__ import annotations

import pytest

from archive.sources import parse_bytes

_DATE_LINE = ("<tr><td class='GgFwN016'>发布时间：2017-08-02&nbsp;&nbsp;&nbsp;&nbsp;"
              "来源：国土余杭分局&nbsp;点击率：<span id='hiscount'>1575</span></td></tr>")


def _saved_body(heading: str) -> bytes:
    return ("<body><table><tr><td>当前位置：<a href='/'>首页</a>&nbsp;&gt;&nbsp;<a>公告公示</a></td></tr></table>"
            f"<table><tr><td class='GgFwN015' align='center'>{heading}</td></tr></table>"
            f"<table><tr><td height='5'></td></tr>{_DATE_LINE}</table>"
            "<div class='TRS_Editor'><p>根据国家有关法律、法规的规定，现将有关事宜公告如下：</p>"
            "<p>一、挂牌出让地块位置及规划指标概况。</p></div></body>").encode()


def test_heading_cell_above_the_date_line_is_the_title():
    [record] = parse_bytes("p.html", _saved_body("余政储出【2017】14、15号国有建设用地使用权挂牌出让公告")).records
    assert record.title == "余政储出【2017】14、15号国有建设用地使用权挂牌出让公告"
    assert record.published == "2017-08-02"


@pytest.mark.parametrize("above", ["请各单位认真贯彻执行。", "联系电话：0571-89360802"])
def test_a_sentence_or_a_label_above_the_date_line_is_no_title(above):
    [record] = parse_bytes("p.html", _saved_body(above)).records
    assert record.title is None


def test_the_title_tag_still_wins_over_the_line_above():
    page = ("<html><head><title>挂牌出让公告_余杭区</title></head>" +
            _saved_body("某表格标题文字较长的一行").decode() + "</html>").encode()
    [record] = parse_bytes("p.html", page).records
    assert record.title == "挂牌出让公告"


def test_a_counter_after_the_source_on_one_line_is_not_the_issuer():
    [record] = parse_bytes("p.html", _saved_body("某地块挂牌出让公告")).records
    assert record.issuer == "国土余杭分局"


@pytest.mark.parametrize("counter", ["浏览次数：12", "访问量：199", "阅读次数 : 7"])
def test_any_counter_widget_after_the_source_is_cut(counter):
    page = (f"<html><body><h1>某通知</h1><p>来源：市发改委 {counter}</p>"
            "<div class='content'><p>正文第一段。</p></div></body></html>").encode()
    [record] = parse_bytes("p.html", page).records
    assert record.issuer == "市发改委"
