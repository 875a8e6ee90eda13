"""`vocabulary.document_entries` against a word-by-word reference.

The build collects the vocabulary from every bulletin's words with C-level
calls (a filter, one regular expression over NUL-joined words); the
reference walks the words one at a time as the definition says.
"""
from __future__ import annotations

import random

from archive import vocabulary


def _reference(title: list[str], body: list[str]) -> set[str]:
    seen: set[str] = set()
    prefix, length = [], 0
    for word in body:
        if length >= vocabulary.BODY_PREFIX:
            break
        prefix.append(word)
        length += len(word)
    for words, is_title in ((title, True), (prefix, False)):
        run: list[str] = []
        for i, word in enumerate(words + [" "]):
            if len(word) == 1 and "\u4e00" <= word <= "\u9fff":
                run.append(word)
                continue
            if 2 <= len(run) <= 4:
                seen.add("".join(run))
            run = []
            if vocabulary._usable(word):
                seen.add(word)
                if is_title and i + 1 < len(words) and vocabulary._usable(words[i + 1]):
                    pair = word + words[i + 1]
                    if len(pair) <= 8:
                        seen.add("\u0000" + pair)
    return seen


POOL = ["张", "三", "李", "四", "王", "通知", "人民政府", "，", "。", " ", "a", "2024",
        "\u0000", "x\u0000y", "营商环境优化提升行动方案实施细则", "（", "一"]


def test_entries_match_the_word_by_word_definition():
    rng = random.Random(5)
    for _ in range(3000):
        title = [rng.choice(POOL) for _ in range(rng.randint(0, 12))]
        body = [rng.choice(POOL) for _ in range(rng.randint(0, 500))]
        assert vocabulary.document_entries(title, body) == _reference(title, body), (title, body)


def test_runs_of_two_to_four_single_characters_only():
    entries = vocabulary.document_entries(["张", "三", "发布", "李", "四", "王", "五", "赵"], [])
    assert "张三" in entries
    assert not any(e.startswith("李") for e in entries)      # a run of five is no name
