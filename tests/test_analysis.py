"""Folding, the jieba tokenizer for Whoosh, phrase queries, and the golden
comparison of rjieba (our Segmenter) with python jieba."""
from __future__ import annotations

import itertools
import json
import logging
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.analysis import (DOMAIN_DICT, JiebaTokenizer, Segmenter, read_dictionary,
                              segmenter_for)
from archive.folding import ARRAY_FOLD_FROM, fold, fold_long, fold_with_offsets
from archive.synonyms import read_synonyms

# --------------------------------------------------------------------- fold --


@pytest.mark.parametrize("text,folded", [
    ("ＡＢＣ１２３", "abc123"),                 # NFKC: full width
    ("Ｑｉｎｇｓｈｉ　Ｃｏｕｎｔｙ", "qingshi county"),  # ideographic space -> space
    ("青政发﹝2025﹞12号", "青政发〔2025〕12号"),
    ("（２０２５）", "(2025)"),
    ("㈱", "(株)"),                            # one character, several folded
    ("ﬁle", "file"),
    ("Straße", "strasse"),                     # casefold, not lower
    ("PM2.5", "pm2.5"),
    ("縣政府", "县政府"),                       # traditional -> simplified
    ("發展和改革委員會", "发展和改革委员会"),
    ("個人信息保護法", "个人信息保护法"),
    ("青石县人民政府", "青石县人民政府"),          # simplified unchanged
    ("①", "1"),
    ("Ⅳ级", "iv级"),
])
def test_fold_examples(text, folded):
    assert fold(text) == folded


def test_fold_is_per_character_nfkc_casefold_t2s():
    for ch in "ＡａＢ１２３縣區發樂⺠　ﬁ":
        expected = unicodedata.normalize("NFKC", ch).casefold()
        assert fold(ch) == fold(expected)


def test_t2s_table_is_every_single_character_line_of_opencc():
    """The table read by one regular expression is the one a line-by-line
    reading of OpenCC's TSCharacters.txt gives (the oracle: split each line,
    keep it when its first two entries are single characters)."""
    from pathlib import Path

    import opencc

    from archive.folding import _t2s_table

    path = Path(opencc.__file__).with_name("dictionary") / "TSCharacters.txt"
    expected = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2 and len(parts[0]) == 1 and len(parts[1]) == 1:
            expected[parts[0]] = parts[1]
    assert len(expected) > 3000 and _t2s_table() == expected


CJK_TEXT = st.text(alphabet=st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E),
    st.sampled_from("　，。《》“”〔〕﹝﹞【】ﬁ㈱①Ⅳß"),
), max_size=60)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=40) | CJK_TEXT)
def test_fold_with_offsets_maps_back(text):
    folded, offsets = fold_with_offsets(text)
    assert folded == fold(text)
    assert len(offsets) == len(folded) + 1 and offsets[-1] == len(text)
    assert list(offsets) == sorted(offsets)
    # the folded characters that map to original character j are fold(text[j])
    for j, ch in enumerate(text):
        assert "".join(c for c, o in zip(folded, offsets) if o == j) == fold(ch)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=40) | CJK_TEXT, repeat=st.integers(1, 3 * ARRAY_FOLD_FROM))
def test_fold_long_is_fold(text, repeat):
    """The build's array lookup folds a long body exactly as `fold` does,
    characters that fold to several (ﬁ, ㈱, ……) included."""
    long_text = (text or "公") * repeat
    assert fold_long(long_text) == fold(long_text)


@settings(max_examples=300, deadline=None)
@given(text=CJK_TEXT)
def test_fold_is_idempotent_on_cjk_and_ascii(text):
    assert fold(fold(text)) == fold(text)


# ---------------------------------------------------------------- tokenizer --

def tokens(text, **kw):
    return [(t.text, t.pos, t.startchar, t.endchar)
            for t in JiebaTokenizer()(text, positions=True, chars=True, **kw)]


def test_tokenizer_positions_offsets_digits_latin_punctuation():
    text = "青石縣人民政府，關於2025年ＰＭ2.5治理的通知（PDF）。"
    out = tokens(text)
    words = [w for w, _, _, _ in out]
    assert [p for _, p, _, _ in out] == list(range(len(out)))          # ordinal
    for word, _, start, end in out:
        assert fold(text[start:end]) == word                           # offsets into original
    assert "2025" in words                                             # digits kept
    assert "pdf" in words and "PDF" not in words                        # latin lower-cased
    assert not any(w in "，。（）" for w in words)                      # punctuation dropped
    assert words[:2] == ["青石县", "人民政府"]                            # folded, then segmented
    assert text[out[0][2]:out[0][3]] == "青石縣"


def test_tokenizer_offsets_with_expanding_characters():
    text = "ﬁle ㈱青石"
    for word, _, start, end in tokens(text):
        assert start < end
        assert word in fold(text[start:end])


def test_tokenizer_start_pos_and_start_char():
    out = [(t.text, t.pos, t.startchar) for t in JiebaTokenizer()(
        "营商环境", positions=True, chars=True, start_pos=10, start_char=100)]
    assert out == [("营商环境", 10, 100)]


def test_tokenizer_without_tokenizing_folds_whole_value():
    (token,) = [t.text for t in JiebaTokenizer()("青石縣ABC", tokenize=False)]
    assert token == "青石县abc"


@settings(max_examples=200, deadline=None)
@given(text=CJK_TEXT)
def test_tokenizer_invariants(text):
    out = tokens(text)
    assert [p for _, p, _, _ in out] == list(range(len(out)))
    last_end = 0
    for word, _, start, end in out:
        assert word and any(unicodedata.category(c)[0] in "LNM" or c == "_" for c in word)
        assert last_end <= start < end <= len(text)
        assert word in fold(text[start:end])
        last_end = end


# ---------------------------------------------------- phrases in Whoosh --

@pytest.fixture(scope="module")
def phrase_index():
    from whoosh.fields import ID, Schema, TEXT
    from whoosh.filedb.filestore import RamStorage

    schema = Schema(id=ID(stored=True),
                    content=TEXT(analyzer=JiebaTokenizer(), phrase=True, stored=True))
    ix = RamStorage().create_index(schema)
    writer = ix.writer()
    docs = {
        "a": "青石县持续优化营商环境，推进一网通办。",
        "b": "营商环境需要持续优化。",
        "c": "青石縣人民政府關於優化營商環境的通知",
        "d": "人民政府 青石县",
    }
    for key, text in docs.items():
        writer.add_document(id=key, content=text)
    writer.commit()
    return ix


def phrase_ids(ix, text):
    from whoosh.qparser import QueryParser

    with ix.searcher() as searcher:
        query = QueryParser("content", ix.schema).parse(f'"{text}"')
        return sorted(hit["id"] for hit in searcher.search(query))


def test_phrase_queries_use_ordinal_positions(phrase_index):
    assert phrase_ids(phrase_index, "优化营商环境") == ["a", "c"]
    assert phrase_ids(phrase_index, "優化營商環境") == ["a", "c"]       # folded query
    assert phrase_ids(phrase_index, "青石县人民政府") == ["c"]
    assert phrase_ids(phrase_index, "营商环境需要") == ["b"]


def test_phrase_query_object(phrase_index):
    from whoosh.query import Phrase

    with phrase_index.searcher() as searcher:
        hits = searcher.search(Phrase("content", ["人民政府", "青石县"]))
        assert sorted(h["id"] for h in hits) == ["d"]


def test_highlight_offsets_in_whoosh(phrase_index):
    from whoosh.query import Term

    with phrase_index.searcher() as searcher:
        hits = searcher.search(Term("content", "营商环境"))
        hit = next(h for h in hits if h["id"] == "c")
        assert "營商環境" in hit.highlights("content")


# ------------------------------------------------------------- dictionaries --

def test_read_dictionary_folds_and_defaults(tmp_path):
    path = tmp_path / "dict.txt"
    path.write_text("\ufeff# comment\n青石茶業 500 nz\n翠峰茶\n\n坏行 abc\n", encoding="utf-8")
    assert read_dictionary(path) == [("青石茶业", 500), ("翠峰茶", 20000), ("坏行", 20000)]
    assert read_dictionary(tmp_path / "missing.txt") == []


def test_user_dictionary_keeps_words_whole(tmp_path):
    (tmp_path / "dict.txt").write_text("青石茶业 50000\n", encoding="utf-8")
    assert Segmenter().words_of("青石茶业") == ["青石", "茶业"]
    assert Segmenter(tmp_path / "dict.txt").words_of("青石茶业") == ["青石茶业"]


def test_shared_segmenter_follows_dictionary_edits(tmp_path):
    assert segmenter_for(tmp_path).words_of("青石茶业") == ["青石", "茶业"]
    (tmp_path / "dict.txt").write_text("青石茶业 50000\n", encoding="utf-8")
    assert segmenter_for(tmp_path).words_of("青石茶业") == ["青石茶业"]


def test_read_synonyms_merges_groups(tmp_path):
    path = tmp_path / "syn.txt"
    path.write_text("# c\nA = 甲\n甲 = 乙 # note\n丙 = \n", encoding="utf-8")
    found = read_synonyms([path, tmp_path / "missing.txt"])
    assert found["a"] == {"甲", "乙"} and found["乙"] == {"a", "甲"}
    assert "丙" not in found


# ------------------------------------------------------------------- golden --

@pytest.fixture(scope="module")
def python_jieba(tmp_path_factory):
    """python jieba, HMM off, with the same domain dictionary and frequencies."""
    import jieba                     # a dependency of the product: never skipped

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(tmp_path_factory.mktemp("jieba-cache"))
    for word, freq in read_dictionary(DOMAIN_DICT):
        tokenizer.add_word(word, freq)
    return lambda text: list(tokenizer.cut(text, HMM=False))


def compare(python_jieba, texts):
    segmenter = Segmenter()
    differences = []
    for text in texts:
        text = fold(text)
        ours, theirs = segmenter.cut(text), python_jieba(text)
        if ours != theirs:
            at = next(i for i, (a, b) in enumerate(zip(ours + [""], theirs + [""])) if a != b)
            differences.append((ours[max(0, at - 2):at + 3], theirs[max(0, at - 2):at + 3]))
    assert not differences, differences[:5]
    return len(texts)


def sample_texts(sample_home):
    from archive.store import Archive

    archive = Archive(sample_home, readonly=True)
    texts = [t for _, _, _, r in archive.all_docs()
             for t in (r.get("title"), r.get("body"), r.get("issuer")) if t]
    archive.close()
    return texts


def test_golden_rjieba_equals_jieba_on_sample(python_jieba, sample_home):
    texts = sample_texts(sample_home) + [
        "师生已经完成应接尽接。",              # differs unless jieba's total is matched
        "全过程人民民主，一府一委两院，发改委和人社局",
        "ＰＭ２.５年均浓度降至29微克每立方米", "abc DEF 123 ,.;",
    ]
    assert compare(python_jieba, texts) > 40


def corpus_texts(corpus_dir, limit):
    path = corpus_dir / "dev" / "jsonl" / "part-001.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found")
    with open(path, encoding="utf-8") as handle:
        for line in itertools.islice(handle, limit):
            record = json.loads(line)
            for key in ("title", "body"):
                if record.get(key):
                    yield record[key]


def test_golden_rjieba_equals_jieba_on_corpus_opening(python_jieba, corpus_dir):
    assert compare(python_jieba, list(corpus_texts(corpus_dir, 150))) > 100


@pytest.mark.slow
def test_golden_rjieba_equals_jieba_on_corpus_slice(python_jieba, corpus_dir):
    assert compare(python_jieba, list(corpus_texts(corpus_dir, 3000))) > 3000


# The query-time segmenter (an SQLite snapshot of the dictionaries) must cut
# exactly as the indexing Segmenter does, or split-word matching drifts.

@pytest.fixture(scope="module")
def word_table(tmp_path_factory):
    from archive import analysis

    path = tmp_path_factory.mktemp("words") / "words.sqlite"
    analysis.WordTable.build(path, Segmenter())
    return analysis.WordTable(path)


def compare_table(word_table, texts):
    segmenter = Segmenter()
    bad = [(segmenter.cut(fold(t))[:12], word_table.cut(fold(t))[:12]) for t in texts
           if segmenter.cut(fold(t)) != word_table.cut(fold(t))]
    assert not bad, bad[:5]


def test_word_table_equals_segmenter_on_sample(word_table, sample_home):
    compare_table(word_table, sample_texts(sample_home) + [
        "师生已经完成应接尽接。", "ＰＭ２.５ abc_def 12.5% C++ 青石縣", "  \n\t", "",
    ])


def test_word_table_equals_segmenter_on_corpus_opening(word_table, corpus_dir):
    compare_table(word_table, [t[:2000] for t in corpus_texts(corpus_dir, 150)])


def test_word_table_cuts_the_same_from_kept_rows(word_table, sample_home, monkeypatch):
    """The rows a cut read are kept (and dropped at KEPT_ROWS): cutting again
    from kept rows, or with the kept rows dropped again and again, cuts as
    the indexing Segmenter does."""
    from archive import analysis

    texts = [fold(t[:300]) for t in sample_texts(sample_home)]
    want = [Segmenter().cut(t) for t in texts]
    table = analysis.WordTable(word_table.path)
    assert [table.cut(t) for t in texts] == want
    assert len(table._kept) > 1000
    assert [table.cut(t) for t in texts] == want
    small = analysis.WordTable(word_table.path)
    monkeypatch.setattr(small, "KEPT_ROWS", 40)
    assert [small.cut(t) for t in texts] == want
    assert len(small._kept) < 1000


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=40) | CJK_TEXT, repeat=st.integers(1, 3 * ARRAY_FOLD_FROM))
def test_fold_with_offsets_of_long_texts(text, repeat):
    """A long text (a snippet's body) is folded with its offsets by array
    lookups, characters that fold to several (ﬁ, ㈱, ……) included: the same
    folded text and offsets as translating it character by character."""
    long_text = (text or "公") * repeat
    folded, offsets = fold_with_offsets(long_text)
    assert folded == fold(long_text)
    expected = [j for j, ch in enumerate(long_text) for _ in fold(ch)] + [len(long_text)]
    assert list(offsets) == expected
