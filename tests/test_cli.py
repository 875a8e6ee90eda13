"""The `archive` command: exit codes and JSON shapes."""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import main

SAMPLE = Path(__file__).resolve().parents[1] / "sample"
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")

HIT_KEYS = {"id", "index_no", "doc_no", "title", "issuer", "topic", "issued", "published",
            "issued_partial", "published_partial", "keywords", "score", "snippet", "group",
            "group_size"}
RESULT_KEYS = {"query", "total", "page", "page_size", "hits", "facets"}
RESULT_EXTRA = {"sort", "warnings", "suggestion", "suggestion_total", "partial",
                "partial_total", "took_ms"}
FULL_KEYS = (HIT_KEYS - {"score", "snippet", "group", "group_size"}) | {
    "body", "url", "source_path", "source_line", "ingested_at", "sha256"}
FULL_EXTRA = {"status", "versions", "sources", "issued_from", "attachments", "cites", "cited_by"}


def run(home, *args, input=None):
    return CliRunner().invoke(main, ["--home", str(home), *args], input=input,
                              catch_exceptions=False)


def run_json(home, *args):
    result = run(home, *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def garbage(path: Path) -> Path:
    path.write_bytes(b"\x00\x9f\x92\x96 binary \xff\xfe" * 40)
    return path


# -------------------------------------------------------------- exit codes --

def test_ingest_ok_is_0(tmp_path):
    result = run(tmp_path / "home", "ingest", str(SAMPLE / "pages"))
    assert result.exit_code == 0, result.output


def test_ingest_with_one_garbage_file_is_3(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(SAMPLE / "pages", src)
    garbage(src / "broken.txt")
    result = run(tmp_path / "home", "ingest", str(src))
    assert result.exit_code == 3, result.output
    assert "broken.txt" in result.output               # the summary names it
    # the good files are in
    assert run_json(tmp_path / "home", "search", "--json", "")["total"] > 0


def test_ingest_json_summary(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(SAMPLE / "pages", src)
    garbage(src / "broken.html")
    result = run(tmp_path / "home", "ingest", "--json", str(src))
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert data["failed"] == 1 and data["added"] > 0
    assert [f["path"] for f in data["failures"]] == [str((src / "broken.html").resolve())]


def test_ingest_only_garbage_is_1(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    garbage(src / "a.txt")
    garbage(src / "b.html")
    result = run(tmp_path / "home", "ingest", str(src))
    assert result.exit_code == 1, result.output


def test_search_without_index_is_1(tmp_path):
    for args in (("search", "人大"), ("search", "--json", "人大"), ("show", "1"),
                 ("export", "人大"), ("stats",)):
        result = run(tmp_path / "nothing", *args)
        assert result.exit_code == 1, (args, result.output)
        assert "error" in result.output


@pytest.mark.parametrize("args", [
    ("search", "--bogus"), ("search", "--page", "0", "x"), ("search", "--limit", "101", "x"),
    ("search", "--sort", "size", "x"), ("search", "--month", "13", "x"),
    ("search", "--from", "someday", "x"), ("search", "--month", "3", "x"),
    ("ingest",), ("ingest", "/no/such/path"), ("export", "--format", "xml"), ("show", "abc"),
    ("export", "--from", "someday", "x"),
    ("nosuchcommand",),
])
def test_usage_errors_are_2(sample_home, args):
    result = run(sample_home, *args)
    assert result.exit_code == 2, (args, result.output)


def test_show_unknown_id_is_1(sample_home):
    assert run(sample_home, "show", "999999").exit_code == 1


# --------------------------------------------------------------- JSON shapes --

def test_search_json_shape(sample_home):
    data = run_json(sample_home, "search", "--json", "青石县")
    assert RESULT_KEYS <= set(data) <= RESULT_KEYS | RESULT_EXTRA
    assert data["query"] == "青石县"
    assert data["page"] == 1 and data["page_size"] == 10
    assert data["total"] > 10 and len(data["hits"]) == 10
    assert {"issuer", "topic", "year"} <= set(data["facets"]) <= {"issuer", "topic", "year",
                                                                   "month", "missing", "distinct"}
    assert set(data["facets"]["missing"]) == {"issuer", "topic", "year"}
    assert set(data["facets"]["distinct"]) == {"issuer", "topic"}
    for name in ("issuer", "topic", "year"):
        assert data["facets"][name]
        for item in data["facets"][name]:
            assert set(item) == {"value", "count"} and item["count"] > 0
    for hit in data["hits"]:
        check_hit(hit)
        assert set(hit) == HIT_KEYS
        assert isinstance(hit["score"], (int, float)) and isinstance(hit["snippet"], str)


def check_hit(hit):
    assert isinstance(hit["id"], int)
    for key in ("issued", "published"):
        assert hit[key] is None or ISO.match(hit[key]), hit[key]
        assert hit[f"{key}_partial"] is None or re.fullmatch(r"\d{4}(-\d{2})?",
                                                              hit[f"{key}_partial"])
        assert hit[key] is None or hit[f"{key}_partial"] is None
    assert isinstance(hit["keywords"], list)
    assert all(isinstance(k, str) and k for k in hit["keywords"])
    if hit["doc_no"]:
        assert re.search(r"〔\d{4}〕", hit["doc_no"]), hit["doc_no"]
        assert not re.search(r"[\[【(（［﹝〖{]\d{4}", hit["doc_no"])


def test_one_date_contract_for_reduced_dates(tmp_path):
    """A source that gives only a year or a month: the record keeps the
    reduced ISO form (filters and facets use it), every public interface
    shows `issued`/`published` as YYYY-MM-DD or null and the reduced form
    in `*_partial` (README "JSON shapes")."""
    source = tmp_path / "dated.jsonl"
    source.write_text(json.dumps({"title": "只有年份的通知", "body": "正文", "成文日期": "2019",
                                  "发布日期": "2019年3月"}, ensure_ascii=False) + "\n",
                      encoding="utf-8")
    home = tmp_path / "home"
    assert run(home, "ingest", str(source)).exit_code == 0
    [hit] = run_json(home, "search", "--json", "只有年份")["hits"]
    check_hit(hit)
    expected = {"issued": None, "published": None, "issued_partial": "2019",
                "published_partial": "2019-03"}
    assert {k: hit[k] for k in expected} == expected
    shown = run_json(home, "show", "--json", str(hit["id"]))
    assert {k: shown[k] for k in expected} == expected
    [row] = csv.DictReader(io.StringIO(run(home, "export", "--format", "csv").stdout
                                       .lstrip("\ufeff")))
    assert {k: row[k] for k in expected} == {k: v or "" for k, v in expected.items()}
    assert run_json(home, "search", "--json", "--year", "2019", "--month", "3")["total"] == 0
    assert run_json(home, "search", "--json", "--year", "2019")["total"] == 1
    assert "发文时间: 2019" in run(home, "show", str(hit["id"])).stdout


def test_search_paging_and_all(sample_home):
    first = run_json(sample_home, "search", "--json", "--limit", "5", "青石县")
    second = run_json(sample_home, "search", "--json", "--limit", "5", "--page", "2", "青石县")
    everything = run_json(sample_home, "search", "--json", "--all", "青石县")
    assert len(everything["hits"]) == everything["total"] == first["total"] > 10
    ids = [h["id"] for h in everything["hits"]]
    assert [h["id"] for h in first["hits"] + second["hits"]] == ids[:10]
    assert second["page"] == 2 and second["page_size"] == 5


def test_empty_query_lists_everything_newest_first(sample_home):
    data = run_json(sample_home, "search", "--json", "--all")
    stats = run_json(sample_home, "stats", "--json")
    assert data["total"] == stats["documents"] == len(data["hits"])
    dates = [h["issued"] or h["published"] or "" for h in data["hits"]]
    assert dates == sorted(dates, reverse=True)
    oldest = run_json(sample_home, "search", "--json", "--all", "--sort", "date")
    assert [h["id"] for h in oldest["hits"]] != [h["id"] for h in data["hits"]]
    dates = [h["issued"] or h["published"] or "" for h in oldest["hits"]]
    assert dates == sorted(dates)


def full_record_checks(record, sample_dir=SAMPLE):
    assert FULL_KEYS <= set(record) <= FULL_KEYS | FULL_EXTRA
    check_hit(record)
    assert isinstance(record["body"], str) and record["body"]
    assert re.fullmatch(r"[0-9a-f]{64}", record["sha256"])
    assert record["ingested_at"] and record["source_path"]
    path = Path(record["source_path"])
    assert path.exists()
    if path.suffix == ".jsonl":
        line = record["source_line"]
        assert isinstance(line, int) and line >= 1
        raw = json.loads(path.read_text(encoding="utf-8").splitlines()[line - 1])
        title = raw.get("title") or raw.get("标题")
        assert title and title.strip()[:8] in record["title"]
    else:
        assert record["source_line"] is None


def test_show_json_shape(sample_home):
    ids = [h["id"] for h in run_json(sample_home, "search", "--json", "--all")["hits"]]
    for doc_id in ids:
        data = run_json(sample_home, "show", "--json", str(doc_id))
        assert data["id"] == doc_id
        full_record_checks(data)


def test_show_original_writes_the_bytes(sample_home):
    data = run_json(sample_home, "show", "--json", "21")          # an HTML page
    assert data["source_line"] is None
    result = CliRunner().invoke(main, ["--home", str(sample_home), "show", "--original", "21"])
    assert result.exit_code == 0
    assert result.stdout_bytes == Path(data["source_path"]).read_bytes()


def test_show_original_of_a_jsonl_record_is_its_line(sample_home):
    data = run_json(sample_home, "show", "--json", "9")
    lines = Path(data["source_path"]).read_bytes().splitlines(keepends=True)
    result = CliRunner().invoke(main, ["--home", str(sample_home), "show", "--original", "9"])
    assert result.exit_code == 0
    assert result.stdout_bytes == lines[data["source_line"] - 1]
    assert f"line {data['source_line']}" in result.stderr


def test_export_jsonl(sample_home):
    result = run(sample_home, "export", "--format", "jsonl", "人大")
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    search = run_json(sample_home, "search", "--json", "--all", "人大")
    assert [r["id"] for r in lines] == [h["id"] for h in search["hits"]]
    for record in lines:
        full_record_checks(record)
    jsonl_lines = [r for r in lines if r["source_path"].endswith(".jsonl")]
    assert jsonl_lines and all(r["source_line"] >= 1 for r in jsonl_lines)


def test_export_csv_has_bom(sample_home, tmp_path):
    result = run(sample_home, "export", "--format", "csv", "人大")
    assert result.exit_code == 0
    assert result.stdout.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    total = run_json(sample_home, "search", "--json", "人大")["total"]
    assert len(rows) == total
    assert {"id", "title", "body", "keywords", "sha256"} <= set(rows[0])
    out = tmp_path / "out.csv"
    assert run(sample_home, "export", "--format", "csv", "-o", str(out), "人大").exit_code == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")


def test_export_everything(sample_home):
    result = run(sample_home, "export")
    total = run_json(sample_home, "stats", "--json")["documents"]
    assert len([line for line in result.stdout.splitlines() if line.strip()]) == total


def test_withdraw_and_restore_commands(tmp_path):
    home = tmp_path / "home"
    assert run(home, "ingest", str(SAMPLE / "export")).exit_code == 0
    total = run_json(home, "search", "--json", "")["total"]
    assert run(home, "withdraw", "1").exit_code == 0
    assert run_json(home, "search", "--json", "")["total"] == total - 1
    assert run_json(home, "search", "--json", "--withdrawn", "")["total"] == total
    assert run_json(home, "show", "--json", "1")["status"] == "withdrawn"
    assert run(home, "restore", "1").exit_code == 0
    assert run_json(home, "search", "--json", "")["total"] == total
    assert run(home, "withdraw", "99999").exit_code == 1


def test_search_plain_output(sample_home):
    result = run(sample_home, "search", "--no-color", "人大")
    assert result.exit_code == 0
    assert "条结果" in result.stdout
    assert "\x1b[" not in result.stdout
