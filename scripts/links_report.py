#!/usr/bin/env python3
"""Citations and reprint groups measured straight from JSON Lines records.

    scripts/links_report.py /work/shared/corpus/dev/jsonl --out /tmp/links

Parses every record with the product's JSONL parser, numbers them 1..n as
an ingest would, and runs the same code the index build runs
(`archive.citations.CitationWriter`, `archive.reprint_writer.ReprintWriter`) into
a scratch folder.  Prints the counts and the CPU time of that work (what the build adds),
and writes two files to judge by reading: `links-sample.txt` (100 resolved
references with the citing sentence and the bulletin they resolve to) and
`groups-sample.txt` (50 near-duplicate groups with each member's title and
opening).
"""
from __future__ import annotations

import argparse
import gzip
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive.citations import Citations, CitationWriter
from archive.parsers.jsonl import iter_lines
from archive.reprint_writer import ReprintWriter, read_table


def records(folder: Path):
    for path in sorted(folder.glob("*.jsonl*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as lines:
            for _n, record, _error in iter_lines(lines):
                if record is not None:
                    yield record.to_dict()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name in ("citations.sqlite", "reprints.npz"):
        (args.out / name).unlink(missing_ok=True)
    docs = {i: r for i, r in enumerate(records(args.folder), start=1)}
    cpu = time.process_time()
    cites, reprints = CitationWriter(args.out, True), ReprintWriter(args.out, True)
    for i, record in docs.items():
        cites.add(i, "active", record)
        reprints.add(i, "active", record.get("body"), record.get("title"))
    found = cites.refs
    cites.finish()
    grouped = reprints.finish()
    cpu = time.process_time() - cpu
    report(args, docs, found, grouped, cpu)


def report(args, docs: dict, found: int, grouped: dict, cpu: float) -> None:
    rng = random.Random(args.seed)
    reader = Citations(args.out)
    resolved = []
    kinds = Counter()
    for src, _pos, doc_no, title, dkey, tkey in reader.db.execute(
            "SELECT src, pos, doc_no, title, doc_no_key, title_key FROM refs"):
        date = reader._key_row(src)[2]
        target = reader.resolve(dkey, tkey, date, exclude=src)
        kind = "both" if doc_no and title else "doc_no" if doc_no else "title"
        kinds[(kind, target is not None)] += 1
        if target is not None:
            resolved.append((src, doc_no, title, target))
    print(f"records {len(docs)}  references {found}  resolved {len(resolved)}"
          f"  cpu {cpu:.1f} s (citations + signatures + groups)")
    for (kind, ok), n in sorted(kinds.items()):
        print(f"  {kind:7s} {'resolved' if ok else 'unresolved':10s} {n}")
    print("groups", grouped)
    with open(args.out / "links-sample.txt", "w", encoding="utf-8") as out:
        for src, doc_no, title, target in rng.sample(resolved, min(100, len(resolved))):
            s, t = docs[src], docs[target]
            out.write(f"#{src} {s.get('title')} ({s.get('issued') or s.get('published')})\n"
                      f"   cites: {doc_no or ''} 《{title or ''}》\n"
                      f"   -> #{target} {t.get('title')} | {t.get('doc_no')} | "
                      f"{t.get('issued') or t.get('published')}\n\n")
    data = read_table(args.out / "reprints.npz")
    groups = Counter(data["group"].tolist())
    sizes = Counter(n for n in groups.values() if n > 1)
    print("group sizes", sorted(sizes.items()))
    multi = [g for g, n in groups.items() if n > 1]
    with open(args.out / "groups-sample.txt", "w", encoding="utf-8") as out:
        for g in rng.sample(multi, min(50, len(multi))):
            members = data["doc"][data["group"] == g].tolist()
            out.write(f"group {g} ({len(members)})\n")
            for m in members[:4]:
                r = docs[m]
                body = (r.get("body") or "").replace("\n", " ")
                out.write(f"   #{m} {r.get('title')} | {r.get('published')} | {len(body)} chars\n"
                          f"      {body[:90]}\n")
            out.write("\n")


if __name__ == "__main__":
    main()
