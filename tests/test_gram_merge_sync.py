"""Searches after a full build (gram segments merged) and many syncs
(small gram segments merged ten at a time, `gram_merge.merge_small`) find
exactly the live bulletins whose current text holds the word: superseded
versions and withdrawn bulletins, still in merged segments, never count."""
from __future__ import annotations

import json

from archive import generations, gram_merge, grams, jobs, segment_merge
from archive.search import SearchRequest, SearchService


def _write(path, first: int, count: int, salt: str) -> dict[str, str]:
    rows = {f"QS9-2024-{n:05d}": f"第{n}号事项的正文{salt}。" for n in range(first, first + count)}
    path.write_text("".join(json.dumps({"index_no": no, "title": f"关于第{no[-5:]}号事项的通知",
                                        "body": body, "issuer": "甲局",
                                        "published": "2024-03-01"}, ensure_ascii=False) + "\n"
                            for no, body in rows.items()), encoding="utf-8")
    return rows


def _total(home, word: str) -> int:
    return SearchService(home).search(SearchRequest(q=f'"{word}"')).total


def test_merged_segments_after_syncs_match_the_live_texts(tmp_path, monkeypatch):
    monkeypatch.setattr(gram_merge, "SYNC_LARGEST", 100)
    monkeypatch.setattr(segment_merge, "MERGE_FANIN", 3)      # Whoosh's merges too
    folder, home = tmp_path / "src", tmp_path / "home"
    folder.mkdir()
    live = {}
    for part in range(4):
        live |= _write(folder / f"p{part}.jsonl", part * 100, 30, "初稿")
    jobs.ingest(home, [folder])
    grams_dir = generations.current_generation(home).grams_dir
    assert len(grams.read_manifest(grams_dir)["segments"]) == 1
    retired_seen = False
    for step in range(12):              # each sync: 5 bulletins of one file revised
        part = step % 4
        revised = _write(folder / f"p{part}.jsonl", part * 100, 5, f"修订{step}")
        for no in list(live):           # the file's other 25 bulletins are withdrawn
            if int(no[-5:]) // 100 == part and no not in revised:
                del live[no]
        live |= revised
        jobs.ingest(home, [folder])
        manifest = grams.read_manifest(grams_dir)
        retired_seen |= bool(manifest.get("retired"))
        for name in manifest.get("retired", []):
            assert list(grams_dir.glob(f"{name}.*")), "retired files stay until the next sync"
        for word in (f"修订{step}", f"修订{max(0, step - 4)}", "初稿", "事项的正文"):
            assert _total(home, word) == sum(word in body for body in live.values()), (step, word)
    assert retired_seen
    sizes = [e["docs"] for e in grams.read_manifest(grams_dir)["segments"]]
    assert len(sizes) < 1 + 12 and sum(sizes) == 120 + 4 * 30 + 8 * 5
