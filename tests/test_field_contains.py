"""A short field (title, issuer, ...) tested without its table
(`Segment._joined_field_contains`: a chunk's values joined and searched at
once) finds exactly the documents whose value holds the word: the same as
the table (`_short_field_contains`) and as a scan of each value."""
from __future__ import annotations

import numpy as np
import pytest

from archive.gram_codes import FIELDS
from archive.gram_segment import SHORT_FIELDS
from archive.search import SearchService


def _values(seg, field: str) -> list[str]:
    column = FIELDS.index(field)
    text = seg._mmap()
    return [text[int(a):int(b) - seg.unit].decode(seg.encoding)
            for a, b in zip(seg.fields[:, column], seg.fields[:, column + 1])]


@pytest.mark.parametrize("field", SHORT_FIELDS)
def test_joined_values_find_what_a_scan_finds(sample_home, monkeypatch, field):
    import archive.gram_segment as gram_segment

    monkeypatch.setattr(gram_segment, "VERIFY_CHUNK", 7)     # matches near chunk edges too
    seg = max(SearchService(sample_home).searcher().grams.segments, key=lambda s: s.keys.size)
    values = _values(seg, field)
    rng = np.random.default_rng(5)
    needles = {v[i:i + n] for v in values if v for n in (3, 6, 9) for i in (0, len(v) // 2)}
    needles = sorted(n for n in needles if n) + ["不存", "县", "\u53bf\u4eba"]
    assert len(needles) > 10
    hits = 0
    for needle in needles:
        local = np.sort(rng.choice(seg.keys.size, max(1, seg.keys.size * 2 // 3),
                                   replace=False)).astype(np.uint32)
        want = [d for d in local.tolist() if needle in values[d]]
        hits += bool(want)
        assert seg._joined_field_contains(local, needle.encode(seg.encoding),
                                          field).tolist() == want
        assert seg._short_field_contains(local, needle.encode("utf-8"), field).tolist() == want
    assert hits > 5 or field not in ("title", "issuer")


def test_contains_uses_no_table_until_the_demand_is_reached(sample_home):
    """A fresh searcher answers a title word from the joined values; the
    table comes once TABLE_DEMAND segments' worth of titles were asked for."""
    from archive.gram_segment import TABLE_DEMAND

    seg = max(SearchService(sample_home).searcher().grams.segments, key=lambda s: s.keys.size)
    every = np.arange(seg.keys.size, dtype=np.uint32)
    want = [d for d, v in enumerate(_values(seg, "title")) if "县" in v]
    for _ in range(TABLE_DEMAND - 1):
        assert seg.contains(every, "县", "title").tolist() == want
        assert not seg.has_field_table("title")
    assert seg.contains(every, "县", "title").tolist() == want
    assert seg.has_field_table("title")
