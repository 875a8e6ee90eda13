"""Unit tests of archive.parsers.metasource and the site-name 落款 rule."""
from archive.parsers.closing import closing_date
from archive.parsers.metasource import info_line_stamp, issuer_meta


def test_content_source_wins_when_it_names_an_office():
    assert issuer_meta("生态环境部", "生态环境部") == "生态环境部"
    assert issuer_meta("省发改委", "新华社") == "省发改委"
    assert issuer_meta("省发改委", None) == "省发改委"


def test_source_meta_replaces_a_site_name_or_a_short_form():
    assert issuer_meta("农业农村部网站", "农业农村部新闻办公室") == "农业农村部新闻办公室"
    assert issuer_meta("市场与信息化司", "农业农村部市场与信息化司") == "农业农村部市场与信息化司"
    assert issuer_meta(None, "农业农村部新闻办公室") == "农业农村部新闻办公室"
    assert issuer_meta("", "") is None


def test_info_line_stamp_takes_an_unlabelled_time_only():
    line = "内乡政府门户网站 www.neixiangxian.gov.cn \xa0\xa02018-04-19 17:32:17\xa0\xa0 来源：内乡县政府网站"
    assert info_line_stamp([line]) == "2018-04-19"
    assert info_line_stamp(["发布时间：2018-04-19 17:32:17"]) is None
    assert info_line_stamp(["有效期至 2018-04-19"]) is None
    assert info_line_stamp(["来源：县政府", "2020-1-5 08:00 更新"]) == "2020-01-05"


def test_a_site_name_issuer_does_not_veto_the_closing_signature():
    lines = ["特此公告！", "内乡宝天曼峡谷漂流有限公司", "二〇一八年四月十九日"]
    assert closing_date(lines, "内乡县政府网站") == "2018-04-19"
    # an office as issuer still needs its own signature
    assert closing_date(lines, "内乡县文化广电和旅游局") is None
