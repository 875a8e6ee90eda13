"""Fuzzing: no input makes a parser, the query parser or a search raise or hang.

Every parser entry point gets random bytes/text and mutated real pages from
sample/; the query parser gets random text built from its own operators; a
full `SearchService.search` runs random query strings on the sample home.
The contract checked is the modules' own: `parse_bytes` and friends never
raise; `jsonl.parse_line` raises only ValueError (with the reason); `parse`
never raises; a search either answers or raises `QueryError` (a request it
refuses with a message).  A deadline per example catches hangs.

Example counts stay modest (the suite runs on a 2-core machine); raise them
locally with HYPOTHESIS_EXAMPLES=2000 (and FUZZ_RANDOM=1 for fresh examples:
by default the examples are derandomized, so CI runs are reproducible).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from archive import query as query_mod
from archive.model import ParseResult, Record
from archive.parsers import htmlpage, jsonl, textpage
from archive.sources import decode_bytes, detect_format, parse_bytes, parse_stream

SAMPLE = Path(__file__).resolve().parents[1] / "sample"
SAMPLE_FILES = sorted(p for p in SAMPLE.rglob("*") if p.is_file())
SAMPLE_BYTES = [(p.name, p.read_bytes()) for p in SAMPLE_FILES]

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=2000,
                derandomize=not os.environ.get("FUZZ_RANDOM"),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
FEW = settings(FUZZ, max_examples=max(20, EXAMPLES // 4))


def _check_result(result: ParseResult) -> None:
    assert isinstance(result, ParseResult)
    assert all(isinstance(r, Record) for r in result.records)
    assert all(isinstance(e, str) and e for e in result.errors)
    if not result.records:
        assert result.errors, "a file with no records must say why"
    for r in result.records:
        assert r.title or r.body
        assert r.issued is None or (len(r.issued) == 10 and r.issued[4] == "-")


# --------------------------------------------------------------- file bytes

# Fragments a hostile or broken file is made of.
TOKENS = [b"<", b">", b"</div>", b"<div>", b"<script>", b"</script>", b"<!--", b"-->",
          b"<![CDATA[", b"<meta charset=gbk>", b"<meta charset=\"utf-8\">", b"&#0;",
          b"&#xD800;", b"&nbsp;", b"\x00", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf",
          b"\x1f\x8b", b"\xc3", b"\xe4\xb8", b"\x80", b"{", b"}", b"[", b"]", b"\"",
          b"\\", b"\\u0000", b"\\ud800", b"\n", b"\r", b"|", "：".encode(), b":",
          "索引号:".encode(), "标题:".encode(), "发文时间:2025-13-45".encode(),
          "| 发布日期:9999年99月99日 |".encode(), "正文".encode("gbk"), b"\t"]


@st.composite
def mutated_sample(draw):
    """A real sample file with random damage: cuts, flips, insertions, splices."""
    name, data = draw(st.sampled_from(SAMPLE_BYTES))
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["flip", "cut", "insert", "token", "truncate", "dup"]))
        if op == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[at:at + draw(st.integers(1, 400))]
        elif op == "insert":
            data[at:at] = draw(st.binary(max_size=40))
        elif op == "token":
            data[at:at] = draw(st.sampled_from(TOKENS)) * draw(st.integers(1, 50))
        elif op == "truncate":
            del data[at:]
        elif op == "dup":
            data[at:at] = data[max(0, at - 300):at] * draw(st.integers(1, 5))
    suffix = draw(st.sampled_from([Path(name).suffix, ".html", ".txt", ".jsonl", "", ".gz"]))
    return "fuzz" + suffix, bytes(data)


token_soup = st.lists(st.sampled_from(TOKENS) | st.binary(max_size=20), max_size=60).map(b"".join)


@FUZZ
@given(st.binary(max_size=4096), st.sampled_from(["x.html", "x.txt", "x.jsonl", "x", None]))
def test_parse_bytes_random_bytes(data, name):
    _check_result(parse_bytes(name, data))


@FUZZ
@given(token_soup, st.sampled_from(["x.html", "x.txt", "x.jsonl", None]))
def test_parse_bytes_token_soup(data, name):
    _check_result(parse_bytes(name, data))


@FUZZ
@given(mutated_sample())
def test_parse_bytes_mutated_sample(sample):
    name, data = sample
    _check_result(parse_bytes(name, data))


@FEW
@given(mutated_sample())
def test_parse_stream_mutated_sample(sample):
    import io
    name, data = sample
    _check_result(parse_stream(name, io.BytesIO(data)))


@FUZZ
@given(st.binary(max_size=2048), st.sampled_from([None, "utf-8", "gbk", "latin-1", "bogus",
                                                 "utf-16", "utf-32", "gb2312"]))
def test_decode_and_detect_never_raise(data, declared):
    text, encoding = decode_bytes(data, declared)
    assert isinstance(text, str) and encoding
    assert detect_format("x", data) in (None, "jsonl", "html", "textpage")


# --------------------------------------------------------------- JSON Lines

LABELS = ["index_no", "doc_no", "issued", "issuer", "keywords", "title", "topic",
          "published", "body", "url", "索引号", "发文字号", "发文时间", "成文日期", "发文机关",
          "主题词", "标题", "主题分类", "发布日期", "正文", "链接", "x", ""]
json_scalar = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
               | st.text(max_size=60))
json_value = st.recursive(json_scalar, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                          max_leaves=6)


@FUZZ
@given(st.dictionaries(st.sampled_from(LABELS) | st.text(max_size=10), json_value,
                       max_size=10))
def test_jsonl_parse_line_objects(obj):
    import json
    try:
        record = jsonl.parse_line(json.dumps(obj, ensure_ascii=bool(len(obj) % 2)), 7)
    except ValueError as exc:
        assert str(exc)
        return
    assert isinstance(record, Record) and record.source_line == 7
    assert record.title or record.body


@FUZZ
@given(st.text(max_size=500) | st.sampled_from(['{"title": "x"', "[" * 100_000, "{" * 50_000,
                                                 '{"title": "\\ud800"}', "null", "1e999999"]))
def test_jsonl_parse_line_text(text):
    try:
        jsonl.parse_line(text, 1)
    except ValueError as exc:       # the documented way to say "not a bulletin"
        assert str(exc)


@FUZZ
@given(st.lists(st.binary(max_size=200) | st.sampled_from([b'{"title": "t", "body": "b"}\n',
                                                           "{\"标题\": \"题\"}\n".encode("gbk")]),
                max_size=20))
def test_jsonl_iter_lines(lines):
    for number, record, error in jsonl.iter_lines(lines):
        assert (record is None) != (error is None)
        if error:
            assert error.startswith(f"line {number}:")


# --------------------------------------------------------------- pages

markup = st.lists(st.sampled_from([t.decode("utf-8", "replace") for t in TOKENS]
                                  + ["<p>", "</p>", "<td>", "</td>", "<tr>", "<table>",
                                     "<h1>", "<title>", "</title>", "发布时间：", "来源：",
                                     "<meta name='ArticleTitle' content='", "'>", "\u3000",
                                     "<a href='javascript:alert(1)'>", "<iframe src=x>"])
                  | st.text(max_size=20), max_size=80).map("".join)


@FUZZ
@given(st.text(max_size=2000) | markup)
def test_htmlpage_parse(text):
    result = htmlpage.parse(text, "utf-8")
    _check_result(result)
    for r in result.records:
        assert "<script" not in (r.body or "").lower()


@FUZZ
@given(st.text(max_size=2000) | markup)
def test_textpage_parse(text):
    _check_result(textpage.parse(text, "utf-8"))


@FUZZ
@given(st.lists(st.sampled_from(["| 索引号:", "| 标题:", "| 发文时间:", "2025-13-45 |", "|", " |",
                                 "\n", "字体大小:", "正文", "：", "| 发文机关:", "| |"])
                | st.text(max_size=10), max_size=60).map("".join))
def test_textpage_table_soup(text):
    _check_result(textpage.parse(text, "utf-8"))


# --------------------------------------------------------------- queries

QUERY_BITS = ["OR", "AND", "NOT", "|", "-", "(", ")", '"', "“", "”", ":", "：", "*", "?",
              "[", "]", "【", "】", "〔", "〕", "{", "}", "标题:", "日期:", "日期:2025-13-45",
              "日期:>=", "日期:2024..", "..", "机关:", "文号:", "沁政发[2025]12号", "政府", "通知",
              " ", "  ", "\u3000", "\ue000", "\ue0011", "\x00", "防汛", "a", "1"]
query_text = (st.lists(st.sampled_from(QUERY_BITS) | st.text(max_size=6), max_size=60)
              .map("".join) | st.text(max_size=700))


@FUZZ
@given(query_text)
def test_query_parse_never_raises(text):
    parsed = query_mod.parse(text)
    assert isinstance(parsed, query_mod.ParsedQuery)
    words = parsed.words(positive_only=False)
    assert len(words) <= query_mod.MAX_TERMS
    assert all(isinstance(w.text, str) and w.text for w in words)


def test_query_parse_pathological_shapes():
    for text in ["(" * 100 + "政府" + ")" * 100, " OR ".join(f"词{i}" for i in range(1000)),
                 "-" * 499 + "x", "NOT " * 200 + "x", '"' * 1001, "*政府", "日期:" * 300,
                 "标题:" * 300, "(" * 5000, ")" * 5000, "〔2025〕" * 200]:
        parsed = query_mod.parse(text)
        assert len(parsed.words(positive_only=False)) <= query_mod.MAX_TERMS


# --------------------------------------------------------------- full search

@pytest.fixture(scope="module")
def service(sample_home):
    from archive.search import SearchService
    return SearchService(sample_home)


@FEW
@given(q=query_text,
       sort=st.sampled_from(["relevance", "date", "-date"]),
       page=st.integers(1, 3), size=st.sampled_from([1, 10, 100]),
       issuer=st.lists(st.sampled_from(["青石县人民政府", "<img src=x onerror=alert(1)>", ""]),
                       max_size=2),
       year=st.none() | st.integers(1990, 2030))
def test_search_random_queries(service, q, sort, page, size, issuer, year):
    from archive.search import QueryError, SearchRequest
    request = SearchRequest(q=q, sort=sort, page=page, size=size, issuers=issuer, year=year)
    try:
        result = service.search(request)
    except QueryError as exc:
        assert str(exc)
        return
    assert result.total >= len(result.hits)
    assert len(result.hits) <= size
    result.to_json()                      # what the API serialises


@FEW
@given(q=query_text)
def test_search_export_and_facets_random(service, q):
    """Search, facets, export and highlight terms of one query agree."""
    from archive.search import SearchRequest
    result = service.search(SearchRequest(q=q, all=True, highlight=False))
    assert len(result.hits) == result.total
    assert service.facets(SearchRequest(q=q)) == result.facets
    exported = [record["id"] for record in service.export(SearchRequest(q=q))]
    assert exported == [hit.id for hit in result.hits]
    assert service.terms(q) == result.terms
    dated = sum(1 for hit in result.hits if hit.fields.get("issued") or hit.fields.get("published"))
    assert sum(f["count"] for f in result.facets["year"]) == dated


def test_terms_of_a_word_typed_plain_and_quoted_are_listed_once(service):
    # Found by the random test above: a word typed plain and quoted (0"""0)
    # highlights 0 once, as the search does.
    from archive.search import SearchRequest

    result = service.search(SearchRequest(q='0"""0', all=True, highlight=False))
    assert service.terms('0"""0') == result.terms == ["0"]
