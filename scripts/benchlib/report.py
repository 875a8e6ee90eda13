"""The printed report: the measurement table, latency by query kind, the
scale curve and the goals, in columns that allow for wide CJK characters."""
from __future__ import annotations

import unicodedata

from benchlib.commands import CHANGED_RECORDS
from benchlib.settings import MB


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, n: int) -> str:
    return text + " " * max(0, n - width(text))


def table(rows: list[tuple], header: tuple) -> str:
    rows = [tuple(str(c) for c in r) for r in rows]
    widths = [max(width(r[i]) for r in [header] + rows) for i in range(len(header))]
    line = lambda r: "  ".join(pad(c, w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(tuple("─" * w for w in widths))] + [line(r) for r in rows])


def ms(stats: dict) -> str:
    return f"p50 {stats['p50']:.1f} · p95 {stats['p95']:.1f} · p99 {stats['p99']:.1f} ms"


def report(results: dict) -> str:
    """Everything the run measured, as the text the bench prints."""
    lines = _header(results)
    rows = _build_rows(results) + _query_rows(results) + _command_rows(results)
    if rows:
        lines += ["", table(rows, ("measurement", "result", "detail"))]
    if results.get("queries"):
        lines += _by_kind(results["queries"], results.get("baseline_queries"))
    if results.get("curve"):
        lines += ["", _curve_table(results["curve"])]
    lines += ["", table([(g["status"], g["goal"], g["value"]) for g in results["goals"]],
                        ("goal", "target", "measured"))]
    return "\n".join(lines)


def _header(results: dict) -> list[str]:
    m, c = results["machine"], results.get("corpus")
    lines = [f"machine: {m['cores']} cores · {m['cpu']} · Python {m['python']} · {m['memory']} RAM"
             f" · load at start {' '.join(map(str, m['load_start']))}"
             f" · at end {' '.join(map(str, results.get('load_end', [])))}"]
    if c:
        lines.append(f"corpus:  {c['source']} · {c['label']} · "
                     f"{c['text_bytes'] / MB:.1f} MB text (title+body UTF-8)")
    return lines


def _build_rows(results: dict) -> list[tuple]:
    """Segmentation limit, the baseline's and the product's builds, the rebuild."""
    rows = []
    seg = results.get("segment")
    if seg:
        a, one, j = seg["all_cores"], seg["one_core"], seg["jieba_one_core"]
        rows.append(("segmentation limit", f"{a['mb_s']:.2f} MB/s · {a['docs_s']:.0f} docs/s",
                     f"rjieba Segmenter.cut, folded text, Pool({seg['procs']})"))
        rows.append(("  rjieba, one core", f"{one['mb_s']:.2f} MB/s · {one['docs_s']:.0f} docs/s",
                     "same, in-process"))
        rows.append(("  python jieba, one core", f"{j['mb_s']:.2f} MB/s · {j['docs_s']:.0f} docs/s",
                     f"jieba.lcut HMM off, first {j['text_mb']} MB"))
    base = results.get("baseline_build")
    if base:
        rows.append(("baseline build", f"{base['docs_s']:.0f} docs/s · {base['mb_s']:.2f} MB/s",
                     f"{base['seconds']} s · peak RSS {base['tree_peak_rss_mb']:.0f} MB · index "
                     f"{base['index_bytes'] / MB:.1f} MB ({base['index_to_text']}× text)"))
    build = results.get("build")
    if build:
        ratios = []
        if base:
            ratios.append(f"{build['docs_s'] / base['docs_s']:.2f}× baseline")
        if seg:
            ratios.append(f"{build['mb_s'] / seg['all_cores']['mb_s']:.0%} of seg. limit")
        rows.append(("product build (ingest)", f"{build['docs_s']:.0f} docs/s · "
                     f"{build['mb_s']:.2f} MB/s", " · ".join([f"{build['seconds']} s"] + ratios)))
        if build.get("runs"):
            rows.append(("  runs", f"median of {len(build['runs'])}", " · ".join(
                f"{r['seconds']:.1f} s (CPU {r['cpu_seconds']:.0f} s, "
                f"{r['tree_peak_rss_mb']:.0f} MB)" for r in build["runs"])))
        rows.append(("  peak RSS", f"{build['tree_peak_rss_mb']:.0f} MB",
                     f"process tree, sampled; largest process {build['peak_rss_mb']:.0f} MB"))
        rows.append(("  index size", f"{build['index_bytes'] / MB:.1f} MB",
                     f"{build['index_to_text']}× text"
                     + (f" · {build['index_bytes'] / base['index_bytes']:.2f}× baseline index"
                        if base else "")))
        rows.append(("    of which", "", " · ".join(f"{k} {v / MB:.1f} MB"
                                                 for k, v in build["index_parts"].items())))
        rows.append(("  archive SQLite", f"{build['sqlite_bytes'] / MB:.1f} MB",
                     "originals + versions + jobs"))
    rb = results.get("rebuild")
    if rb:
        rows.append(("full rebuild (archive → index)", f"{rb['docs_s']:.0f} docs/s · "
                     f"{rb['mb_s']:.2f} MB/s", f"{rb['seconds']} s · peak RSS "
                     f"{rb['tree_peak_rss_mb']:.0f} MB · generation "
                     f"{rb['generation_bytes'] / MB:.1f} MB"))
    return rows


def _query_rows(results: dict) -> list[tuple]:
    """Warm query latencies, did-you-mean, the hostile set, the baseline's."""
    rows = []
    q, bq = results.get("queries"), results.get("baseline_queries")
    if q:
        rows.append(("queries (product)", ms(q), f"{q['n']} queries · {q['zero_hit']} with no hit"
                     + (f" · load {q['load']}" if "load" in q else "")))
    sg = results.get("suggest")
    if sg and "p50" in sg:
        rows.append(("did you mean (suggest step)", f"p50 {sg['p50']} / p95 {sg['p95']} / max "
                     f"{sg['max']} ms", f"{sg['n']} generated typos · top-1 {sg['top1']:.0%}"))
    ho = results.get("hostile")
    if ho:
        worst = max(ho["queries"], key=lambda r: r["ms"])
        rows.append(("hostile queries, worst", f"{ho['worst_ms']:.0f} ms",
                     f"{len(ho['queries'])} generated · worst: {worst['query']} "
                     f"({worst['outcome']})"))
    if bq:
        rows.append(("queries (baseline)", ms(bq),
                     f"{bq['n']} queries · {bq['zero_hit']} with no hit"))
    return rows


def _command_rows(results: dict) -> list[tuple]:
    """CLI cold start, no-change reindex and the web server."""
    rows = []
    cli = results.get("cli")
    if cli:
        rows.append(("CLI cold start", f"{cli['median_s']:.2f} s",
                     f"median of {cli['runs']} × {len(cli['per_query'])} queries"
                     + (f" · CPU {cli['median_cpu_s']:.2f} s" if "median_cpu_s" in cli else "")
                     + (f" · {len(cli['failures'])} failed" if cli["failures"] else "")))
    ri = results.get("reindex")
    if ri:
        rows.append(("no-change reindex", f"{ri['second_s']:.2f} s",
                     f"second `archive reindex --source`; first {ri['first_s']:.2f} s"))
    web = results.get("web")
    if web:
        if "req_s" in web:
            rows.append(("web /api/search", f"{web['req_s']:.1f} req/s · p95 {web['p95']:.0f} ms",
                         f"{web['clients']} clients · {web['seconds']} s · p50 {web['p50']:.0f} ms"
                         f" · {web['non_2xx']} non-2xx"))
        else:
            rows.append(("web /api/search", "skipped", web["skipped"]))
    return rows


def _by_kind(q: dict, bq: dict | None) -> list[str]:
    """Product and baseline latency by query kind and by outcome, and the
    slowest queries of each."""
    lines = []
    groups = [("by_kind", k) for k in sorted(set(q["by_kind"]) |
                                             set((bq or {}).get("by_kind", {})))]
    groups += [("by_outcome", k) for k in ("with hits", "no hit")]
    krows = []
    for group, k in groups:
        p, b = q.get(group, {}).get(k), (bq or {}).get(group, {}).get(k)
        if not (p or b):
            continue
        k = f"(all, {k})" if group == "by_outcome" else k
        krows.append((k, p["n"] if p else "", f"{p['p50']:.1f} / {p['p95']:.1f}" if p else "",
                      f"{b['p50']:.1f} / {b['p95']:.1f}" if b else ""))
    lines += ["", table(krows, ("query kind", "n", "product p50 / p95 ms",
                                "baseline p50 / p95 ms"))]
    lines += ["", "slowest product queries: " + "; ".join(
        f"{s['query']} {s['ms']} ms" for s in q["slowest"][:5])]
    if bq:
        lines.append("slowest baseline queries: " + "; ".join(
            f"{s['query']} {s['ms']} ms" for s in bq["slowest"][:5]))
    return lines


def _curve_table(curve: list[dict]) -> str:
    crows = [(p["records"], f"{p['text_mb']}", f"{p['build']['seconds']}",
              f"{p['build'].get('cpu_seconds', '')}",
              f"{p['build']['docs_s']:.0f}", f"{p['build']['tree_peak_rss_mb']:.0f}",
              f"{p['build']['index_bytes'] / MB:.1f} ({p['build']['index_to_text']}×)",
              f"{p['query']['p50']:.1f} / {p['query']['p95']:.1f} / {p['query']['p99']:.1f}"
              + (f" (load {p['query']['load']})" if "load" in p["query"] else ""),
              f"{p['cli']['median_s']} ({p['cli'].get('median_cpu_s', '')})"
              if p.get("cli") else "",
              _incremental_cell(p, "nochange"), _incremental_cell(p, "changed"),
              f"{p['load'][0]}" if p.get("load") else "",
              "" if p["label"].startswith(("first", "all")) else p["label"])
             for p in curve]
    return table(crows, ("records", "text MB", "build s", "build CPU s", "docs/s",
                         "peak RSS MB", "index MB", "query p50 / p95 / p99 ms",
                         "cold CLI s (CPU)", "no-change reindex s (CPU)",
                         f"{CHANGED_RECORDS} changed s (CPU)", "load", "note"))


def _incremental_cell(point: dict, which: str) -> str:
    inc = point.get("incremental")
    return f"{inc[f'{which}_s']} ({inc[f'{which}_cpu_s']})" if inc else ""
