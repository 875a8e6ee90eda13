"""Merged gram segments (`archive.gram_merge`) against the segments they
were merged from and against brute force: the same documents for every
string and field, every posting list the union of the sources' — with
lists kept as bitmaps in the sources, in the merged segment or in both,
merged in small chunks, keys repeated across segments (a superseded
version: the caller resolves it, so the index must keep reporting both),
and sources written before bitmaps existed."""
from __future__ import annotations

import random

import numpy as np
import pytest

from archive import gram_codes, gram_merge, gram_terms, gram_text, grams
from archive.gram_segment import Segment

COMMON = "的是在政府信息公开"


def _texts(rng: random.Random, count: int, rare_share: float) -> list[dict[str, str]]:
    def char() -> str:
        if rng.random() < rare_share:
            return chr(0x4E00 + rng.randrange(400))
        return rng.choice(COMMON + "ab1 ")

    def text(most: int) -> str:
        return "".join(char() for _ in range(rng.randint(0, most)))
    return [{"title": text(10), "body": text(60), "issuer": rng.choice(["政府", "信息办", ""])}
            for _ in range(count)]


def _build(directory, parts: list[list[tuple[int, dict]]]) -> None:
    for part in parts:
        builder = grams.SegmentBuilder()
        for key, fields in part:
            builder.add(key, fields)
        grams.add_segment(directory, builder)


def _parts(seed: int) -> list[list[tuple[int, dict]]]:
    """Segments of uneven sizes (bitmaps in some, of other widths), keys
    interleaved, and a last segment re-adding some keys with new texts."""
    rng = random.Random(seed)
    sizes = [rng.choice([3, 9, 40, 120, 300]) for _ in range(6)]
    keys = rng.sample(range(1, 100_000), sum(sizes))
    texts = _texts(rng, len(keys), rare_share=rng.choice([0.05, 0.3]))
    parts, at = [], 0
    for size in sizes:
        parts.append(list(zip(keys[at:at + size], texts[at:at + size])))
        at += size
    again = rng.sample(keys, 25)
    parts.append(list(zip(again, _texts(rng, 25, 0.2))))
    return parts


def _brute(parts, word: str, field: str | None) -> list[int]:
    found = set()
    for part in parts:
        for key, fields in part:
            if word in (fields.get(field, "") if field else grams.layout(fields)):
                found.add(key)
    return sorted(found)


def _words(parts, rng: random.Random) -> list[str]:
    words = list(COMMON) + ["政府", "信息公开", "的是", "府信", "ab", "1 a", "zz"]
    bodies = [f["body"] for part in parts for _, f in part if len(f["body"]) > 6]
    for _ in range(40):
        body = rng.choice(bodies)
        start = rng.randrange(len(body) - 4)
        words.append(body[start:start + rng.randint(1, 8)].strip() or "政")
    return words


def _key_lists(seg: Segment) -> dict[int, list[int]]:
    """Every term's posting list as the sorted keys of its documents (a key
    twice when two of its versions hold the term)."""
    return {int(code): sorted(seg.keys[seg.posting(int(code))].tolist())
            for code in seg.terms.codes().tolist()}


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("chunk", [37, 2_000_000])
def test_merged_index_is_brute_force(tmp_path, monkeypatch, seed, chunk):
    monkeypatch.setattr(gram_merge, "CHUNK_POSTINGS", chunk)
    parts = _parts(seed)
    _build(tmp_path / "split", parts)
    _build(tmp_path / "merged", parts)
    split = grams.GramIndex(tmp_path / "split")
    gram_merge.merge_all(tmp_path / "merged")
    merged = grams.GramIndex(tmp_path / "merged")
    assert len(merged.segments) == 1 < len(split.segments)
    assert merged.segments[0].dense.size and merged.segments[0].postings.size
    rng = random.Random(seed)
    for word in _words(parts, rng):
        for field in (None, "title", "issuer"):
            expected = _brute(parts, word, field)
            assert merged.find(word, field).tolist() == expected, (word, field)
            assert split.find(word, field).tolist() == expected, (word, field)
        among = np.asarray(sorted(rng.sample(sorted({k for p in parts for k, _ in p}), 60)))
        assert merged.find(word, among=among).tolist() == sorted(
            set(_brute(parts, word, None)) & set(among.tolist()))
        if not gram_codes.needs_verification(word):
            assert merged.candidates(word).tolist() == _brute(parts, word, None)


def test_every_list_is_the_union_of_the_sources(tmp_path):
    """Term by term, as bitmaps or arrays: a list dense in a small source
    may be an array in the merged segment and the other way round."""
    parts = _parts(4)
    _build(tmp_path, parts)
    sources = grams.GramIndex(tmp_path).segments
    entry = gram_merge.merge_segments(tmp_path, sources, "99999")
    merged = Segment.open(tmp_path, "99999")
    expected: dict[int, list[int]] = {}
    for seg in sources:
        for code, keys in _key_lists(seg).items():
            expected[code] = sorted(expected.get(code, []) + keys)
    assert _key_lists(merged) == expected
    assert entry["docs"] == sum(len(p) for p in parts) == merged.keys.size
    assert entry["postings"] == sum(len(keys) for keys in expected.values())
    # texts and field offsets follow the documents
    text = merged._mmap()
    for local, key in enumerate(merged.keys.tolist()[:50]):
        start, end = merged.fields[local, 0], merged.fields[local, -1] - merged.unit
        layouts = {grams.layout(f) for p in parts for k, f in p if k == key}
        assert text[start:end].decode(merged.encoding) in layouts


def test_sources_without_bitmaps_merge(tmp_path, monkeypatch):
    """Segments written before bitmaps existed (no dense/bitmaps files)."""
    parts = _parts(5)

    def arrays_only(self, counts, postings):
        offsets = np.append(0, np.cumsum(counts)).astype(np.uint32)
        return offsets, postings, np.empty(0, np.uint32), np.empty((0, 0), np.uint8)
    with monkeypatch.context() as patch:
        patch.setattr(grams.SegmentBuilder, "_split_dense", arrays_only)
        _build(tmp_path, parts)
    for path in list(tmp_path.glob("*.dense.npy")) + list(tmp_path.glob("*.bitmaps.npy")):
        path.unlink()
    gram_merge.merge_all(tmp_path)
    index = grams.GramIndex(tmp_path)
    assert len(index.segments) == 1
    for word in ["政", "政府", "信息公开", "ab"]:
        assert index.find(word).tolist() == _brute(parts, word, None)


def test_merge_all_publishes_the_merged_segments_and_removes_the_rest(tmp_path, monkeypatch):
    monkeypatch.setattr(gram_merge, "MAX_MERGED_DOCS", 500)
    parts = _parts(6)
    _build(tmp_path, parts)
    before = grams.read_manifest(tmp_path)["segments"]
    manifest = gram_merge.merge_all(tmp_path)
    sizes = [e["docs"] for e in manifest["segments"]]
    assert sum(sizes) == sum(e["docs"] for e in before)
    assert max(sizes) <= 500 and len(sizes) < len(before)
    names = {e["name"] for e in manifest["segments"]}
    assert {p.name.split(".")[0] for p in tmp_path.glob("*.npy")} == names
    for word in ["政", "府信", "公开"]:
        assert grams.GramIndex(tmp_path).find(word).tolist() == _brute(parts, word, None)


@pytest.mark.parametrize("sizes,limit,expected", [
    ([4000] * 14, 65536, [list(range(14))]),
    ([4000] * 50, 65536, [list(range(0, 13)), list(range(13, 26)), list(range(26, 39)),
                          list(range(39, 50))]),
    ([10, 20, 30], 25, [[0], [1], [2]]),
    ([5, 5, 5, 5, 5], 10, [[0, 1], [2, 3], [4]]),
    ([], 10, []),
])
def test_merge_groups_are_consecutive_bounded_and_even(sizes, limit, expected):
    assert gram_merge.merge_groups(sizes, limit) == expected


def test_merge_small_merges_a_full_tier_and_deletes_its_files_one_call_later(tmp_path):
    parts = [[(key, fields)] for key, fields in
             zip(range(1, 13), _texts(random.Random(7), 12, 0.2))]      # 12 one-document syncs
    _build(tmp_path, parts)
    first = [e["name"] for e in grams.read_manifest(tmp_path)["segments"]]
    manifest = gram_merge.merge_small(tmp_path)
    assert [e["docs"] for e in manifest["segments"]] == [10, 1, 1]
    assert manifest["retired"] == first[:10]
    assert all(list(tmp_path.glob(f"{name}.*")) for name in first)      # still there
    for word in ["政", "政府", "信息公开"]:
        assert grams.GramIndex(tmp_path).find(word).tolist() == _brute(parts, word, None)
    manifest = gram_merge.merge_small(tmp_path)
    assert "retired" not in manifest and len(manifest["segments"]) == 3
    assert not any(list(tmp_path.glob(f"{name}.*")) for name in first[:10])


def test_segments_written_before_utf16_merge_with_new_ones(tmp_path, monkeypatch):
    """UTF-8 texts and uint64 terms (a home built before) next to UTF-16
    and uint32 ones (its syncs): the merged segment is written as now."""
    parts = _parts(8)
    with monkeypatch.context() as patch:
        patch.setattr(gram_text, "WRITTEN", ("text", gram_text.UTF8))
        patch.setattr(gram_terms, "stored", lambda codes: (gram_terms.FLAT_FILE, codes))
        _build(tmp_path, parts[:3])
    _build(tmp_path, parts[3:])
    assert {seg.encoding for seg in grams.GramIndex(tmp_path).segments} == {
        gram_text.UTF8, gram_text.UTF16}
    gram_merge.merge_all(tmp_path)
    index = grams.GramIndex(tmp_path)
    assert [seg.encoding for seg in index.segments] == [gram_text.UTF16]
    assert isinstance(index.segments[0].terms, gram_terms.SplitTerms)
    rng = random.Random(8)
    for word in _words(parts, rng):
        for field in (None, "title", "issuer"):
            assert index.find(word, field).tolist() == _brute(parts, word, field), (word, field)


def test_merged_files_are_the_arrays_a_segment_builder_writes(tmp_path, monkeypatch):
    """Streamed chunk by chunk, the merged arrays are byte for byte what
    writing the merged documents as one segment gives (same postings,
    bitmaps, offsets, dense term numbers), in headers np.load reads."""
    monkeypatch.setattr(gram_merge, "CHUNK_POSTINGS", 50)
    parts = _parts(11)[:-1]                      # distinct keys: one segment can hold them
    _build(tmp_path / "split", parts)
    _build(tmp_path / "whole", [[row for part in parts for row in part]])
    sources = [Segment.open(tmp_path / "split", e["name"])
               for e in grams.read_manifest(tmp_path / "split")["segments"]]
    gram_merge.merge_segments(tmp_path / "split", sources, "99999")
    whole = grams.read_manifest(tmp_path / "whole")["segments"][0]["name"]
    for part in ("postings", "bitmaps", "offsets", "dense", "keys"):
        merged = np.load(tmp_path / "split" / f"99999.{part}.npy")
        built = np.load(tmp_path / "whole" / f"{whole}.{part}.npy")
        assert merged.dtype == built.dtype and merged.shape == built.shape, part
        assert np.array_equal(merged, built), part
    assert Segment.open(tmp_path / "split", "99999").dense.size


def test_a_streamed_file_short_of_its_header_is_refused(tmp_path):
    with pytest.raises(RuntimeError, match="short of its header"):
        with gram_merge._NpyStream(tmp_path / "x.npy", np.dtype(np.uint16), (5,), False) as out:
            out.write(np.arange(3, dtype=np.uint16))
    with gram_merge._NpyStream(tmp_path / "y.npy", np.dtype(np.uint8), (2, 3), False) as out:
        out.write(np.ones((1, 3), np.uint8))
        out.write(np.empty((0, 3), np.uint8))
        out.write(np.full((1, 3), 7, np.uint8))
    assert np.load(tmp_path / "y.npy").tolist() == [[1, 1, 1], [7, 7, 7]]
