"""The product's builds: `archive.jobs.ingest` into a fresh home and the
full rebuild from the archive, each measured in a child process."""
from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

from benchlib.measure import dir_size, run_measured
from benchlib.settings import MB


def measure_product_build(data: dict, home: Path) -> dict:
    """`archive.jobs.ingest` into a fresh home: parse, archive, index."""
    if home.exists():
        shutil.rmtree(home)
    run = run_measured("product-ingest", path=data["path"], home=str(home))
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
