"""The same bulletin from two files, for records without 索引号 (issue 12, item 7).

Identity is the 索引号, else the content key (URL, else 文号, else title +
date, else the content hash): a record with no 索引号 that another file
already holds with the very same content is that bulletin — counted once,
reported as a duplicate, the file listed in its `sources` — whichever rule
of the key applies.  The same key with other content stays two bulletins.
Records here are this file's own (a county's water-affairs feed).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from archive import jobs
from archive.search import SearchRequest, SearchService
from archive.store import Archive

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "verify_archive"

# One record for each rule of the content key, none with 索引号.
BY_URL = {"title": "水务局召开汛前检查部署会", "url": "http://sw.example.invalid/a/101.html",
          "published": "2025-04-02", "body": "水务局召开汛前检查部署会，安排堤防巡查。"}
BY_DOC_NO = {"title": "关于做好2025年度抗旱工作的通知", "doc_no": "河水发〔2025〕11号",
             "body": "各乡镇水利站：抗旱工作要点如下。"}
BY_TITLE_DATE = {"title": "清淤工程完工验收", "published": "2025-05-20",
                 "body": "北干渠清淤工程通过完工验收。"}
BY_HASH = {"body": "既无标题也无日期：一则只有正文的取水许可公示。"}
ALL = [BY_URL, BY_DOC_NO, BY_TITLE_DATE, BY_HASH]


def write_jsonl(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                    encoding="utf-8")


def total(home, q: str) -> int:
    return SearchService(home).search(SearchRequest(q=q, highlight=False)).total


def sources_of(home) -> dict[str, list[tuple[str, int]]]:
    archive = Archive(home, readonly=True)
    try:
        out = {}
        for doc_id, _v, status, record in archive.all_docs():
            if status == "active":
                found = archive.get(doc_id).as_json()["sources"]
                out[record["body"]] = [(Path(s["path"]).name, s["line"]) for s in found]
        return out
    finally:
        archive.close()


def verify(home, src) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--home", str(home), "--source", str(src)],
                          capture_output=True, text=True, timeout=120)


def test_same_bulletin_without_index_no_from_two_files_is_counted_once(tmp_path):
    src, home = tmp_path / "src", tmp_path / "home"
    src.mkdir()
    write_jsonl(src / "a-portal.jsonl", ALL)
    write_jsonl(src / "b-mirror.jsonl", [{"title": "镜像独有的一条", "body": "只在镜像里。"}]
                + ALL[::-1])                                  # other order, one more
    report = jobs.reindex(home, [jobs.Source(src)])
    assert (report.added, report.duplicates) == (5, 4)
    for record in ALL:
        assert total(home, f'"{record["body"]}"') == 1, record
    sources = sources_of(home)
    assert sources[BY_URL["body"]] == [("a-portal.jsonl", 1), ("b-mirror.jsonl", 5)]
    assert sources[BY_HASH["body"]] == [("a-portal.jsonl", 4), ("b-mirror.jsonl", 2)]
    checked = verify(home, src)
    assert checked.returncode == 0, checked.stdout


def test_same_key_with_other_content_is_two_bulletins_not_a_duplicate(tmp_path):
    src, home = tmp_path / "src", tmp_path / "home"
    src.mkdir()
    write_jsonl(src / "a.jsonl", [BY_URL, BY_TITLE_DATE])
    write_jsonl(src / "b.jsonl", [{**BY_URL, "body": "同一网址，更正后的正文：巡查延至五月。"},
                                  {**BY_TITLE_DATE, "issuer": "县水务局"}])
    report = jobs.reindex(home, [jobs.Source(src)])
    assert (report.added, report.duplicates) == (4, 0)
    assert not report.warnings
    assert total(home, '"清淤工程完工验收"') == 2


def test_a_duplicate_outlives_the_file_it_came_from_first(tmp_path):
    """The first file goes: the bulletins move to the mirror (same ids),
    only what the mirror lacks is withdrawn; a rerun changes nothing."""
    src, home = tmp_path / "src", tmp_path / "home"
    src.mkdir()
    write_jsonl(src / "a-portal.jsonl", ALL)
    write_jsonl(src / "b-mirror.jsonl", [BY_DOC_NO, BY_HASH])
    jobs.reindex(home, [jobs.Source(src)])
    before = {body: ids for body, ids in sources_of(home).items()}
    ids_before = SearchService(home).searcher().find_ids("")
    (src / "a-portal.jsonl").unlink()
    gone = jobs.reindex(home, [jobs.Source(src)])
    assert (gone.withdrawn, gone.added) == (2, 0)
    after = sources_of(home)
    assert set(after) == {BY_DOC_NO["body"], BY_HASH["body"]}
    assert after[BY_DOC_NO["body"]] == [("b-mirror.jsonl", 1)]
    assert set(SearchService(home).searcher().find_ids("")) < set(ids_before)
    assert before[BY_DOC_NO["body"]][1] == ("b-mirror.jsonl", 1)
    again = jobs.reindex(home, [jobs.Source(src)])
    assert (again.added, again.updated, again.withdrawn, again.duplicates) == (0, 0, 0, 0)
    assert verify(home, src).returncode == 0
