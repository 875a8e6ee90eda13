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


@pytest.fixture(scope="session")
def spread_home(tmp_path_factory) -> Path:
    """A data home of `spreadtools.spread_records()` (45 years, 57 issuers,
    undated and unattributed bulletins), ingested from one .jsonl.gz export."""
    from spreadtools import write_spread

    from archive import jobs

    folder = tmp_path_factory.mktemp("spread-src")
    count = write_spread(folder / "spread.jsonl.gz")
    home = tmp_path_factory.mktemp("spread-home")
    report = jobs.ingest(home, [folder])
    assert report.failed == 0 and report.added == count, report.to_json()
    return home


@pytest.fixture(scope="session")
def records_home(tmp_path_factory):
    """A function: (name, records) -> a data home of those record dicts,
    ingested from one .jsonl, every record added."""
    import json

    from archive import jobs

    def build(name: str, records) -> Path:
        source = tmp_path_factory.mktemp(f"{name}-src")
        with open(source / "records.jsonl", "w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        home = tmp_path_factory.mktemp(f"{name}-home")
        report = jobs.ingest(home, [source])
        assert report.added == len(records), report.to_json()
        return home

    return build
