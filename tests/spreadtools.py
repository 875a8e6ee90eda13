"""Invented bulletins for the page tests (web and browser): a long span of
years, long facet lists, records without a date, issuer or topic."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

SPREAD_FIRST_YEAR, SPREAD_LAST_YEAR = 1980, 2024
SPREAD_ISSUERS = 60          # 57 distinct: more than a facet list holds (FACET_LIMIT = 50)


def spread_records() -> list[dict]:
    """Invented bulletins dated over 45 years (1980-2024), from 60 issuers, a
    few undated and a few without issuer or topic: the page's long lists,
    the timeline's wide span and the sidebar's 未注明 entries."""
    records = []
    for year in range(SPREAD_FIRST_YEAR, SPREAD_LAST_YEAR + 1):
        for n in range(1 + year % 3):
            k = len(records)
            issuer = f"远山市第{k % SPREAD_ISSUERS + 1}局" if k % 7 else "远山市人民政府"
            date = f"{year}-{n * 4 + 1:02d}-15"
            records.append({"index_no": f"YS-{year}-{n:03d}", "title": f"远山市{year}年第{n + 1}号通知",
                            "issuer": issuer, "topic": f"专题{k % 14 + 1}", "issued": date,
                            "published": date, "doc_no": f"远政发〔{year}〕{n + 1}号",
                            "body": f"远山市关于{year}年档案工作的通知。正文第{n + 1}段。"})
    records += [
        {"index_no": "YS-NODATE-1", "title": "远山市无日期通知甲", "issuer": "远山市人民政府",
         "topic": "专题1", "body": "远山市无日期的档案通知甲。"},
        {"index_no": "YS-NODATE-2", "title": "远山市无日期通知乙", "issuer": "远山市第2局",
         "topic": "专题2", "body": "远山市无日期的档案通知乙。"},
        {"index_no": "YS-NOISSUER-1", "title": "远山市无机关通知", "topic": "专题3",
         "issued": "2001-06-01", "body": "远山市没有发文机关的档案通知。"},
        {"index_no": "YS-NOTOPIC-1", "title": "远山市无分类通知", "issuer": "远山市第3局",
         "issued": "2002-06-01", "body": "远山市没有主题分类的档案通知。"},
    ]
    return records


def write_spread(path: Path) -> int:
    """`spread_records()` as a gzipped JSON Lines export; returns how many."""
    records = spread_records()
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(records)
