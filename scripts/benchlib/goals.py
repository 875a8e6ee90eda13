"""Issue 14's goals, each judged PASS / FAIL / n/a on the number it is about."""
from __future__ import annotations

from benchlib.commands import redone
from benchlib.settings import MB

FULL_SCALE = 53000


def judged(name: str, ok: bool | None, value: str) -> dict:
    """One goal's row: PASS or FAIL, or n/a when `ok` is None (the run did
    not measure it at the scale the goal is about)."""
    return {"goal": name, "status": "n/a" if ok is None else "PASS" if ok else "FAIL",
            "value": value}


def goals(results: dict, curve: list[dict]) -> list[dict]:
    """The targets, each PASS / FAIL / n/a with the number it was judged on.
    "At 53k" goals use the main run if it had 53k records, else the curve's
    point at 53k; a smaller run shows its number as n/a."""
    out = []

    def goal(name, ok, value):
        out.append(judged(name, ok, value))

    scale = results.get("corpus", {}).get("records", 0)
    points = [{"records": scale, "build": results.get("build"),
               "query": results.get("queries"), "where": ""}] if results.get("corpus") else []
    points += [{**p, "where": " (curve)"} for p in curve]

    def at_full(key):
        """The point judged for an at-53k goal: the largest that has `key`."""
        have = [p for p in points if p.get(key)]
        exact = [p for p in have if p["records"] == FULL_SCALE]
        return exact[0] if exact else max(have, key=lambda p: p["records"]) if have else None

    build, base = results.get("build"), results.get("baseline_build")
    if build and base:
        ratio = build["docs_s"] / base["docs_s"]
        goal("build ≥ 7× baseline docs/s", ratio >= 7, f"{ratio:.2f}×")
    elif build:
        goal("build ≥ 7× baseline docs/s", None, "baseline skipped")

    p = at_full("build")
    if p:
        b, full = p["build"], p["records"] == FULL_SCALE
        at = f"at {p['records']} records{p['where']}"
        goal("build ≤ 45 s at 53k", (b["seconds"] <= 45) if full else None,
             f"{b['seconds']:.1f} s (CPU {b.get('cpu_seconds', float('nan')):.0f} s) {at}")
        goal("peak RSS ≤ 800 MB at 53k", (b["tree_peak_rss_mb"] <= 800) if full else None,
             f"{b['tree_peak_rss_mb']:.0f} MB {at}")
        goal("index ≤ 2.5× text", b["index_to_text"] <= 2.5,
             f"{b['index_to_text']:.2f}× ({b['index_bytes'] / MB:.1f} MB) {at}")
    p = at_full("query")
    if p:
        q, full = p["query"], p["records"] == FULL_SCALE
        at = f"at {p['records']} records{p['where']}"
        goal("query p95 ≤ 20 ms at 53k", (q["p95"] <= 20) if full else None,
             f"{q['p95']:.1f} ms {at}")
        goal("query p99 ≤ 50 ms at 53k", (q["p99"] <= 50) if full else None,
             f"{q['p99']:.1f} ms {at}")
        if "max" in q:
            goal("no query over 100 ms at 53k", (q["max"] <= 100) if full else None,
                 f"slowest {q['max']:.1f} ms {at}")
    q, bq = results.get("queries"), results.get("baseline_queries")
    if q and bq:
        goal("query p95 below baseline p95", q["p95"] < bq["p95"],
             f"{q['p95']:.0f} vs {bq['p95']:.0f} ms")
    out += _scale_goals(points)
    cli = results.get("cli")
    if cli:
        goal("CLI cold start ≤ 0.35 s", cli["median_s"] <= 0.35 and not cli["failures"],
             f"{cli['median_s']:.2f} s (CPU {cli.get('median_cpu_s', float('nan')):.2f} s)")
    ri = results.get("reindex")
    if ri:
        goal("no-change reindex ≤ 1 s", ri["second_s"] <= 1 and ri["exit_codes"][1] == 0,
             f"{ri['second_s']:.2f} s")
    have = [p for p in curve if p.get("incremental")]
    if have:
        p = max(have, key=lambda p: p["records"])
        inc, at = p["incremental"], f"at {p['records']} records (curve)"
        goal(f"re-ingest {inc['changed']} changed bulletins ≤ 5 s at 200k",
             (inc["changed_s"] <= 5 and inc["exit_codes"][1] == 0
              and redone(inc) == inc["changed"])
             if p["records"] >= 200_000 else None,
             f"{inc['changed_s']:.2f} s (CPU {inc['changed_cpu_s']:.2f} s, {redone(inc)} "
             f"bulletins updated or re-added) {at}")
        goal("no-change reindex ≤ 1 s at 200k",
             (inc["nochange_s"] <= 1 and inc["exit_codes"][0] == 0)
             if p["records"] >= 200_000 else None,
             f"{inc['nochange_s']:.2f} s (CPU {inc['nochange_cpu_s']:.2f} s) {at}")
    web = results.get("web")
    if web and "req_s" in web:
        goal("/api/search ≥ 150 req/s, p95 ≤ 100 ms, 0 errors",
             web["req_s"] >= 150 and web["p95"] <= 100 and web["non_2xx"] == 0,
             f"{web['req_s']} req/s, p95 {web['p95']:.0f} ms, {web['non_2xx']} non-2xx "
             f"at {web['clients']} clients")
    elif web:
        goal("/api/search ≥ 150 req/s, p95 ≤ 100 ms, 0 errors", None,
             web.get("skipped", "skipped"))
    return out


def _scale_goals(points: list[dict]) -> list[dict]:
    """The 200k goals of issue 14, judged against the 53k point of the same
    run (the main run or a curve point): build time linear (≤ 4.2× for
    3.8× the records), p95 ≤ 50 ms, the same memory bound, and p95 growing
    ≤ 1.6× from 53k to 200k (query cost sub-linear in the archive)."""
    big = [p for p in points if p["records"] >= 200_000 and p.get("build") and p.get("query")]
    base = [p for p in points if p["records"] == FULL_SCALE and p.get("build") and p.get("query")]
    if not big:
        return []
    p = max(big, key=lambda p: p["records"])
    at, out = f"at {p['records']} records{p['where']}", []

    def goal(name, ok, value):
        out.append(judged(name, ok, value))

    goal("p95 ≤ 50 ms at 200k", p["query"]["p95"] <= 50, f"{p['query']['p95']:.1f} ms {at}")
    goal("peak RSS ≤ 800 MB at 200k", p["build"]["tree_peak_rss_mb"] <= 800,
         f"{p['build']['tree_peak_rss_mb']:.0f} MB {at}")
    if base:
        b = base[0]
        ratio = p["build"]["seconds"] / b["build"]["seconds"]
        goal("build at 200k ≤ 4.2× the 53k build", ratio <= 4.2,
             f"{ratio:.2f}× ({p['build']['seconds']:.0f} / {b['build']['seconds']:.0f} s)")
        growth = p["query"]["p95"] / b["query"]["p95"]
        goal("p95 grows ≤ 1.6× from 53k to 200k", growth <= 1.6,
             f"{growth:.2f}× ({b['query']['p95']:.1f} → {p['query']['p95']:.1f} ms)")
    else:
        goal("build at 200k ≤ 4.2× the 53k build", None, "no 53k point in this run")
        goal("p95 grows ≤ 1.6× from 53k to 200k", None, "no 53k point in this run")
    return out
