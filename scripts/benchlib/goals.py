"""Issue 14's goals, each judged PASS / FAIL / n/a on the number it is about.

"At 53k" goals are judged on the run's 53k point (the main run or a curve
point); a run without one shows its largest point's number as n/a.  The
200k goals compare the 200k point with the 53k point of the same run."""
from __future__ import annotations

from benchlib.commands import redone
from benchlib.settings import MB

FULL_SCALE = 53000
LARGE_SCALE = 200_000


def judged(name: str, ok: bool | None, value: str) -> dict:
    """One goal's row: PASS or FAIL, or n/a when `ok` is None (the run did
    not measure it at the scale the goal is about)."""
    return {"goal": name, "status": "n/a" if ok is None else "PASS" if ok else "FAIL",
            "value": value}


def goals(results: dict, curve: list[dict]) -> list[dict]:
    """The targets, each PASS / FAIL / n/a with the number it was judged on."""
    points = _points(results, curve)
    return (_baseline_build_goals(results) + _build_goals(_at_full(points, "build"))
            + _query_goals(_at_full(points, "query")) + _baseline_query_goals(results)
            + _scale_goals(points) + _command_goals(results) + _incremental_goals(curve)
            + _web_goals(results.get("web")))


def _points(results: dict, curve: list[dict]) -> list[dict]:
    """The main run (if it built a corpus) and the curve's points, each with
    its record count, build, query latencies and where it comes from."""
    scale = results.get("corpus", {}).get("records", 0)
    points = [{"records": scale, "build": results.get("build"),
               "query": results.get("queries"), "where": ""}] if results.get("corpus") else []
    return points + [{**p, "where": " (curve)"} for p in curve]


def _at_full(points: list[dict], key: str) -> dict | None:
    """The point judged for an at-53k goal: the 53k one, else the largest that has `key`."""
    have = [p for p in points if p.get(key)]
    exact = [p for p in have if p["records"] == FULL_SCALE]
    return exact[0] if exact else max(have, key=lambda p: p["records"]) if have else None


def _judged_at(point: dict) -> tuple[bool, str]:
    """Whether `point` is the 53k one, and the "at N records" the value ends with."""
    return point["records"] == FULL_SCALE, f"at {point['records']} records{point['where']}"


RECIPE_REFERENCE_S = 321        # the recipe's 53k build where issue 14 set "≤ 45 s"


def _baseline_build_goals(results: dict) -> list[dict]:
    """The build against the recipe in the same run: its docs/s ratio, and
    the 45 s goal as the issue states it, "≤ 45 s where the recipe takes
    321 s": this run's time scaled by 321 s over the recipe's time here
    (the shared host ran the same recipe build in 362 to 549 s on one day;
    the absolute row is judged separately, `_build_goals`)."""
    build, base = results.get("build"), results.get("baseline_build")
    if build and base:
        ratio = build["docs_s"] / base["docs_s"]
        scaled = build["seconds"] * RECIPE_REFERENCE_S / base["seconds"]
        return [judged("build ≥ 7× baseline docs/s", ratio >= 7, f"{ratio:.2f}×"),
                judged("build ≤ 45 s where the recipe takes 321 s", scaled <= 45,
                       f"{scaled:.1f} s ({build['seconds']:.1f} s here, where the recipe "
                       f"took {base['seconds']:.1f} s)")]
    if build:
        return [judged("build ≥ 7× baseline docs/s", None, "baseline skipped")]
    return []


def _build_goals(p: dict | None) -> list[dict]:
    if not p:
        return []
    b, (full, at) = p["build"], _judged_at(p)
    return [judged("build ≤ 45 s at 53k", (b["seconds"] <= 45) if full else None,
                   f"{b['seconds']:.1f} s (CPU {b.get('cpu_seconds', float('nan')):.0f} s) {at}"),
            judged("peak RSS ≤ 800 MB at 53k", (b["tree_peak_rss_mb"] <= 800) if full else None,
                   f"{b['tree_peak_rss_mb']:.0f} MB {at}"),
            judged("index ≤ 2.5× text", b["index_to_text"] <= 2.5,
                   f"{b['index_to_text']:.2f}× ({b['index_bytes'] / MB:.1f} MB) {at}")]


def _query_goals(p: dict | None) -> list[dict]:
    if not p:
        return []
    q, (full, at) = p["query"], _judged_at(p)
    out = [judged("query p95 ≤ 20 ms at 53k", (q["p95"] <= 20) if full else None,
                  f"{q['p95']:.1f} ms {at}"),
           judged("query p99 ≤ 50 ms at 53k", (q["p99"] <= 50) if full else None,
                  f"{q['p99']:.1f} ms {at}")]
    if "max" in q:
        out.append(judged("no query over 100 ms at 53k", (q["max"] <= 100) if full else None,
                          f"slowest {q['max']:.1f} ms {at}"))
    return out


def _baseline_query_goals(results: dict) -> list[dict]:
    q, bq = results.get("queries"), results.get("baseline_queries")
    if not (q and bq):
        return []
    return [judged("query p95 below baseline p95", q["p95"] < bq["p95"],
                   f"{q['p95']:.0f} vs {bq['p95']:.0f} ms")]


def _scale_goals(points: list[dict]) -> list[dict]:
    """The 200k goals of issue 14, judged against the 53k point of the same
    run (the main run or a curve point): build time linear (≤ 4.2× for
    3.8× the records), p95 ≤ 50 ms, the same memory bound, and p95 growing
    ≤ 1.6× from 53k to 200k (query cost sub-linear in the archive)."""
    complete = [p for p in points if p.get("build") and p.get("query")]
    big = [p for p in complete if p["records"] >= LARGE_SCALE]
    base = [p for p in complete if p["records"] == FULL_SCALE]
    if not big:
        return []
    p = max(big, key=lambda p: p["records"])
    at = f"at {p['records']} records{p['where']}"
    out = [judged("p95 ≤ 50 ms at 200k", p["query"]["p95"] <= 50,
                  f"{p['query']['p95']:.1f} ms {at}"),
           judged("peak RSS ≤ 800 MB at 200k", p["build"]["tree_peak_rss_mb"] <= 800,
                  f"{p['build']['tree_peak_rss_mb']:.0f} MB {at}")]
    if not base:
        missing = "no 53k point in this run"
        return out + [judged("build at 200k ≤ 4.2× the 53k build", None, missing),
                      judged("p95 grows ≤ 1.6× from 53k to 200k", None, missing)]
    b = base[0]
    ratio = p["build"]["seconds"] / b["build"]["seconds"]
    growth = p["query"]["p95"] / b["query"]["p95"]
    return out + [
        judged("build at 200k ≤ 4.2× the 53k build", ratio <= 4.2,
               f"{ratio:.2f}× ({p['build']['seconds']:.0f} / {b['build']['seconds']:.0f} s)"),
        judged("p95 grows ≤ 1.6× from 53k to 200k", growth <= 1.6,
               f"{growth:.2f}× ({b['query']['p95']:.1f} → {p['query']['p95']:.1f} ms"
               f"{_cpu_growth(b['query'], p['query'])})")]


def _cpu_growth(small: dict, large: dict) -> str:
    """The same growth in CPU time per query, when both points measured it."""
    a, b = (small.get("cpu") or {}).get("p95"), (large.get("cpu") or {}).get("p95")
    return f"; CPU {b / a:.2f}×, {a:.1f} → {b:.1f} ms" if a and b else ""


def _command_goals(results: dict) -> list[dict]:
    """The CLI's cold start and the main run's no-change reindex."""
    out = []
    cli = results.get("cli")
    if cli:
        out.append(judged(
            "CLI cold start ≤ 0.35 s", cli["median_s"] <= 0.35 and not cli["failures"],
            f"{cli['median_s']:.2f} s (CPU {cli.get('median_cpu_s', float('nan')):.2f} s)"))
    ri = results.get("reindex")
    if ri:
        out.append(judged("no-change reindex ≤ 1 s",
                          ri["second_s"] <= 1 and ri["exit_codes"][1] == 0,
                          f"{ri['second_s']:.2f} s"))
    return out


def _incremental_goals(curve: list[dict]) -> list[dict]:
    """Re-ingesting changed bulletins and a no-change reindex, on the
    largest curve point (judged only at 200k or more)."""
    have = [p for p in curve if p.get("incremental")]
    if not have:
        return []
    p = max(have, key=lambda p: p["records"])
    inc, at = p["incremental"], f"at {p['records']} records (curve)"
    large = p["records"] >= LARGE_SCALE
    return [
        judged(f"re-ingest {inc['changed']} changed bulletins ≤ 5 s at 200k",
               (inc["changed_s"] <= 5 and inc["exit_codes"][1] == 0
                and redone(inc) == inc["changed"]) if large else None,
               f"{inc['changed_s']:.2f} s (CPU {inc['changed_cpu_s']:.2f} s, {redone(inc)} "
               f"bulletins updated or re-added) {at}"),
        judged("no-change reindex ≤ 1 s at 200k",
               (inc["nochange_s"] <= 1 and inc["exit_codes"][0] == 0) if large else None,
               f"{inc['nochange_s']:.2f} s (CPU {inc['nochange_cpu_s']:.2f} s) {at}")]


def _web_goals(web: dict | None) -> list[dict]:
    name = "/api/search ≥ 150 req/s, p95 ≤ 100 ms, 0 errors"
    if not web:
        return []
    if "req_s" not in web:
        return [judged(name, None, web.get("skipped", "skipped"))]
    return [judged(name, web["req_s"] >= 150 and web["p95"] <= 100 and web["non_2xx"] == 0,
                   f"{web['req_s']} req/s, p95 {web['p95']:.0f} ms, {web['non_2xx']} non-2xx "
                   f"at {web['clients']} clients")]
