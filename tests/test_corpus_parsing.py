"""The parsers against the development corpus (skipped where it is absent).

- `dev/pages` and `dev/seed`: every field equals `dev/truth.jsonl`, all pages
  (three entries amended by the README's 落款 rule, see
  `tests/pages/dev_truth_amendments.jsonl`).
- real pages, `dev/wild` and this project's own `tests/pages` (gold made by
  hand): title, issued and published equal the gold on every page (null where
  the page does not show one; issued from the 落款 where no label shows it).
  The body's multiset character F1 must reach 0.90 on every page and 0.97 on
  average: general extractors score 0.82-0.84 on dev/wild (corpus README),
  and one lost paragraph or one included related-links list pushes a page
  below 0.90.
- `dev/jsonl`: all 53,000 records, no errors (speed is measured by scripts/bench).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from archive.sources import iter_source_files, parse_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from parse_accuracy import (TRUTH_FIELDS, amended_truth, char_f1, read_jsonl,  # noqa: E402
                            real_sets)

pytestmark = pytest.mark.slow


def _record(path: Path):
    result = parse_file(path)
    assert result.records, f"{path}: {result.errors}"
    return result.records[0]


def test_pages_and_seed_equal_truth(corpus_dir):
    dev = corpus_dir / "dev"
    truth = amended_truth(dev)
    assert len(truth) == 1081
    wrong = []
    for item in truth:
        record = _record(dev / item["file"])
        for field in TRUTH_FIELDS:
            if getattr(record, field) != item[field]:
                wrong.append(f"{item['file']} {field}: got {getattr(record, field)!r:.80} "
                             f"want {item[field]!r:.80}")
    assert not wrong, f"{len(wrong)} mismatches:\n" + "\n".join(wrong[:30])


def test_every_page_and_seed_file_is_in_truth(corpus_dir):
    dev = (corpus_dir / "dev").resolve()      # the walk yields resolved paths
    files = {p.relative_to(dev).as_posix()
             for p in iter_source_files([dev / "pages", dev / "seed"])}
    assert files == {item["file"] for item in read_jsonl(dev / "truth.jsonl")}


def test_real_pages(corpus_dir):
    sets = real_sets(corpus_dir)
    assert len(sets) == 2, sets.keys()
    wrong, f1s = [], {}
    for folder, gold in sets.values():
        for item in gold:
            record = _record(folder / item["file"])
            wrong += [f"{item['file']} {field}: got {getattr(record, field)} want {item[field]}"
                      for field in ("title", "issued", "published")
                      if getattr(record, field) != item[field]]
            f1s[item["file"]] = char_f1(record.body, item["body"])
    assert not wrong, wrong
    low = {f: round(v, 3) for f, v in f1s.items() if v < 0.90}
    assert not low, f"body F1 below 0.90: {low}"
    assert sum(f1s.values()) / len(f1s) >= 0.97


def test_wild_pages_never_emit_chrome(corpus_dir):
    wild = corpus_dir / "dev" / "wild"
    chrome = ("扫一扫", "打印", "关闭窗口", "分享到", "网站地图", "ICP备")
    for item in read_jsonl(wild / "gold.jsonl"):
        body = _record(wild / item["file"]).body
        assert not [w for w in chrome if w in body and w not in item["body"]], item["file"]


def test_full_jsonl_corpus(corpus_dir):
    records = errors = 0
    for path in iter_source_files([corpus_dir / "dev" / "jsonl"]):
        result = parse_file(path)
        assert result.format == "jsonl", path
        records += len(result.records)
        errors += len(result.errors)
    assert (records, errors) == (53000, 0)
