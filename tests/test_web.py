"""The web app through Flask's test client: every route, the API shapes (the
same as `archive ... --json`), escaping, filters, paging, sorting, exports,
security headers and errors."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from archive import jobs
from archive.cli import main as cli
from archive.search import SearchRequest, SearchService
from web import create_app
from web.security import CSP

XSS = "<script>alert(1)</script>"


# ------------------------------------------------------------------ fixtures --

@pytest.fixture(scope="session")
def app(sample_home):
    app = create_app(sample_home)
    app.testing = True
    return app


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def service(sample_home):
    return SearchService(sample_home)


def _record(title, body, index_no, issued="2024-03-05"):
    return {"index_no": index_no, "doc_no": "测发〔2024〕1号", "issued": issued,
            "issuer": "测试县人民政府", "keywords": ["测试"], "title": title, "topic": "综合政务",
            "published": issued, "body": body, "url": None}


@pytest.fixture(scope="session")
def hostile(tmp_path_factory):
    """A home with a bulletin whose title and body hold a script tag, ingested
    twice (the second time changed) so it has an earlier version."""
    home = tmp_path_factory.mktemp("hostile-home")
    source = tmp_path_factory.mktemp("hostile-src") / "hostile.jsonl"
    first = _record(f"{XSS}关于测试的通知", f"第一段 {XSS} 警报测试。\n第二段：alert 与 <b>粗体</b>。",
                    "TEST-2024-0001")
    source.write_text(json.dumps(first, ensure_ascii=False) + "\n", encoding="utf-8")
    jobs.ingest(home, [source])
    old_bytes = source.read_bytes()
    second = dict(first, body=first["body"] + "\n第三段：修订后增加的内容。")
    source.write_text(json.dumps(second, ensure_ascii=False) + "\n", encoding="utf-8")
    jobs.ingest(home, [source])
    app = create_app(home)
    app.testing = True
    return {"client": app.test_client(), "home": home, "old": old_bytes,
            "new": source.read_bytes(), "service": SearchService(home)}


@pytest.fixture()
def empty_client(tmp_path):
    app = create_app(tmp_path / "nothing-here")
    app.testing = True
    return app.test_client()


def _json(response):
    assert response.headers["Content-Type"].startswith("application/json")
    return json.loads(response.data)


def _without_took(data):
    data = dict(data)
    data.pop("took_ms")
    return data


def _links(html: str) -> list[str]:
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]*)"', html)]


def _params(url: str) -> dict:
    return parse_qs(urlsplit(url).query)


# ------------------------------------------------------------------ the API --

API_CASES = [
    ({"q": "安全"}, SearchRequest(q="安全")),
    ({}, SearchRequest(sort="-date")),
    ({"q": "安全", "issuer": "青石县应急管理局"},
     SearchRequest(q="安全", issuers=["青石县应急管理局"])),
    ({"q": "工作", "topic": ["综合政务", "教育"]},
     SearchRequest(q="工作", topics=["综合政务", "教育"])),
    ({"year": "2024", "month": "5"}, SearchRequest(year=2024, month=5, sort="-date")),
    ({"q": "工作", "from": "2024-03", "to": "2024-12-31", "sort": "date"},
     SearchRequest(q="工作", date_from="2024-03", date_to="2024-12-31", sort="date")),
    ({"q": "青石县", "page": "3", "size": "7"}, SearchRequest(q="青石县", page=3, size=7)),
]


@pytest.mark.parametrize("params,expected", API_CASES)
def test_api_search_is_the_service_result(client, service, params, expected):
    response = client.get("/api/search", query_string=params)
    assert response.status_code == 200
    assert _without_took(_json(response)) == _without_took(service.search(expected).to_json())


def test_api_search_same_as_cli(client, sample_home):
    out = CliRunner().invoke(cli, ["--home", str(sample_home), "search", "--json", "安全",
                                   "--issuer", "青石县应急管理局", "--limit", "5"])
    assert out.exit_code == 0, out.output
    web = _json(client.get("/api/search?q=安全&issuer=青石县应急管理局&size=5"))
    assert _without_took(web) == _without_took(json.loads(out.output))
    assert list(web) == list(json.loads(out.output))          # same key order too


def test_api_doc_same_as_show(client, service, sample_home):
    out = CliRunner().invoke(cli, ["--home", str(sample_home), "show", "--json", "3"])
    assert out.exit_code == 0
    data = _json(client.get("/api/doc/3"))
    shown = json.loads(out.output)
    assert shown == service.show(3)
    # the same record, except that visitors see a source file's name, not its path
    assert data == {**shown, "source_path": Path(shown["source_path"]).name,
                    "sources": [{**s, "path": Path(s["path"]).name} for s in shown["sources"]]}
    assert data["source_path"] != shown["source_path"]


def test_api_facets(client, service):
    data = _json(client.get("/api/facets?q=安全&year=2024"))
    assert data == service.search(SearchRequest(q="安全", year=2024)).facets
    assert set(data) == {"issuer", "topic", "year", "month", "missing", "distinct"}
    assert set(data["missing"]) == {"issuer", "topic", "year"}
    assert data["month"], "months are counted once a year is chosen"


def test_default_sort(client):
    assert _json(client.get("/api/search?q=安全"))["sort"] == "relevance"
    assert _json(client.get("/api/search"))["sort"] == "-date"
    assert _json(client.get("/api/search?q=%20%20"))["sort"] == "-date"


# ----------------------------------------------------------------- filters --

def _hits(client, query: str) -> list[dict]:
    return _json(client.get(f"/api/search?{query}&size=100"))["hits"]


def test_filter_issuer_and_topic(client):
    hits = _hits(client, "issuer=青石县教育局")
    assert hits and {h["issuer"] for h in hits} == {"青石县教育局"}
    both = _hits(client, "issuer=青石县教育局&issuer=青石县应急管理局")
    assert {h["issuer"] for h in both} == {"青石县教育局", "青石县应急管理局"}
    topic = _hits(client, "topic=农业农村")
    assert topic and {h["topic"] for h in topic} == {"农业农村"}


def test_filter_year_month_and_dates(client):
    def day(h):
        return h["issued"] or h["published"]

    year = _hits(client, "year=2024")
    assert year and all(day(h).startswith("2024") for h in year)
    month = _hits(client, "year=2024&month=5")
    assert month and all(day(h).startswith("2024-05") for h in month)
    ranged = _hits(client, "from=2024-03-01&to=2024-06-30")
    assert ranged and all("2024-03-01" <= day(h) <= "2024-06-30" for h in ranged)
    assert len(_hits(client, "from=2024-03-01")) > len(ranged)


def test_paging_and_sort(client):
    everything = [h["id"] for h in _hits(client, "sort=-date")]
    pages = []
    for page in range(1, 10):
        data = _json(client.get(f"/api/search?sort=-date&size=7&page={page}"))
        pages += [h["id"] for h in data["hits"]]
        assert data["page"] == page and data["page_size"] == 7
    assert pages == everything and len(everything) == 43
    newest = [h["issued"] or h["published"] for h in _hits(client, "sort=-date")]
    oldest = [h["issued"] or h["published"] for h in _hits(client, "sort=date")]
    assert newest == sorted(newest, reverse=True)
    assert oldest == sorted(oldest)


# ---------------------------------------------------------- the search page --

def test_search_page(client):
    response = client.get("/?q=安全")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>“安全”的检索结果" in html
    assert 'value="安全"' in html                          # the box keeps the query
    assert "共 <strong>15</strong> 条结果" in html and "毫秒" in html
    assert "<mark>安全</mark>" in html
    assert html.count('class="hit"') == 10
    assert "/doc/" in html and "?q=%E5%AE%89%E5%85%A8" in html   # links carry q
    for label in ("发文机关", "主题分类", "年份"):
        assert f">{label}</h3>" in html
    assert '<svg class="tl-plot"' in html and 'class="tl-bar"' in html


def test_metadata_line(client, service):
    hit = service.search(SearchRequest(q="安全", size=1)).hits[0].fields
    html = client.get("/?q=安全&size=1").get_data(as_text=True)
    line = re.search(r'<p class="hit-meta">(.*?)</p>', html).group(1)
    assert re.findall(r"<span>(.*?)</span>", line) == [
        hit["doc_no"], hit["issuer"], hit["issued"], hit["topic"]]


def test_facet_click_and_chip_removal(client):
    html = client.get("/?q=安全").get_data(as_text=True)
    facet = next(u for u in _links(html) if "issuer=" in u)
    assert _params(facet)["q"] == ["安全"]
    filtered = client.get(facet).get_data(as_text=True)
    issuer = _params(facet)["issuer"][0]
    assert 'class="chip"' in filtered and issuer in filtered
    assert 'class="selected" aria-current="true"' in filtered
    chip = re.search(r'<a class="chip" href="([^"]*)"', filtered).group(1).replace("&amp;", "&")
    assert "issuer" not in _params(chip) and _params(chip)["q"] == ["安全"]
    # The facet link of the selected value removes it too.
    selected = re.findall(r'<a href="([^"]*)" class="selected" aria-current="true">', filtered)
    assert len(selected) == 1             # the issuer's facet link (the sort link is apart)
    unselect = _params(selected[0].replace("&amp;", "&"))
    assert "issuer" not in unselect and unselect["q"] == ["安全"]


def test_year_then_month_timeline(client):
    html = client.get("/?q=工作").get_data(as_text=True)
    bars = re.findall(r'<a class="tl-bar" href="([^"]*)"', html)
    assert bars and all("year=" in b for b in bars)
    year_html = client.get(bars[0].replace("&amp;", "&")).get_data(as_text=True)
    months = re.findall(r'<a class="tl-bar" href="([^"]*)"', year_html)
    assert months and all("month=" in m for m in months)
    assert "全部年份" in year_html
    assert '"tl-label" aria-hidden="true">1月<' in year_html
    assert '"tl-label" aria-hidden="true">12月<' in year_html


def test_sort_links_and_pagination(client):
    html = client.get("/?q=青石县").get_data(as_text=True)
    links = _links(html)
    assert any(_params(u).get("sort") == ["-date"] for u in links)
    assert any(_params(u).get("sort") == ["date"] for u in links)
    assert any(_params(u).get("page") == ["2"] for u in links)
    page2 = client.get("/?q=青石县&page=2").get_data(as_text=True)
    assert 'aria-current="page">2<' in page2 and 'rel="prev"' in page2
    assert '<ol class="hits" start="11">' in page2


def test_empty_result_with_suggestion(client):
    html = client.get("/?q=安全生产越").get_data(as_text=True)
    assert "没有找到" in html and "您是不是要找" in html
    assert "/?q=%E5%AE%89%E5%85%A8%E7%94%9F%E4%BA%A7" in html       # ?q=安全生产


def test_help_page(client):
    html = client.get("/help").get_data(as_text=True)
    examples = [u for u in _links(html) if u.startswith("/?q=")]
    assert len(examples) >= 10
    for url in examples:
        assert client.get(url).status_code == 200


def test_no_inline_scripts_or_styles(client):
    for url in ("/", "/?q=工作&year=2024", "/doc/1?q=防汛", "/help", "/status", "/?page=x"):
        html = client.get(url).get_data(as_text=True)
        assert " style=" not in html and "<style" not in html
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
        assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")


# ------------------------------------------------------------- the document --

def test_document_page(client, service):
    doc = service.show(1)
    html = client.get("/doc/1?q=防汛").get_data(as_text=True)
    for label in ("索引号", "发文字号", "发文机关", "发文时间", "主题分类", "主题词", "发布日期"):
        assert f"<th scope=\"row\">{label}</th>" in html
    assert doc["index_no"] in html and doc["doc_no"] in html
    assert html.count("<p>") >= len([p for p in doc["body"].split("\n") if p.strip()])
    assert "<mark>防汛</mark>" in html
    assert "相关文件" in html
    assert 'href="/doc/1/original"' in html
    assert 'media="print"' in html
    plain = client.get("/doc/1").get_data(as_text=True)
    assert "<mark>" not in plain


def test_document_page_does_its_work_once(sample_home, monkeypatch):
    """One read of the bulletin, highlight terms from the parsed query (no
    search runs), related bulletins without loading jieba's dictionary."""
    from archive import search as search_module
    from archive import searcher as searcher_module
    from archive.store import Archive

    service = SearchService(sample_home)
    service.searcher()                                    # opened before counting
    reads = []
    real_get = Archive.get
    monkeypatch.setattr(Archive, "get", lambda self, i: reads.append(i) or real_get(self, i))

    def no_search(*args, **kwargs):
        raise AssertionError("the document page ran a search")

    def no_dictionary(*args, **kwargs):
        raise AssertionError("the document page loaded the full dictionary")

    monkeypatch.setattr(search_module.Searcher, "search", no_search)
    monkeypatch.setattr(searcher_module, "segmenter_for", no_dictionary)
    page = service.document_page(1, "防汛 人大")
    assert reads == [1]
    assert {"防汛", "人大"} <= set(page.terms)
    assert page.related and all(hit.id != 1 for hit in page.related)
    assert page.doc == service.show(1)


def test_highlight_terms_are_the_terms_a_search_highlights(service):
    for q in ("人大常委会", "防汛 OR 抗旱", "沁政发[2025]12号", '"人大常委会"', "标题:条例 -通知"):
        searched = service.search(SearchRequest(q=q, size=1, highlight=False)).terms
        assert service.terms(q) == searched, q


def test_original_download(client, service):
    path, data = service.original(21)           # from an HTML page: the whole file
    assert path.endswith(".html")
    response = client.get("/doc/21/original")
    assert response.status_code == 200
    assert response.data == data
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    assert name in disposition


def test_versions_and_old_original(hostile):
    client, service = hostile["client"], hostile["service"]
    doc_id = 1                                    # the one bulletin of the home
    history = service.versions(doc_id)
    assert len(history) == 2
    html = client.get(f"/doc/{doc_id}").get_data(as_text=True)
    assert "历史版本" in html and f"vid={history[1]['vid']}" in html
    assert client.get(f"/doc/{doc_id}/original?vid={history[1]['vid']}").data == hostile["old"]
    assert client.get(f"/doc/{doc_id}/original").data == hostile["new"]


# --------------------------------------------------------------- escaping --

def test_hostile_text_is_escaped(hostile):
    client = hostile["client"]
    for url in ("/?q=alert", "/?q=测试", "/?q=script", "/", "/doc/1", "/doc/1?q=alert"):
        html = client.get(url).get_data(as_text=True)
        assert XSS not in html, url
        assert "<b>粗体</b>" not in html
    results = client.get("/?q=alert").get_data(as_text=True)
    assert "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;" in results   # title and snippet
    assert "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;关于测试的通知" in results
    doc = client.get("/doc/1?q=alert").get_data(as_text=True)
    assert "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;" in doc
    api = _json(client.get("/api/search?q=alert"))
    assert "&lt;script&gt;<mark>alert</mark>" in api["hits"][0]["snippet"]


def test_query_is_escaped(client):
    html = client.get("/", query_string={"q": f'"><img src=x onerror=alert(1)>{XSS}'}) \
        .get_data(as_text=True)
    assert XSS not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html


# ---------------------------------------------------------------- exports --

def test_export_csv(client, service):
    response = client.get("/export.csv?q=安全&issuer=青石县应急管理局")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    expected = service.search(SearchRequest(q="安全", issuers=["青石县应急管理局"], all=True))
    assert [int(r["id"]) for r in rows] == [h.id for h in expected.hits]
    assert all(r["issuer"] == "青石县应急管理局" for r in rows)
    assert any("安全" in r["title"] for r in rows)


def test_export_jsonl(client, service):
    response = client.get("/export.jsonl?year=2025")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    records = [json.loads(line) for line in response.data.decode("utf-8").splitlines()]
    assert len(records) == _json(client.get("/api/search?year=2025"))["total"]
    links = ("cites", "cited_by")           # citation links: on show, not in exports
    assert records == [{k: v for k, v in service.show(r["id"]).items() if k not in links}
                       for r in records]


def test_export_ignores_paging_and_handles_nothing(client):
    rows = client.get("/export.jsonl?sort=-date&page=2&size=5").data.decode().splitlines()
    assert len(rows) == 43
    empty = client.get("/export.csv?q=完全不存在的词语组合乙丙丁")
    assert empty.status_code == 200
    assert empty.data.decode("utf-8-sig").splitlines()[0].startswith("id,index_no")


# ---------------------------------------------------------- errors, status --

BAD = ["page=0", "page=1001", "page=abc", "size=0", "size=101", "sort=newest", "month=13&year=2024",
       "month=3", "from=yesterday", "to=2024-13-45", "year=abc"]


@pytest.mark.parametrize("query", BAD)
def test_bad_parameters(client, query):
    for path in ("/api/search", "/api/facets"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400
        data = _json(response)
        assert data["status"] == 400 and data["error"]
    page = client.get(f"/?{query}")
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert 'role="alert"' in html and "无法检索" in html
    assert client.get(f"/export.csv?{query}").status_code == 400


@pytest.mark.parametrize("query, message", [
    ("page=0", "页码（page）须在 1 到 1000 之间"),
    ("size=101", "每页条数（size）须在 1 到 100 之间"),
    ("sort=newest", "排序方式（sort）只能是 relevance, date, -date"),
    ("month=13&year=2024", "月份（month）须在 1 到 12 之间"),
    ("month=3", "选择月份（month）时须同时给出年份（year）"),
    ("from=yesterday", "无法识别的日期“yesterday”"),
])
def test_library_errors_reach_readers_in_chinese_by_code(client, query, message):
    html = client.get(f"/?{query}").get_data(as_text=True)
    assert message in html
    assert " must " not in html and "not a date" not in html


def test_every_library_error_code_has_a_chinese_message():
    """Codes are read from the library's source (`SomeError(message, "code", ...)`)
    and from the error classes: none may fall back to the generic message."""
    import ast
    import inspect

    from archive import errors
    from web.messages import CHINESE

    root = Path(__file__).resolve().parents[1] / "archive"
    raised = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and getattr(errors, node.func.id, None) in _error_classes(errors)
                    and len(node.args) > 1 and isinstance(node.args[1], ast.Constant)):
                raised.add(node.args[1].value)
    assert {"bad_sort", "bad_page", "bad_size", "bad_date"} <= raised
    # Classes raised without a code of their own; a web page never meets the
    # writer's lock, a usage error of the CLI, or the abstract bases.
    web_unseen = {"locked", "usage", "bad_request", "failed"}
    class_codes = {cls.code for cls in _error_classes(errors) if inspect.isclass(cls)}
    assert (raised | class_codes) - web_unseen <= set(CHINESE)


def _error_classes(errors):
    return [v for v in vars(errors).values()
            if isinstance(v, type) and issubclass(v, errors.ArchiveError)]


@pytest.mark.parametrize("path", [
    "/doc/9999", "/doc/abc", "/doc/-1", "/doc/99999999999999999999999", "/doc/9999/original",
    "/nope", "/doc/../../etc/passwd", "/doc/%2e%2e/%2e%2e/etc/passwd", "/static/../app.py",
    "/static/..%2fapp.py", "/static/%2e%2e/%2e%2e/archive/cli.py", "/doc/1/original/../../../etc/passwd",
    "/export.xml",
])
def test_not_found_pages(client, path):
    response = client.get(path)
    assert response.status_code == 404, path
    assert "页面不存在" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/api/doc/9999", "/api/doc/abc", "/api/nothing", "/api/",
                                  "/api/doc/99999999999999999999999"])
def test_not_found_api(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert _json(response)["status"] == 404


def test_method_not_allowed_api(client):
    response = client.post("/api/search")
    assert response.status_code == 405 and _json(response)["status"] == 405


def test_internal_error(app, monkeypatch):
    service = app.extensions["archive.service"]

    def broken(request):
        raise RuntimeError("boom")

    monkeypatch.setattr(service, "search", broken)
    client = app.test_client()
    response = client.get("/api/search")
    assert response.status_code == 500
    assert _json(response) == {"error": "internal server error", "status": 500}
    page = client.get("/")
    assert page.status_code == 500 and "服务器内部错误" in page.get_data(as_text=True)
    assert "boom" not in page.get_data(as_text=True)


def test_no_index(empty_client):
    assert empty_client.get("/healthz").status_code == 503
    assert _json(empty_client.get("/healthz"))["status"] == "unavailable"
    response = empty_client.get("/api/search?q=x")
    assert response.status_code == 503 and _json(response)["status"] == 503
    assert empty_client.get("/").status_code == 503
    assert empty_client.get("/api/doc/1").status_code == 503
    assert empty_client.get("/status").status_code == 503


def test_healthz(client, service):
    data = _json(client.get("/healthz"))
    assert data == {"status": "ok", "documents": 43,
                    "generation": service.searcher().generation.path.name}


def test_status_page(client):
    html = client.get("/status").get_data(as_text=True)
    assert "系统状态" in html and "gen-0001" in html and "成功" in html and "43" in html


def test_security_headers(client):
    for path in ("/", "/?q=安全", "/doc/1", "/doc/1/original", "/api/search", "/api/doc/9999",
                 "/healthz", "/export.csv", "/static/style.css", "/static/app.js", "/nope",
                 "/?page=0", "/help", "/status"):
        headers = client.get(path).headers
        assert headers["Content-Security-Policy"] == CSP, path
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
    assert CSP == ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                   "script-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
                   "form-action 'self'")


def test_static_assets(client):
    for name in ("style.css", "print.css", "app.js", "favicon.svg"):
        assert client.get(f"/static/{name}").status_code == 200


def test_follows_reindex_without_restart(tmp_path):
    home, source = tmp_path / "home", tmp_path / "src"
    source.mkdir()

    def add(name, title):
        path = source / f"{name}.jsonl"
        path.write_text(json.dumps(_record(title, "正文。", f"TEST-{name}"), ensure_ascii=False)
                        + "\n", encoding="utf-8")
        jobs.ingest(home, [path])

    add("one", "第一份公告")
    app = create_app(home)
    client = app.test_client()
    assert _json(client.get("/healthz"))["documents"] == 1
    assert _json(client.get("/api/search?q=新增公告甲乙"))["total"] == 0
    add("two", "新增公告甲乙")
    assert _json(client.get("/api/search?q=新增公告甲乙"))["total"] == 1
    assert _json(client.get("/healthz"))["documents"] == 2
