"""Measuring what runs: the machine, sizes on disk, a child process's time
and sampled peak RSS (its whole process tree), and the product's commands
as new processes (wall and CPU seconds)."""
from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

from benchlib.settings import BENCH_SCRIPT, MB


def machine_info() -> dict:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GB"
    except (OSError, ValueError, IndexError):
        pass
    return {"cores": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "platform": platform.platform(), "memory": mem,
            "load_start": [round(x, 2) for x in os.getloadavg()],
            "started": datetime.now().isoformat(timespec="seconds")}


def dir_size(path) -> int:
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _tree_rss(root: int) -> tuple[int, int]:
    """Resident bytes of `root` and all its descendants (from /proc): their
    sum and the largest single process."""
    parents: dict[int, list[int]] = defaultdict(list)
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            fields = stat[stat.rindex(")") + 2:].split()
            pid = int(entry)
            parents[int(fields[1])].append(pid)
            rss[pid] = int(fields[21]) * page
        except (OSError, ValueError, IndexError):
            continue
    total, largest, stack = 0, 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        largest = max(largest, rss.get(pid, 0))
        stack.extend(parents.get(pid, ()))
    return total, largest


def run_measured(task: str, **args) -> dict:
    """Run `task` in a child process (scripts/bench with --child): its wall
    time, the seconds it reports for the measured work, the largest single
    process RSS and the peak total RSS of its process tree, both sampled
    every 50 ms from /proc.

    Not getrusage's ru_maxrss: Linux carries the high-water mark of the
    memory a process replaces at exec into the new program's, and
    subprocess starts the child from a copy of this process (vfork/fork),
    so a child started by a bench process that had grown to 1.1 GB
    (baseline queries, the web part) reported 1.1 GB for a 10k build whose
    processes held 575 MB together."""
    cmd = [sys.executable, str(BENCH_SCRIPT), "--child", task, json.dumps(args)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = largest = 0
    while proc.poll() is None:
        total, single = _tree_rss(proc.pid)
        peak, largest = max(peak, total), max(largest, single)
        time.sleep(0.05)
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"child {task} failed ({proc.returncode}):\n{err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    return {**result, "wall_seconds": round(wall, 2), "peak_rss_mb": round(largest / MB, 1),
            "tree_peak_rss_mb": round(peak / MB, 1)}


def run_cli(args: list[str], timeout: float = 600) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                          env=_BYTECODE_ENV)
    return time.perf_counter() - started, done


# The product's commands run as installed: Python's compiled bytecode cached
# (pip compiles it at install).  Under PYTHONDONTWRITEBYTECODE=1 every run
# of an editable install compiles the whole package again: +0.25-0.3 s CPU
# on a cold `archive search` (measured on the 2-core machine).
_BYTECODE_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_timed(args: list[str], timeout: float = 600) -> dict:
    """Wall and CPU (user + sys) seconds of one command, its exit code and JSON output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds, done = run_cli(args, timeout)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        report = {}
    return {"s": round(seconds, 2),
            "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2),
            "exit": done.returncode, "report": report, "stderr": done.stderr.strip()[-400:]}


def archive_command() -> list[str]:
    """The product's `archive` command: the one beside this interpreter (its
    venv), else the one on PATH, else the package run by this interpreter."""
    found = Path(sys.executable).with_name("archive")
    if found.exists():
        return [str(found)]
    on_path = shutil.which("archive")
    return [on_path] if on_path else [sys.executable, "-c", "from archive.cli import main; main()"]
