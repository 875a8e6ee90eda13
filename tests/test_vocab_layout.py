"""vocab.sqlite's near-spelling keys stored by word number: the same
neighbours as the layout before (keys by word text), which a generation
built before still has and still reads."""
from __future__ import annotations

import sqlite3
from collections import Counter

from archive import vocabulary
from archive.vocabulary import Vocabulary

WORDS = ["营商环境", "营商", "环境保护", "环境", "政府信息公开", "信息公开", "公开", "国务院",
         "国务院办公厅", "办公厅", "通知", "通告", "关于印发", "实施意见", "实施方案"]
ASKED = ["营商环竟", "环境", "政府信息", "国务院办", "通知", "关于印", "实施意", "qq", "营商环境"]


def _to_old_layout(path) -> None:
    """Rewrite a vocabulary in the layout before word numbers."""
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE old_words (word TEXT PRIMARY KEY, freq INTEGER) WITHOUT ROWID;
        INSERT INTO old_words SELECT word, freq FROM words;
        CREATE TABLE keys (key TEXT, word TEXT, PRIMARY KEY (key, word)) WITHOUT ROWID;
        INSERT INTO keys SELECT k.key, w.word FROM word_keys k JOIN words w ON w.id = k.id;
        DROP TABLE word_keys; DROP TABLE words;
        ALTER TABLE old_words RENAME TO words;""")
    db.commit()
    db.close()


def test_near_words_are_the_same_in_both_layouts(tmp_path):
    counts = Counter({word: vocabulary.MIN_WORD_DOCS + n for n, word in enumerate(WORDS)})
    new = vocabulary.build(tmp_path / "new.sqlite", counts)
    old = vocabulary.build(tmp_path / "old.sqlite", counts)
    _to_old_layout(old)
    tables = {r[0] for r in sqlite3.connect(new).execute("SELECT name FROM sqlite_master")}
    assert "word_keys" in tables and "keys" not in tables
    by_number, by_text = Vocabulary(new), Vocabulary(old)
    found = {}
    for word in ASKED:
        found[word] = by_number.near(word)
        assert found[word] == by_text.near(word), word
        assert by_number.frequency(word) == by_text.frequency(word) == counts.get(word, 0)
    assert found["营商环竟"] == {"营商环境": counts["营商环境"]}       # one substitution away
    assert "国务院" in found["国务院办"] and "国务院办公厅" in found["国务院办"]
