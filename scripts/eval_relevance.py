#!/usr/bin/env python
"""Relevance of search over the development corpus, against hand judgements.

    python scripts/eval_relevance.py --home DATA_HOME [--queries tests/relevance/queries.jsonl]
                                     [--present-only] [--json OUT] [--ids q01,q02]
                                     [--follow-suggestion]

DATA_HOME must hold the development corpus (`archive --home DATA_HOME ingest
../shared/corpus/dev/jsonl`).  Each query of queries.jsonl (see
tests/relevance/README.md) is run through `SearchService` with default
settings (relevance order) and every hit is mapped to its record key: the
record's URL when it has one, else its title.  With R = the set of relevant
keys and the hit list in rank order:

  P@10    relevant hits among the first 10 hits / number of those hits
          (min(10, hits); a query with no hits scores 0).  Every hit whose key
          is in R counts, so two versions of a law both count.
  R@10    distinct keys of R found among the first 10 hits / |R|
  Recall  distinct keys of R found anywhere in the result (all pages) / |R|
  RR      1 / rank of the first relevant hit (0 if none); the mean is MRR
  nDCG@10 binary gains: sum of 1/log2(rank+1) over distinct relevant keys in
          the first 10 (at their first rank), divided by the same sum for an
          ideal list (min(10, |R|) relevant hits first)

`--follow-suggestion`: a query with no results but a "did you mean" is
scored on the suggested query's results (what a clerk gets with one click);
such rows are marked `→`.  `--with-near`: the near matches the page lists
after fewer than 10 results ("相近结果", `partial`) count as the hits that
follow them (what a clerk sees on the first page).

Means are over the evaluated queries.  `--present-only` drops judged keys
the data home does not hold (to try the script on a slice of the corpus) and
skips queries left with none; without it, every judgement counts.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive.search import SearchRequest, SearchService  # noqa: E402
from archive.store import Archive  # noqa: E402

K = 10


def record_key(record: dict) -> str | None:
    return record.get("url") or record.get("title")


def archive_keys(home: Path) -> dict[int, str]:
    """doc id -> key, for every active bulletin."""
    archive = Archive(home, readonly=True)
    try:
        return {doc_id: record_key(record) for doc_id, _vid, status, record in archive.all_docs()
                if status == "active"}
    finally:
        archive.close()


def load_queries(path: Path, only: set[str] | None) -> list[dict]:
    queries = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                query = json.loads(line)
                if not only or query["id"] in only:
                    queries.append(query)
    return queries


def ndcg(top: list, relevant: set) -> float:
    """Each relevant key gains once, at its first rank (two versions of a law
    are one relevant document here)."""
    seen: set = set()
    gain = 0.0
    for rank, key in enumerate(top, 1):
        if key in relevant and key not in seen:
            seen.add(key)
            gain += 1 / math.log2(rank + 1)
    ideal = sum(1 / math.log2(rank + 1) for rank in range(1, min(K, len(relevant)) + 1))
    return gain / ideal if ideal else 0.0


def evaluate(service: SearchService, keys: dict[int, str], query: dict,
             present: set[str] | None, follow: bool = False,
             near: bool = False) -> dict | None:
    relevant = set(query["relevant"])
    if present is not None:
        relevant &= present
        if not relevant:
            return None
    result = service.search(SearchRequest(q=query["query"], all=True, highlight=False))
    followed = None
    if follow and not result.total and result.suggestion:
        followed = result.suggestion
        result = service.search(SearchRequest(q=followed, all=True, highlight=False))
    shown = result.hits + (getattr(result, "partial", []) if near else [])
    hit_keys = [keys.get(hit.id) for hit in shown]
    top = hit_keys[:K]
    first = next((rank for rank, key in enumerate(hit_keys, 1) if key in relevant), None)
    return {
        "id": query["id"], "query": query["query"], "kind": query.get("kind"),
        "relevant": len(relevant), "hits": result.total,
        "p@10": (sum(key in relevant for key in top) / len(top)) if top else 0.0,
        "r@10": len(relevant & set(top)) / len(relevant),
        "recall": len(relevant & set(hit_keys)) / len(relevant),
        "rr": 1 / first if first else 0.0,
        "ndcg@10": ndcg(top, relevant), "followed": followed,
        "missed": sorted(relevant - set(hit_keys)),
        "warnings": result.warnings,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", required=True, type=Path, help="data home with the dev corpus")
    parser.add_argument("--queries", type=Path,
                        default=ROOT / "tests" / "relevance" / "queries.jsonl")
    parser.add_argument("--present-only", action="store_true",
                        help="judge only keys the data home holds (for corpus slices)")
    parser.add_argument("--ids", help="comma-separated query ids to run (default: all)")
    parser.add_argument("--json", type=Path, help="also write per-query results here")
    parser.add_argument("--show-missed", action="store_true", help="list relevant keys not found")
    parser.add_argument("--follow-suggestion", action="store_true",
                        help="score a query without results on its suggestion's results")
    parser.add_argument("--with-near", action="store_true",
                        help="near matches (partial) follow the results, as on the page")
    args = parser.parse_args(argv)

    service = SearchService(args.home)
    keys = archive_keys(args.home)
    present = set(keys.values()) if args.present_only else None
    queries = load_queries(args.queries, set(args.ids.split(",")) if args.ids else None)

    rows, skipped = [], 0
    print(f"{'id':<5} {'P@10':>5} {'nDCG':>5} {'R@10':>5} {'Recall':>6} {'RR':>5} {'hits':>7} "
          f"{'rel':>4}  query")
    for query in queries:
        row = evaluate(service, keys, query, present, args.follow_suggestion, args.with_near)
        if row is None:
            skipped += 1
            continue
        rows.append(row)
        print(f"{row['id']:<5} {row['p@10']:5.2f} {row['ndcg@10']:5.2f} {row['r@10']:5.2f} "
              f"{row['recall']:6.2f} {row['rr']:5.2f} {row['hits']:7d} {row['relevant']:4d}  "
              f"{row['query']}" + (f" → {row['followed']}" if row["followed"] else ""))
        if args.show_missed and row["missed"]:
            for key in row["missed"]:
                print(f"      missed: {key}")
    if not rows:
        print("no query could be evaluated", file=sys.stderr)
        return 1
    n = len(rows)
    means = {name: sum(r[name] for r in rows) / n
             for name in ("p@10", "ndcg@10", "r@10", "recall", "rr")}
    print(f"{'mean':<5} {means['p@10']:5.2f} {means['ndcg@10']:5.2f} {means['r@10']:5.2f} "
          f"{means['recall']:6.2f} {means['rr']:5.2f}  over {n} queries"
          + (f" ({skipped} skipped)" if skipped else ""))
    kinds: dict[str, list] = {}
    for row in rows:
        kinds.setdefault((row["kind"] or "").split("-")[0], []).append(row)
    for kind, group in sorted(kinds.items()):
        print(f"  {kind:<14} P@10 {sum(r['p@10'] for r in group) / len(group):.2f}  "
              f"nDCG@10 {sum(r['ndcg@10'] for r in group) / len(group):.2f}  ({len(group)})")
    if args.json:
        args.json.write_text(json.dumps({"means": means, "queries": rows, "skipped": skipped},
                                        ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
