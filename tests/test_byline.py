"""An unlabelled `[来源]  日期` byline right under the heading gives the
published date and the issuer (www.fujian.gov.cn's 2016 article template shows
no 来源/发布时间 label and carries no PubDate/ContentSource meta); a bracketed
word anywhere else, or a byline under some other heading, gives nothing."""
from __future__ import annotations

from archive.parsers import htmlpage

TITLE = "2016年我省重点流域生态补偿资金规模进一步增加"
TEXT = "<div class='TRS_Editor'><p>2015年，我省出台实施生态补偿办法，建立起与财政收入增长挂钩的生态补偿长效机制。</p></div>"


def _record(body: str):
    page = f"<html><head><title>{TITLE}_部门动态_中国福建</title></head><body>{body}</body></html>"
    [record] = htmlpage.parse(page).records
    return record


def test_byline_under_the_title_gives_published_and_issuer():
    record = _record(f"<h3>{TITLE}</h3><h5 class='ly'><span>[省发改委]</span>&nbsp;&nbsp;"
                     f"2016-04-01&nbsp;&nbsp;字号：<a href='#'>T</a>|<a href='#'>T</a></h5>{TEXT}")
    assert (record.title, record.published, record.issuer) == (TITLE, "2016-04-01", "省发改委")


def test_labelled_source_wins_over_the_byline():
    record = _record(f"<h3>{TITLE}</h3><h5>[省发改委] 2016-04-01</h5>"
                     f"<p>来源：福建日报</p><p>发布时间：2016-04-02</p>{TEXT}")
    assert (record.published, record.issuer) == ("2016-04-02", "福建日报")


def test_bracketed_line_elsewhere_is_not_a_byline():
    record = _record(f"<h3>{TITLE}</h3>{TEXT}<h4>相关链接</h4><p>[附件] 2016-04-01 下载</p>")
    assert (record.published, record.issuer) == (None, None)
