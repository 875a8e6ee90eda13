"""Parse accuracy on the development corpus and on real portal pages.

    python scripts/parse_accuracy.py [CORPUS_DIR] [--no-slow]

CORPUS_DIR defaults to ../shared/corpus next to the repository. Prints:

- for `dev/pages` and `dev/seed`: per layout (template), the share of pages
  whose field equals `dev/truth.jsonl` exactly, for every field.  Three
  truth entries are amended (`tests/pages/dev_truth_amendments.jsonl`, each
  with its reason): their body closes with the issuer's own 落款 and no label
  shows 成文日期, so by the corpus README's own rule that date is `issued`,
  but truth.jsonl has null;
- for the real pages, separately for `dev/wild` (17 pages, seen while the
  parsers were tuned) and `tests/pages` (this project's own, gold made by
  hand): per page, whether each field equals the gold, and the body's
  character-level F1 against the gold, then the means;
- the slow pages (`tests/slowpages.py`: 100k tags, deep nesting, a huge
  attribute, 10k labelled items, 2,500 label rows, a 20k-cell row): CPU
  seconds to parse each.  Speed belongs here, not in the unit tests.

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
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive.sources import parse_bytes, parse_file  # noqa: E402

TRUTH_FIELDS = ("title", "issuer", "issued", "published", "doc_no", "index_no", "topic",
                "keywords", "body")
REAL_FIELDS = ("title", "issued", "published", "issuer", "doc_no", "index_no", "topic")
OWN_PAGES = REPO / "tests" / "pages"
AMENDMENTS = OWN_PAGES / "dev_truth_amendments.jsonl"


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


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def parse_one(path: Path):
    result = parse_file(path)
    return result.records[0] if result.records else None


def amended_truth(dev: Path) -> list[dict]:
    """dev/truth.jsonl with the amendments of AMENDMENTS applied."""
    truth = read_jsonl(dev / "truth.jsonl")
    by_file = {t["file"]: t for t in truth}
    for fix in read_jsonl(AMENDMENTS):
        item = by_file[fix["file"]]
        assert item[fix["field"]] == fix["truth"], f"truth changed under {fix}"
        item[fix["field"]] = fix["amended"]
    return truth


def truth_accuracy(dev: Path) -> dict[str, dict[str, float]]:
    """template -> field -> share of pages exactly right (plus "pages": count)."""
    hits: dict[str, Counter] = defaultdict(Counter)
    pages: Counter = Counter()
    for truth in amended_truth(dev):
        record = parse_one(dev / truth["file"])
        pages[truth["template"]] += 1
        for field in TRUTH_FIELDS:
            if record is not None and getattr(record, field) == truth[field]:
                hits[truth["template"]][field] += 1
    return {t: {"pages": n, **{f: hits[t][f] / n for f in TRUTH_FIELDS}}
            for t, n in sorted(pages.items())}


def real_sets(corpus: Path) -> dict[str, tuple[Path, list[dict]]]:
    """name -> (folder the gold's file paths are relative to, gold items)."""
    sets = {}
    wild = corpus / "dev" / "wild"
    if (wild / "gold.jsonl").is_file():
        sets["dev/wild (seen while tuning)"] = (wild, read_jsonl(wild / "gold.jsonl"))
    if (OWN_PAGES / "gold.jsonl").is_file():
        sets["tests/pages (new)"] = (OWN_PAGES, read_jsonl(OWN_PAGES / "gold.jsonl"))
    return sets


def real_scores(folder: Path, gold: list[dict]) -> list[dict]:
    rows = []
    for item in gold:
        record = parse_one(folder / item["file"])
        row = {"file": item["file"]}
        for field in REAL_FIELDS:
            row[field] = record is not None and getattr(record, field) == item.get(field)
        row["body_f1"] = char_f1(record.body if record else None, item["body"])
        rows.append(row)
    return rows


def slow_page_seconds() -> list[tuple[str, float, str]]:
    """(page, CPU seconds, outcome) for each slow page, measured without the
    wall-clock parse budget (limits.PAGE_PARSE_SECONDS), which would cut the
    measurement short."""
    sys.path.insert(0, str(REPO / "tests"))
    from slowpages import SLOW_PAGES

    from archive import limits
    limits.PAGE_PARSE_SECONDS = 0

    rows = []
    for name, make in SLOW_PAGES.items():
        data = make()
        start = time.process_time()
        result = parse_bytes(name, data)
        seconds = time.process_time() - start
        outcome = (f"{len(result.records)} record" if result.records
                   else f"refused: {result.errors[0]}")
        rows.append((name, seconds, outcome))
    return rows


def _print_truth(dev: Path) -> None:
    print("Layouts of dev/pages and dev/seed vs truth.jsonl (share exactly equal; "
          f"{len(read_jsonl(AMENDMENTS))} amended entries)")
    print(f"{'layout':18}{'pages':>6}" + "".join(f"{f[:9]:>10}" for f in TRUTH_FIELDS))
    for template, acc in truth_accuracy(dev).items():
        print(f"{template:18}{acc['pages']:>6}"
              + "".join(f"{acc[f]:>10.3f}" for f in TRUTH_FIELDS))


def _print_real(name: str, rows: list[dict]) -> None:
    print(f"\nReal pages: {name}, {len(rows)} pages (fields: equal to the gold; body: char F1)")
    print(f"{'file':34}" + "".join(f"{f[:9]:>10}" for f in REAL_FIELDS) + f"{'body_f1':>9}")
    for row in rows:
        print(f"{row['file'][-34:]:34}" + "".join(f"{'ok' if row[f] else 'WRONG':>10}"
                                                 for f in REAL_FIELDS)
              + f"{row['body_f1']:>9.3f}")
    n = len(rows) or 1
    print(f"{'mean':34}" + "".join(f"{sum(r[f] for r in rows) / n:>10.3f}" for f in REAL_FIELDS)
          + f"{sum(r['body_f1'] for r in rows) / n:>9.3f}")
    print(f"{'min body_f1':34}{min((r['body_f1'] for r in rows), default=1):>79.3f}")


def main(argv: list[str]) -> int:
    args = [a for a in argv[1:] if not a.startswith("--")]
    corpus = Path(args[0]) if args else REPO.parent / "shared" / "corpus"
    dev = corpus / "dev"
    if dev.is_dir():
        _print_truth(dev)
    else:
        print(f"no corpus at {corpus}: dev pages and dev/wild skipped", file=sys.stderr)
    for name, (folder, gold) in real_sets(corpus).items():
        _print_real(name, real_scores(folder, gold))
    if "--no-slow" not in argv:
        print("\nSlow pages (CPU seconds to parse; say the load average with the figures)")
        for name, seconds, outcome in slow_page_seconds():
            print(f"{name:24}{seconds:>8.2f} s  {outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
