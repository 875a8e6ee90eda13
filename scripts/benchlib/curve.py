"""The scale curve: per record count, build, warm queries, cold CLI and
incremental reindex on a sharded source folder."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from benchlib.builds import measure_product_build
from benchlib.commands import measure_cli, measure_incremental, redone
from benchlib.latency import latency_run, latency_summary
from benchlib.queries import product_runner
from benchlib.scaled import write_scaled
from benchlib.settings import MB, log


CURVE_SHARD = 1000             # records a source file on the curve: a month's export


def measure_curve(corpus: Path, sizes: list[int], workdir: Path, queries: list[dict],
                  rounds: int, cli_runs: int = 3) -> list[dict]:
    """Per size: build (time, CPU, peak RSS of the process tree, index size),
    warm query latencies and the cold-start CLI search."""
    points = []
    for n in sizes:
        data = write_scaled(corpus, n, workdir / f"curve-{n}", shard=CURVE_SHARD)
        home = workdir / f"curve-{n}" / "home"
        build = measure_product_build(data, home)
        lat = latency_run(product_runner(home), queries, rounds)
        cli = measure_cli(home, queries, cli_runs)
        inc = measure_incremental(home, data["dir"])
        points.append({"records": data["records"], "label": data["label"],
                       "text_mb": round(data["text_bytes"] / MB, 1), "build": build,
                       "query": {k: lat[k] for k in ("p50", "p95", "p99", "zero_hit", "load",
                                                     "cpu")},
                       "cli": cli, "incremental": inc,
                       "load": [round(x, 2) for x in os.getloadavg()]})
        log(f"curve {n}: build {build['seconds']} s (cpu {build.get('cpu_seconds')} s), "
            f"peak RSS {build['tree_peak_rss_mb']} MB, index {build['index_bytes'] / MB:.1f} MB, "
            f"{latency_summary(lat)}, "
            f"cold CLI {cli['median_s']} s "
            f"(cpu {cli['median_cpu_s']}), "
            f"no-change reindex {inc['nochange_s']} s (cpu {inc['nochange_cpu_s']}), "
            f"{inc['changed']} changed {inc['changed_s']} s (cpu {inc['changed_cpu_s']}, "
            f"{redone(inc)} updated or re-added), load {os.getloadavg()[0]:.1f}")
        shutil.rmtree(workdir / f"curve-{n}", ignore_errors=True)
    return points
