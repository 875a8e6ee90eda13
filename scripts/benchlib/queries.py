"""The product's search in-process: the warm query runner, "did you mean"
on generated typos, and the hostile set (#12)."""
from __future__ import annotations

import time
from pathlib import Path


def product_runner(home: Path):
    """A warm SearchService; each call is one first-page search with facets
    and highlighting (the defaults: size=10, highlight=True)."""
    from archive.search import SearchRequest, SearchService

    service = SearchService(home)

    def run(q: dict) -> int:
        text = q.get("q") or ""
        request = SearchRequest(q=text, issuers=q.get("issuers") or [],
                                topics=q.get("topics") or [], year=q.get("year"),
                                date_from=q.get("from"), date_to=q.get("to"),
                                sort="relevance" if text.strip() else "-date")
        return service.search(request).total

    return run


def measure_suggest(home: Path, count: int = 120) -> dict:
    """Latency of "did you mean" alone, on generated typos of frequent corpus
    words (scripts/eval_typos.py), with its top-1 accuracy on the same set."""
    import eval_typos as typos                   # scripts/ is on the path (scripts/bench)
    from archive.search import SearchService

    searcher = SearchService(home).searcher()
    if searcher.vocabulary is None:
        return {"error": "no vocabulary in this index (build it with this version)"}
    cases = typos.generate(searcher, count, seed=11)
    typos.evaluate(searcher, cases)                  # warm-up
    report = typos.evaluate(searcher, cases)
    return {"n": report["cases"], "top1": round(report["top1"], 3), **report["suggest_ms"]}


def hostile_queries(home: Path) -> list[tuple[str, str]]:
    """Generated expensive queries (#12): repeated words, many long words,
    many ORs of common characters, 1,000-character queries."""
    import random

    from archive.store import Archive

    archive = Archive(home, readonly=True)
    try:
        bodies = [r.get("body") or "" for _d, _v, _s, r in
                  (row for _i, row in zip(range(400), archive.all_docs()))]
    finally:
        archive.close()
    text = "".join(b for b in bodies if b)[:200_000] or "新闻联播"
    rng = random.Random(5)

    def piece(n):
        start = rng.randrange(max(1, len(text) - n))
        return "".join(text[start:start + n].split())

    common = ("的 一 是 在 不 了 有 和 人 这 中 大 为 上 个 国 "
              "我 以 要 他 时 来 用 们 生 到 作 地 于 出 就").split()
    return [
        ("one word repeated (1,000 chars)", ("新闻联播 " * 200)[:1000]),
        ("32 long words", " ".join(piece(28) for _ in range(32))[:1000]),
        ("32 ORs of common characters", " OR ".join(common)),
        ("one 1,000-character word", piece(1000)[:1000]),
        ("500 chars of text as words", " ".join(piece(4) for _ in range(100))[:1000]),
        ("nested groups", "(" * 8 + "发展 OR 工作" + ")" * 8 + " -的"),
        ("many 2-char ORs", " OR ".join(piece(2) for _ in range(32))),
    ]


def measure_hostile(home: Path) -> dict:
    """The worst latency of the hostile set (each run twice, slowest kept)."""
    from archive.search import QueryError, SearchRequest, SearchService

    service = SearchService(home)
    rows = []
    for name, q in hostile_queries(home):
        worst, outcome = 0.0, ""
        for _ in range(2):
            started = time.perf_counter()
            try:
                outcome = f"{service.search(SearchRequest(q=q)).total} hits"
            except QueryError as exc:                  # refused or timed out: said so
                outcome = f"refused: {str(exc)[:40]}"
            worst = max(worst, (time.perf_counter() - started) * 1000)
        rows.append({"query": name, "chars": len(q), "ms": round(worst, 1), "outcome": outcome})
    return {"worst_ms": max(r["ms"] for r in rows), "queries": rows}
