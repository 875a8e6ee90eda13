"""scripts/bench (benchlib.goals) judges issue 14's goals on the numbers it measured: each
goal passes or fails on its own threshold, the "at 53k" goals are judged on
the 53k point even when a 200k curve point is in the same run, and the
scale goals compare 200k with 53k."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from benchlib.goals import goals  # noqa: E402


def build(seconds, rss, ratio=2.0):
    return {"seconds": seconds, "cpu_seconds": seconds * 1.5, "tree_peak_rss_mb": rss,
            "index_to_text": ratio, "index_bytes": 100 * 2**20, "docs_s": 53000 / seconds}


def run(p95_53k, p95_200k, build_53k=40.0, build_200k=160.0, rss_200k=700):
    results = {"corpus": {"records": 53000}, "build": build(build_53k, 700),
               "queries": {"p50": 5, "p95": p95_53k, "p99": 30, "max": 60}}
    curve = [{"records": 200_000, "build": build(build_200k, rss_200k),
              "query": {"p50": 9, "p95": p95_200k, "p99": 70}}]
    return {g["goal"]: g["status"] for g in goals(results, curve)}


def test_goals_met_pass():
    status = run(p95_53k=15, p95_200k=20)
    assert status["build ≤ 45 s at 53k"] == "PASS"
    assert status["query p95 ≤ 20 ms at 53k"] == "PASS"
    assert status["p95 grows ≤ 1.6× from 53k to 200k"] == "PASS"
    assert status["build at 200k ≤ 4.2× the 53k build"] == "PASS"
    assert status["peak RSS ≤ 800 MB at 200k"] == "PASS"


def test_each_missed_goal_fails_on_its_own_threshold():
    status = run(p95_53k=15, p95_200k=30, build_53k=50, build_200k=220, rss_200k=900)
    assert status["build ≤ 45 s at 53k"] == "FAIL"
    assert status["p95 grows ≤ 1.6× from 53k to 200k"] == "FAIL"      # 2.0×
    assert status["build at 200k ≤ 4.2× the 53k build"] == "FAIL"     # 4.4×
    assert status["peak RSS ≤ 800 MB at 200k"] == "FAIL"
    assert status["p95 ≤ 50 ms at 200k"] == "PASS"


def test_53k_goals_use_the_53k_point_not_the_largest():
    # The 200k point's p95 (45 ms) would fail "≤ 20 ms at 53k"; the 53k run's
    # 15 ms is what that goal is about.
    status = run(p95_53k=15, p95_200k=45)
    assert status["query p95 ≤ 20 ms at 53k"] == "PASS"
    assert status["p95 ≤ 50 ms at 200k"] == "PASS"


def test_repeated_builds_report_the_median_run_and_the_largest_memory(monkeypatch, tmp_path):
    from benchlib import builds

    measured = iter([{"seconds": 70.0, "cpu_seconds": 130, "tree_peak_rss_mb": 820, "peak_rss_mb": 370},
                     {"seconds": 40.0, "cpu_seconds": 69, "tree_peak_rss_mb": 650, "peak_rss_mb": 300},
                     {"seconds": 42.0, "cpu_seconds": 72, "tree_peak_rss_mb": 690, "peak_rss_mb": 330}])
    monkeypatch.setattr(builds, "run_measured", lambda task, **args: next(measured))
    monkeypatch.setattr(builds, "dir_size", lambda path: 0)
    data = {"path": str(tmp_path), "records": 53000, "text_bytes": 100 * 2**20}
    result = builds.measure_product_build(data, tmp_path / "home", runs=3)
    assert (result["seconds"], result["cpu_seconds"]) == (42.0, 72)
    assert (result["tree_peak_rss_mb"], result["peak_rss_mb"]) == (820, 370)
    assert [r["seconds"] for r in result["runs"]] == [70.0, 40.0, 42.0]
    assert result["docs_s"] == round(53000 / 42.0, 1)


def _with_recipe(build_53k, recipe_s):
    results = {"corpus": {"records": 53000}, "build": build(build_53k, 700),
               "baseline_build": {"seconds": recipe_s, "docs_s": 53000 / recipe_s},
               "queries": {"p50": 5, "p95": 10, "p99": 30, "max": 60}}
    return {g["goal"]: g for g in goals(results, [])}


def test_the_45_s_goal_is_also_judged_where_the_recipe_takes_321_s():
    """"≤ 45 s where the recipe takes 321 s": 55 s beside a 549 s recipe
    is 32 s at the recipe's 321 s (PASS), while the absolute row fails;
    50 s beside a 321 s recipe fails both."""
    slow_host = _with_recipe(55.0, 549.0)
    assert slow_host["build ≤ 45 s where the recipe takes 321 s"]["status"] == "PASS"
    assert slow_host["build ≤ 45 s where the recipe takes 321 s"]["value"].startswith("32.2 s")
    assert slow_host["build ≤ 45 s at 53k"]["status"] == "FAIL"
    reference = _with_recipe(50.0, 321.0)
    assert reference["build ≤ 45 s where the recipe takes 321 s"]["status"] == "FAIL"
    assert reference["build ≥ 7× baseline docs/s"]["status"] == "FAIL"


def test_the_p95_growth_shows_the_cpu_growth_when_measured():
    results = {"corpus": {"records": 53000}, "build": build(40.0, 700),
               "queries": {"p50": 2, "p95": 4.0, "p99": 6, "max": 9,
                           "cpu": {"p50": 2, "p95": 4.0, "p99": 6}}}
    curve = [{"records": 200_000, "build": build(150.0, 700),
              "query": {"p50": 3, "p95": 8.0, "p99": 12, "cpu": {"p50": 3, "p95": 5.0, "p99": 9}}}]
    row = {g["goal"]: g for g in goals(results, curve)}["p95 grows ≤ 1.6× from 53k to 200k"]
    assert row["status"] == "FAIL"                              # judged on the wall time
    assert row["value"] == "2.00× (4.0 → 8.0 ms; CPU 1.25×, 4.0 → 5.0 ms)"
