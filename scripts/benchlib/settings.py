"""Paths, units and the progress line every part of the bench shares."""
from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BENCH_SCRIPT = REPO / "scripts" / "bench"      # re-run with --child for measured builds
QUERIES_FILE = REPO / "scripts" / "bench_queries.jsonl"
QUERY_SEED = 20250601
MB = 1e6


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)
