"""Did you mean for similar-shape (形近) typos: the look-alike data comes from
the four-corner-method package (archive.shapes), not from a test table."""
from __future__ import annotations

import subprocess
import sys

import pytest

from archive import shapes, suggest
from archive.search import SearchRequest, SearchService


def _record(n, title, body):
    return {"index_no": f"S-{n:03d}", "title": title, "body": body,
            "issuer": "青石县人民政府", "topic": "综合政务", "issued": "2024-03-01"}


# 冶炼 and 锻炼 are both one substitution from the typo 治炼; 锻炼 is the
# commoner, 冶 only looks like 治 (no shared sound: zhi / ye / duan).
RECORDS = ([_record(i, f"冶炼企业安全检查第{i}次", "冶炼企业安全生产检查情况。") for i in range(3)]
           + [_record(10 + i, f"全民健身锻炼活动第{i}期", "组织群众锻炼身体。")
              for i in range(8)])


@pytest.fixture(scope="module")
def home(records_home):
    return records_home("shape", RECORDS)


def test_look_alikes_come_from_four_corner_codes():
    assert shapes.code("己") == shapes.code("已")
    assert shapes.similar("己", "已") and shapes.similar("坏", "环")   # 41190 / 11190
    assert not shapes.similar("冶", "锻")
    assert not shapes.similar("治", "治") and not shapes.similar("a", "b")


def test_similar_shape_costs_less_than_an_unrelated_character():
    table = {"治": ("zhi",), "冶": ("ye",), "锻": ("duan",)}

    def readings(char):
        return table[char]

    assert suggest.substitution_cost("治", "冶", readings) == suggest.SIMILAR_SHAPE
    assert suggest.substitution_cost("治", "锻", readings) == suggest.OTHER
    assert suggest.SAME_SOUND < suggest.SIMILAR_SHAPE < suggest.OTHER


def test_similar_shape_typo_suggests_the_look_alike_word_over_a_commoner_one(home):
    result = SearchService(home).search(SearchRequest(q="治炼"))
    assert result.total == 0
    assert result.suggestion == "冶炼"
    assert result.suggestion_total == 3


def test_a_built_generation_answers_without_loading_the_package(home):
    # the codes were copied into vocab.sqlite: a cold search does not pay for
    # the package's 74k-entry table
    code = ("import sys; from archive.search import SearchRequest, SearchService; "
            f"r = SearchService({str(home)!r}).search(SearchRequest(q='治炼')); "
            "print(r.suggestion, 'four_corner_method' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["冶炼", "False"]


def test_estimates_of_many_words_equal_each_words_estimate(corpus_slice_home):
    """`suggest.estimates` (every segment searched once for a dozen
    candidates) counts what `estimate` counts word by word: one- and
    many-gram words, absent grams, words split by a space, grams kept as
    bitmaps."""
    searcher = SearchService(corpus_slice_home).searcher()
    titles = [searcher.stored.get(int(d))["hit"]["title"] for d in searcher.universe[::150]]
    words = sorted({t[i:i + n] for t in titles for n in (2, 3, 4) for i in (0, 2)
                    if len(t) >= i + n and t[i:i + n].strip()})
    words += ["绝无此词甲乙", "青石 县", "人民", "的"]
    assert any(seg.dense.size for seg in searcher.grams.segments)   # bitmap rows too
    want = [suggest.estimate(searcher.grams, w) for w in words]
    assert suggest.estimates(searcher.grams, words) == want
    assert sum(c > 0 for c in want) > 30 and 0 in want


def test_prefetched_readings_and_shapes_are_those_read_one_by_one(home):
    """Vocabulary.prefetch (one query for a word's neighbours' characters)
    remembers exactly what readings() and shape_code() read row by row,
    characters the tables lack included."""
    from archive.generations import current_generation
    from archive.vocabulary import Vocabulary

    path = current_generation(home).vocab_path
    chars = "冶炼锻治己已坏环青石县\u2603x"
    one_by_one = Vocabulary(path)
    expected = {c: (one_by_one.readings(c), one_by_one.shape_code(c)) for c in chars}
    prefetched = Vocabulary(path)
    prefetched.prefetch(chars)
    prefetched._db.close()          # answered from what prefetch read, not the database
    assert {c: (prefetched.readings(c), prefetched.shape_code(c)) for c in chars} == expected
    assert expected["\u2603"] == (("\u2603",), None)     # in neither table
