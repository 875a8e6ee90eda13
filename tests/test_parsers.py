"""Parsers and source handling: formats, encodings, hostile input."""
from __future__ import annotations

import gzip
import io
import json
import random

import pytest

from archive.parsers import htmlpage, jsonl, textpage
from archive.sources import (MAX_FILE_BYTES, decode_bytes, detect_format, iter_source_files,
                             parse_bytes, parse_file, parse_stream)

TEXTPAGE = """字体大小:【大】 【中】 【小】
| 索引号:000014349/2025-32207 | |
| 发文字号:沁政发[2025]12号 | 发文时间:2025-12-25 |
| 发文机关:县融媒体中心 | 主题词:人大 闭幕 |
| 标题:沁源县十七届人大七次会议闭幕 | |
| 主题分类:其它 | 发布日期:2025年12月26日 |

\u3000\u300012月24日,会议闭幕。\u3000

会议由王鸿主持。
"""

HTML_PAGE = """<!DOCTYPE html><html><head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>关于做好春节工作的通知_某县人民政府</title>
<meta name="ArticleTitle" content="关于做好春节工作的通知">
<meta name="PubDate" content="2024-02-01 09:30">
</head><body>
<div class="nav"><a href="/">首页</a> <a href="/zwgk/">政务公开</a></div>
<table class="xxgk"><tr><td>索 引 号：</td><td>QY1-2024-1</td><td>发文机关：</td><td>某县人民政府</td></tr>
<tr><td>发文字号：</td><td>某政发（2024）3号</td><td>成文日期：</td><td>二〇二四年一月三十一日</td></tr></table>
<h1>关于做好春节工作的通知</h1>
<div class="font-size">【字体：<a href="#">大</a> <a href="#">中</a> <a href="#">小</a>】</div>
<div id="zoom"><p>　　各乡镇：</p><p>&nbsp;&nbsp;现将有关事项通知如下。</p><p> </p>
<script>alert('x')</script><p onclick="evil()">一、加强值守。</p></div>
<div class="share">分享到：<a href="#">微信</a> <a href="javascript:print()">打印</a></div>
<div class="footer">主办单位：某县人民政府办公室</div>
</body></html>"""


# ---------------------------------------------------------------- text pages

def test_textpage_fields_and_body():
    result = textpage.parse(TEXTPAGE)
    [record] = result.records
    assert record.title == "沁源县十七届人大七次会议闭幕"
    assert record.doc_no == "沁政发〔2025〕12号"
    assert (record.issued, record.published) == ("2025-12-25", "2025-12-26")
    assert record.keywords == ["人大", "闭幕"]
    assert record.index_no == "000014349/2025-32207"
    assert record.body == "12月24日,会议闭幕。\n会议由王鸿主持。"
    assert record.raw["发文字号"] == "沁政发[2025]12号"
    assert record.raw["发布日期"] == "2025年12月26日"


def test_textpage_empty_values_are_none():
    record = textpage.parse_text("| 索引号: | |\n| 标题:X | 发文字号: |\n\n正文")
    assert (record.index_no, record.doc_no, record.title, record.body) == (None, None, "X", "正文")


def test_textpage_value_containing_a_bar():
    record = textpage.parse_text("| 标题:甲|乙 | 发文字号: |\n| 索引号:1 | |\n\n正文")
    assert record.title == "甲|乙"


# ---------------------------------------------------------------- html

def test_html_labels_meta_and_body():
    [record] = htmlpage.parse(HTML_PAGE.format(charset="utf-8")).records
    assert record.title == "关于做好春节工作的通知"
    assert record.index_no == "QY1-2024-1"
    assert record.issuer == "某县人民政府"
    assert record.doc_no == "某政发〔2024〕3号"
    assert record.issued == "2024-01-31"
    assert record.published == "2024-02-01"       # from the PubDate meta
    assert record.body == "各乡镇：\n现将有关事项通知如下。\n一、加强值守。"
    assert record.raw["索 引 号"] == "QY1-2024-1"
    assert record.raw["meta:ArticleTitle"] == "关于做好春节工作的通知"


@pytest.mark.parametrize("layout", [
    "<dl><dt>发布日期：</dt><dd>2020/5/6</dd><dt>来源：</dt><dd>某局</dd></dl>",
    "<ul><li><span>发布日期:</span>2020-05-06</li><li><span>来源:</span>某局</li></ul>",
    "<div><label>发布日期</label><span>2020.05.06</span></div><div><label>来源</label><span>某局</span></div>",
    "<table><tr><th>发布日期</th><td>2020年5月6日</td><th>来源</th><td>某局</td></tr></table>",
    "<table><tr><td>发布日期:2020-05-06</td><td>来源:某局</td></tr></table>",
    "<div class='info'><span>发布时间：2020-05-06 10:00</span>　<span>来源：某局</span></div>",
    "<p>发&nbsp;布&nbsp;日&nbsp;期：2020-05-06　来　　源：某局</p>",
])
def test_html_label_layouts(layout):
    page = f"<html><body>{layout}<h1>标题甲</h1><div class='content'><p>正文一段，足够长的正文内容。</p></div></body></html>"
    [record] = htmlpage.parse(page).records
    assert (record.published, record.issuer) == ("2020-05-06", "某局")
    assert record.body == "正文一段，足够长的正文内容。"


def test_html_sentence_in_body_is_not_metadata():
    page = ("<html><body><div id='content'><p>来源：本报记者采访了多位群众，他们说一切都好。</p>"
            "<p>时间：过得很快。</p></div></body></html>")
    [record] = htmlpage.parse(page).records
    assert record.issuer is None and record.published is None
    assert record.body.startswith("来源：本报记者")


def test_html_yields_text_only_from_active_content():
    page = ("<html><body><div id='content'><p>正文<script>document.write('坏')</script>内容"
            "<iframe src='x'>框架</iframe></p><p onmouseover=\"alert('x')\">第二段</p>"
            "<style>p{color:red}</style></div></body></html>")
    [record] = htmlpage.parse(page).records
    assert record.body == "正文内容\n第二段"


def test_html_data_table_rows_become_tab_joined_lines():
    page = ("<html><body><div class='article'><p>名单如下：</p><table>"
            "<tr><td>序号</td><td>姓名</td></tr><tr><td>1</td><td><p>张三</p><p>李四</p></td></tr>"
            "</table></div></body></html>")
    [record] = htmlpage.parse(page).records
    assert record.body == "名单如下：\n序号\t姓名\n1\t张三 李四"


def test_html_stray_closing_html_tag_keeps_the_article():
    page = "<html><body><div>头部</div></html><div id='content'><p>正文在这里。</p></div></body></html>"
    [record] = htmlpage.parse(page).records
    assert record.body == "正文在这里。"


def test_html_title_from_title_tag_when_nothing_else():
    page = "<html><head><title>某某通知 - 某市人民政府</title></head><body><p>正文</p></body></html>"
    assert htmlpage.parse(page).records[0].title == "某某通知"


# ---------------------------------------------------------------- jsonl

def _jsonl(*objs) -> bytes:
    return "\n".join(o if isinstance(o, str) else json.dumps(o, ensure_ascii=False)
                     for o in objs).encode("utf-8")


def test_jsonl_english_and_chinese_keys_and_bad_lines():
    data = _jsonl(
        {"title": "甲", "body": "正文\n\n第二段", "issued": "2019年01月27日", "keywords": "a b",
         "doc_no": "国发[2019]5号", "url": "http://x", "index_no": None},
        '{"title": broken',
        [1, 2],
        {"标题": "乙", "正文": "内容", "发布日期": "2017-01-11 19:26:29", "主题词": ["x", " y "],
         "成文日期": "2025"},
        {"title": None, "body": "  "},
        "",
    )
    result = jsonl.parse_lines(io.BytesIO(data))
    first, second = result.records
    assert (first.title, first.body, first.issued, first.keywords, first.doc_no, first.source_line) \
        == ("甲", "正文\n第二段", "2019-01-27", ["a", "b"], "国发〔2019〕5号", 1)
    assert first.raw["doc_no"] == "国发[2019]5号" and "body" not in first.raw
    assert (second.title, second.published, second.keywords, second.issued, second.source_line) \
        == ("乙", "2017-01-11", ["x", "y"], "2025", 4)   # a bare year: ISO 8601's YYYY
    assert second.raw["成文日期"] == "2025"
    assert [e.split(":")[0] for e in result.errors] == ["line 2", "line 3", "line 5"]
    assert "invalid JSON" in result.errors[0]
    assert "not a JSON object" in result.errors[1]
    assert "no title and no body" in result.errors[2]


def test_jsonl_deeply_nested_line_is_an_error_not_a_crash():
    result = jsonl.parse_lines([b"[" * 100_000 + b"]" * 100_000, _jsonl({"title": "ok"})])
    assert [r.title for r in result.records] == ["ok"]
    assert result.errors and result.errors[0].startswith("line 1:")


def test_jsonl_gz_streams_through_parse_stream():
    data = gzip.compress(_jsonl(*({"title": f"t{i}", "body": "b"} for i in range(3))))
    result = parse_stream("x.jsonl.gz", io.BytesIO(data))
    assert result.format == "jsonl"
    assert [r.title for r in result.records] == ["t0", "t1", "t2"]
    assert parse_bytes("x.jsonl.gz", data).records[2].source_line == 3


def test_corrupt_gzip_is_reported():
    rng = random.Random(7)          # text that does not compress away: the cut is mid-stream
    data = gzip.compress(_jsonl(*({"title": f"t{i}", "body": "".join(
        rng.choice("甲乙丙丁戊己庚辛壬癸") for _ in range(200))} for i in range(200))))
    result = parse_stream("x.jsonl.gz", io.BytesIO(data[:len(data) // 2]))
    assert result.records == []
    [error] = result.errors
    assert error.startswith("x.jsonl.gz: unreadable stream: Compressed file ended"), error


# ---------------------------------------------------------------- detection

@pytest.mark.parametrize("name, data, fmt", [
    ("page.txt", b"<!DOCTYPE html><html><body><p>x</p></body></html>", "html"),
    ("page.dat", b"\n\n<div class='a'><p>x</p></div>", "html"),
    ("export.txt", b'{"title": "x"}\n{"title": "y"}\n', "jsonl"),
    ("export.bin", gzip.compress(b'{"title": "x"}\n'), "jsonl"),
    ("seed.html", TEXTPAGE.encode("utf-8"), "textpage"),
    ("seed.txt", "\ufeff".encode() + TEXTPAGE.encode("utf-8"), "textpage"),
    ("note.txt", "只是一段普通的文字。".encode(), None),
    ("x.html", b"\x00\x01\x02\x03binary", None),
    ("x.gz", gzip.compress(b"\x00\x01 not json"), None),
    ("empty.html", b"", None),
])
def test_detect_format_reads_content(name, data, fmt):
    assert detect_format(name, data) == fmt


# ---------------------------------------------------------------- encodings

PAGE_TEXT = "<html><head>{meta}<title>标题</title></head><body><div id='content'><p>中华人民共和国国务院办公厅通知𠀀，喆。</p></div></body></html>"


def _page(meta: str) -> str:
    return PAGE_TEXT.format(meta=meta)


def test_gb18030_declared_gb2312_decodes_beyond_gb2312():
    text = _page('<meta charset="gb2312">')
    decoded, encoding = decode_bytes(text.encode("gb18030"))
    assert decoded == text and encoding == "gb18030"


def test_gbk_without_declaration():
    text = _page("").replace("𠀀", "")
    decoded, encoding = decode_bytes(text.encode("gbk"))
    assert decoded == text and encoding == "gb18030"


def test_gbk_bytes_declared_utf8():
    text = _page('<meta http-equiv="Content-Type" content="text/html; charset=utf-8">').replace("𠀀", "")
    decoded, _ = decode_bytes(text.encode("gbk"))
    assert decoded == text


def test_utf8_bytes_declared_gbk():
    text = _page('<meta charset="GBK">')
    decoded, encoding = decode_bytes(text.encode("utf-8"))
    assert decoded == text and encoding == "utf-8"


def test_bom_and_crlf_page_parses():
    text = _page('<meta charset="utf-8">').replace("><", ">\r\n<")
    result = parse_bytes("p.html", b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert result.records[0].body == "中华人民共和国国务院办公厅通知𠀀，喆。"
    assert result.encoding == "utf-8-sig"


def test_truncated_utf8_replaces_only_the_broken_tail():
    data = "正文内容".encode()[:-1]
    decoded, encoding = decode_bytes(data)
    assert decoded == "正文内\ufffd" and encoding == "utf-8"


def test_utf16_page():
    text = _page("")
    result = parse_bytes("p.html", text.encode("utf-16"))
    assert result.records[0].title == "标题"


# ---------------------------------------------------------------- hostile input

@pytest.mark.parametrize("seed", range(5))
def test_random_bytes_never_raise(seed):
    data = random.Random(seed).randbytes(4096)
    result = parse_bytes("x.html", data)
    assert not result.records and result.errors


def test_empty_and_blank_files():
    assert parse_bytes("x.html", b"").errors == ["empty file"]
    assert parse_bytes("x.html", b"  \n\t").errors == ["empty file"]


def test_binary_is_reported_as_such():
    assert parse_bytes("x.pdf", b"%PDF-1.4\x00\x00\x01\x02" * 100).errors == [
        "not a bulletin: binary data"]


def test_unrecognised_text():
    assert parse_bytes("x.txt", "随便写的一行字".encode()).errors == ["unrecognised format"]


def test_deeply_nested_html_does_not_crash():
    data = ("<html><body>" + "<div>" * 100_000 + "深处" + "</div>" * 100_000
            + "</body></html>").encode()
    result = parse_bytes("deep.html", data)
    # Past lxml's nesting limit the page reads as empty: a clear reason, not a
    # crash ("parser failed: ...") and not a half-read record.
    assert (result.format, result.records, result.errors) == (
        "html", [], ["no title and no body found"])


def test_title_of_100k_characters():
    title = "长" * 100_000
    page = f"<html><head><meta name='ArticleTitle' content='{title}'></head><body><div id='content'><p>正文</p></div></body></html>"
    [record] = parse_bytes("long.html", page.encode()).records
    assert record.title == title and record.body == "正文"


def test_oversized_page_is_refused(monkeypatch):
    import archive.sources as sources
    monkeypatch.setattr(sources, "MAX_FILE_BYTES", 100)
    result = sources.parse_bytes("big.html", b"<html><body>" + b"x" * 200 + b"</body></html>")
    assert result.errors and "too large" in result.errors[0]
    assert MAX_FILE_BYTES == 64 * 1024 * 1024


def test_parser_exception_becomes_an_error(monkeypatch):
    def boom(*_):
        raise RuntimeError("kaputt")
    monkeypatch.setattr(htmlpage, "parse", boom)
    result = parse_bytes("x.html", b"<html><body><p>x</p></body></html>")
    assert result.errors == ["parser failed: RuntimeError: kaputt"]


# ---------------------------------------------------------------- files

def test_iter_source_files_sorted_and_skips_hidden(tmp_path):
    for name in ("b.html", "a/c.txt", "a/.hidden.html", ".git/x.html", "a/d/e.jsonl"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    found = [p.relative_to(tmp_path).as_posix() for p in iter_source_files([tmp_path])]
    assert found == ["a/c.txt", "a/d/e.jsonl", "b.html"]
    assert list(iter_source_files([tmp_path / "b.html", tmp_path / "missing"])) == [tmp_path / "b.html"]


def test_parse_file_missing_and_real(tmp_path):
    assert parse_file(tmp_path / "nope.html").errors[0].startswith("cannot read")
    path = tmp_path / "seed.txt"
    path.write_bytes(TEXTPAGE.encode("utf-8"))
    assert parse_file(path).records[0].title == "沁源县十七届人大七次会议闭幕"
