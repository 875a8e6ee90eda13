"""The gram index against brute force: every document whose folded text (or
field) contains a string, no more, no less — posting lists kept as arrays
or as bitmaps (`SegmentBuilder._split_dense`), and segments written before
bitmaps existed."""
from __future__ import annotations

import random

import numpy as np
import pytest

from archive import gram_codes, grams
from gramtools import write_segments

ALPHABET = "的是在政府信息公开abc12 "


def _documents(rng: random.Random, count: int) -> dict[int, dict[str, str]]:
    def char() -> str:                      # rare characters make short lists
        return rng.choice(ALPHABET) if rng.random() < 0.9 else chr(0x4E00 + rng.randrange(300))

    def text(most: int) -> str:
        return "".join(char() for _ in range(rng.randint(0, most)))
    return {key: {"title": text(12), "body": text(80), "issuer": rng.choice(["政府", "信息办", ""])}
            for key in rng.sample(range(10_000), count)}


def _words(rng: random.Random, documents) -> list[str]:
    words = list(ALPHABET.strip()) + ["政府", "ab", "c1", "信息公开", "公开a", "的 是", "zz", "府信息"]
    bodies = [d["body"] for d in documents.values() if len(d["body"]) > 6]
    for _ in range(40):
        body = rng.choice(bodies)
        start = rng.randrange(len(body) - 4)     # long ones mix bitmaps and arrays
        words.append(body[start:start + rng.randint(1, 9)].strip() or "政")
    return words


def _oracle(documents, word: str, field: str | None) -> list[int]:
    return sorted(key for key, fields in documents.items()
                  if word in (fields.get(field, "") if field else grams.layout(fields)))


def _index(tmp_path, documents, per_segment: int) -> grams.GramIndex:
    write_segments(tmp_path, documents, per_segment)
    return grams.GramIndex(tmp_path)


@pytest.mark.parametrize("seed,count,per_segment", [(1, 301, 301), (2, 500, 77), (3, 9, 4)])
def test_find_is_brute_force(tmp_path, seed, count, per_segment):
    rng = random.Random(seed)
    documents = _documents(rng, count)
    index = _index(tmp_path, documents, per_segment)
    arrays = sum(s.postings.size for s in index.segments)
    assert sum(s.dense.size for s in index.segments)       # some lists are bitmaps
    # and some arrays, except in segments of <= 8 documents (a one-byte bitmap)
    assert (arrays > 0) == (per_segment > 8)
    for word in _words(rng, documents):
        for field in (None, "title", "body", "issuer"):
            assert index.find(word, field).tolist() == _oracle(documents, word, field), (word, field)
        if not gram_codes.needs_verification(word):             # posting lists alone are exact
            assert index.candidates(word).tolist() == _oracle(documents, word, None), word


def test_bitmaps_hold_the_postings_the_arrays_would(tmp_path, monkeypatch):
    """A segment written with every list as an array (the layout before
    bitmaps, no dense/bitmaps files) reads the same lists."""
    documents = _documents(random.Random(4), 200)
    with_bitmaps = _index(tmp_path / "new", documents, 200).segments[0]

    def arrays_only(self, counts, postings):
        offsets = np.append(0, np.cumsum(counts)).astype(np.uint32)
        return offsets, postings, np.empty(0, np.uint32), np.empty((0, 0), np.uint8)
    monkeypatch.setattr(grams.SegmentBuilder, "_split_dense", arrays_only)
    _index(tmp_path / "old", documents, 200)
    for suffix in ("dense", "bitmaps"):
        (tmp_path / "old" / f"00001.{suffix}.npy").unlink()
    old = grams.GramIndex(tmp_path / "old").segments[0]
    assert with_bitmaps.dense.size and not old.dense.size
    assert old.terms.codes().tolist() == with_bitmaps.terms.codes().tolist()
    everything = np.arange(old.terms.size)
    for a, b in zip(old.posting_lists_at(everything), with_bitmaps.posting_lists_at(everything)):
        assert a.tolist() == b.tolist()
        assert a.dtype == b.dtype
