"""The tasks run in a fresh process (`scripts/bench --child TASK ARGS`, started
by measure.run_measured): each returns a JSON-able dict with "seconds" for
the measured work; child_main adds the CPU seconds and prints it."""
from __future__ import annotations

import json
import resource
import time
from pathlib import Path

from benchlib.baseline import child_baseline_build
from benchlib.measure import dir_size


def child_product_ingest(path: str, home: str) -> dict:
    from archive import jobs

    started = time.perf_counter()
    report = jobs.ingest(Path(home), [Path(path)])
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "outcome": report.outcome, **report.counts}


def child_product_rebuild(home: str) -> dict:
    from archive.index import rebuild
    from archive.store import Archive

    started = time.perf_counter()
    generation = rebuild(Archive(Path(home)), Path(home))
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "generation": generation.path.name,
            "generation_bytes": dir_size(generation.path)}


CHILD_TASKS = {"product-ingest": child_product_ingest, "product-rebuild": child_product_rebuild,
               "baseline-build": child_baseline_build}


def child_main(task: str, args: str) -> None:
    result = CHILD_TASKS[task](**json.loads(args))
    # CPU (user + sys) of the task and the workers it waited for: the figure
    # that means something on a shared machine.
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    result["cpu_seconds"] = round(own.ru_utime + own.ru_stime + children.ru_utime
                                  + children.ru_stime, 1)
    print(json.dumps(result))
