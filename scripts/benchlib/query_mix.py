"""The query mix, derived from the corpus with a fixed seed and kept in
scripts/bench_queries.jsonl (`scripts/bench --gen-queries`), so every run
uses the same mix."""
from __future__ import annotations

import json
import random
import re
from collections import Counter
from pathlib import Path

from benchlib.corpus import corpus_lines, plain_record
from benchlib.settings import QUERY_SEED


TOPIC_WORDS = [
    "乡村振兴", "营商环境", "安全生产", "疫情防控", "生态环境保护", "高质量发展", "脱贫攻坚",
    "知识产权", "食品安全", "防汛抗旱", "一带一路", "人民代表大会", "行政处罚", "义务教育",
    "医疗保障", "住房公积金", "新能源汽车", "碳达峰", "数字经济", "科技创新", "粮食安全",
    "养老服务", "城市更新", "消费者权益", "个人信息保护", "环境影响评价", "税收", "最低工资",
    "物业管理", "水污染防治", "文物保护", "道路交通安全", "未成年人保护", "民法典", "扫黑除恶",
    "春运", "高考", "冬奥会", "航天", "两会", "政府工作报告", "反腐败", "一国两制", "中欧班列",
    "自由贸易试验区", "集成电路", "森林防火", "地震", "台风", "土地管理", "安居工程",
]


GENERIC = {"视频", "我们", "关于", "新闻", "发布"}   # title words nobody searches for
PERSON_NAMES = [
    "习近平", "李克强", "李强", "赵乐际", "王沪宁", "韩正", "汪洋", "丁薛祥", "蔡奇", "李希",
    "张德江", "俞正声", "刘云山", "王岐山", "张高丽", "彭丽媛", "王毅", "江泽民", "胡锦涛",
    "何立峰", "杨洁篪", "孙春兰", "胡春华", "刘鹤", "王晨", "吴政隆", "曹建明", "肖捷",
    "袁隆平", "张富清", "黄旭华", "钱七虎", "张桂梅", "廖俊波", "孟晚舟", "汤洪波", "朱有勇",
    "王永志", "杨利伟", "钟南山", "屠呦呦", "叶选平", "张庆黎", "潘基文", "李显龙", "金正恩",
    "尹锡悦", "马杜罗", "武契奇", "李献林", "毛泽东", "孙中山", "李大钊", "梁振英", "林郑月娥",
]


class _Mix:
    """The query list being made and what the kinds draw from: the records,
    split into laws and news (新闻联播), and the topic words and names the
    corpus holds."""

    def __init__(self, records: list[dict], seed: int):
        from archive.analysis import fold, segmenter_for

        self.rng = random.Random(seed)
        self.records = records
        self.laws = [r for r in records if r["topic"] != "新闻联播"]
        self.news = [r for r in records if r["topic"] == "新闻联播"]
        everything = "\n".join(r["title"] + "\n" + r["body"] for r in records)
        self.topic_words = [w for w in TOPIC_WORDS if w in everything]
        self.names = [n for n in PERSON_NAMES if n in everything]
        self.issuers = [i for i, _ in Counter(r["issuer"] for r in records
                                              if r["issuer"]).most_common(40)]
        self.years = sorted({r["date"][:4] for r in records if r["date"]}, reverse=True)[:12]
        self._fold, self._segmenter = fold, segmenter_for(None)
        self.out: list[dict] = []

    def add(self, kind, q="", **filters):
        self.out.append({"kind": kind, "q": q, "issuers": filters.get("issuers", []),
                         "topics": filters.get("topics", []), "year": filters.get("year"),
                         "from": filters.get("from"), "to": filters.get("to")})

    def title_words(self, rec):
        return [w for w in dict.fromkeys(self._segmenter.words_of(self._fold(rec["title"])))
                if len(w) >= 2 and not w.isdigit() and w not in GENERIC]


def generate_queries(corpus: Path, seed: int = QUERY_SEED) -> list[dict]:
    """The mix, kind by kind, every choice from one seeded random stream."""
    mix = _Mix([plain_record(json.loads(line)) for line in corpus_lines(corpus)], seed)
    for make in (_word_queries, _name_queries, _doc_no_queries, _field_queries,
                 _date_queries, _browse_queries, _bool_queries):
        make(mix)
    return mix.out


def _word_queries(mix: _Mix) -> None:
    """Single topic words, and 1-4 words remembered from a real title."""
    rng = mix.rng
    for w in rng.sample(mix.topic_words, min(30, len(mix.topic_words))):
        mix.add("words", w)
    while sum(q["kind"] == "words" for q in mix.out) < 70:
        rec = rng.choice(mix.laws if rng.random() < 0.3 else mix.news)
        words = mix.title_words(rec)
        k = min(len(words), rng.choices([1, 2, 3, 4], [3, 4, 2, 1])[0])
        if k:
            mix.add("words", " ".join(sorted(rng.sample(words, k), key=words.index)))


def _name_queries(mix: _Mix) -> None:
    """Person names, partial names, a name with a word of a title naming them."""
    rng, names = mix.rng, mix.names
    for n in rng.sample(names, min(40, len(names))):
        mix.add("name", n)
    three = sorted({n[:2] for n in names if len(n) == 3})
    for p in rng.sample(three, min(20, len(three))):
        mix.add("partial", p)
    for n in rng.sample(names, 10):
        titles = ([r for r in mix.news if n in r["title"]]
                  or [r for r in mix.records if n in r["body"]])
        words = [w for w in mix.title_words(rng.choice(titles)) if w not in n and n not in w]
        mix.add("name", f"{n} {rng.choice(words)}" if words else n)


def _doc_no_queries(mix: _Mix) -> None:
    """Document numbers: as filed, without 中华人民共和国, in [] brackets, and
    from bodies."""
    rng = mix.rng
    doc_nos = sorted({r["doc_no"] for r in mix.records
                      if r["doc_no"] and "中中" not in r["doc_no"]})
    for d in rng.sample(doc_nos, min(15, len(doc_nos))):
        mix.add("doc_no", d)
    short = sorted({d.removeprefix("中华人民共和国") for d in doc_nos
                    if d.startswith("中华人民共和国")})
    for d in rng.sample(short, min(8, len(short))):
        mix.add("doc_no", d)
    bracketed = sorted({d for d in doc_nos if "〔" in d})
    found = sorted({d for d in re.findall(
        r"[\u4e00-\u9fa5]{0,3}[发释函字办]〔(?:19|20)\d\d〕\d{1,4}号",
        "\n".join(r["body"] for r in mix.laws)) if d[0] not in "以的和与及按依据根照经号院"})
    for d in rng.sample(bracketed + found, min(7, len(bracketed + found))):
        mix.add("doc_no", d.replace("〔", "[").replace("〕", "]"))
    for d in rng.sample(found, min(10, len(found))):
        mix.add("doc_no", d)


def _field_queries(mix: _Mix) -> None:
    """标题: with a title's word, 机关: alone and with a word."""
    rng = mix.rng
    for rec in rng.sample(mix.laws, 10) + rng.sample(mix.news, 5):
        words = mix.title_words(rec)
        if words:
            mix.add("field", f"标题:{rng.choice(words)}")
    for i in rng.sample(mix.issuers, 6):
        mix.add("field", f"机关:{i}")
    for i in rng.sample(mix.issuers[:10], 4):
        mix.add("field", f"机关:{i} {rng.choice(['条例', '规定', '决定', '办法'])}")


def _date_queries(mix: _Mix) -> None:
    """日期: in the query, and --from/--to (a half year, a span of years)."""
    rng, years, words = mix.rng, mix.years, mix.topic_words
    for _ in range(10):
        mix.add("date", f"日期:{rng.choice(years)} {rng.choice(words)}")
    for _ in range(5):
        y = rng.choice(years)
        mix.add("date", rng.choice(words), **{"from": f"{y}-01-01", "to": f"{y}-06-30"})
    for _ in range(5):
        y = int(rng.choice(years))
        mix.add("date", rng.choice(words), **{"from": str(y - 2), "to": str(y)})


def _browse_queries(mix: _Mix) -> None:
    """An empty query with filters: issuer, topic, year, issuer and year."""
    rng, years = mix.rng, mix.years
    topics = [t for t, _ in Counter(r["topic"] for r in mix.records
                                    if r["topic"]).most_common(12)]
    for i in rng.sample(mix.issuers, 7):
        mix.add("browse", issuers=[i])
    for t in rng.sample(topics, 7):
        mix.add("browse", topics=[t])
    for _ in range(3):
        mix.add("browse", year=int(rng.choice(years)))
    for i in rng.sample(mix.issuers[:8], 3):
        mix.add("browse", issuers=[i], year=int(rng.choice(years)))


def _bool_queries(mix: _Mix) -> None:
    """OR and NOT of two topic words, and a quoted phrase from a news title."""
    rng = mix.rng
    for _ in range(5):
        a, b = rng.sample(mix.topic_words, 2)
        mix.add("bool", f"{a} OR {b}")
    for _ in range(3):
        a, b = rng.sample(mix.topic_words, 2)
        mix.add("bool", f"{a} NOT {b}")
    for rec in rng.sample(mix.news, 2):
        title = re.sub(r"\[视频\]|【[^】]*】", "", rec["title"])
        phrase = re.split(r"[：:“”‘’，,、。\s]", title)[0][:10]
        mix.add("bool", f'"{phrase}"')
