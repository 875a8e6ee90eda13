"""The per-request budget covers the whole request (issue 12, item 1 and 6):
document pages (highlighting a long body, cited 文号 links, revisions,
related documents), /api/doc, /api/facets and the exports, not only the
search.  Inputs are this file's own: a 60,000-character body of 2,400
paragraphs, each naming a word and a 文号, in two versions.  Behaviour is
asserted (statuses, what is marked, what is compared), never wall-clock.
"""
from __future__ import annotations

import json
from urllib.parse import quote

import pytest

import archive.service as service_mod
import web.links as links_mod
from archive import jobs
from archive.errors import RequestTimeout
from archive.query import parse
from archive.search import SearchService
from archive.versions_diff import word_changes
from web import create_app

PARAGRAPHS = 2400
WORD = "巡河巡湖"


def long_body(edit: str = "") -> str:
    lines = [f"第{n}段：{WORD}责任落实情况，依照临江政发〔2023〕7号执行。" for n in range(PARAGRAPHS)]
    if edit:
        lines[1200] = edit
    return "\n".join(lines)


def write(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                    encoding="utf-8")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    root = tmp_path_factory.mktemp("budget")
    src, home = root / "src", root / "home"
    src.mkdir()
    cited = {"title": "临江市河长制实施办法", "doc_no": "临江政发〔2023〕7号",
             "issued": "2023-02-01", "body": "为全面推行河长制，制定本办法。"}
    big = {"title": "全市河湖长制工作台账汇编", "issued": "2024-06-30", "url": "http://x.invalid/1",
           "body": long_body()}
    write(src / "export.jsonl", [cited, big])
    jobs.ingest(home, [src])
    big["body"] = long_body("第1200段：本段在修订时改写，增加了新的考核要求。")
    write(src / "export.jsonl", [cited, big])
    jobs.ingest(home, [src])
    return home


@pytest.fixture(scope="module")
def big_id(home):
    return SearchService(home).searcher().find_ids('"全市河湖长制工作台账汇编"')[0]


@pytest.fixture(scope="module")
def app(home):
    return create_app(home)


@pytest.fixture()
def client(app):
    return app.test_client()


def page(client, doc_id, q=""):
    response = client.get(f"/doc/{doc_id}" + (f"?q={quote(q)}" if q else ""))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def body_of(html: str) -> str:
    return html.split('<div class="doc-body">', 1)[1].split("</div>", 1)[0]


def test_only_the_opening_of_a_long_body_is_marked_and_linked(client, big_id, monkeypatch):
    hostile_q = " ".join([WORD] * 60)                  # one word, over and over
    whole = body_of(page(client, big_id, hostile_q))
    kept = PARAGRAPHS - 1                              # paragraph 1200 was rewritten
    assert (whole.count("<mark>"), whole.count('class="cite-link"')) == (kept, kept)
    assert "正文较长" not in whole
    monkeypatch.setattr(links_mod, "HIGHLIGHT_BODY_CHARS", 1000)
    cut = body_of(page(client, big_id, hostile_q))
    marks, cites = cut.count("<mark>"), cut.count('class="cite-link"')
    assert 0 < marks < 50 and 0 < cites < 50           # ~33 paragraphs fit in 1,000 characters
    assert "正文较长" in cut and "1,000" in cut
    assert cut.count("<p>") == whole.count("<p>") == PARAGRAPHS   # every paragraph still shown
    assert "第2399段" in cut


def test_highlight_terms_are_capped(home, monkeypatch):
    service = SearchService(home)
    q = " ".join(f"{c}{d}" for c in "东南西北中" for d in "春夏秋冬")   # 20 distinct words
    assert len(service.terms(q)) == 16                 # the query's own cap on distinct words
    monkeypatch.setattr(service_mod, "MAX_HIGHLIGHT_TERMS", 5)
    assert service.terms(q) == service.searcher().highlight_terms(parse(q))[:5]


@pytest.mark.parametrize("path, as_json", [
    ("/doc/{id}", False), ("/doc/{id}?q=" + quote(WORD * 30), False),
    ("/api/doc/{id}", True), ("/api/facets?q=" + quote(WORD), True),
    ("/export.csv?q=" + quote(WORD), False), ("/export.jsonl?q=" + quote(WORD), True)])
def test_every_route_answers_503_when_the_budget_is_spent(app, client, big_id, path, as_json):
    budget = app.extensions["archive.budget"]
    before, budget.seconds = budget.seconds, 1e-9       # already late at the first check
    try:
        response = client.get(path.format(id=big_id))
    finally:
        budget.seconds = before
    assert response.status_code == 503
    if as_json:
        assert response.mimetype == "application/json"
        assert "stopped" in response.get_json()["error"]
    else:
        assert response.mimetype == "text/html"
        text = response.get_data(as_text=True)
        assert "用时过长" in text and "已停止" in text
    assert client.get(path.format(id=big_id)).status_code == 200   # the next one is served


def test_a_page_asked_for_as_json_gets_its_503_as_json(app, client, big_id):
    budget = app.extensions["archive.budget"]
    before, budget.seconds = budget.seconds, 1e-9
    try:
        response = client.get(f"/doc/{big_id}", headers={"Accept": "application/json"})
    finally:
        budget.seconds = before
    assert response.status_code == 503 and response.mimetype == "application/json"
    assert response.get_json()["status"] == 503


def test_an_export_stream_stops_at_its_own_limit(home, monkeypatch):
    """The records stream after the request's budget has ended: it keeps its
    own limit, checked at every chunk."""
    service = SearchService(home)
    monkeypatch.setattr(service_mod, "EXPORT_CHUNK", 1)
    clock = iter([0.0, 1.0, 500.0])                    # start, first chunk, second chunk
    monkeypatch.setattr(service_mod.time, "perf_counter", lambda: next(clock))
    monkeypatch.setattr(service_mod, "EXPORT_STREAM_SECONDS", 100.0)
    records = service._export_records([1, 2])
    assert next(records)["id"] == 1
    with pytest.raises(RequestTimeout, match="after 1 records"):
        next(records)


class CountingSegmenter:
    """Splits into characters and counts what it was asked to cut."""
    def __init__(self):
        self.chars = 0

    def cut(self, text):
        self.chars += len(text)
        return list(text)


def rebuilt(changes, side):
    return "".join(c["old"] if side == "old" else c["new"] for c in changes)


@pytest.mark.parametrize("case", ["two-edits", "rewritten", "repeated-lines"])
def test_revision_diff_of_long_bodies_is_bounded_and_exact(case):
    """Whatever the two versions, the changes rebuild both exactly, and
    words are compared only inside small changed blocks."""
    if case == "two-edits":
        old = long_body()
        new = long_body("第1200段：改写。").replace("第7段：", "第七段：")
    elif case == "rewritten":
        old, new = long_body(), long_body().replace(WORD, "河湖治理")
    else:                                              # thousands of identical paragraphs
        old, new = "\n".join(["。"] * 30000), "\n".join(["，"] * 30000)
    segmenter = CountingSegmenter()
    changes = word_changes(old, new, segmenter)
    assert (rebuilt(changes, "old"), rebuilt(changes, "new")) == (old, new)
    assert segmenter.chars <= 4 * 20_000              # MAX_DIFF_CHARS, both sides, a few blocks
    if case == "two-edits":
        changed = [c for c in changes if c["op"] != "equal"]
        assert len(changed) <= 4 and all(len(c["old"]) < 100 for c in changed)


def test_costly_searches_share_a_narrow_lane_and_ordinary_ones_never_wait(app, client):
    """While the lane's slot is taken, a costly search (long, or many words)
    gets a 503 saying the server is busy — JSON for the API, a page for the
    page — and an ordinary search is answered; once free, the costly one is."""
    from web.admission import Lane
    from web.context import LANE
    before = app.extensions[LANE]
    lane = app.extensions[LANE] = Lane(slots=1, wait=0.01)
    many_words = " ".join(f"{WORD[:2]}{n}" for n in range(12))
    long_word = WORD * 20
    assert lane.slots.acquire(timeout=1)             # another costly search is running
    try:
        api = client.get("/api/search?q=" + quote(many_words))
        facets = client.get("/api/facets?q=" + quote(long_word))
        page = client.get("/?q=" + quote(long_word))
        export = client.get("/export.csv?q=" + quote(many_words))
        ordinary = client.get("/api/search?q=" + quote(WORD))
    finally:
        lane.slots.release()
        app.extensions[LANE] = before
    assert (api.status_code, facets.status_code, page.status_code, export.status_code) == \
        (503, 503, 503, 503)
    assert "busy" in api.get_json()["error"] and "busy" in facets.get_json()["error"]
    assert "服务器正忙" in page.get_data(as_text=True) and page.mimetype == "text/html"
    assert ordinary.status_code == 200 and ordinary.get_json()["total"] == 1
    assert client.get("/api/search?q=" + quote(many_words)).status_code == 200


def test_the_lane_is_shared_by_the_workers_of_one_server(tmp_path):
    """Two workers (two Lanes on one folder of slot files): while one runs a
    costly search the other's costly search is busy, its ordinary ones are
    not; a worker killed while holding the slot frees it (flock)."""
    import signal
    import subprocess
    import sys
    from web.admission import Busy, Lane
    first, second = Lane(wait=0.05, lock_dir=tmp_path), Lane(wait=0.05, lock_dir=tmp_path)
    costly_q = WORD * 20
    with first.admit(costly_q):
        with pytest.raises(Busy):
            with second.admit(costly_q):
                pass
        with second.admit(WORD):
            pass
    with second.admit(costly_q):
        pass
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(tmp_path / 'slot-0.lock')!r}, os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)\n")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(Busy):
            with first.admit(costly_q):
                pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
    with first.admit(costly_q):
        pass


def test_a_page_shows_a_bounded_part_of_a_long_body_and_says_so(client, big_id, monkeypatch):
    monkeypatch.setattr(links_mod, "SHOWN_BODY_CHARS", 3000)
    body = body_of(page(client, big_id))
    assert "第0段" in body and "第2399段" not in body
    assert 0 < body.count("<p>") < 150
    assert f"正文共 {len(long_body('第1200段：本段在修订时改写，增加了新的考核要求。')):,} 字" in body
    assert "本页显示前 3,000 字" in body
    monkeypatch.undo()
    assert "本页显示前" not in body_of(page(client, big_id))
