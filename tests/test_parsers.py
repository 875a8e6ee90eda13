"""Parsers and source handling: formats, encodings, hostile input."""
from __future__ import annotations

import gzip
import io
import json
import random
from pathlib import Path

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
    assert error.startswith("unreadable stream: Compressed file ended"), error


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
    # Past the nesting limit the page fails with its reason: not a crash
    # ("parser failed: ...") and not a half-read record.
    assert (result.format, result.records, result.errors) == (
        "html", [], ["page nested too deeply: over 256 levels of elements"])


def test_title_of_100k_characters_is_cut_and_the_cut_reported():
    title = "长" * 100_000
    page = f"<html><head><meta name='ArticleTitle' content='{title}'></head><body><div id='content'><p>正文</p></div></body></html>"
    result = parse_bytes("long.html", page.encode())
    [record] = result.records
    assert record.title == "长" * 1000 and record.body == "正文"
    assert result.warnings == ["标题 (title) cut to 1000 characters (was 100000)",
                               "source value 'meta:ArticleTitle' (raw) cut to 10000 characters"]
    assert not result.errors


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


# ---------------------------------------------------------------- issue #13: any layout, every label

from archive.fields import BY_NAME  # noqa: E402

# Every variant of issue #13, by field, with a value of the right shape.
LABEL_VARIANTS = {
    "index_no": (["索引号", "信息索引号", "索 引 号", "索取号"], "QY1-2024-00017",
                 "QY1-2024-00017"),
    "doc_no": (["发文字号", "文号", "发文号", "文件编号"], "某政发[2024]3号", "某政发〔2024〕3号"),
    "issuer": (["发文机关", "发布机构", "发文单位", "发布单位", "生成机构", "信息来源", "来源"],
               "某县人民政府办公室", "某县人民政府办公室"),
    "issued": (["发文时间", "成文日期", "成文时间", "生成日期", "印发日期"], "2024年3月5日",
               "2024-03-05"),
    "published": (["发布日期", "发布时间", "公开日期", "公开时间"], "2024-03-07", "2024-03-07"),
    "topic": (["主题分类", "信息分类", "分类", "所属主题", "公开类别"], "城乡建设", "城乡建设"),
    "keywords": (["主题词", "关键词", "关键字"], "防汛 抗旱", ["防汛", "抗旱"]),
    "title": (["标题", "名称", "文件名称", "信息名称"], "关于做好防汛工作的通知",
              "关于做好防汛工作的通知"),
}
_CASES = [(field, label) for field, (labels, _, _) in LABEL_VARIANTS.items() for label in labels]
# The other fields of the test page, each under its first label.
_OTHERS = {"index_no": "索引号：QY9-2024-1", "issued": "成文日期：2024-01-02",
           "published": "发布日期：2024-01-03"}


def _variant_pairs(field: str, label: str, colon: str) -> list[tuple[str, str]]:
    value = LABEL_VARIANTS[field][1]
    pairs = [(label + colon, value)]
    pairs += [tuple(other.split("：")) for name, other in _OTHERS.items() if name != field]
    return pairs


@pytest.mark.parametrize("field,label", _CASES)
@pytest.mark.parametrize("colon", ["：", ":", ""])
def test_every_label_variant_on_a_text_page(field, label, colon):
    lines = [f"{lb}{':' if colon == ':' else colon or '　'}{v}" if lb != label + colon
             else f"{lb}{'' if colon else '　'}{v}" for lb, v in _variant_pairs(field, label, colon)]
    page = "\n".join(lines) + "\n\n　　为做好今年的防汛工作，现将有关事项通知如下。\n"
    result = parse_bytes("page.txt", page.encode("utf-8"))
    assert result.format == "textpage", result.errors
    [record] = result.records
    assert getattr(record, field) == LABEL_VARIANTS[field][2]
    assert record.body == "为做好今年的防汛工作，现将有关事项通知如下。"


@pytest.mark.parametrize("field,label", _CASES)
@pytest.mark.parametrize("colon", ["：", ":", ""])
def test_every_label_variant_on_an_html_page(field, label, colon):
    cells = "".join(f"<td>{lb}</td><td>{v}</td>" for lb, v in _variant_pairs(field, label, colon))
    page = (f"<html><head><meta charset='utf-8'><title>某县人民政府</title></head><body>"
            f"<table class='xxgk'><tr>{cells}</tr></table>"
            "<div class='content'><p>为做好今年的防汛工作，现将有关事项通知如下。</p></div>"
            "</body></html>")
    [record] = parse_bytes("page.html", page.encode()).records
    assert getattr(record, field) == LABEL_VARIANTS[field][2]
    assert record.body == "为做好今年的防汛工作，现将有关事项通知如下。"


def test_every_issue_label_is_in_the_one_vocabulary():
    for field, (labels, _, _) in LABEL_VARIANTS.items():
        for label in labels:
            assert label.replace(" ", "") in BY_NAME[field].source_labels, label


ONE_PAIR_A_LINE = """关于做好防汛工作的通知
索引号：QY1-2024-00017
发文机关：某县人民政府办公室
发文字号：某政办发〔2024〕3号
成文日期：2024年3月5日
发布日期：2024-03-07
主题词：

各乡镇人民政府：
　　为做好今年的防汛工作，现将有关事项通知如下。
一、加强值守。
"""

TWO_PAIRS_A_LINE = ("索引号：QY1-2024-00017　　发文机关：某县人民政府办公室\n"
                    "发文字号：某政办发〔2024〕3号　　成文日期：2024年3月5日\n"
                    "标题：关于做好防汛工作的通知\n"
                    "发布日期：2024-03-07\t主题词：\n"
                    "\n各乡镇人民政府：\n　　为做好今年的防汛工作，现将有关事项通知如下。\n一、加强值守。\n")

HEADER_THEN_BODY = ("【字号：大 中 小】\n"
                    "标题：关于做好防汛工作的通知  发文机关：某县人民政府办公室  索引号：QY1-2024-00017\n"
                    "发文字号：某政办发〔2024〕3号  成文日期：2024年3月5日  发布日期：2024-03-07  主题词：\n"
                    "各乡镇人民政府：\n　　为做好今年的防汛工作，现将有关事项通知如下。\n一、加强值守。\n")


@pytest.mark.parametrize("page", [ONE_PAIR_A_LINE, TWO_PAIRS_A_LINE, HEADER_THEN_BODY],
                         ids=["one-pair-a-line", "two-pairs-full-width-spaces", "header-block"])
@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_text_rendering_in_each_layout(page, encoding):
    result = parse_bytes("bulletin.txt", page.encode(encoding))
    assert (result.format, result.encoding) == ("textpage", encoding), result.errors
    [record] = result.records
    assert record.title == "关于做好防汛工作的通知"
    assert (record.index_no, record.doc_no) == ("QY1-2024-00017", "某政办发〔2024〕3号")
    assert record.issuer == "某县人民政府办公室"
    assert (record.issued, record.published, record.keywords) == ("2024-03-05", "2024-03-07", [])
    assert record.body == ("各乡镇人民政府：\n为做好今年的防汛工作，现将有关事项通知如下。\n"
                           "一、加强值守。")


def test_a_text_file_with_one_label_is_not_a_bulletin():
    assert parse_bytes("notes.txt", "发布日期：2024-03-07\n今天天气很好。\n".encode()).errors \
        == ["unrecognised format"]


def test_empty_value_before_another_label_stays_empty():
    page = ("<html><body><div class='info'><p>主题词：<em></em></p>"
            "<p>发布日期：2024-03-07</p></div><div class='detail'><h1>关于做好防汛工作的通知</h1>"
            "<ul><li>主题词：<em></em></li><li>关于做好防汛工作的通知</li></ul>"
            "<div class='content'><p>为做好今年的防汛工作，现将有关事项通知如下。</p></div>"
            "</div></body></html>")
    [record] = parse_bytes("p.html", page.encode()).records
    assert record.keywords == []
    assert record.published == "2024-03-07"
    record = textpage.parse_text("主题词：　　发布日期：2024-03-07\n标题：某通知\n\n正文。")
    assert (record.keywords, record.published, record.title) == ([], "2024-03-07", "某通知")


def test_empty_cell_value_does_not_take_the_next_cell():
    page = ("<html><body><table><tr><td>主题词：</td><td></td><td>发文字号：</td>"
            "<td>某政发〔2024〕3号</td></tr></table><div class='content'><p>正文。</p></div>"
            "</body></html>")
    [record] = parse_bytes("p.html", page.encode()).records
    assert (record.keywords, record.doc_no) == ([], "某政发〔2024〕3号")


@pytest.mark.parametrize("shown,title", [
    ("院士专家座谈会在京召开-中国科普网", "院士专家座谈会在京召开"),
    ("关于做好防汛工作的通知_某县人民政府", "关于做好防汛工作的通知"),
    ("关于做好防汛工作的通知｜中国宜春", "关于做好防汛工作的通知"),
    ("2022-2030年国土空间规划", "2022-2030年国土空间规划"),
])
def test_title_without_the_site_suffix(shown, title):
    page = (f"<html><head><meta charset='utf-8'><meta property='og:title' content='{shown}'>"
            f"<title>{shown}</title></head><body><div class='content'><p>正文第一段。</p></div>"
            "</body></html>")
    [record] = parse_bytes("p.html", page.encode()).records
    assert record.title == title


def test_title_is_never_punctuation_or_a_breadcrumb():
    page = ("<html><head><title>防汛工作会议召开_某县人民政府</title></head><body>"
            "<div class='crumb'>首页 > 政务公开 > 通知公告</div><h1>）</h1>"
            "<div class='content'><p>正文第一段。</p></div></body></html>")
    [record] = parse_bytes("p.html", page.encode()).records
    assert record.title == "防汛工作会议召开"


@pytest.mark.parametrize("counter", ["访问量：199", "浏览次数：12", "点击数：3", "2024-03-07"])
def test_issuer_is_never_a_counter_or_a_date(counter):
    page = (f"<html><body><h1>某通知</h1><div class='info'><span>来源：{counter}</span>"
            "<span>发布时间：2024-03-07</span></div><div class='content'><p>正文第一段。</p></div>"
            "</body></html>")
    [record] = parse_bytes("p.html", page.encode()).records
    assert record.issuer is None and record.published == "2024-03-07"


@pytest.mark.parametrize("shown,iso", [
    ("2024年3月5日", "2024-03-05"), ("二〇二四年三月五日", "2024-03-05"),
    ("2024-03-05", "2024-03-05"), ("2024.3.5", "2024-03-05"), ("2024/03/05", "2024-03-05"),
    ("２０２４年３月５日", "2024-03-05"), ("二○二四年十二月二十五日", "2024-12-25"),
])
@pytest.mark.parametrize("kind", ["html", "text"])
def test_closing_date_is_issued_and_says_so(shown, iso, kind):
    closing = ["为做好今年的防汛工作，现将有关事项通知如下。", "某县水利局", shown, "（此件公开发布）"]
    if kind == "html":
        page = ("<html><body><h1>关于做好防汛工作的通知</h1><p>发布时间：2024-03-07　来源：某县水利局</p>"
                "<div class='content'>" + "".join(f"<p>{c}</p>" for c in closing)
                + "</div></body></html>")
        [record] = parse_bytes("p.html", page.encode()).records
    else:
        record = textpage.parse_text("标题：关于做好防汛工作的通知\n发布日期：2024-03-07\n"
                                     "发文机关：某县水利局\n\n" + "\n".join(closing))
    assert (record.issued, record.issued_from) == (iso, "落款")
    assert record.body.endswith(shown + "\n（此件公开发布）")


def test_closing_date_of_a_forwarded_report_is_not_the_notices():
    page = ("<html><body><h1>关于转发防汛报告的通知</h1><p>发布时间：2024-03-07　来源：某县人民政府办公室</p>"
            "<div class='content'><p>现将县水利局报告转发给你们。</p><p>防汛工作报告正文。</p>"
            "<p>某县水利局</p><p>2024年2月1日</p></div></body></html>")
    [record] = parse_bytes("p.html", page.encode()).records
    assert (record.issued, record.issued_from) == (None, None)


def test_labelled_issue_date_wins_over_the_closing_date():
    record = textpage.parse_text("标题：某通知\n成文日期：2024-03-01\n发文机关：某县水利局\n\n"
                                 "正文。\n某县水利局\n2024年3月5日")
    assert (record.issued, record.issued_from) == ("2024-03-01", None)


def test_attachments_are_kept_and_an_attachment_only_bulletin_has_their_names_as_body():
    page = ("<html><body><h1>2024年防汛物资采购结果公示</h1><p>发布时间：2024-03-07</p>"
            "<div class='content'></div><div class='attach'><p>附件：</p>"
            "<p><a href='/files/jg.pdf'>采购结果公示表.pdf</a></p>"
            "<p><a href='/files/mx.xlsx'>物资明细</a></p>"
            "<p><a href='/zwgk/list.html'>更多</a></p></div></body></html>")
    [record] = parse_bytes("p.html", page.encode()).records
    assert record.attachments == [{"name": "采购结果公示表.pdf", "url": "/files/jg.pdf"},
                                  {"name": "物资明细", "url": "/files/mx.xlsx"}]
    assert record.body == "采购结果公示表.pdf\n物资明细"
    shown = record.to_dict()
    assert shown["attachments"] == record.attachments and "issued_from" not in shown


def test_attachment_list_is_not_body_text_when_there_is_an_article():
    page = ("<html><body><h1>某通知</h1><div class='content'><p>正文第一段。</p>"
            "<p><a href='/f/a.docx'>附件1.申报表.docx</a></p></div></body></html>")
    [record] = parse_bytes("p.html", page.encode()).records
    assert record.body == "正文第一段。"
    assert record.attachments == [{"name": "附件1.申报表.docx", "url": "/f/a.docx"}]


def test_attachments_and_closing_date_reach_show_json_and_search(tmp_path):
    from archive import jobs
    from archive.search import SearchService

    page = ("<html><body><h1>关于征集防汛物资供应商的公告</h1><p>发布时间：2024-03-07　来源：某县水利局</p>"
            "<div class='content'><p>现公开征集防汛物资供应商，报名表见附件。</p><p>某县水利局</p>"
            "<p>二〇二四年三月五日</p></div><div class='attach'>"
            "<a href='https://example.gov.cn/f/bm.docx'>供应商报名登记表.docx</a></div></body></html>")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "notice.html").write_text(page, encoding="utf-8")
    assert jobs.ingest(tmp_path / "home", [tmp_path / "src"]).counts["added"] == 1
    service = SearchService(tmp_path / "home")
    [doc_id] = service.searcher().find_ids("报名登记表")
    shown = service.show(doc_id)
    assert (shown["issued"], shown["issued_from"]) == ("2024-03-05", "落款")
    assert shown["attachments"] == [{"name": "供应商报名登记表.docx",
                                     "url": "https://example.gov.cn/f/bm.docx"}]
    assert "报名登记表" not in shown["body"]
    from web import create_app

    page = create_app(tmp_path / "home").test_client().get(f"/doc/{doc_id}").get_data(as_text=True)
    assert "2024-03-05（据落款）" in page
    assert '<a href="https://example.gov.cn/f/bm.docx"' in page and "供应商报名登记表.docx" in page


def test_jsonl_reads_back_its_own_export_of_attachments_and_closing_dates():
    line = json.dumps({"title": "某通知", "body": "正文。", "issued": "2024-03-05",
                       "issued_from": "落款",
                       "attachments": [{"name": "报名表.docx", "url": "/f/a.docx"}, "junk"]},
                      ensure_ascii=False)
    [record] = jsonl.parse_lines([line]).records
    assert (record.issued, record.issued_from) == ("2024-03-05", "落款")
    assert record.attachments == [{"name": "报名表.docx", "url": "/f/a.docx"}]


def test_site_name_before_the_title_is_dropped_but_a_dash_phrase_stays():
    from archive.parsers.titles import strip_site_suffix

    assert strip_site_suffix("保定市人民政府网——关于做好防汛工作的通知") == "关于做好防汛工作的通知"
    kept = "大变局中的中国与世界——写在新中国成立70周年之际"
    assert strip_site_suffix(kept) == kept


# A 名称 label in a procurement notice's contact lines names the purchaser, not
# the page (www.ccgp.gov.cn); the ArticleTitle meta is the page's own title.
_NOTICE = ("<html><head><meta name='ArticleTitle' content='{meta}'></head><body>"
           "<h2>{meta}</h2><div class='content'><p>一、项目编号：LK-1</p>"
           "<p>{label}：{value}</p><p>二、公告期限：自本公告发布之日起1个工作日。</p>"
           "</div></body></html>")


def test_label_title_unrelated_to_article_title_meta_is_not_the_title():
    meta = "某某乡太阳能路灯采购的中标(成交)结果公告"
    record = htmlpage.parse_html(_NOTICE.format(meta=meta, label="名 称", value="某某乡人民政府"))
    assert record.title == meta


def test_label_title_agreeing_with_article_title_meta_is_kept():
    meta = "关于做好春节工作的通知"
    value = meta + "（某政办〔2024〕1号）"
    record = htmlpage.parse_html(_NOTICE.format(meta=meta, label="标题", value=value))
    assert record.title == value


def test_angular_hidden_blocks_are_not_the_article():
    """A saved rendering of an AngularJS portal (www.nfra.gov.cn, a real page in
    tests/pages) keeps what the app hides under class="ng-hide": a hidden 红头
    header whose 公文名称 line used to win as the body over the visible
    Word-pasted penalty table, and an empty hidden attachment block."""
    page = Path(__file__).parent / "pages" / "html" / "nfra_xzcf_2025_zhejiang52.html"
    record = htmlpage.parse_html(page.read_text(encoding="utf-8"))
    assert "公文名称" not in record.body
    assert "附件信息" not in record.body
    assert "中国太平洋财产保险股份有限公司温州分公司" in record.body
    assert "警告并罚款14万元" in record.body


def test_ng_hide_is_matched_as_a_class_token_only():
    page = """<html><body><div class="ng-hidex"><p>这一段属于正文，类名只是以 ng-hide 开头的另一个名字，不是 AngularJS 的隐藏标记。</p>
    <p>第二段同样是正文内容，解析器应当保留。</p></div></body></html>"""
    record = htmlpage.parse_html(page)
    assert "这一段属于正文" in record.body
