"""Hostile files: one folder of bad, strange and malicious files beside a few
good ones, ingested once.  Each file is either ingested sensibly or rejected
with a per-file reason; the run goes on (exit code 3); nothing already stored
is touched; and after everything (a second hostile ingest, fuzzed searches, a
full reindex) the archive still holds exactly the same records.

The 200 MB files are `slow` (run with -m slow; about a minute each on the
2-core machine) and check the peak memory of the ingesting process.
"""
from __future__ import annotations

import gzip
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from archive import jobs
from archive.search import QueryError, SearchRequest, SearchService
from archive.sources import parse_bytes
from archive.store import Archive

SAMPLE = Path(__file__).resolve().parents[1] / "sample"
ARCHIVE_CMD = [sys.executable, "-c", "from archive.cli import main; main()"]

XSS_TITLE = "恶意脚本公告的通知"
PAGE = """<html><head><meta charset="{charset}"><title>{title}</title></head><body>
<div class="content"><h1>{title}</h1><p>发布日期：2024-03-01</p>
<p>各乡镇人民政府：为做好{topic}工作，现将有关事项通知如下。一要抓好种子化肥供应。二要做好农机检修。</p>
</div></body></html>"""


def _sample_lines() -> list[str]:
    return (SAMPLE / "export" / "bulletins.jsonl").read_text(encoding="utf-8").splitlines()


def make_hostile_folder(folder: Path) -> dict[str, str]:
    """Write the hostile files (and three good ones); return name -> what it is."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = _sample_lines()
    what = {}

    def put(name, data: bytes, description: str):
        (folder / name).write_bytes(data)
        what[name] = description

    put("good-page.txt", (SAMPLE / "pages" / "qs_gov_2024_036.txt").read_bytes(), "good")
    put("good-portal.html", (SAMPLE / "html" / "qs_yibao_2025_003.html").read_bytes(), "good")
    put("good-export.jsonl", (SAMPLE / "export" / "bulletins.jsonl").read_bytes(), "good")
    put("random.bin", random.Random(7).randbytes(20_000), "random bytes")
    put("random-text.txt", bytes(random.Random(8).choice(range(32, 127)) for _ in range(5000)),
        "random printable ASCII")
    put("zero.html", b"", "zero bytes")
    put("blank.txt", b" \n\t\r\n", "whitespace only")
    put("nested.html", b"<html><body>" + b"<div>" * 100_000 + "深层嵌套正文".encode()
        + b"</div>" * 100_000 + b"</body></html>", "100k nested divs")
    put("scripts.html", f"""<html><head><meta charset="utf-8"><title>{XSS_TITLE}</title>
<script>document.cookie</script><script src="https://evil.example/x.js"></script>
<style>body{{display:none}}</style></head><body onload="alert('onload')">
<div class="content"><h1>{XSS_TITLE}</h1><p>发布日期：2024-05-06</p>
<p onclick="alert(2)">正文第一段，关于加强网络安全管理。<script>alert('inline')</script></p>
<iframe src="javascript:alert(3)"></iframe><object data="x.swf"></object>
<p><a href="javascript:alert(4)">点击这里</a>查看附件说明。<img src=x onerror="alert(5)"></p>
<svg onload="alert(6)"><script>alert(7)</script></svg>
<p>第二段正文内容，要求各单位认真落实。</p></div></body></html>""".encode(), "scripts etc.")
    put("gbk-labelled-utf8.html",
        PAGE.format(charset="utf-8", title="关于做好春耕生产工作的通知", topic="春耕").encode("gbk"),
        "GBK bytes declared UTF-8")
    put("utf8-labelled-gbk.html",
        PAGE.format(charset="gbk", title="关于做好秋收生产工作的通知", topic="秋收").encode("utf-8"),
        "UTF-8 bytes declared GBK")
    page = (SAMPLE / "pages" / "qs_renda_2024_009.txt").read_bytes().replace(b"QS", b"TR")
    cut = page[:-1]
    while True:                             # end in the middle of a character
        try:
            cut.decode("utf-8")
            cut = cut[:-1]
        except UnicodeDecodeError:
            break
    put("truncated-utf8.txt", cut, "UTF-8 cut inside a character")
    broken = [lines[0].replace("QS001", "BR001"), '{"title": "unterminated',
              "not json at all", lines[1].replace("QS00", "BR00"), "[1, 2, 3]",
              '{"foo": "no title, no body"}', "\x00\x01\x02", '{"title": ' + "[" * 50_000,
              lines[4].replace("QS00", "BR00")]
    put("broken-lines.jsonl", ("\n".join(broken) + "\n").encode("utf-8"), "bad lines 2,3,5,6,7,8")
    original = json.loads(lines[2])
    rival = dict(original, title=original["title"] + "（另一版本）",
                 body=original["body"] + "\n此段为冲突的不同内容。")
    put("z-duplicate-index-no.jsonl", (json.dumps(rival, ensure_ascii=False) + "\n").encode(),
        "索引号 of good-export line 3, other content")
    dates = dict(json.loads(lines[3]), index_no="BD-2025-00001", issued="2025-13-45",
                 published="2025-02-30")
    put("impossible-dates.jsonl", (json.dumps(dates, ensure_ascii=False) + "\n").encode(),
        "2025-13-45")
    long_title = dict(json.loads(lines[5]), index_no="LT-2025-00001", title="长" * 100_000)
    put("long-title.jsonl", (json.dumps(long_title, ensure_ascii=False) + "\n").encode(),
        "100,000-character title")
    huge_body = {"title": "巨大正文", "index_no": "HB-1", "body": "字" * 2_500_000}
    put("huge-body.jsonl", (json.dumps(huge_body, ensure_ascii=False) + "\n").encode(),
        "2.5M-character body")
    bomb = gzip.compress(b'{"title": "' + b"0" * (40 << 20), compresslevel=9)
    put("bomb.jsonl.gz", bomb, "gzip of 40 MB without a newline")
    whole = gzip.compress(("\n".join(lines) + "\n").encode())
    put("corrupt.jsonl.gz", whole[:len(whole) * 2 // 3], "truncated gzip")
    put("fake.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 20, "binary")
    put("utf16.html", PAGE.format(charset="utf-16", title="宽字符编码的通知", topic="宽字符")
        .encode("utf-16"), "UTF-16 with BOM")
    os.mkfifo(folder / "a-named-pipe")      # must be skipped, not read (it would block)
    (folder / ".hidden.jsonl").write_text("garbage", encoding="utf-8")
    return what


BAD_FILES = ["random.bin", "random-text.txt", "zero.html", "blank.txt", "nested.html",
             "huge-body.jsonl", "bomb.jsonl.gz", "corrupt.jsonl.gz", "fake.pdf"]


# ------------------------------------------------------------------ fixtures --

@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile") / "inbox"
    make_hostile_folder(folder)
    return folder


@pytest.fixture(scope="module")
def ingested(tmp_path_factory, hostile_dir):
    """A home holding the sample, then the hostile folder ingested once."""
    home = tmp_path_factory.mktemp("hostile-home")
    first = jobs.ingest(home, [SAMPLE])
    assert first.outcome == "ok", first.to_json()
    archive = Archive(home, readonly=True)
    before = {"counts": archive.counts(), "fingerprint": archive.content_fingerprint()}
    archive.close()
    report = jobs.ingest(home, [hostile_dir])
    return home, before, report


def _failures(report) -> dict[str, str]:
    return {Path(f["path"]).name: f["reason"] for f in report.failures if f["path"]}


def _warnings(report, name) -> list[str]:
    return [w["message"] for w in report.warnings if w["path"] and Path(w["path"]).name == name]


def _docs_from(home, name) -> list[dict]:
    """The bulletins file `name` holds: its own, and those it duplicates."""
    archive = Archive(home, readonly=True)
    rows = archive.db.execute(
        "SELECT d.id, d.status, v.record FROM docs d JOIN versions v ON v.id = d.current_vid"
        " JOIN files f ON f.id = d.file_id WHERE f.path LIKE ?1 UNION"
        " SELECT d.id, d.status, v.record FROM doc_sources s JOIN docs d ON d.id = s.doc_id"
        " JOIN versions v ON v.id = d.current_vid JOIN files f ON f.id = s.file_id"
        " WHERE f.path LIKE ?1", (f"%/{name}",)).fetchall()
    return [dict(json.loads(r["record"]), id=r["id"], status=r["status"]) for r in rows]


# -------------------------------------------------------------------- tests --

def test_run_goes_on_and_names_each_bad_file(ingested, hostile_dir):
    _, _, report = ingested
    assert report.outcome == "partial" and report.exit_code == jobs.EXIT_PARTIAL
    failures = _failures(report)
    assert set(failures) == set(BAD_FILES), failures
    assert all(reason.strip() for reason in failures.values())
    assert "binary" in failures["random.bin"] and "binary" in failures["fake.pdf"]
    assert failures["zero.html"] == failures["blank.txt"] == "empty file"
    assert "unrecognised" in failures["random-text.txt"]
    assert "body too long" in failures["huge-body.jsonl"]
    assert "too long" in failures["bomb.jsonl.gz"]
    assert "ended before the end-of-stream" in failures["corrupt.jsonl.gz"]
    visible = [p for p in hostile_dir.iterdir() if p.is_file() and not p.name.startswith(".")]
    assert report.files == len(visible) == 21     # not the pipe, not the hidden file


def test_good_files_are_ingested(ingested):
    """The good files are copies of sample files: same 索引号, same content,
    so they are duplicates — one bulletin each, the copy among its sources."""
    home, before, report = ingested
    assert len(_docs_from(home, "good-page.txt")) == len(_docs_from(home, "good-portal.html")) == 1
    assert len(_docs_from(home, "good-export.jsonl")) == len(_sample_lines())
    assert report.duplicates == len(_sample_lines()) + 2


def test_nothing_stored_before_is_touched(ingested):
    home, before, _ = ingested
    after = Archive(home, readonly=True).content_fingerprint()
    assert {k: after[k] for k in before["fingerprint"]} == before["fingerprint"]


def test_scripts_are_stripped_from_stored_text(ingested):
    home, _, _ = ingested
    [doc] = _docs_from(home, "scripts.html")
    assert doc["title"] == XSS_TITLE
    text = json.dumps(doc, ensure_ascii=False).lower()
    for needle in ("<script", "alert(", "onload", "onclick", "onerror", "iframe", "javascript:",
                   "<a ", "<svg", "cookie", "display:none", "evil.example"):
        assert needle not in text, needle
    assert "正文第一段" in doc["body"] and "第二段正文内容" in doc["body"]


def test_mislabelled_encodings_are_read_right(ingested):
    home, _, _ = ingested
    [gbk] = _docs_from(home, "gbk-labelled-utf8.html")
    [utf] = _docs_from(home, "utf8-labelled-gbk.html")
    [wide] = _docs_from(home, "utf16.html")
    assert gbk["title"] == "关于做好春耕生产工作的通知" and "春耕" in gbk["body"]
    assert utf["title"] == "关于做好秋收生产工作的通知" and "秋收" in utf["body"]
    assert wide["title"] == "宽字符编码的通知"
    for doc in (gbk, utf, wide):
        assert "\ufffd" not in doc["title"] + doc["body"]


def test_truncated_utf8_keeps_what_is_there(ingested):
    home, _, _ = ingested
    [doc] = _docs_from(home, "truncated-utf8.txt")
    assert doc["index_no"].startswith("TR") and doc["title"]
    page = (SAMPLE / "pages" / "qs_renda_2024_009.txt").read_bytes().replace(b"QS", b"TR")
    [whole] = parse_bytes("whole.txt", page).records
    # everything up to the cut character, which becomes one U+FFFD
    assert doc["body"].endswith("\ufffd")
    assert whole.body.startswith(doc["body"][:-1]) and len(doc["body"]) > len(whole.body) - 5


def test_broken_jsonl_lines_are_reported_by_number(ingested):
    home, _, report = ingested
    docs = _docs_from(home, "broken-lines.jsonl")
    assert sorted(d["source_line"] for d in docs) == [1, 4, 9]
    messages = _warnings(report, "broken-lines.jsonl")
    for n in (2, 3, 5, 6, 7, 8):
        assert any(m.startswith(f"line {n}:") for m in messages), (n, messages)
    assert report.records_failed >= 6


def test_duplicate_index_no_keeps_both_and_reports(ingested):
    home, _, report = ingested
    index_no = json.loads(_sample_lines()[2])["index_no"]
    messages = _warnings(report, "z-duplicate-index-no.jsonl")
    assert any(index_no in m and "both are kept" in m for m in messages), messages
    archive = Archive(home, readonly=True)
    ids = [r[0] for r in archive.db.execute(
        "SELECT id FROM docs WHERE index_no=? AND status='active'", (index_no,))]
    assert len(ids) == 2        # the sample's (the good export's copy is its duplicate), the rival
    titles = {archive.get(i).record.title for i in ids}
    assert len(titles) == 2
    sources = [Path(s["path"]).name for i in ids for s in archive.get(i).as_json()["sources"]]
    assert sorted(sources) == ["bulletins.jsonl", "good-export.jsonl",
                               "z-duplicate-index-no.jsonl"]
    found = SearchService(home).searcher().find_ids(f"索引号:{index_no}")
    assert sorted(found) == sorted(ids)


def test_impossible_dates_are_null_and_raw_is_kept(ingested):
    home, _, _ = ingested
    [doc] = _docs_from(home, "impossible-dates.jsonl")
    assert doc["issued"] is None and doc["published"] is None
    assert doc["raw"]["issued"] == "2025-13-45" and doc["raw"]["published"] == "2025-02-30"


def test_long_title_is_cut_reported_and_searchable(ingested):
    home, _, report = ingested
    [doc] = _docs_from(home, "long-title.jsonl")
    assert doc["title"] == "长" * 1000
    assert _warnings(report, "long-title.jsonl") == [
        "line 1: 标题 (title) cut to 1000 characters (was 100000)",
        "line 1: source value 'title' (raw) cut to 10000 characters"]
    service = SearchService(home)
    result = service.search(SearchRequest(q="索引号:LT-2025-00001"))
    assert result.total == 1


def test_cli_ingest_exit_code_and_reasons(tmp_path, hostile_dir):
    """The same folder through the `archive` command: exit 3, each bad file
    named with its reason, the good ones in."""
    home = tmp_path / "home"
    run = subprocess.run(ARCHIVE_CMD + ["--home", str(home), "ingest", "--json",
                                        str(hostile_dir)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 3, run.stderr[-2000:]
    report = json.loads(run.stdout)
    failed = {Path(f["path"]).name: f["reason"] for f in report["failures"] if f["path"]}
    assert set(failed) == set(BAD_FILES)
    assert report["added"] >= 20
    human = subprocess.run(ARCHIVE_CMD + ["--home", str(home), "ingest", str(hostile_dir)],
                           capture_output=True, text=True, timeout=600)
    assert human.returncode == 3
    for name in BAD_FILES:          # every bad file named, with a reason, on stderr
        line = next((l for l in human.stderr.splitlines() if name in l), "")
        assert line and failed[name][:30] in line, (name, human.stderr[-3000:])


def test_nothing_lost_after_hostile_ingest_fuzzed_searches_and_reindex(ingested, hostile_dir):
    """Record count and every record's content hash are the same after a
    second hostile ingest, a few hundred random searches and a full reindex;
    the index then holds exactly the archive's active bulletins."""
    home, _, _ = ingested
    archive = Archive(home, readonly=True)
    counts, fingerprint = archive.counts(), archive.content_fingerprint()
    archive.close()

    again = jobs.ingest(home, [hostile_dir])             # the same hostile files again
    assert again.added == again.updated == again.withdrawn == 0, again.to_json()
    assert again.exit_code == jobs.EXIT_PARTIAL

    rng = random.Random(11)
    bits = ["OR", "NOT", "-", "(", ")", '"', "标题:", "日期:2025-13-45", "*", "机关:", "〔2024〕",
            "安全", "通知", "长", "<script>", "\x00", "::", "[", "]", "政府"]
    service = SearchService(home)
    for _ in range(300):
        q = " ".join(rng.choice(bits) for _ in range(rng.randint(0, 12)))
        try:
            service.search(SearchRequest(q=q, page=rng.randint(1, 3),
                                         sort=rng.choice(["relevance", "date", "-date"])))
        except QueryError:
            pass

    rebuilt = jobs.reindex(home, [], full=True)
    assert rebuilt.outcome == "ok", rebuilt.to_json()

    archive = Archive(home, readonly=True)
    after_counts = archive.counts()
    for key in ("documents", "withdrawn", "versions"):
        assert after_counts[key] == counts[key], (key, after_counts, counts)
    assert archive.content_fingerprint() == fingerprint
    fresh = SearchService(home)
    assert fresh.searcher().doc_count == after_counts["documents"] + after_counts["withdrawn"]
    assert fresh.search(SearchRequest(q="", size=1)).total == after_counts["documents"]


def test_pages_beyond_the_html_parser_limits_say_so():
    """Item 8: a page nested past libxml2's depth limit, or with one text node
    over its size limit, fails with that reason (it used to be stored with
    an empty body, without a word); a page within the limits is read."""
    def page(inner: bytes) -> bytes:
        return b"<html><head><title>\xe5\xb1\x82</title></head><body>" + inner + b"</body></html>"

    deep = page(b"<section>" * 400 + "第四百层的正文".encode() + b"</section>" * 400)
    huge = page(b"<pre>" + "长".encode() * 3_700_000 + b"</pre>")
    fine = page(b"<section>" * 200 + "第二百层的正文".encode() + b"</section>" * 200)
    assert parse_bytes("deep.html", deep).errors == [
        "page nested too deeply: over 256 levels of elements"]
    refused = parse_bytes("huge.html", huge)         # not stored with an empty body
    assert refused.records == [] and len(refused.errors) == 1
    [record] = parse_bytes("fine.html", fine).records
    assert record.body == "第二百层的正文"


# -------------------------------------------------------------- 200 MB files --

def _peak_rss_of(cmd) -> tuple[subprocess.CompletedProcess, int]:
    """Run `cmd`; its peak resident memory in bytes (measured in a wrapper
    process, so earlier children of the test run do not count)."""
    wrapper = ("import resource, subprocess, sys, json\n"
               "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
               "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024\n"
               "print(json.dumps({'rc': p.returncode, 'out': p.stdout, 'err': p.stderr[-4000:],"
               " 'rss': rss}))\n")
    run = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True,
                         timeout=1200)
    data = json.loads(run.stdout)
    return subprocess.CompletedProcess(cmd, data["rc"], data["out"], data["err"]), data["rss"]


@pytest.mark.slow
def test_200mb_jsonl_of_junk_with_a_few_good_records(tmp_path):
    """Ingested sensibly: the good records in, every bad line reported by
    number, memory bounded (a few times the file, not a blow-up)."""
    folder = tmp_path / "big"
    folder.mkdir()
    good = [l.replace("QS0", "BIG") for l in _sample_lines()[:3]]
    junk = ('{"title": "unterminated ' + "x" * 1000 + "\n").encode()
    size = 200 * 1024 * 1024
    with open(folder / "export.jsonl", "wb") as out:
        out.write(("\n".join(good) + "\n").encode())
        for _ in range(size // len(junk)):
            out.write(junk)
    (folder / "also-good.txt").write_bytes((SAMPLE / "pages" / "qs_gov_2024_036.txt").read_bytes())
    assert (folder / "export.jsonl").stat().st_size >= size
    run, rss = _peak_rss_of(ARCHIVE_CMD + ["--home", str(tmp_path / "home"), "ingest",
                                           "--json", str(folder)])
    assert run.returncode == 3, run.stderr
    report = json.loads(run.stdout)
    assert report["added"] == 4 and report["failed"] == 0
    assert report["records_failed"] == size // len(junk)
    assert rss < 1.5 * 1024 ** 3, f"peak RSS {rss / 2**20:.0f} MiB"


@pytest.mark.slow
def test_200mb_single_line_is_refused_without_blowing_memory(tmp_path):
    """One 200 MB JSON line (a 'bulletin' of 200 MB): refused with a reason;
    parsing and indexing it would take gigabytes."""
    folder = tmp_path / "big"
    folder.mkdir()
    with open(folder / "one-line.jsonl", "wb") as out:
        out.write(b'{"title": "huge", "body": "')
        chunk = "正文".encode() * (1 << 19)
        for _ in range(200 * 1024 * 1024 // len(chunk)):
            out.write(chunk)
        out.write(b'"}\n')
        out.write(_sample_lines()[0].encode() + b"\n")
    run, rss = _peak_rss_of(ARCHIVE_CMD + ["--home", str(tmp_path / "home"), "ingest",
                                           "--json", str(folder)])
    assert run.returncode == 3, run.stderr
    report = json.loads(run.stdout)
    assert report["added"] == 1
    assert any("line 1: line too long" in w["message"] for w in report["warnings"])
    assert rss < 1.2 * 1024 ** 3, f"peak RSS {rss / 2**20:.0f} MiB"
