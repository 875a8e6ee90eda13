"""The docmap after syncs: built from the new segments only, and equal to
reading every column of the index again (the oracle)."""
from __future__ import annotations

import json

import numpy as np

from archive import docmap, generations, jobs


def _write(path, first: int, count: int, issuer: str, salt: str = "") -> None:
    rows = [{"index_no": f"QS7-2024-{n:05d}", "title": f"关于第{n}号事项的通知{salt}",
             "body": f"第{n}号事项的正文{salt}。" * 3, "issuer": issuer,
             "topic": "综合政务" if n % 2 else "", "published": f"2024-03-{n % 28 + 1:02d}"}
            for n in range(first, first + count)]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")


def _decoded(data: dict) -> dict:
    """Arrays, with each coded column as its values (codes may be numbered
    differently: only the values they stand for matter)."""
    out = {k: v for k, v in data.items() if not k.endswith("_values")}
    for name in docmap.CODED_COLUMNS:
        out[name] = np.asarray([str(v) for v in data[f"{name}_values"]])[data[name]]
    return out


def test_a_sync_reads_its_new_segment_and_agrees_with_a_full_read(tmp_path, monkeypatch):
    folder, home = tmp_path / "src", tmp_path / "home"
    folder.mkdir()
    _write(folder / "a.jsonl", 0, 60, "甲局")
    _write(folder / "b.jsonl", 100, 60, "乙局")
    jobs.ingest(home, [folder])
    read = []
    real = docmap._read_segment
    monkeypatch.setattr(docmap, "_read_segment",
                        lambda leaf, names: read.append(leaf.doc_count_all()) or real(leaf, names))
    steps = [lambda: _write(folder / "b.jsonl", 100, 60, "乙局", salt="修订"),
             lambda: _write(folder / "c.jsonl", 200, 5, "丙局"),
             lambda: jobs.set_status(home, 3, "withdrawn")]
    for step in steps:
        read.clear()
        step()
        jobs.ingest(home, [folder])
        generation = generations.current_generation(home)
        path = max(generation.path.glob("docmap-*.npz"), key=lambda p: p.stat().st_mtime)
        stored = docmap.load(path)
        assert stored["segments"].size > 1 and len(read) == 1     # the sync's own segment
        full, _ = docmap.compute_docmap(generation.open_whoosh())
        mine, oracle = _decoded(stored), _decoded(full)
        assert sorted(mine) == sorted(oracle)
        for name in oracle:
            assert np.array_equal(mine[name], oracle[name]), name
    assert set(_decoded(stored)["issuer"].tolist()) == {"甲局", "乙局", "丙局"}
    assert not stored["live"].all()                      # updates deleted old documents
