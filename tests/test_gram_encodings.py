"""The gram segments' storage encodings against brute force: UTF-16-LE texts
(matches only at character boundaries, astral characters, empty fields),
uint32 term runs (`archive.gram_terms`), and segments in the layout before
them (UTF-8 ``.text``, uint64 ``.terms.npy``) read alone or beside new ones
in one directory, as a sync into an old generation leaves them."""
from __future__ import annotations

import random
import re

import numpy as np
import pytest

from archive import gram_terms, gram_text, grams, nearby
from gramtools import write_segments

# Characters whose UTF-16-LE bytes, read one byte off, spell other
# characters (丁乂 = 01 4E 42 4E holds 䉎 = 4E 42), astral ones (surrogate
# pairs), one whose high byte is the field separator's (ἀ = U+1F00), and
# ASCII.
ALPHABET = "丁乂䉎Ŏἀ一\U00020000\U0001F600a1 的政府"
FIELDS = ("title", "body", "issuer")


def _documents(rng: random.Random, count: int) -> dict[int, dict[str, str]]:
    def text(most: int) -> str:
        return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, most)))
    return {key: {"title": text(10), "body": text(60), "issuer": rng.choice(["", "政府", "ἀ一"])}
            for key in rng.sample(range(10_000), count)}


def _oracle(documents, word: str, field: str | None) -> list[int]:
    return sorted(key for key, fields in documents.items()
                  if word in (fields.get(field, "") if field else grams.layout(fields)))


def _old_layout(monkeypatch) -> None:
    """Write segments as before UTF-16 texts and uint32 terms."""
    monkeypatch.setattr(gram_text, "WRITTEN", ("text", gram_text.UTF8))
    monkeypatch.setattr(gram_terms, "stored", lambda codes: (gram_terms.FLAT_FILE, codes))


def _words(rng: random.Random, documents) -> list[str]:
    words = ["䉎Ŏ䉎", "Ŏ䉎Ŏ", "\U00020000\U0001F600", "一丁乂", "ἀ一", "a1 的", "府\U00020000a"]
    texts = [grams.layout(d) for d in documents.values()]
    for _ in range(60):
        text = rng.choice(texts)
        start = rng.randrange(max(1, len(text) - 3))
        word = text[start:start + rng.randint(1, 6)].replace("\x1f", "").strip()
        words.append(word or "丁")
    return words


def _assert_brute_force(index: grams.GramIndex, documents, words) -> None:
    for word in words:
        for field in (None, *FIELDS):
            assert index.find(word, field).tolist() == _oracle(documents, word, field), (word, field)


def test_utf16_match_needs_a_character_boundary(tmp_path):
    """丁乂丁乂 holds the bytes of 䉎Ŏ䉎 one byte off; the document also holds
    its bigrams, so only the alignment rule keeps it out."""
    documents = {1: {"title": "丁乂丁乂 䉎Ŏ x Ŏ䉎", "body": "", "issuer": ""},
                 2: {"title": "䉎Ŏ䉎", "body": "", "issuer": ""},
                 3: {"title": "丁乂丁乂丁乂", "body": "", "issuer": "䉎Ŏ"},
                 4: {"title": "䉎Ŏa䉎Ŏ", "body": "", "issuer": ""}}
    write_segments(tmp_path, documents, 10)
    index = grams.GramIndex(tmp_path)
    assert index.segments[0].encoding == gram_text.UTF16
    assert index.find("䉎Ŏ䉎").tolist() == [2]
    assert index.find("䉎Ŏ䉎", "title").tolist() == [2]
    assert index.candidates("䉎Ŏ䉎").tolist() == [1, 2]       # the bigrams alone do not tell
    # 丁乂丁乂丁乂 is 䉎Ŏ䉎Ŏ䉎 one byte off: no near match either
    assert nearby.near_keys(index, ["䉎Ŏ", "䉎Ŏ"], None, lambda: None).tolist() == [4]


@pytest.mark.parametrize("seed,count,per_segment", [(1, 300, 300), (2, 400, 37), (3, 7, 3)])
def test_utf16_segments_are_brute_force(tmp_path, seed, count, per_segment):
    rng = random.Random(seed)
    documents = _documents(rng, count)
    write_segments(tmp_path, documents, per_segment)
    index = grams.GramIndex(tmp_path)
    assert {seg.encoding for seg in index.segments} == {gram_text.UTF16}
    assert all(isinstance(seg.terms, gram_terms.SplitTerms) for seg in index.segments)
    _assert_brute_force(index, documents, _words(rng, documents))


def test_field_tables_hold_utf8_values(tmp_path):
    documents = _documents(random.Random(5), 50)
    documents[99] = {"title": "", "body": "", "issuer": ""}            # all fields empty
    write_segments(tmp_path, documents, 100)
    segment = grams.GramIndex(tmp_path).segments[0]
    for field in FIELDS:
        ids, values = segment.field_table(field)
        got = {int(key): values[i].decode("utf-8") for key, i in zip(segment.keys, ids)}
        assert got == {key: d[field] for key, d in documents.items()}


def test_old_and_new_segments_in_one_directory(tmp_path, monkeypatch):
    """A generation written before (UTF-8, uint64 terms) that a sync extends
    with new segments answers every word as brute force does."""
    rng = random.Random(6)
    old, new = _documents(rng, 120), _documents(random.Random(7), 90)
    new = {key + 20_000: fields for key, fields in new.items()}
    with monkeypatch.context() as patch:
        _old_layout(patch)
        write_segments(tmp_path, old, 50)
    assert list(tmp_path.glob("*.terms.npy")) and list(tmp_path.glob("*.text"))
    write_segments(tmp_path, new, 50)
    index = grams.GramIndex(tmp_path)
    assert [seg.encoding for seg in index.segments] == [gram_text.UTF8] * 3 + [gram_text.UTF16] * 2
    assert isinstance(index.segments[0].terms, gram_terms.FlatTerms)
    everything = {**old, **new}
    _assert_brute_force(index, everything, _words(rng, everything))
    for word in ("的政", "ἀ一"):
        ids, values = index.segments[0].field_table("issuer")
        assert all(isinstance(v, bytes) for v in values)
        assert index.find(word, "issuer").tolist() == _oracle(everything, word, "issuer")


def test_split_terms_find_every_code_and_nothing_else():
    rng = np.random.default_rng(8)
    # unigrams, BMP and astral bigrams: high words from 0 to ~290
    codes = np.unique(np.concatenate([
        rng.integers(0, 0x110000, 500), rng.integers(0x110000, 0x110001 * 0x110000, 3000),
        np.array([0, 0xFFFFFFFF, 1 << 32, 0x110000 * 0x110001 - 1])]).astype(np.uint64))
    terms = gram_terms.SplitTerms(gram_terms.split_codes(codes))
    assert terms.size == codes.size and terms.codes().tolist() == codes.tolist()
    at, found = terms.find(codes)
    assert found.all() and at.tolist() == list(range(codes.size))
    for size in (1, 5, gram_terms.SplitTerms.FEW, gram_terms.SplitTerms.FEW + 1):  # both paths
        for start in range(0, codes.size, 997):
            at, found = terms.find(codes[start:start + size])
            assert found.all() and at.tolist() == list(range(start, min(start + size, codes.size)))
    absent = np.setdiff1d(np.unique(np.concatenate([codes + np.uint64(1), codes[1:] - np.uint64(1),
                                                    np.array([1 << 40], dtype=np.uint64)])),
                          codes)
    assert not terms.find(absent)[1].any()
    assert not terms.find(absent[:7])[1].any()
    mixed = np.sort(np.concatenate([codes[:10], absent[:10]]))
    assert terms.find(mixed)[1].tolist() == np.isin(mixed, codes).tolist()
    empty = gram_terms.SplitTerms(gram_terms.split_codes(np.empty(0, dtype=np.uint64)))
    assert empty.size == 0 and not empty.find(codes[:3])[1].any()


@pytest.mark.parametrize("old", [False, True])
def test_near_matches_are_brute_force_in_both_encodings(tmp_path, monkeypatch, old):
    """Parts at most MAX_GAP characters apart, astral characters counting
    one, never across a field: the regex on str is the oracle."""
    rng = random.Random(9)
    documents = _documents(rng, 200)
    if old:
        _old_layout(monkeypatch)
    write_segments(tmp_path, documents, 60)
    index = grams.GramIndex(tmp_path)
    assert index.segments[0].encoding == (gram_text.UTF8 if old else gram_text.UTF16)
    for parts in (["丁乂", "䉎Ŏ"], ["\U00020000\U0001F600", "a1"], ["的政", "一丁"], ["Ŏἀ", "政府"]):
        gap = r"[^\x1e\x1f]{0,N}?".replace("N", str(nearby.MAX_GAP))
        pattern = re.compile(gap.join(re.escape(p) for p in parts))
        for field in (None, "body"):
            want = sorted(key for key, d in documents.items()
                          if pattern.search(d[field] if field else grams.layout(d)))
            got = nearby.near_keys(index, parts, field, lambda: None).tolist()
            assert got == want, (parts, field)


def test_an_old_segments_text_reencoded_is_the_text_written_now(tmp_path, monkeypatch):
    """`gram_text.reencoded` (for joining old segments with new ones) gives
    the bytes and field table a segment written now has."""
    documents = _documents(random.Random(10), 40)
    documents[7] = {"title": "", "body": "", "issuer": ""}
    with monkeypatch.context() as patch:
        _old_layout(patch)
        write_segments(tmp_path / "old", documents, 100)
    write_segments(tmp_path / "new", documents, 100)
    old = grams.GramIndex(tmp_path / "old").segments[0]
    new = grams.GramIndex(tmp_path / "new").segments[0]
    text, fields = gram_text.reencoded(old.text_path.read_bytes(), old.fields, old.encoding)
    assert text == new.text_path.read_bytes()
    assert fields.tolist() == new.fields.tolist()
