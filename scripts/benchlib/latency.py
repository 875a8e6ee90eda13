"""Query latency: nearest-rank percentiles (the one definition every script
reports) and the one timing loop the product and the baseline share (a
warm-up pass, then the timed passes)."""
from __future__ import annotations

import json
import math
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile of `values` by nearest rank: the smallest value
    that at least p % of them are at or below (the ceil(p/100 · n)-th
    smallest); 0.0 when there are none.

    Kept from the bench (its reports since the first round were nearest
    rank) for every script — bench, loadtest, hostile_load, eval_typos: a
    figure is always a latency that was measured, never one interpolated
    between two requests (loadtest interpolated, eval_typos took the
    floor((n-1)·p/100)-th and a median of two), so the scripts' p95 of the
    same timings agree.  The bench's old formula, round(p/100 · n + 0.5),
    is the same rank except where p/100 · n is an odd integer, where
    rounding half to even took the next one (p95 of 100 timings: the 96th
    smallest; now the 95th, as nearest rank defines it).
    """
    if not values:
        return 0.0
    return _nearest_rank(sorted(values), p)


def _nearest_rank(ordered: list[float], p: float) -> float:
    # round(): p/100 · n in floating point may land a hair above an integer.
    rank = math.ceil(round(p / 100 * len(ordered), 9))
    return ordered[min(len(ordered), max(1, rank)) - 1]


def percentiles(values: list[float]) -> dict:
    """p50/p95/p99 (`percentile`), mean and max of milliseconds."""
    if not values:
        return {"n": 0}
    s = sorted(values)
    return {"n": len(s), "p50": round(_nearest_rank(s, 50), 2),
            "p95": round(_nearest_rank(s, 95), 2), "p99": round(_nearest_rank(s, 99), 2),
            "mean": round(statistics.fmean(s), 2), "max": round(s[-1], 2)}


def latency_run(run_one, queries: list[dict], rounds: int = 1) -> dict:
    """Warm-up pass over the whole mix, then `rounds` timed passes.
    `run_one(query) -> hit count`.  Shared by the product and the baseline.

    The build just before left its files dirty in the page cache (2.6 GB
    at 200k): `os.sync()` first, so the timed passes do not share the
    cores with the kernel writing them back.  The 1-minute load average
    at the start of the timed passes is kept with the figures, and each
    query's CPU time beside its wall time (`cpu`: percentiles of
    `time.process_time`), which leaves out time spent waiting for a core
    (a slow hour of the shared host stretches both)."""
    os.sync()
    for q in queries:
        run_one(q)
    load = round(os.getloadavg()[0], 2)
    times, by_kind, by_outcome, slowest, zero = [], defaultdict(list), defaultdict(list), [], 0
    cpu = []
    for _ in range(rounds):
        for q in queries:
            started, cpu_started = time.perf_counter(), time.process_time()
            hits = run_one(q)
            ms = (time.perf_counter() - started) * 1000
            cpu.append((time.process_time() - cpu_started) * 1000)
            times.append(ms)
            by_kind[q.get("kind", "?")].append(ms)
            by_outcome["with hits" if hits else "no hit"].append(ms)
            slowest.append((ms, describe_query(q), hits))
            zero += hits == 0
    slowest.sort(key=lambda t: -t[0])
    cpu_at = percentiles(cpu)
    return {**percentiles(times), "zero_hit": zero // max(1, rounds), "load": load,
            "cpu": {k: cpu_at[k] for k in ("p50", "p95", "p99")} if cpu else {},
            "by_kind": {k: percentiles(v) for k, v in sorted(by_kind.items())},
            "by_outcome": {k: percentiles(v) for k, v in sorted(by_outcome.items())},
            "slowest": [{"ms": round(ms, 1), "query": d, "hits": h} for ms, d, h in slowest[:8]]}


def latency_summary(lat: dict) -> str:
    """A `latency_run` result in one log line."""
    return (f"p50/p95/p99 {lat['p50']}/{lat['p95']}/{lat['p99']} ms, "
            f"CPU p95 {lat['cpu']['p95']} ms (load {lat['load']})")


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
