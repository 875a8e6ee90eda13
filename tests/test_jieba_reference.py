"""jieba's frequencies of our dictionary words: the shipped table and the scan."""
from __future__ import annotations

from archive import jieba_reference
from archive.analysis import DOMAIN_DICT, read_dictionary


def test_the_table_matches_jiebas_dictionary():
    words = {word for word, _ in read_dictionary(DOMAIN_DICT)}
    dictionary = jieba_reference.jieba_dictionary()
    assert dictionary is not None
    table = jieba_reference._table(dictionary)
    assert table is not None, "data/jieba_freq.txt is missing or was made from another jieba"
    scanned = jieba_reference.scan(dictionary, words)
    assert words <= table.keys() and {w: f for w, f in table.items() if f} == scanned, (
        "data/dict.txt changed: python -c 'import archive.analysis as a; "
        "a.write_frequency_table()'")


def test_a_word_outside_the_table_is_looked_up_in_jieba():
    dictionary = jieba_reference.jieba_dictionary()
    found = jieba_reference.frequencies({"中国", "一带一路", "\U0010fffd不是词"})
    assert found["中国"] == jieba_reference.scan(dictionary, {"中国"})["中国"] > 0
    assert "\U0010fffd不是词" not in found


def test_replaced_counts_jiebas_frequency_then_earlier_additions():
    words = [("中国", 5), ("中国", 7), ("\U0010fffd新词", 3), ("\U0010fffd新词", 4)]
    jieba_freq = jieba_reference.frequencies({"中国"})["中国"]
    assert jieba_reference.replaced_frequency(words) == jieba_freq + 5 + 3
