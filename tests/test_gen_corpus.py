"""scripts/gen_corpus.py: deterministic, distinct, realistic variants."""
from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "gen_corpus.py"


@pytest.fixture(scope="module")
def gen():
    spec = importlib.util.spec_from_file_location("gen_corpus", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _corpus(folder: Path) -> Path:
    """Twelve records in two topics, English and Chinese keys, one gzipped shard."""
    folder.mkdir()
    english = [{"index_no": f"11330000/2021-{n:05d}", "doc_no": f"浙政发〔2021〕{n}号",
                "issued": f"2021-0{1 + n % 9}-1{n % 9}", "published": f"2021年0{1 + n % 9}月2{n % 9}日",
                "issuer": "浙江省人民政府", "topic": "综合政务" if n % 2 else "财政",
                "title": f"2021年第{n}号关于加强管理的通知",
                "body": "\n".join(f"第{n}号文第{p}段：为进一步做好工作。" for p in range(4)),
                "keywords": "管理,通知", "url": None} for n in range(8)]
    chinese = [{"索引号": None, "发文字号": None, "发文时间": None, "发布日期": f"2019-05-0{n + 1} 19:00:00",
                "发文机关": "央视网", "主题分类": "新闻联播", "标题": f"新闻第{n}条",
                "正文": f"央视网消息（新闻联播）：第{n}条新闻。\n第{n}条的第二段。", "主题词": None,
                "链接": None} for n in range(4)]
    (folder / "part-001.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in english), encoding="utf-8")
    with gzip.open(folder / "part-002-zh.jsonl.gz", "wt", encoding="utf-8") as out:
        out.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in chinese)
    return folder


def test_corpus_first_then_distinct_variants(gen, tmp_path):
    corpus = _corpus(tmp_path / "corpus")
    lines = list(gen.generate(corpus, 200, seed=3))
    records = [gen.english(json.loads(line)) for line in lines]
    originals = [line for _, line in gen.corpus_records(corpus)]
    assert lines[:12] == originals
    assert len(lines) == 200
    assert len({(r.get("title"), r.get("body")) for r in records}) == 200
    variants = records[12:]
    numbers = [r["index_no"] for r in variants if r.get("index_no")]
    assert len(numbers) == len(set(numbers)) > 100
    for r in variants:
        year = int((r.get("issued") or r.get("published"))[:4])
        assert 1990 <= year <= 2025
        if r.get("doc_no"):
            assert f"〔{year}〕" in r["doc_no"]           # 文号 year follows the new date
        assert r["body"].split("\n")[0] in {o["body"].split("\n")[0]        # lead kept
                                            for o in map(gen.english, map(json.loads, originals))}


def test_variant_paragraphs_come_from_the_same_topic(gen, tmp_path):
    corpus = _corpus(tmp_path / "corpus")
    originals = [gen.english(json.loads(line)) for _, line in gen.corpus_records(corpus)]
    by_topic: dict[str, set[str]] = {}
    for r in originals:
        by_topic.setdefault(r["topic"], set()).update(r["body"].split("\n"))
    for line in list(gen.generate(corpus, 100, seed=3))[12:]:
        r = gen.english(json.loads(line))
        assert set(r["body"].split("\n")) <= by_topic[r["topic"]]


def test_deterministic_with_a_seed(gen, tmp_path):
    corpus = _corpus(tmp_path / "corpus")
    first, second = tmp_path / "a.jsonl.gz", tmp_path / "b.jsonl.gz"
    assert gen.main(["60", str(first), "--corpus", str(corpus), "--seed", "9"]) == 0
    assert gen.main(["60", str(second), "--corpus", str(corpus), "--seed", "9"]) == 0
    assert first.read_bytes() == second.read_bytes()
    other = list(gen.generate(corpus, 60, seed=10))
    assert other != gzip.decompress(first.read_bytes()).decode().splitlines()
