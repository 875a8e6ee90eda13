"""The product's commands as new processes: `archive search` cold start and
`archive reindex --source` with nothing changed and with changed records."""
from __future__ import annotations

import json
import statistics
from pathlib import Path

from benchlib.measure import archive_command, run_cli, run_timed


def measure_cli(home: Path, queries: list[dict], runs: int = 5) -> dict:
    """Wall and CPU time of `archive --home H search QUERY --json` as a new
    process: the median of `runs` runs for each of a few different queries
    (CPU: user + sys, the figure a loaded machine does not inflate much)."""
    picks = pick_cli_queries(queries)
    per_query, every, cpu = {}, [], []
    failures = []
    run_cli([*archive_command(), "--home", str(home), "search", picks[0], "--json"])  # bytecode
    for text in picks:
        times = []
        for _ in range(runs):
            done = run_timed([*archive_command(), "--home", str(home), "search", text, "--json"])
            if done["exit"] != 0:
                failures.append(f"{text!r}: exit {done['exit']}: {done['stderr'][:200]}")
            times.append(done["s"])
            cpu.append(done["cpu_s"])
        per_query[text] = round(statistics.median(times), 3)
        every += times
    return {"median_s": round(statistics.median(every), 3),
            "median_cpu_s": round(statistics.median(cpu), 3), "runs": runs,
            "per_query": per_query, "failures": failures}


def pick_cli_queries(queries: list[dict]) -> list[str]:
    wanted = ["words", "name", "doc_no", "field"]
    picks = []
    for kind in wanted:
        for q in queries:
            if q.get("kind") == kind and q.get("q") and not any(
                    q.get(k) for k in ("issuers", "topics", "year", "from", "to")):
                picks.append(q["q"])
                break
    return picks or ["国务院"]


def measure_reindex(home: Path, source_dir: str) -> dict:
    """`archive reindex --source DIR` twice; the second run (nothing changed) is timed."""
    cmd = [*archive_command(), "--home", str(home), "reindex", "--source", source_dir, "--json"]
    first, done1 = run_cli(cmd)
    second, done2 = run_cli(cmd)
    report = {}
    try:
        report = json.loads(done2.stdout)
    except json.JSONDecodeError:
        pass
    return {"first_s": round(first, 2), "second_s": round(second, 2),
            "exit_codes": [done1.returncode, done2.returncode],
            "second_report": {k: report.get(k) for k in
                              ("files", "added", "updated", "unchanged", "withdrawn", "indexed",
                               "seconds")},
            "stderr": (done1.stderr + done2.stderr).strip()[-400:]}


CHANGED_RECORDS = 100          # "re-ingesting 100 changed bulletins" (issue 14)


def measure_incremental(home: Path, source_dir: str, changed: int = CHANGED_RECORDS) -> dict:
    """`archive reindex --source DIR` with nothing changed, then again after
    `changed` records of the last source files were edited (each body gets a
    correction line): wall and CPU seconds of each run and what it did.
    Records are kept in their files, so the second run re-reads the files
    holding them and updates exactly `changed` bulletins."""
    cmd = [*archive_command(), "--home", str(home), "reindex", "--source", source_dir, "--json"]
    nochange = run_timed(cmd)
    files = edit_records(Path(source_dir), changed)
    after = run_timed(cmd)
    keys = ("files", "added", "updated", "unchanged", "withdrawn", "indexed", "seconds")
    return {"nochange_s": nochange["s"], "nochange_cpu_s": nochange["cpu_s"],
            "changed_s": after["s"], "changed_cpu_s": after["cpu_s"], "changed": changed,
            "files_changed": files, "exit_codes": [nochange["exit"], after["exit"]],
            "nochange_report": {k: nochange["report"].get(k) for k in keys},
            "changed_report": {k: after["report"].get(k) for k in keys},
            "stderr": (nochange["stderr"] + after["stderr"]).strip()[-400:]}


def edit_records(source_dir: Path, count: int) -> int:
    """Append a correction line to the body of `count` records, taken from
    the end of the folder's last files; returns how many files changed."""
    files = 0
    for path in sorted(source_dir.glob("*.jsonl"), reverse=True):
        if count <= 0:
            break
        lines = path.read_text(encoding="utf-8").splitlines()
        for i in range(max(0, len(lines) - count), len(lines)):
            obj = json.loads(lines[i])
            key = "正文" if "正文" in obj else "body"
            obj[key] = f"{obj.get(key) or ''}\n（更正说明{i + 1}：原文所列日期有误，现予更正。）"
            lines[i] = json.dumps(obj, ensure_ascii=False)
            count -= 1
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        files += 1
    return files


def redone(inc: dict) -> int:
    """Bulletins the changed-records run updated, or added anew: a record with
    neither 索引号, URL, 发文字号 nor title and date is known by its content, so
    its edit is a new bulletin (and the old one is withdrawn)."""
    report = inc["changed_report"]
    return (report.get("updated") or 0) + (report.get("added") or 0)
