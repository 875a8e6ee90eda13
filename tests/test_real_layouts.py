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


def _fragment(lead: str, dateline: str = "公示日期：2021年6月30日") -> bytes:
    """A Hanweb article block saved without its page: the title set inside."""
    return ("<div class='infocontent'><!--ZJEG_RSS.content.begin--><meta name='ContentStart'>"
            f"{lead}<p style='text-align: center;'><strong>{dateline}</strong></p>"
            "<p><strong>采购人名称：</strong>建德市城南城建开发有限公司</p>"
            "<p>各参加政府采购供应商对该预中标结果有异议的，可以自本公示之日起7个工作日内提出质疑。</p>"
            "<meta name='ContentEnd'><!--ZJEG_RSS.content.end--></div>").encode()


_CENTRED = "<p style='text-align: center;'><strong><span>{}</span></strong></p>"


def test_centred_bold_lead_lines_are_the_title_of_a_bare_fragment():
    lead = _CENTRED.format("建德市更楼街道绿化养护服务采购项目") + _CENTRED.format("预中标结果公示")
    [record] = parse_bytes("p.html", _fragment(lead)).records
    assert record.title == "建德市更楼街道绿化养护服务采购项目预中标结果公示"
    assert record.published == "2021-06-30"
    assert record.body.startswith("采购人名称：建德市城南城建开发有限公司")


def test_a_plain_first_paragraph_of_a_bare_fragment_is_no_title():
    """Neither centred nor bold, and no date line under it: article text."""
    page = _fragment("<p>建德市更楼街道绿化养护服务采购项目预中标结果</p>", dateline="")
    [record] = parse_bytes("p.html", page).records
    assert record.title is None
    assert record.body.startswith("建德市更楼街道绿化养护服务采购项目预中标结果")
