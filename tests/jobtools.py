"""Helpers shared by the job, crash and build tests: generated sources and checks."""
from __future__ import annotations

import json
import random
from pathlib import Path

from archive import generations, index
from archive.search import SearchRequest, SearchService
from archive.store import Archive

_CHARS = "政府信息公开通知关于印发管理办法实施意见方案工作规划建设发展改革委员会财政教育科技卫生健康交通运输农业"


def title_of(n: int, salt: str = "") -> str:
    """A unique, searchable Chinese title for record `n`."""
    rng = random.Random(f"{n}{salt}")
    return "关于" + "".join(rng.choice(_CHARS) for _ in range(8)) + f"{salt}的通知第{n}号令"


def record(n: int, salt: str = "") -> dict:
    title = title_of(n, salt)
    return {"index_no": f"000014349/2024-{n:05d}", "title": title,
            "body": f"{title}。为进一步做好相关工作，现将有关事项通知如下。",
            "issuer": "测试局", "topic": "综合政务", "published": "2024-03-01"}


def write_file(folder: Path, name: str, numbers, salt: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("".join(json.dumps(record(n, salt), ensure_ascii=False) + "\n"
                            for n in numbers), encoding="utf-8")
    return path


def make_source(folder: Path, files: int, per_file: int, start: int = 0) -> list[Path]:
    return [write_file(folder, f"part-{start + f:03d}.jsonl",
                       range((start + f) * per_file, (start + f + 1) * per_file))
            for f in range(files)]


def check_consistent(home: Path) -> dict:
    """The live index agrees with the archive: same count, verification
    passes, every active bulletin is found by its title.  Returns counts."""
    archive = Archive(home, readonly=True)
    counts = archive.counts()
    generation = generations.current_generation(home)
    assert generation is not None
    assert index.verify_generation(generation, archive) is None
    searcher = SearchService(home).searcher()
    assert searcher.doc_count == counts["documents"] + counts["withdrawn"]
    active = [row[0] for row in archive.db.execute("SELECT id FROM docs WHERE status='active'")]
    for doc_id, doc in archive.get_many(active).items():
        assert doc_id in searcher.find_ids(f'"{doc.record.title}"'), doc.record.title
    archive.close()
    return counts


ANSWER_QUERIES = ["通知", "管理办法", "测试局", "政府 信息", "乡村振兴 OR 防汛", "-通知", "公开 -财政",
                  f'"{title_of(5)}"', title_of(123)[2:6], "标题:发展", "日期:2024", ""]


def answers(home) -> dict:
    """What the live index answers to `ANSWER_QUERIES` (all hits, two
    sorts): totals, ids with scores, facets — to compare two builds."""
    service = SearchService(home)
    out = {}
    for q in ANSWER_QUERIES:
        for sort in ("relevance", "-date"):
            result = service.search(SearchRequest(q=q, sort=sort, all=True, highlight=False))
            out[(q, sort)] = (result.total, sorted((h.id, round(h.score, 6)) for h in result.hits),
                              result.facets)
    return out
