"""The search page's parts that need no browser (issue 11, "the page"):
未注明 counts and filters, cut facet lists, the grouped timeline, the
breadcrumb back to the results, a JSON Lines record's own original line,
undated bulletins last in both date orders, Chinese CSV headers, the status
page's wording and `archive show --original` on a terminal.

Oracles are computed from the records themselves (`spread_records`), not
from the search code."""
from __future__ import annotations

import csv
import gzip
import io
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from conftest import SAMPLE_DIR
from spreadtools import SPREAD_FIRST_YEAR, SPREAD_LAST_YEAR, spread_records

from archive import jobs
from archive.cli import main as cli
from archive.export import CSV_COLUMNS
from archive.fields import label_of
from archive.search import FACET_LIMIT, MISSING, SearchRequest, SearchService
from web import create_app
from web.helpers import FACET_SHOWN, job_outcome
from web.timeline import MAX_BARS


@pytest.fixture(scope="module")
def spread(spread_home):
    app = create_app(spread_home)
    app.testing = True
    return app.test_client(), SearchService(spread_home)


@pytest.fixture(scope="module")
def sample(sample_home):
    app = create_app(sample_home)
    app.testing = True
    return app.test_client(), SearchService(sample_home)


def _ids_by_index_no(service) -> dict[str, int]:
    result = service.search(SearchRequest(all=True, sort="-date", highlight=False))
    return {h.fields["index_no"]: h.id for h in result.hits}


def _params(url: str) -> dict:
    return parse_qs(urlsplit(url.replace("&amp;", "&")).query)


def _undated(record) -> bool:
    return not (record.get("issued") or record.get("published"))


# ------------------------------------------------------------------ 未注明 --

def test_missing_counts_match_the_records(spread):
    _, service = spread
    records = spread_records()
    facets = service.search(SearchRequest()).facets
    assert facets["missing"] == {
        "issuer": sum(1 for r in records if not r.get("issuer")),
        "topic": sum(1 for r in records if not r.get("topic")),
        "year": sum(1 for r in records if _undated(r)),
    }
    assert facets["missing"] == {"issuer": 1, "topic": 1, "year": 2}
    # Listed values and 未注明 add up to every bulletin.
    for name in ("topic", "year"):                    # (the issuer list is cut at 50)
        assert sum(f["count"] for f in facets[name]) + facets["missing"][name] == len(records)


@pytest.mark.parametrize("request_, keep", [
    (SearchRequest(issuers=[MISSING]), lambda r: not r.get("issuer")),
    (SearchRequest(topics=[MISSING]), lambda r: not r.get("topic")),
    (SearchRequest(year=0), _undated),
    (SearchRequest(issuers=[MISSING, "远山市第3局"]),
     lambda r: not r.get("issuer") or r.get("issuer") == "远山市第3局"),
])
def test_missing_filter_selects_exactly_those(spread, request_, keep):
    _, service = spread
    ids = _ids_by_index_no(service)
    request_.all, request_.sort = True, "-date"
    found = sorted(h.id for h in service.search(request_).hits)
    assert found == sorted(ids[r["index_no"]] for r in spread_records() if keep(r))
    assert found


def test_missing_entry_on_the_page_filters(spread):
    client, _ = spread
    html = client.get("/?q=远山市").get_data(as_text=True)
    entries = re.findall(r'<ul class="facet-missing">\s*<li>\s*<a href="([^"]*)"', html)
    assert len(entries) == 3                                   # issuer, topic, year
    assert _params(entries[0])["issuer"] == [MISSING]
    assert _params(entries[2])["year"] == ["0"]
    filtered = client.get(entries[0].replace("&amp;", "&")).get_data(as_text=True)
    assert "共 <strong>1</strong> 条结果" in filtered and "</mark>无机关通知" in filtered
    assert '<span class="chip-label">发文机关：</span>未注明' in filtered
    undated = client.get("/?year=0").get_data(as_text=True)
    assert "共 <strong>2</strong> 条结果" in undated and "年份：</span>未注明" in undated


# ------------------------------------------------------------- long lists --

def test_facet_lists_show_ten_then_more_and_say_when_cut(spread):
    client, service = spread
    facets = service.search(SearchRequest()).facets
    distinct = len({r["issuer"] for r in spread_records() if r.get("issuer")})
    assert facets["distinct"]["issuer"] == distinct > FACET_LIMIT
    assert len(facets["issuer"]) == FACET_LIMIT
    html = client.get("/").get_data(as_text=True)
    issuer = html[html.index('id="facet-issuer"'):html.index('id="facet-topic"')]
    top = issuer[issuer.index('class="facet-top"'):issuer.index("facet-more")]
    assert top.count("<li>") == FACET_SHOWN
    assert "更多…" in issuer and f"（另 {FACET_LIMIT - FACET_SHOWN} 项）" in issuer
    assert f"共 {distinct} 项，仅列出文件最多的 {FACET_LIMIT} 项" in issuer
    assert 'data-facet-filter="发文机关"' in html
    topic = html[html.index('id="facet-topic"'):html.index('id="facet-year"')]
    assert "facet-more" in topic and "仅列出" not in topic     # 14 topics: folded, not cut


def test_selected_value_stays_in_the_top_list(spread):
    client, service = spread
    last = service.search(SearchRequest()).facets["issuer"][-1]["value"]
    html = client.get("/", query_string={"issuer": last}).get_data(as_text=True)
    issuer = html[html.index('id="facet-issuer"'):html.index('id="facet-topic"')]
    top = issuer[issuer.index('class="facet-top"'):issuer.index("facet-more")]
    assert last in top and 'aria-current="true"' in top


# --------------------------------------------------------------- timeline --

def test_timeline_groups_many_years(spread):
    client, _ = spread
    html = client.get("/").get_data(as_text=True)
    bars = re.findall(r'<a class="tl-bar" href="([^"]*)" aria-label="([^"]*)"', html)
    assert 1 < len(bars) <= MAX_BARS
    assert "每柱 5 年" in html
    dated = [r for r in spread_records() if not _undated(r)]
    total = 0
    for url, label in bars:
        first, last = int(_params(url)["from"][0]), int(_params(url)["to"][0])
        count = sum(1 for r in dated if first <= int(r["issued"][:4]) <= last)
        assert label == f"{first}–{last}年：{count} 件"      # says what the bar shows
        total += count
    assert total == len(dated)
    assert _params(bars[0][0])["from"] == [str(SPREAD_FIRST_YEAR)]
    assert _params(bars[-1][0])["to"] == [str(SPREAD_LAST_YEAR)]
    # A span's bar drills down to its years, one bar each.
    inner = client.get(bars[0][0].replace("&amp;", "&")).get_data(as_text=True)
    years = re.findall(r'<a class="tl-bar" href="([^"]*)" aria-label="(\d{4})年：', inner)
    assert [y for _, y in years] == [str(y) for y in range(1980, 1985)]
    assert "每柱" not in inner


@pytest.mark.parametrize("first, last, span", [
    (2024, 2024, 1), (2013, 2024, 1), (2012, 2024, 5), (1966, 2024, 5), (1961, 2024, 10),
    (1900, 2024, 20), (1024, 2024, 100)])
def test_timeline_spans_fit_twelve_bars(app_context, first, last, span):
    from types import SimpleNamespace

    from web.timeline import build

    years = [{"value": y, "count": y % 7 + 1}
             for y in sorted({first, last, *range(first, last, 3)}, reverse=True)]
    result = SimpleNamespace(request=SearchRequest(), facets={"year": years, "month": []})
    timeline = build(result)
    assert len(timeline.bars) <= MAX_BARS
    assert timeline.note == (f"每柱 {span} 年" if span > 1 else "")
    assert sum(b.count for b in timeline.bars) == sum(y["count"] for y in years)
    assert all(b.title.endswith(f"：{b.count} 件") for b in timeline.bars)


@pytest.fixture()
def app_context(sample_home):
    app = create_app(sample_home)
    with app.test_request_context("/"):
        yield


# ------------------------------------------------------------- breadcrumb --

def test_breadcrumb_keeps_query_filters_sort_and_page(spread):
    client, _ = spread
    search = {"q": "远山市", "topic": "专题2", "sort": "date", "page": "2", "size": "3",
              "from": "1985"}
    html = client.get("/", query_string=search).get_data(as_text=True)
    link = re.search(r'<h3 class="hit-title">\s*<a href="([^"]*)"', html).group(1)
    assert {k: v[0] for k, v in _params(link).items()} == search
    doc = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    back = re.search(r'<a href="([^"]*)" rel="up">“远山市”的检索结果</a>', doc).group(1)
    assert urlsplit(back.replace("&amp;", "&")).path == "/"
    assert {k: v[0] for k, v in _params(back).items()} == search
    assert "<mark>远山市</mark>" in doc                        # still highlighted


def test_breadcrumb_without_a_search(sample):
    client, _ = sample
    doc = client.get("/doc/3").get_data(as_text=True)
    assert 'rel="up"' not in doc
    filtered = client.get("/doc/3?issuer=青石县教育局&page=2").get_data(as_text=True)
    back = re.search(r'<a href="([^"]*)" rel="up">检索结果</a>', filtered).group(1)
    assert _params(back) == {"issuer": ["青石县教育局"], "page": ["2"]}


# --------------------------------------------------------------- originals --

def test_original_of_a_jsonl_record_is_its_line(sample):
    client, service = sample
    doc = service.show(9)
    lines = Path(doc["source_path"]).read_bytes().splitlines(keepends=True)
    response = client.get("/doc/9/original")
    assert response.status_code == 200
    assert response.data == lines[doc["source_line"] - 1] and len(lines) > 1
    assert 'filename="bulletins-line3.jsonl"' in response.headers["Content-Disposition"]
    page = client.get("/doc/9").get_data(as_text=True)
    assert "导出文件 bulletins.jsonl 第 3 行：下载的是这一条记录" in page


def test_original_of_a_gzipped_record_is_decompressed(spread):
    client, service = spread
    ids = _ids_by_index_no(service)
    records = spread_records()
    n = 17
    doc_id = ids[records[n]["index_no"]]
    found = service.original_record(doc_id)
    assert not found.whole and found.line == n + 1 and found.path.endswith("spread.jsonl.gz")
    assert json.loads(found.data) == records[n]
    response = client.get(f"/doc/{doc_id}/original")
    assert json.loads(response.data) == records[n]
    assert 'filename="spread-line18.jsonl"' in response.headers["Content-Disposition"]
    with gzip.open(found.path) as whole:                       # the file is the export
        assert len(whole.read().splitlines()) == len(records)


def test_old_version_original_is_that_versions_line(tmp_path):
    source = tmp_path / "src" / "two.jsonl"
    source.parent.mkdir()
    first = [{"index_no": f"V-{i}", "title": f"版本测试{i}", "body": f"正文{i}"} for i in range(3)]
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in first),
                      encoding="utf-8")
    jobs.ingest(tmp_path / "home", [source])
    changed = [dict(first[2], body="正文2（修订）")] + first[:2]   # V-2 moves to line 1
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in changed),
                      encoding="utf-8")
    jobs.ingest(tmp_path / "home", [source])
    service = SearchService(tmp_path / "home")
    doc_id = _ids_by_index_no(service)["V-2"]
    old, new = service.versions(doc_id)[1]["vid"], None
    assert json.loads(service.original_record(doc_id, old).data)["body"] == "正文2"
    assert json.loads(service.original_record(doc_id, new).data)["body"] == "正文2（修订）"


def test_show_original_refuses_binary_on_a_terminal(tmp_path, monkeypatch):
    page = (SAMPLE_DIR / "pages" / "qs_anquan_2024_002.txt").read_text(encoding="utf-8")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "gbk.txt").write_bytes(page.encode("gb18030"))
    report = jobs.ingest(tmp_path / "home", [tmp_path / "src"])
    assert report.added == 1
    args = ["--home", str(tmp_path / "home"), "show", "--original", "1"]
    piped = CliRunner().invoke(cli, args)
    assert piped.exit_code == 0 and piped.stdout_bytes == page.encode("gb18030")
    monkeypatch.setattr("archive.cli_show._stdout_is_terminal", lambda: True)
    shown = CliRunner().invoke(cli, args)
    assert shown.exit_code == 2 and shown.stdout_bytes == b""
    assert "terminal" in shown.stderr and "> original.bin" in shown.stderr
    # Plain UTF-8 text (a JSONL record's line) may go to the terminal.
    text_home = CliRunner().invoke(cli, ["--home", str(tmp_path / "h2"), "ingest",
                                         str(SAMPLE_DIR / "export" / "bulletins.jsonl")])
    assert text_home.exit_code == 0
    line = CliRunner().invoke(cli, ["--home", str(tmp_path / "h2"), "show", "--original", "2"])
    assert line.exit_code == 0 and json.loads(line.stdout_bytes)["index_no"]


# ------------------------------------------------------------ date orders --

@pytest.mark.parametrize("sort", ["date", "-date"])
def test_undated_sort_last_in_both_orders(spread, sort):
    _, service = spread
    ids = _ids_by_index_no(service)
    records = spread_records()
    dated = sorted((r for r in records if not _undated(r)), key=lambda r: r["issued"],
                   reverse=sort == "-date")
    result = service.search(SearchRequest(q="远山市", sort=sort, all=True, highlight=False))
    order = [h.id for h in result.hits]
    assert [h.fields["issued"] for h in result.hits[:len(dated)]] == [r["issued"] for r in dated]
    assert sorted(order[len(dated):]) == sorted(ids[r["index_no"]] for r in records if _undated(r))
    last_page = service.search(SearchRequest(q="远山市", sort=sort, size=2, page=len(records) // 2))
    assert all(h.fields["issued"] is None for h in last_page.hits)


# ------------------------------------------------------------- CSV headers --

def test_csv_chinese_headers(sample, sample_home):
    client, _ = sample
    default = client.get("/export.csv?q=安全").data.decode("utf-8-sig")
    chinese = client.get("/export.csv?q=安全&headers=zh").data.decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(default))) == list(CSV_COLUMNS)
    zh_rows = list(csv.reader(io.StringIO(chinese)))
    assert zh_rows[0] == [label_of(c) for c in CSV_COLUMNS]
    assert zh_rows[0][:4] == ["编号", "索引号", "发文字号", "标题"]
    assert zh_rows[1:] == list(csv.reader(io.StringIO(default)))[1:]
    assert client.get("/export.csv?q=安全&headers=fr").status_code == 400
    out = CliRunner().invoke(cli, ["--home", str(sample_home), "export", "安全", "--format",
                                   "csv", "--headers", "zh"])
    assert out.exit_code == 0
    assert next(csv.reader(io.StringIO(out.stdout.lstrip("\ufeff")))) == zh_rows[0]


# ------------------------------------------------------------------ status --

@pytest.mark.parametrize("job, css, text", [
    ({"outcome": "ok", "counts": {}, "errors": []}, "ok", "成功"),
    ({"outcome": "ok", "counts": {}, "errors": [{"path": "a", "message": "conflict"}] * 2},
     "warning", "完成，有 2 条警告"),
    ({"outcome": "partial", "counts": {"failed": 1, "records_failed": 3}, "errors": []},
     "partial", "部分失败：1 个文件读取失败，3 条记录无法读取"),
    ({"outcome": "failed", "counts": {}, "errors": []}, "failed", "失败"),
    ({"outcome": "running", "counts": {}, "errors": []}, "running", "进行中"),
])
def test_job_outcome_wording(job, css, text):
    assert job_outcome(job) == (css, text)


def test_status_page_names_the_warnings(tmp_path):
    source = tmp_path / "src" / "bad.jsonl"
    source.parent.mkdir()
    source.write_text('{"index_no": "W-1", "title": "好的一行", "body": "正文"}\n{broken\n',
                      encoding="utf-8")
    jobs.ingest(tmp_path / "home", [source])
    app = create_app(tmp_path / "home")
    html = app.test_client().get("/status").get_data(as_text=True)
    assert "部分失败：1 条记录无法读取" in html
    assert "文件 1 · 新增 1 · 无法读取的记录 1" in html
    assert "<code>bad.jsonl</code>：line 2" in html and str(tmp_path) not in html
