"""Per-file and per-job bounds on what hostile sources cost (issue 12, item 5).

Own inputs: a small gzip that unpacks past the (lowered) decompressed-size
bound with valid records all the way (so only the bound can stop it), and a
job whose files together carry more problems than a job record keeps.
"""
from __future__ import annotations

import gzip
import json

from archive import jobs, sources
from archive.store import Archive
from jobtools import title_of, write_file


def test_a_gzip_past_the_decompressed_bound_is_refused_whole(tmp_path, monkeypatch):
    """Valid records to the end: the bound alone refuses the file; its
    earlier bulletins stay, the next file is ingested."""
    home, src = tmp_path / "home", tmp_path / "src"
    src.mkdir()
    line = json.dumps({"title": "压缩包里的同一条通知", "body": "正文。" * 20},
                      ensure_ascii=False).encode() + b"\n"
    with gzip.open(src / "a-feed.jsonl.gz", "wb") as out:
        out.write(line * 2)
    write_file(src, "b-after.jsonl", [3])
    assert jobs.ingest(home, [src]).added == 3
    monkeypatch.setattr(sources, "MAX_JSONL_BYTES", 64 * 1024)
    with gzip.open(src / "a-feed.jsonl.gz", "wb") as out:         # ~5 KB packed, ~2 MB unpacked
        out.write(line * 10_000)
    write_file(src, "b-after.jsonl", [3, 4])
    report = jobs.ingest(home, [src])
    [failure] = report.failures
    assert failure["path"].endswith("a-feed.jsonl.gz")
    assert "once decompressed" in failure["reason"]
    assert (src / "a-feed.jsonl.gz").stat().st_size < 64 * 1024   # small file, large content
    assert report.added == 1                                      # bulletin 4, from b-after
    archive = Archive(home, readonly=True)
    try:
        titles = [r["title"] for _d, _v, s, r in archive.all_docs() if s == "active"]
    finally:
        archive.close()
    assert titles.count("压缩包里的同一条通知") == 2                # the file's earlier bulletins
    assert {title_of(3), title_of(4)} <= set(titles)


def test_a_job_record_keeps_a_bounded_number_of_problems_and_is_saved(tmp_path, monkeypatch):
    """Many files each with a few bad lines: the job record keeps
    MAX_JOB_PROBLEMS of them, says how many more, and is saved (ends 'partial')."""
    home, src = tmp_path / "home", tmp_path / "src"
    src.mkdir()
    monkeypatch.setattr(jobs, "MAX_JOB_PROBLEMS", 10)
    good = json.dumps({"title": "好记录", "body": "正文。"}, ensure_ascii=False)
    for n in range(6):
        (src / f"part-{n}.jsonl").write_text('{"a": 1}\n[1]\n不是JSON\n' + good + "\n",
                                             encoding="utf-8")
    report = jobs.ingest(home, [src])
    assert report.records_failed == 18 and len(report.warnings) == 18
    [job] = Archive(home, readonly=True).jobs(1)
    assert job["outcome"] == "partial" and job["counts"]["records_failed"] == 18
    assert len(job["errors"]) == 11
    assert "8 more problems (not kept)" in json.dumps(job["errors"][-1], ensure_ascii=False)


# Pages shaped to make label matching or attribute handling super-linear
# (issue 12, item 5), other shapes than tests/slowpages.py: speed is timed by
# `scripts/parse_accuracy.py --slow`; here, that they parse and come out right.
_PAGE_HEAD = ('<html><head><meta charset="utf-8"><title>关于防范慢页面的公告</title></head><body>'
              '<div class="content"><h1>关于防范慢页面的公告</h1><p>公告正文只有这一段。</p></div>')


def _parsed(data: bytes):
    from archive.sources import parse_bytes
    result = parse_bytes("hostile.html", data)
    assert result.records, result.errors
    return result.records[0]


def test_thousands_of_definition_list_labels_are_metadata():
    pairs = "".join(f"<dt>文号：</dt><dd>临政办〔2024〕{i}号</dd><dt>主题分类</dt><dd>类{i}</dd>"
                    for i in range(6000))
    record = _parsed((_PAGE_HEAD + f"<dl>{pairs}</dl></body></html>").encode())
    assert record.doc_no == "临政办〔2024〕0号"
    assert record.body == "公告正文只有这一段。"


def test_an_element_with_tens_of_thousands_of_attributes():
    attributes = " ".join(f'data-k{i}="v{i}"' for i in range(60_000))
    record = _parsed((_PAGE_HEAD.replace('<div class="content">',
                                         f'<div class="content" {attributes}>')
                      + "</body></html>").encode())
    assert (record.title, record.body) == ("关于防范慢页面的公告", "公告正文只有这一段。")
