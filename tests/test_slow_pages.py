"""Pages built to make a parser slow (tests/slowpages.py) come out right.

No time limit here: `scripts/parse_accuracy.py` times these pages (before
issue #13, 64-245 s each; linear parsing brings them to seconds).  These
tests check what a careful reader would get from each, so the wall-clock
parse budget (`limits.PAGE_PARSE_SECONDS`, tested with the hostile files) is
switched off: on a loaded machine it would refuse a page for the load.
"""
from __future__ import annotations

import pytest

from slowpages import (deep_nesting, huge_attribute, many_label_items, many_label_rows, many_tags,
                       too_deep, wide_row)

from archive import limits
from archive.sources import parse_bytes


@pytest.fixture(autouse=True)
def no_wall_clock_budget(monkeypatch):
    monkeypatch.setattr(limits, "PAGE_PARSE_SECONDS", 0)


def _record(data: bytes):
    result = parse_bytes("slow.html", data)
    assert result.records, result.errors
    return result.records[0]


def test_100k_tags_keep_every_character():
    record = _record(many_tags(100_000))
    assert record.title == "关于慢页面测试的通知"
    assert record.body.count("字") == 100_000


def test_deep_nesting_under_the_limit_keeps_the_article():
    record = _record(deep_nesting(200))
    assert (record.title, record.body) == ("关于慢页面测试的通知", "正文第一段。")


def test_nesting_past_the_limit_fails_with_a_reason():
    result = parse_bytes("deep.html", too_deep(100_000))
    assert result.records == []
    assert result.errors == ["page nested too deeply: over 256 levels of elements"]


def test_huge_attribute():
    assert _record(huge_attribute(5_000_000)).body == "正文第一段。"


def test_10k_labelled_items_are_metadata_not_body():
    record = _record(many_label_items(10_000))
    assert record.issuer == "机关0"
    assert record.body == "正文第一段。"


def test_2500_label_rows():
    record = _record(many_label_rows(2_500))
    assert (record.index_no, record.published) == ("A0", "2024-01-01")
    assert record.body == "正文第一段。"


def test_row_of_20k_cells_is_one_tab_joined_line():
    lines = _record(wide_row(20_000)).body.split("\n")
    assert lines[0] == "正文第一段。"
    assert lines[1].count("\t") == 19_999
