"""A lookup restricted to some documents (`among`) visits only the segments
whose key range holds them and probes only them: its answer must be exactly
the unrestricted answer's documents among them, checked against a brute-force
substring scan, with segments whose keys interleave, arrive unsorted and
repeat across segments (a sync re-adds an updated bulletin)."""
from __future__ import annotations

import random

import numpy as np
import pytest

from archive import grams, nearby

ALPHABET = "人大常委会政府工作报告通知条例办法"


def _docs(rng: random.Random) -> dict[int, dict[str, str]]:
    def text(n):
        return "".join(rng.choice(ALPHABET) for _ in range(n))
    return {key: {"title": text(rng.randint(2, 8)), "body": text(rng.randint(0, 40))}
            for key in range(1, 241)}


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    rng = random.Random(7)
    docs = _docs(rng)
    keys = list(docs)
    # Three segments of interleaved keys, one in shuffled order, and a fourth
    # holding a few keys again (newer texts for them win nowhere here: the
    # caller resolves repeats; the index must report every segment's match).
    parts = [keys[0::3], keys[1::3], sorted(keys[2::3], key=lambda _: rng.random()),
             keys[5:40:7]]
    stored: dict[int, list[str]] = {k: [] for k in keys}
    directory = tmp_path_factory.mktemp("grams")
    for part in parts:
        builder = grams.SegmentBuilder()
        for key in part:
            builder.add(key, docs[key])
            stored[key].append(grams.layout(docs[key]))
        grams.add_segment(directory, builder)
    return grams.GramIndex(directory), stored, rng


def _brute(stored, word: str, field: str | None) -> set[int]:
    column = None if field is None else grams.FIELDS.index(field)
    found = set()
    for key, texts in stored.items():
        for text in texts:
            hay = text if column is None else text.split(grams.FIELD_SEP)[column]
            if word in hay:
                found.add(key)
    return found


@pytest.mark.parametrize("word", ["人", "政府", "常委会", "报告通知", "法人大"])
@pytest.mark.parametrize("field", [None, "title"])
def test_find_among_is_the_unrestricted_answer_among_them(index, word, field):
    gram_index, stored, rng = index
    everything = _brute(stored, word, field)
    assert gram_index.find(word, field).tolist() == sorted(everything)
    for size in (0, 1, 3, 20, 240):
        among = np.array(sorted(rng.sample(sorted(stored), size)), dtype=np.int64)
        got = gram_index.find(word, field, among=among)
        assert got.tolist() == sorted(everything & set(among.tolist()))


def test_a_few_keys_visit_only_their_segments(index):
    gram_index, _stored, _rng = index
    visited = [seg.name for seg, _keys in gram_index.segments_among(np.array([2, 3]))]
    # Keys 2 and 3 lie in the ranges of the first three segments (interleaved),
    # not in the fourth's (6..37).
    assert visited == [seg.name for seg in gram_index.segments[:3]]
    assert gram_index.segments_among(np.array([], dtype=np.int64)) == []


def test_near_keys_among_is_the_unrestricted_answer_among_them(index):
    gram_index, stored, rng = index
    check = lambda: None  # noqa: E731
    everything = set(nearby.near_keys(gram_index, ["政府", "报告"], None, check).tolist())
    assert everything                       # the alphabet makes such pairs common
    among = np.array(sorted(rng.sample(sorted(stored), 60)), dtype=np.int64)
    got = nearby.near_keys(gram_index, ["政府", "报告"], None, check, among)
    assert got.tolist() == sorted(everything & set(among.tolist()))
