"""Shared fixtures: the development corpus and the `slow` marker."""
from __future__ import annotations

from pathlib import Path

import pytest

CORPUS_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: runs over the whole development corpus")


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """/work/shared/corpus (the repo's ../shared/corpus); skips the test if absent."""
    if not (CORPUS_DIR / "dev").is_dir():
        pytest.skip(f"development corpus not found at {CORPUS_DIR} (../shared/corpus)")
    return CORPUS_DIR


# ---------------------------------------------------------------------------
# Ingested data homes shared by the search, query-language and CLI tests.
# (Appended: the fixtures above are unchanged.)

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample"
CORPUS_SLICE_RECORDS = 3000


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE_DIR


@pytest.fixture(scope="session")
def sample_home(tmp_path_factory) -> Path:
    """A data home holding the bundled sample (read-only: do not modify it)."""
    from archive import jobs

    home = tmp_path_factory.mktemp("sample-home")
    report = jobs.ingest(home, [SAMPLE_DIR])
    assert report.failed == 0 and report.added > 0, report.to_json()
    return home


@pytest.fixture(scope="session")
def corpus_slice_home(tmp_path_factory, corpus_dir) -> Path:
    """A data home holding the first CORPUS_SLICE_RECORDS records of the dev
    corpus's part-001.jsonl (skips where the corpus is absent)."""
    from archive import jobs

    source = corpus_dir / "dev" / "jsonl" / "part-001.jsonl"
    if not source.exists():
        pytest.skip(f"{source} not found")
    folder = tmp_path_factory.mktemp("corpus-slice")
    with open(source, encoding="utf-8") as src, \
            open(folder / "slice.jsonl", "w", encoding="utf-8") as out:
        for n, line in enumerate(src):
            if n >= CORPUS_SLICE_RECORDS:
                break
            out.write(line)
    home = tmp_path_factory.mktemp("corpus-home")
    report = jobs.ingest(home, [folder])
    assert report.added > 0, report.to_json()
    return home


SPREAD_FIRST_YEAR, SPREAD_LAST_YEAR = 1980, 2024
SPREAD_ISSUERS = 60          # more than a facet list holds (FACET_LIMIT = 50)


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


@pytest.fixture(scope="session")
def spread_home(tmp_path_factory) -> Path:
    """A data home of `spread_records()`, ingested from one .jsonl.gz export."""
    import gzip
    import json

    from archive import jobs

    folder = tmp_path_factory.mktemp("spread-src")
    with gzip.open(folder / "spread.jsonl.gz", "wt", encoding="utf-8") as out:
        for record in spread_records():
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    home = tmp_path_factory.mktemp("spread-home")
    report = jobs.ingest(home, [folder])
    assert report.failed == 0 and report.added == len(spread_records()), report.to_json()
    return home
