"""The project's own real portal pages (`tests/pages`, gold made by hand).

One test per page: every field a reader can check on the page (title,
issued, published, issuer, doc_no, index_no, topic) equals the gold exactly,
and the body's multiset character F1 against the gold reaches 0.90 (one lost
paragraph or one included related-links list drops a page below that).

Unlike `test_corpus_parsing.py` these pages live in the repository, so the
test runs without the development corpus; it skips, saying which file, only
where the gold or a page file is missing from the checkout.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from archive.sources import parse_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from parse_accuracy import OWN_PAGES, REAL_FIELDS, char_f1, read_jsonl  # noqa: E402

GOLD = OWN_PAGES / "gold.jsonl"
MIN_BODY_F1 = 0.90


def _gold_items() -> list[dict]:
    return read_jsonl(GOLD) if GOLD.is_file() else []


@pytest.fixture
def gold_file_present():
    if not GOLD.is_file():
        pytest.skip(f"{GOLD} is missing from this checkout: no own real pages to check")


@pytest.mark.parametrize("item", _gold_items(), ids=lambda item: item["file"])
def test_own_page_matches_gold(item, gold_file_present):
    page = OWN_PAGES / item["file"]
    if not page.is_file():
        pytest.skip(f"page file {page} named in {GOLD.name} is missing from this checkout")
    result = parse_file(page)
    assert result.records, f"{item['file']} not parsed: {result.errors}"
    record = result.records[0]
    wrong = {field: (getattr(record, field), item[field]) for field in REAL_FIELDS
             if getattr(record, field) != item[field]}
    assert not wrong, f"{item['file']} (got, gold): {wrong}"
    assert char_f1(record.body, item["body"]) >= MIN_BODY_F1


def test_gold_is_well_formed():
    """Every gold entry names its page, its portal and where it came from, and
    no portal has more than five pages (the set must stay varied)."""
    items = _gold_items()
    if not items:
        pytest.skip(f"{GOLD} is missing from this checkout")
    per_portal: dict[str, int] = {}
    for item in items:
        assert item["file"] and item["portal"] and item["source"], item.get("file")
        assert set(REAL_FIELDS) | {"body"} <= item.keys(), item["file"]
        host = item["portal"].split()[0]
        per_portal[host] = per_portal.get(host, 0) + 1
    assert max(per_portal.values()) <= 5, per_portal
