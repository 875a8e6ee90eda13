"""Parse accuracy on the development corpus.

    python scripts/parse_accuracy.py [CORPUS_DIR]

CORPUS_DIR defaults to ../shared/corpus next to the repository. Prints:

- for `dev/pages` and `dev/seed`: per template, the share of pages whose
  field equals `dev/truth.jsonl` exactly, for every field;
- for `dev/wild`: per page, whether title, issued and published equal the
  gold, and the body's character-level F1 against the gold, then the means.

Body F1 is the multiset (bag-of-characters) F1 over non-whitespace
characters: precision = |common| / |extracted|, recall = |common| / |gold|,
where |common| counts each character min(times extracted, times in gold).
It ignores order, which is fine here: the errors that matter for a page
extractor are missing text and extra chrome, and both show up in the counts.
An empty extraction against an empty gold scores 1.
"""
from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive.sources import parse_file  # noqa: E402

TRUTH_FIELDS = ("title", "issuer", "issued", "published", "doc_no", "index_no", "topic",
                "keywords", "body")
WILD_FIELDS = ("title", "issued", "published")


def char_f1(extracted: str | None, gold: str | None) -> float:
    """Multiset character F1, whitespace ignored."""
    got = Counter(c for c in extracted or "" if not c.isspace())
    want = Counter(c for c in gold or "" if not c.isspace())
    if not got and not want:
        return 1.0
    common = sum((got & want).values())
    if not common:
        return 0.0
    precision, recall = common / sum(got.values()), common / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def parse_one(path: Path):
    result = parse_file(path)
    return result.records[0] if result.records else None


def truth_accuracy(dev: Path) -> dict[str, dict[str, float]]:
    """template -> field -> share of pages exactly right (plus "pages": count)."""
    hits: dict[str, Counter] = defaultdict(Counter)
    pages: Counter = Counter()
    for line in (dev / "truth.jsonl").open(encoding="utf-8"):
        truth = json.loads(line)
        record = parse_one(dev / truth["file"])
        pages[truth["template"]] += 1
        for field in TRUTH_FIELDS:
            if record is not None and getattr(record, field) == truth[field]:
                hits[truth["template"]][field] += 1
    return {t: {"pages": n, **{f: hits[t][f] / n for f in TRUTH_FIELDS}}
            for t, n in sorted(pages.items())}


def wild_scores(dev: Path) -> list[dict]:
    rows = []
    for line in (dev / "wild" / "gold.jsonl").open(encoding="utf-8"):
        gold = json.loads(line)
        record = parse_one(dev / "wild" / gold["file"])
        row = {"file": gold["file"]}
        for field in WILD_FIELDS:
            row[field] = record is not None and getattr(record, field) == gold[field]
        row["body_f1"] = char_f1(record.body if record else None, gold["body"])
        rows.append(row)
    return rows


def main(argv: list[str]) -> int:
    corpus = Path(argv[1]) if len(argv) > 1 else REPO.parent / "shared" / "corpus"
    dev = corpus / "dev"
    if not dev.is_dir():
        print(f"no corpus at {corpus}", file=sys.stderr)
        return 1

    print("Pages and seed vs truth.jsonl (share exactly equal)")
    header = f"{'template':18}{'pages':>6}" + "".join(f"{f[:9]:>10}" for f in TRUTH_FIELDS)
    print(header)
    for template, acc in truth_accuracy(dev).items():
        print(f"{template:18}{acc['pages']:>6}"
              + "".join(f"{acc[f]:>10.3f}" for f in TRUTH_FIELDS))

    print("\nWild pages vs gold.jsonl (body: multiset char F1)")
    rows = wild_scores(dev)
    print(f"{'file':28}" + "".join(f"{f:>11}" for f in WILD_FIELDS) + f"{'body_f1':>9}")
    for row in rows:
        print(f"{row['file']:28}" + "".join(f"{'ok' if row[f] else 'WRONG':>11}"
                                            for f in WILD_FIELDS) + f"{row['body_f1']:>9.3f}")
    n = len(rows)
    print(f"{'mean':28}" + "".join(f"{sum(r[f] for r in rows) / n:>11.3f}" for f in WILD_FIELDS)
          + f"{sum(r['body_f1'] for r in rows) / n:>9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
