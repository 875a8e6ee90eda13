"""The baseline: jieba's documented recipe (ChineseAnalyzer + Whoosh's
default writer), built in a child process and queried with the same mix,
translated to Whoosh's query language."""
from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

from benchlib.builds import rates
from benchlib.corpus import iso_date, read_records
from benchlib.measure import dir_size, run_measured


def baseline_schema():
    """jieba's documented Whoosh recipe, over our fields."""
    from jieba.analyse import ChineseAnalyzer
    from whoosh.fields import ID, TEXT, Schema

    analyzer = ChineseAnalyzer()
    return Schema(title=TEXT(stored=True, analyzer=analyzer),
                  body=TEXT(stored=True, analyzer=analyzer),   # stored: the highlighter needs it
                  issuer=ID(stored=True, sortable=True),
                  topic=ID(stored=True, sortable=True),
                  date=ID(stored=True, sortable=True))


def child_baseline_build(path: str, index_dir: str) -> dict:
    import jieba
    from whoosh import index as windex

    jieba.setLogLevel(60)
    started = time.perf_counter()
    os.makedirs(index_dir, exist_ok=True)
    ix = windex.create_in(index_dir, baseline_schema())
    writer = ix.writer()                       # single process, default limitmb
    count = 0
    for rec in read_records(Path(path)):
        doc = {k: rec[k] for k in ("title", "body", "issuer", "topic", "date") if rec[k]}
        writer.add_document(**doc)
        count += 1
    writer.commit()
    return {"seconds": time.perf_counter() - started, "documents": count}


def measure_baseline_build(data: dict, index_dir: Path) -> dict:
    if index_dir.exists():
        shutil.rmtree(index_dir)
    run = run_measured("baseline-build", path=data["path"], index_dir=str(index_dir))
    size = dir_size(index_dir)
    return {**rates(run, data), "index_bytes": size,
            "index_to_text": round(size / data["text_bytes"], 2)}


# The product's field names (archive.query.FIELD_NAMES) -> the baseline's.
BASELINE_FIELDS = {"标题": "title", "题名": "title", "title": "title", "正文": "body",
                   "内容": "body", "body": "body", "机关": "issuer", "发文机关": "issuer",
                   "来源": "issuer", "issuer": "issuer", "分类": "topic", "主题分类": "topic",
                   "topic": "topic"}


DATE_FIELDS = {"日期", "date", "发文时间", "发布日期"}
_TOKEN = re.compile(r'"[^"]*"|\S+')


def date_bounds(value: str) -> tuple[str, str]:
    """'2019' / '2019-03' / '2019-03-05' / 'a..b' / '>=a' as inclusive ISO
    string bounds for the baseline's ID date column."""
    value = value.strip()
    if ".." in value:
        lo, hi = value.split("..", 1)
        return iso_date(lo), (iso_date(hi) + "~") if hi else ""
    if value.startswith(">="):
        return iso_date(value[2:]), ""
    if value.startswith("<="):
        return "", iso_date(value[2:]) + "~"
    return iso_date(value), iso_date(value) + "~"


def baseline_translate(q: dict):
    """(query string, filter query, browse?) for Whoosh: the same words;
    标题:/机关:/分类: as Whoosh fields; dates, issuers, topics, year as filters."""
    from whoosh import query as wq

    words, filters = [], []
    for token in _TOKEN.findall(q.get("q") or ""):
        name, sep, value = token.partition(":")
        if sep and value and name in BASELINE_FIELDS:
            words.append(f"{BASELINE_FIELDS[name]}:{value}")
        elif sep and value and name in DATE_FIELDS:
            lo, hi = date_bounds(value)
            filters.append(wq.TermRange("date", lo or None, hi or None))
        elif sep and value and not name.startswith('"'):
            words.append(value)                  # 文号:/主题词: have no baseline field
        else:
            words.append(token)
    for key, field in (("issuers", "issuer"), ("topics", "topic")):
        if q.get(key):
            filters.append(wq.Or([wq.Term(field, v) for v in q[key]]))
    if q.get("year"):
        filters.append(wq.Prefix("date", str(q["year"])))
    if q.get("from") or q.get("to"):
        lo = iso_date(q.get("from")) if q.get("from") else None
        hi = iso_date(q.get("to")) + "~" if q.get("to") else None
        filters.append(wq.TermRange("date", lo, hi))
    flt = filters[0] if len(filters) == 1 else wq.And(filters) if filters else None
    return " ".join(words), flt, not words


def baseline_runner(index_dir: Path):
    """jieba's recipe: MultifieldParser over title+body, top 10 with issuer and
    topic facet counts (groupedby), the first 10 hits highlighted by Whoosh's
    highlighter from the stored title and body.  A browse (no query words)
    highlights nothing: Whoosh would re-tokenize every body to mark no term."""
    import jieba
    from whoosh import index as windex
    from whoosh import query as wq
    from whoosh import sorting
    from whoosh.qparser import MultifieldParser

    jieba.setLogLevel(60)
    ix = windex.open_dir(str(index_dir))
    searcher = ix.searcher()
    parser = MultifieldParser(["title", "body"], schema=ix.schema)
    facets = sorting.Facets()
    facets.add_field("issuer", maptype=sorting.Count)
    facets.add_field("topic", maptype=sorting.Count)

    def run(q: dict) -> int:
        text, flt, browse = baseline_translate(q)
        query = wq.Every() if browse else parser.parse(text)
        options = {"limit": 10, "filter": flt, "groupedby": facets}
        if browse:
            options.update(sortedby="date", reverse=True)
        results = searcher.search(query, **options)
        results.groups("issuer")
        results.groups("topic")
        for hit in results[:10] if not browse else []:   # no terms, nothing to mark
            hit.highlights("title")
            hit.highlights("body")
        return len(results)

    return run
