"""Query latency: nearest-rank percentiles and the one timing loop the
product and the baseline share (a warm-up pass, then the timed passes)."""
from __future__ import annotations

import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path


def percentiles(values: list[float]) -> dict:
    """p50/p95/p99/mean/max (nearest rank) of milliseconds."""
    if not values:
        return {"n": 0}
    s = sorted(values)

    def rank(p):
        return s[min(len(s) - 1, max(0, int(round(p / 100 * len(s) + 0.5)) - 1))]

    return {"n": len(s), "p50": round(rank(50), 2), "p95": round(rank(95), 2),
            "p99": round(rank(99), 2), "mean": round(statistics.fmean(s), 2),
            "max": round(s[-1], 2)}


def latency_run(run_one, queries: list[dict], rounds: int = 1) -> dict:
    """Warm-up pass over the whole mix, then `rounds` timed passes.
    `run_one(query) -> hit count`.  Shared by the product and the baseline."""
    for q in queries:
        run_one(q)
    times, by_kind, by_outcome, slowest, zero = [], defaultdict(list), defaultdict(list), [], 0
    for _ in range(rounds):
        for q in queries:
            started = time.perf_counter()
            hits = run_one(q)
            ms = (time.perf_counter() - started) * 1000
            times.append(ms)
            by_kind[q.get("kind", "?")].append(ms)
            by_outcome["with hits" if hits else "no hit"].append(ms)
            slowest.append((ms, describe_query(q), hits))
            zero += hits == 0
    slowest.sort(key=lambda t: -t[0])
    return {**percentiles(times), "zero_hit": zero // max(1, rounds),
            "by_kind": {k: percentiles(v) for k, v in sorted(by_kind.items())},
            "by_outcome": {k: percentiles(v) for k, v in sorted(by_outcome.items())},
            "slowest": [{"ms": round(ms, 1), "query": d, "hits": h} for ms, d, h in slowest[:8]]}


def describe_query(q: dict) -> str:
    parts = [repr(q["q"])] if q.get("q") else ["(browse)"]
    for key in ("issuers", "topics"):
        if q.get(key):
            parts.append(f"{key}={','.join(q[key])}")
    for key in ("year", "from", "to"):
        if q.get(key):
            parts.append(f"{key}={q[key]}")
    return " ".join(parts)


def load_queries(path: Path) -> list[dict]:
    if not path.exists():
        sys.exit(f"bench: {path} is missing; run scripts/bench --gen-queries")
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
