"""Web safety through Flask's test client: output escaping everywhere (titles,
snippets, document pages, facet values, chips, suggestions, error pages),
security headers on every route, the CSP, no path traversal, bounds on the
request, expensive queries capped and answered fast, and the per-search time
limit.  (tests/test_web.py covers the ordinary routes; this file is about a
hostile archive and hostile requests.)"""
from __future__ import annotations

import json
import re
import time
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import quote

import pytest

import archive.request as request_mod
import archive.search as search_mod
import archive.searcher as searcher_mod
import archive.service as service_mod
from archive import jobs
from archive.search import SearchRequest, SearchService, SearchTimeout
from web import create_app

XSS_TITLE = "<script>alert('title')</script>恶意标题的通知"
XSS_BODY = ("第一段正文<script>alert('body')</script>安全生产。\n"
            "第二段<img src=x onerror=alert('img')>防汛抗旱，<a href=\"javascript:alert(1)\">点这里</a>。")
XSS_ISSUER = "<img src=x onerror=alert(1)>"
XSS_TOPIC = "\"><svg onload=alert('topic')>"
XSS_KEYWORD = "<b onmouseover=alert(1)>词</b>"
XSS_DOCNO = "<i>恶</i>〔2024〕1号"
XSS_INDEXNO = "IDX-<u>1</u>"
JS_URL = "javascript:alert(document.cookie)"

HTML_PAGE = """<html><head><meta charset="utf-8"><title>页面脚本测试的通知</title>
<script>window.evil = 1</script></head><body onload="alert('onload')">
<div class="content"><h1>页面脚本测试的通知</h1><p>发布日期：2024-05-06</p>
<p onclick="alert(2)">正文第一段，关于页面脚本测试。<script>alert('inline')</script></p>
<iframe src="javascript:alert(3)"></iframe>
<p><a href="javascript:alert(4)">点击这里</a>查看附件说明，落实页面脚本测试。</p>
<p><img src=x onerror=alert(5)>第二段正文内容。</p></div></body></html>"""


# ------------------------------------------------------------------ fixtures --

@pytest.fixture(scope="module")
def home(tmp_path_factory, sample_dir):
    import shutil
    src = tmp_path_factory.mktemp("websafe-src")
    shutil.copytree(sample_dir, src / "sample")
    hostile = {"index_no": XSS_INDEXNO, "doc_no": XSS_DOCNO, "issued": "2024-04-01",
               "issuer": XSS_ISSUER, "keywords": [XSS_KEYWORD, "测试"], "title": XSS_TITLE,
               "topic": XSS_TOPIC, "published": "2024-04-02", "body": XSS_BODY, "url": JS_URL}
    (src / "hostile.jsonl").write_text(json.dumps(hostile, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    (src / "page.html").write_text(HTML_PAGE, encoding="utf-8")
    home = tmp_path_factory.mktemp("websafe-home")
    report = jobs.ingest(home, [src])
    assert report.failed == 0 and report.added >= 3, report.to_json()
    return home


@pytest.fixture(scope="module")
def app(home):
    app = create_app(home)
    app.testing = True
    return app


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def ids(home):
    service = SearchService(home)
    hostile = service.searcher().find_ids("恶意标题")
    page = service.searcher().find_ids("页面脚本测试")
    assert len(hostile) == 1 and len(page) == 1
    return {"hostile": hostile[0], "page": page[0]}


# ------------------------------------------------------------- the checker --

class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.script_text.append(data)


def assert_no_live_markup(html: str) -> None:
    """No script but the app's own file, no event handler, no javascript: URL,
    no element a hostile bulletin could have smuggled in."""
    parser = _Tags()
    parser.feed(html)
    for tag, attrs in parser.tags:
        if tag == "script":
            assert attrs.get("src") == "/static/app.js", attrs
        assert tag not in ("iframe", "img", "object", "embed", "frame", "b", "i", "u"), tag
        if tag == "svg":                       # only the app's own timeline bars
            assert attrs.get("class") == "tl-plot", attrs
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, value)
            if name in ("href", "src", "action", "formaction") and value:
                assert not re.match(r"\s*(javascript|data|vbscript):", value, re.I), (tag, value)
    assert not parser.script_text, parser.script_text


def assert_headers(response) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives.get("default-src") == ["'self'"]
    script = directives.get("script-src", directives["default-src"])
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert not any(s.startswith(("http:", "https:", "*", "data:")) for s in script)
    assert directives.get("frame-ancestors") == ["'none'"]
    assert directives.get("base-uri") == ["'none'"]
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("X-Frame-Options") == "DENY"
    assert response.headers.get("Referrer-Policy")


# ----------------------------------------------------------------- escaping --

def test_stored_text_has_no_markup_from_html_page(home, ids):
    doc = SearchService(home).show(ids["page"])
    text = json.dumps(doc, ensure_ascii=False)
    for needle in ("<script", "alert(", "onclick", "onerror", "iframe", "javascript:", "<a "):
        assert needle not in text, needle
    assert "正文第一段" in doc["body"] and "点击这里" in doc["body"]


@pytest.mark.parametrize("q", ["恶意标题", "script", "alert", "onerror", "防汛抗旱", "img src",
                               "<script>", "机关:<img", "javascript"])
def test_search_page_escapes_titles_snippets_and_meta(client, q):
    response = client.get("/?q=" + quote(q))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert_no_live_markup(html)
    assert_headers(response)


def test_highlighted_snippet_is_escaped(client):
    html = client.get("/?q=" + quote("alert")).get_data(as_text=True)
    assert "<mark>alert</mark>" in html                  # highlighted ...
    assert "&lt;script&gt;<mark>alert</mark>" in html    # ... inside escaped markup
    assert "&lt;img src=x onerror=<mark>alert</mark>" in html


def test_document_page_escapes_every_field(client, ids):
    response = client.get(f"/doc/{ids['hostile']}?q=" + quote("script alert"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert_no_live_markup(html)
    for text in (XSS_ISSUER, XSS_TOPIC, XSS_KEYWORD, XSS_DOCNO, XSS_INDEXNO):
        assert text not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert JS_URL not in html                      # the source link is dropped, not live
    assert "原文链接" not in html


def test_document_page_of_html_source(client, ids):
    response = client.get(f"/doc/{ids['page']}")
    assert response.status_code == 200
    assert_no_live_markup(response.get_data(as_text=True))


def test_facet_values_and_chips_are_escaped(client):
    html = client.get("/?q=" + quote("恶意标题")).get_data(as_text=True)
    assert_no_live_markup(html)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html          # the issuer facet
    assert "issuer=%3Cimg+src%3Dx+onerror%3Dalert%281%29%3E" in html  # its toggle link
    chosen = client.get("/?issuer=" + quote(XSS_ISSUER) + "&topic=" + quote(XSS_TOPIC))
    assert chosen.status_code == 200
    html = chosen.get_data(as_text=True)
    assert_no_live_markup(html)
    assert "已选" in html and "&lt;img src=x onerror=alert(1)&gt;" in html   # a chip
    assert XSS_TOPIC not in html


def test_suggestion_is_escaped(client):
    q = "<script>alert('title')</script> 绝无此词甲乙丙丁"
    response = client.get("/?q=" + quote(q))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "没有找到" in html
    assert "您是不是要找" in html                     # the suggestion drops the bad word
    assert_no_live_markup(html)


def test_query_echo_is_escaped_everywhere(client):
    q = "\"><script>alert(9)</script><img src=x onerror=alert(9)>"
    for path in ("/?q=", "/export.csv?q=", "/doc/1?q="):
        response = client.get(path + quote(q))
        assert response.status_code == 200
        if response.mimetype == "text/html":
            assert_no_live_markup(response.get_data(as_text=True))
    # the JSON API echoes it as JSON, never as a page
    response = client.get("/api/search?q=" + quote(q))
    assert response.mimetype == "application/json"
    assert response.get_json()["query"] == q


@pytest.mark.parametrize("path", [
    "/<script>alert(1)</script>", "/doc/%3Cscript%3E", "/?page=%3Cscript%3Ealert(1)%3C/script%3E",
    "/?from=%3Cscript%3Ealert(1)%3C/script%3E", "/?year=%3Cimg%20src=x%20onerror=alert(1)%3E",
    "/?sort=%3Csvg%20onload=alert(1)%3E", "/?month=3", "/doc/1/original?vid=%3Cscript%3E",
])
def test_error_pages_escape_what_they_echo(client, path):
    response = client.get(path)
    assert response.status_code in (400, 404)
    assert_headers(response)
    html = response.get_data(as_text=True)
    assert_no_live_markup(html)
    assert "<script>alert(1)" not in html and "onerror=alert(1)>" not in html


# ---------------------------------------------------------------- JSON API --

@pytest.mark.parametrize("path,status", [
    ("/api/search?q=%3Cscript%3E", 200), ("/api/facets?q=alert", 200), ("/api/doc/1", 200),
    ("/api/doc/999999", 404), ("/api/search?page=0", 400), ("/api/search?page=x", 400),
    ("/api/nope", 404), ("/healthz", 200), ("/api/search?q=" + "x" * 5000, 400),
])
def test_api_is_always_json(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert isinstance(response.get_json(), dict)
    assert_headers(response)


def test_api_method_not_allowed_is_json(client):
    response = client.post("/api/search")
    assert response.status_code == 405 and response.mimetype == "application/json"
    assert_headers(response)


# ----------------------------------------------------------------- headers --

def test_security_headers_on_every_route(client, ids, app, monkeypatch):
    paths = ["/", "/?q=安全", "/help", "/status", f"/doc/{ids['hostile']}",
             f"/doc/{ids['hostile']}/original", "/api/search?q=安全", "/api/facets",
             f"/api/doc/{ids['hostile']}", "/healthz", "/export.csv?q=安全",
             "/export.jsonl?q=安全", "/static/style.css", "/static/app.js",
             "/static/favicon.svg", "/static/missing.css", "/nope", "/doc/0", "/?page=0",
             "/api/search?size=1000"]
    for path in paths:
        response = client.get(path)
        response.get_data()                    # streamed exports: run them to the end
        assert_headers(response)
        assert response.status_code < 500, path
    assert_headers(client.post("/"))           # 405
    assert_headers(client.head("/"))

    def boom(*a, **k):
        raise RuntimeError("/secret/path and a stack")
    monkeypatch.setattr(SearchService, "search", boom)
    for path in ("/?q=x", "/api/search?q=x"):
        response = client.get(path)
        assert response.status_code == 500
        assert_headers(response)
        assert "/secret/path" not in response.get_data(as_text=True)   # nothing leaks


def test_csp_forbids_inline_script(client):
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    for page in ("/", "/help", "/status", "/?q=安全", "/?q=alert", "/doc/1"):
        html = client.get(page).get_data(as_text=True)
        assert_no_live_markup(html)            # no inline scripts, no handlers
        parser = _Tags()
        parser.feed(html)
        assert not [t for t, attrs in parser.tags if "style" in attrs]   # style-src 'self'
        assert not [t for t, _ in parser.tags if t == "style"]


# ----------------------------------------------------------- path traversal --

TRAVERSALS = [
    "/doc/..%2f..%2fetc%2fpasswd", "/doc/../../etc/passwd", "/doc/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/static/../../archive.sqlite", "/static/..%2f..%2farchive.sqlite",
    "/static/%2e%2e/%2e%2e/archive.sqlite", "/static/..%5c..%5carchive.sqlite",
    "/static//etc/passwd", "/static/%2fetc%2fpasswd", "/doc/1/original?vid=../../x",
    "/doc/1/original?vid=..%2f..%2fetc%2fpasswd", "/doc/1/original?vid=1e9",
    "/doc/1/original?vid=-1", "/doc/1/original?vid=99999999999999999999999",
    "/api/doc/..%2f..%2fetc%2fpasswd", "/export.csv/../../archive.sqlite",
    "/doc/1/original/../../../archive.sqlite", "/archive.sqlite", "/index/", "/writer.lock",
    "/doc/-1", "/doc/99999999999999999999999", "/api/doc/99999999999999999999999",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_no_route_reads_outside_the_archive(client, path):
    response = client.get(path, follow_redirects=True)   # /static//x: 308 to /static/x
    assert response.status_code in (400, 404), (path, response.status_code)
    body = response.get_data()
    assert b"root:" not in body and b"SQLite format" not in body
    assert response.mimetype != "application/octet-stream"
    assert_headers(response)


def test_original_only_serves_versions_of_that_document(client, home, ids):
    from archive.store import Archive
    archive = Archive(home, readonly=True)
    other = archive.versions(ids["page"])[0]["vid"]
    assert client.get(f"/doc/{ids['hostile']}/original?vid={other}").status_code == 404
    own = archive.versions(ids["hostile"])[0]["vid"]
    response = client.get(f"/doc/{ids['hostile']}/original?vid={own}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]


# ------------------------------------------------------------------- bounds --

@pytest.mark.parametrize("query,status", [
    ("page=1001", 400), ("page=0", 400), ("page=-5", 400), ("page=" + "9" * 5000, 400),
    ("size=101", 400), ("size=0", 400), ("size=100", 200), ("page=1000", 200),
    ("q=" + "政" * 1001, 400), ("q=" + "政" * 600, 200),
    ("&".join([f"issuer=x{i}" for i in range(21)]), 400),
    ("issuer=" + "x" * 201, 400), ("from=" + "2" * 300, 400), ("year=99999", 400),
])
def test_request_bounds(client, query, status):
    for prefix in ("/?", "/api/search?"):
        response = client.get(prefix + query)
        assert response.status_code == status, (prefix + query[:60], response.status_code)
        if status == 400:
            text = response.get_data(as_text=True)
            assert ("error" in response.get_json()) if prefix.startswith("/api") \
                else "无法检索" in text


def test_long_query_is_capped_with_a_warning(client):
    data = client.get("/api/search?q=" + quote("安全 " + "词" * 700)).get_json()
    assert any("过长" in w for w in data["warnings"])
    html = client.get("/?q=" + quote("安全 " + "词" * 700)).get_data(as_text=True)
    assert "查询过长" in html


@pytest.mark.parametrize("q,warning", [
    ("*政府", "通配符"), ("政府*", "通配符"), ("???安全", "通配符"),
    (" OR ".join(f"词{i}" for i in range(1000)), "400"),     # 6,900 characters
    (" OR ".join(f"词{i}" for i in range(120)), "过长"),      # 846: cut to 500
    (" ".join(f"词{i}" for i in range(200)), "复杂"),
    (" OR ".join(f"词{i}" for i in range(60)), "复杂"),
    ("(" * 100 + "政府" + ")" * 100, "复杂"),
    ("(" * 100 + "政府", ""), ("NOT " * 100 + "政府", ""), ("-" * 400 + "政府", ""),
    ('"' * 499, ""), ("标题:" * 150, ""), ("日期:2025-13-45", "日期"),
])
def test_expensive_queries_are_capped(client, q, warning, monkeypatch):
    """Capped, so cheap: no matching set is built from more than MAX_TERMS
    words, and a request builds at most its own (exact and near) plus the
    bounded 'did you mean' probes (speed itself is scripts/bench's)."""
    from archive import suggest
    from archive.query import MAX_TERMS

    words_per_set: list[set] = []      # distinct words each matching set asks for
    real_matching, real_leaf = search_mod.Searcher._matching, search_mod.Searcher.leaf

    def matching(self, *args):
        words_per_set.append(set())
        return real_matching(self, *args)

    def leaf(self, word):
        words_per_set[-1].add((word.text, word.field, word.quoted, word.doc_no))
        return real_leaf(self, word)

    monkeypatch.setattr(search_mod.Searcher, "_matching", matching)
    monkeypatch.setattr(search_mod.Searcher, "leaf", leaf)
    for path in ("/api/search?q=", "/?q="):
        words_per_set.clear()
        response = client.get(path + quote(q))
        assert response.status_code in (200, 400), response.status_code
        assert len(words_per_set) <= 2 + 1 + suggest.MAX_DROP_TRIES
        assert max(map(len, words_per_set), default=0) <= MAX_TERMS, (q[:40], words_per_set)
    response = client.get("/api/search?q=" + quote(q))
    data = response.get_json()
    if warning == "400":
        assert response.status_code == 400 and "检索词过长" in data["error"]
    elif warning:
        assert any(warning in w for w in data["warnings"]), data["warnings"]


def test_many_words_with_no_result_try_few_suggestions(home, monkeypatch):
    """The 'did you mean' search is bounded: 32 words matching nothing used to
    try ~1000 candidate queries (seconds on a small archive)."""
    from archive import suggest

    service = SearchService(home)
    probes = []
    real_count = search_mod.Searcher.search_count
    monkeypatch.setattr(search_mod.Searcher, "search_count",
                        lambda self, request: probes.append(request.q) or real_count(self, request))
    result = service.search(SearchRequest(q=" ".join(f"无此词{i}" for i in range(40))))
    assert result.total == 0 and result.suggestion is None
    assert probes == []                            # over SUGGEST_MAX_WORDS: not tried
    result = service.search(SearchRequest(q=" ".join(f"无此词{i}" for i in range(8))))
    assert result.total == 0
    assert 0 < len(probes) <= 1 + suggest.MAX_DROP_TRIES


# -------------------------------------------------------------- time limit --

def test_search_deadline_is_enforced(home, monkeypatch):
    """Cooperative: checked after each query word, so a slow search stops
    close to SEARCH_TIME_LIMIT instead of running to its end."""
    service = SearchService(home)
    searcher = service.searcher()
    real_leaf = type(searcher).leaf
    clock = [1000.0]                 # a fake clock: each word "takes" 0.2 s
    calls = []

    def slow_leaf(self, word):
        clock[0] += 0.2
        calls.append(word)
        return real_leaf(self, word)

    monkeypatch.setattr(type(searcher), "leaf", slow_leaf)
    for module in (searcher_mod, request_mod):      # the deadline is set and checked
        monkeypatch.setattr(module, "time", SimpleNamespace(perf_counter=lambda: clock[0]))
        monkeypatch.setattr(module, "SEARCH_TIME_LIMIT", 0.5)
    with pytest.raises(SearchTimeout) as caught:
        service.search(SearchRequest(q=" ".join(f"词{i}" for i in range(20))))
    assert len(calls) == 3                          # 0.6 s > 0.5 s: not all 20 words
    assert "0.5" in str(caught.value)
    monkeypatch.setattr(searcher_mod, "time", time)
    monkeypatch.setattr(request_mod, "time", time)
    # the next search on the same thread has a fresh deadline
    monkeypatch.setattr(type(searcher), "leaf", real_leaf)
    assert service.search(SearchRequest(q="安全")).total > 0


def test_timeout_maps_to_503_with_a_message(client, monkeypatch):
    monkeypatch.setattr(searcher_mod, "SEARCH_TIME_LIMIT", -1.0)
    response = client.get("/?q=" + quote("安全"))
    assert response.status_code == 503
    assert "检索用时过长" in response.get_data(as_text=True)
    assert_headers(response)
    response = client.get("/api/search?q=" + quote("安全"))
    assert response.status_code == 503 and response.mimetype == "application/json"
    assert "longer than" in response.get_json()["error"]
    monkeypatch.setattr(searcher_mod, "SEARCH_TIME_LIMIT", 10.0)
    assert client.get("/api/search?q=" + quote("安全")).status_code == 200


def test_suggestion_timeout_does_not_fail_the_search(home, monkeypatch):
    service = SearchService(home)
    searcher = service.searcher()

    def slow_suggest(self, parsed, request, total):
        search_mod._deadline.at = 0.0          # as if the clock ran out meanwhile
        search_mod._check_deadline()

    monkeypatch.setattr(type(searcher), "suggest", slow_suggest)
    result = service.search(SearchRequest(q="绝无此词甲乙丙丁"))
    assert result.total == 0 and result.suggestion is None


# ------------------------------------------------------------- concurrency --

def test_whoosh_is_only_used_under_its_lock(home, ids):
    """Whoosh reads with a shared seek()+read(): web threads sharing one
    searcher got 'Block tag error' / unpickling errors (500s) under load."""
    service = SearchService(home)
    searcher = service.searcher()
    real = searcher.whoosh

    class Guard:
        def __getattr__(self, name):
            assert searcher.whoosh_lock._is_owned(), f"whoosh.{name} used without the lock"
            return getattr(real, name)

    searcher.whoosh = Guard()
    try:
        service.search(SearchRequest(q="安全 通知"))
        service.search(SearchRequest(q="安全", page=2, size=5))
        service.search(SearchRequest(q="绝无此词甲乙丙丁 安全"))      # suggestion
        service.related(ids["hostile"])
        service.related(ids["page"])
    finally:
        searcher.whoosh = real


def test_concurrent_searches_and_document_pages(app, ids):
    import threading
    errors: list[str] = []
    queries = ["安全", "通知 会议", "人民政府", "防汛", "教育", "标题:通知", "alert", "医疗"]

    def work(n):
        client = app.test_client()
        for i in range(12):
            for path in (f"/?q={quote(queries[(i + n) % len(queries)])}&page={1 + i % 2}",
                         f"/doc/{ids['page'] if i % 2 else ids['hostile']}",
                         f"/api/search?q={quote(queries[(i * 3 + n) % len(queries)])}"):
                status = client.get(path).status_code
                if status != 200:
                    errors.append(f"{status} {path}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:5]


# --------------------------------------------- hostile requests (issue 12) --

def _json(response) -> dict:
    assert response.mimetype == "application/json", response.mimetype
    return response.get_json()


@pytest.mark.parametrize("host", ["xn--55.gov.cn", "a" * 64 + ".gov.cn", "政务..cn",
                                  "intranet\x01", "xn--zzzzzzzzz"])
def test_malformed_host_is_a_400_not_a_500(app, host):
    """Through the WSGI interface as a server passes it (the test client
    itself cannot build a request with such a Host)."""
    from werkzeug.test import EnvironBuilder, run_wsgi_app
    from werkzeug.wrappers import Response
    for path in ("/", "/api/search?q=x", "/doc/1", "/status"):
        environ = EnvironBuilder(path=path).get_environ()
        environ["HTTP_HOST"] = host
        response = Response(*run_wsgi_app(app, environ, buffered=True))
        assert response.status_code == 400, (host, path)
        assert json.loads(response.get_data()) == {"error": "invalid Host header", "status": 400}
        assert_headers(response)


@pytest.fixture(scope="module")
def odd_names(tmp_path_factory):
    """A home whose originals have names a browser must never take at their word."""
    src = tmp_path_factory.mktemp("odd-src")
    names = {"crlf": "通知\r\nSet-Cookie: owned=1.jsonl", "script": "app.js",
             "page": "page.html"}
    for n, (key, name) in enumerate(names.items()):
        line = {"title": f"奇怪文件名的公告{key}", "body": f"第{n}份正文。", "index_no": f"ODD-{n}"}
        (src / name).write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    home = tmp_path_factory.mktemp("odd-home")
    assert jobs.ingest(home, [src]).outcome == "ok"
    app = create_app(home)
    service = SearchService(home)
    ids = {key: service.searcher().find_ids(f"奇怪文件名的公告{key}")[0] for key in names}
    return app.test_client(), ids, str(src), str(home)


@pytest.mark.parametrize("key", ["crlf", "script", "page"])
def test_originals_are_opaque_attachments_whatever_their_name(odd_names, key):
    client, ids, _, _ = odd_names
    response = client.get(f"/doc/{ids[key]}/original")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/octet-stream"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert "\r" not in disposition and "\n" not in disposition
    assert "Set-Cookie" not in response.headers
    assert response.get_data().startswith(b'{"title"')


def test_server_paths_are_not_shown_to_visitors(odd_names):
    client, ids, src, home = odd_names
    for path in ("/status", f"/api/doc/{ids['page']}", f"/doc/{ids['page']}", "/healthz"):
        body = client.get(path).get_data(as_text=True)
        assert src not in body and home not in body, path
    data = _json(client.get(f"/api/doc/{ids['page']}"))
    assert data["source_path"] == "page.html"
    assert data["sources"] == [{"path": "page.html", "line": 1}]


def test_request_budget_turns_a_slow_request_into_a_503(app, client):
    budget = app.extensions["archive.budget"]
    before = budget.seconds
    budget.seconds = 1e-9                       # every search is already late
    try:
        response = client.get("/api/search?q=" + quote("安全 通知 防汛"))
        page = client.get("/?q=" + quote("安全 通知"))
    finally:
        budget.seconds = before
    assert response.status_code == 503 and "stopped" in _json(response)["error"]
    assert page.status_code == 503 and "检索用时过长" in page.get_data(as_text=True)
    assert client.get("/api/search?q=" + quote("安全")).status_code == 200


def test_stalled_requests_are_seen_by_the_watchdog():
    import threading
    from web.budget import RequestBudget
    release = threading.Event()

    def stuck(environ, start_response):          # code that never checks a deadline
        release.wait(10)
        start_response("200 OK", [])
        return [b""]

    budget = RequestBudget(stuck)
    worker = threading.Thread(target=budget, args=({"PATH_INFO": "/slow"}, lambda *a: None))
    worker.start()
    try:
        deadline = time.monotonic() + 5
        while not budget.stalled(0.05) and time.monotonic() < deadline:
            time.sleep(0.02)
        [(seconds, path)] = budget.stalled(0.05)
        assert path == "/slow" and seconds > 0.05
    finally:
        release.set()
        worker.join()
    assert budget.stalled(0) == []


def test_related_uses_a_bounded_prefix_and_a_cache(home, ids, monkeypatch):
    service = SearchService(home)
    searcher = service.searcher()
    seen = []
    real = type(searcher).related
    monkeypatch.setattr(type(searcher), "related",
                        lambda self, doc_id, text, limit=5: seen.append(text)
                        or real(self, doc_id, text, limit))
    monkeypatch.setattr(service_mod, "RELATED_PREFIX_CHARS", 7)
    first = service.related(ids["page"])
    again = service.related(ids["page"])
    assert [h.id for h in first] == [h.id for h in again]
    [text] = seen                                 # the second came from the cache
    title, body = text.split("\n", 1)
    assert title == "页面脚本测试的通知" and len(body) == 7
