"""The product's builds: `archive.jobs.ingest` into a fresh home and the
full rebuild from the archive, each measured in a child process."""
from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

from benchlib.measure import dir_size, run_measured
from benchlib.settings import MB


def measure_product_build(data: dict, home: Path, runs: int = 1) -> dict:
    """`archive.jobs.ingest` into a fresh home: parse, archive, index.

    With `runs` > 1, the build is made that many times, each into a fresh
    home, and the run of median time is the result (`runs` lists them
    all), its peak memory the largest of any run: on the shared 2-core
    machine one 53k build took 132 s of CPU where the three before and
    after took 69-73 s (same code, same records, load ~1) — one sample
    judged the build by the neighbours' minute.  The last home stays for
    the parts that follow."""
    measured = []
    for _ in range(runs):
        if home.exists():
            shutil.rmtree(home)
        measured.append(run_measured("product-ingest", path=data["path"], home=str(home)))
    run = dict(sorted(measured, key=lambda r: r["seconds"])[len(measured) // 2])
    if runs > 1:
        run["tree_peak_rss_mb"] = max(r["tree_peak_rss_mb"] for r in measured)
        run["peak_rss_mb"] = max(r["peak_rss_mb"] for r in measured)
        run["runs"] = [{k: r.get(k) for k in ("seconds", "cpu_seconds", "tree_peak_rss_mb")}
                       for r in measured]
    index_bytes = dir_size(home / "index")
    sqlite_bytes = sum(dir_size(p) for p in home.glob("archive.sqlite*"))
    return {**rates(run, data), "index_bytes": index_bytes, "sqlite_bytes": sqlite_bytes,
            "index_to_text": round(index_bytes / data["text_bytes"], 2),
            "index_parts": index_parts(home)}


def index_parts(home: Path) -> dict:
    """Bytes of each part of every generation under index/ (whoosh, grams,
    docmap, ...), summed by name."""
    parts: Counter = Counter()
    for generation in (home / "index").glob("gen-*"):
        for child in generation.iterdir():
            parts[re.sub(r"-\d+", "", child.name)] += dir_size(child)
    return dict(parts.most_common())


def measure_rebuild(home: Path, data: dict) -> dict:
    """`archive.index.rebuild(Archive(home), home)`: the index from the archive alone."""
    run = run_measured("product-rebuild", home=str(home))
    return rates(run, data)


def rates(run: dict, data: dict) -> dict:
    seconds = run["seconds"]
    return {**run, "seconds": round(seconds, 2), "docs_s": round(data["records"] / seconds, 1),
            "mb_s": round(data["text_bytes"] / MB / seconds, 3)}
