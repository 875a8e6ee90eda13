"""Reading a corpus folder of JSON Lines exports: its files in the order
every tool reads them, the raw lines, either key set (English or the
Chinese export's) as English keys, and the fields the baseline indexes.
scripts/gen_corpus.py reads the corpus through this module too."""
from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path

from benchlib.settings import REPO

DEFAULT_CORPUS = REPO / ".." / "shared" / "corpus" / "dev" / "jsonl"


# Chinese export keys -> the English ones (the `*-zh.*` shards).
ZH_KEYS = {"索引号": "index_no", "发文字号": "doc_no", "发文时间": "issued", "成文日期": "issued",
           "发文机关": "issuer", "主题词": "keywords", "标题": "title", "主题分类": "topic",
           "发布日期": "published", "正文": "body", "链接": "url"}


def corpus_files(corpus: Path) -> list[Path]:
    """The folder's *.jsonl / *.jsonl.gz exports, sorted: the order every
    tool reads the records in (so "the first N records" means the same)."""
    return sorted(p for p in Path(corpus).iterdir()
                  if p.name.endswith(".jsonl") or p.name.endswith(".jsonl.gz"))


def corpus_lines(corpus: Path, *, required: bool = True):
    """Raw JSON lines of every record, in sorted file order.  A folder with
    no export files ends the bench with a message when `required`, else
    yields nothing (gen_corpus says so itself)."""
    files = corpus_files(corpus)
    if not files and required:
        sys.exit(f"bench: no *.jsonl / *.jsonl.gz files in {corpus}")
    for path in files:
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield line.rstrip("\n")


def english(obj: dict) -> dict:
    """The record's values under the English keys (either key set in)."""
    return {ZH_KEYS.get(k, k): v for k, v in obj.items()}


def plain_record(obj: dict) -> dict:
    """The fields the baseline indexes, from either key set.  The date is the
    product's rule (发文时间, else 发布日期), normalised to YYYY-MM-DD so that
    Whoosh's ID column sorts and ranges by it."""
    rec = english(obj)
    return {"title": rec.get("title") or "", "body": rec.get("body") or "",
            "issuer": rec.get("issuer") or "", "topic": rec.get("topic") or "",
            "date": iso_date(rec.get("issued")) or iso_date(rec.get("published")) or "",
            "doc_no": rec.get("doc_no") or ""}


_DATE = re.compile(r"((?:19|20)\d\d)(?:\D{1,2}(\d{1,2}))?(?:\D{1,2}(\d{1,2}))?")


def iso_date(value) -> str:
    m = _DATE.search(str(value or ""))
    if not m:
        return ""
    return "-".join([m.group(1)] + [f"{int(g):02d}" for g in m.groups()[1:] if g])


def read_records(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [plain_record(json.loads(line)) for line in handle if line.strip()]
