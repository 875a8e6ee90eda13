#!/usr/bin/env python3
"""Top-1 accuracy of "did you mean" on generated typos of frequent corpus words.

    scripts/eval_typos.py --home DATA_HOME [--count 240] [--seed 7] [--json]

The typos are made the way Chinese typists err, from words the archive itself
uses often (its index generation's vocabulary, `archive/vocabulary.py`), in
four kinds taken in turn:

* same sound (同音): one character replaced by another with the same pinyin
  reading (pypinyin), chosen among the characters the corpus uses;
* similar shape (形近): one character replaced by a look-alike from SHAPES
  below (a list of commonly confused pairs, used only to *make* test typos:
  the product finds shape errors as one-character substitutions);
* deletion: one character of a word of three or more left out;
* transposition: two adjacent characters swapped.

A generated typo is kept only when it is a real one: not itself a word of
the vocabulary, and found in at most a tenth as many bulletins as the word
(otherwise no search engine could call it a typo).  The suggestion for the
typo alone is compared with the word.  Reported: accuracy overall and per
kind, the suggestions that were a single character (must be 0), and the
suggestion's latency (the suggest step alone, p50/p95 by nearest rank and max, in ms).
"""
from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))            # benchlib

from archive.query import parse  # noqa: E402
from benchlib.latency import percentile  # noqa: E402
from archive.search import SearchRequest, SearchService  # noqa: E402

# Commonly confused look-alike characters (形近字), both directions.
_SHAPE_PAIRS = (
    "己已 未末 士土 日曰 人入 大太 天夭 王玉 折拆 侯候 拨拔 栽裁 籍藉 竞竟 辩辨 历厉 坏环 治冶"
    " 贷货 免兔 即既 戊戌 戍戌 毫豪 晴睛 清请 织职 泳咏 烧浇 暑署 密蜜 墨默 复夏 练炼 检捡 验险"
    " 论伦 理埋 析折 构钩 效校 设没 持特 待侍 提堤 抗坑 防访 村材 项顶 管菅 监临 级极 建健 准淮"
    " 城域 编遍 询洵 规现 则侧 济挤 部陪 场扬 扬杨 住往 快块 续读 绩积 责贵 资姿 采来 宣宜 农衣"
    " 社杜 科料 技枝 议义 民氏 代伐 表衰 委季 常堂 党赏 政攻 市巿 区匹 镇填 事争 发友 革草 境镜"
    " 保堡 护沪 安案 全金 生牛 产严 经径 营宫 业亚 作昨 组租 导异 干千 财材 税锐 收牧 律津 会合"
    " 于干 午牛 办为 力刀 开升 划刘 阅阀 问间 向问 员贝 院完 治台 推维 援缓 据剧 纪记 订计 技枝"
    " 网冈 通涌 策荣 程呈 服报 务条 新亲 闻间 联耿 播潘 情睛 况兄 乡多 镇慎 县具 省眷 国固 家豪"
    " 环怀 境竟 营菅 建律 设役 领岭 讲进 话活 精情 神伸 学字 习刁 贯惯 彻砌").split()
SHAPES = {x: y for a, b in _SHAPE_PAIRS for x, y in ((a, b), (b, a))}

KINDS = ("same-sound", "similar-shape", "deletion", "transposition")


def frequent_words(vocab_path: Path, limit: int) -> list[str]:
    db = sqlite3.connect(f"file:{vocab_path}?mode=ro", uri=True)
    rows = db.execute("SELECT word, freq FROM words ORDER BY freq DESC").fetchall()
    chars = {c for w, _ in rows for c in w}
    db.close()
    words = [w for w, _ in rows if 2 <= len(w) <= 5
             and all("\u4e00" <= c <= "\u9fff" for c in w)]
    return words[:limit], chars


def same_sound_chars(vocabulary, chars: set[str]) -> dict[str, list[str]]:
    by_sound: dict[str, list[str]] = {}
    for c in sorted(chars):
        if "\u4e00" <= c <= "\u9fff":
            by_sound.setdefault(vocabulary.readings(c)[0], []).append(c)
    return by_sound


def make_typo(word: str, kind: str, rng: random.Random, vocabulary, by_sound) -> str | None:
    positions = list(range(len(word)))
    rng.shuffle(positions)
    if kind == "same-sound":
        for i in positions:
            others = [c for c in by_sound.get(vocabulary.readings(word[i])[0], [])
                      if c != word[i]]
            if others:
                return word[:i] + rng.choice(others) + word[i + 1:]
    elif kind == "similar-shape":
        for i in positions:
            if word[i] in SHAPES:
                return word[:i] + SHAPES[word[i]] + word[i + 1:]
    elif kind == "deletion" and len(word) >= 3:
        i = rng.randrange(len(word))
        return word[:i] + word[i + 1:]
    elif kind == "transposition":
        for i in positions:
            if i + 1 < len(word) and word[i] != word[i + 1]:
                return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return None


def generate(searcher, count: int, seed: int) -> list[dict]:
    """`count` real typos of frequent words, the four kinds in turn."""
    vocabulary = searcher.vocabulary
    if vocabulary is None:
        sys.exit("this index has no vocabulary: run `archive reindex --full` with this version")
    words, chars = frequent_words(vocabulary.path, 3000)
    by_sound = same_sound_chars(vocabulary, chars)
    rng = random.Random(seed)
    rng.shuffle(words)
    known = set(words)
    cases, used = [], set()
    for word in words:
        if len(cases) >= count:
            break
        kind = KINDS[len(cases) % len(KINDS)]
        typo = make_typo(word, kind, rng, vocabulary, by_sound)
        if not typo or typo in known or typo in used or vocabulary.frequency(typo):
            continue
        real = int(searcher.exact(word).size)
        if not real or int(searcher.exact(typo).size) * 10 > real:
            continue
        used.add(typo)
        cases.append({"kind": kind, "word": word, "typo": typo, "word_count": real})
    return cases


def evaluate(searcher, cases: list[dict]) -> dict:
    timings, right, single = [], {k: [0, 0] for k in KINDS}, []
    for case in cases:
        request = SearchRequest(q=case["typo"], size=10, highlight=False)
        parsed = parse(request.q)
        total = searcher.search_count(request)
        started = time.perf_counter()
        found = searcher.suggest(parsed, request, total)
        timings.append((time.perf_counter() - started) * 1000)
        case["suggestion"] = found[0] if found else None
        right[case["kind"]][1] += 1
        if case["suggestion"] == case["word"]:
            right[case["kind"]][0] += 1
        if case["suggestion"] and len(case["suggestion"]) == 1:
            single.append(case)
    correct = sum(r[0] for r in right.values())
    return {
        "cases": len(cases), "top1": correct / max(1, len(cases)),
        "by_kind": {k: {"right": r[0], "of": r[1]} for k, r in right.items()},
        "single_char_suggestions": len(single),
        "suggest_ms": {"p50": round(percentile(timings, 50), 2) if timings else None,
                       "p95": round(percentile(timings, 95), 2) if timings else None,
                       "max": round(max(timings), 2) if timings else None},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", required=True, type=Path)
    parser.add_argument("--count", type=int, default=240)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print every case too")
    parser.add_argument("--misses", action="store_true", help="list the wrong suggestions")
    args = parser.parse_args()
    searcher = SearchService(args.home).searcher()
    cases = generate(searcher, args.count, args.seed)
    report = evaluate(searcher, cases)
    if args.json:
        print(json.dumps({"report": report, "cases": cases}, ensure_ascii=False, indent=1))
        return
    print(f"typos: {report['cases']}  top-1 accuracy: {report['top1']:.1%}  "
          f"single-character suggestions: {report['single_char_suggestions']}")
    for kind, r in report["by_kind"].items():
        print(f"  {kind:14} {r['right']:4} / {r['of']}")
    ms = report["suggest_ms"]
    print(f"suggestion latency ms: p50 {ms['p50']}  p95 {ms['p95']}  max {ms['max']}")
    if args.misses:
        for case in cases:
            if case["suggestion"] != case["word"]:
                print(f"  {case['kind']:14} {case['typo']} -> {case['suggestion']} "
                      f"(meant {case['word']})")


if __name__ == "__main__":
    main()
