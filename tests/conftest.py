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
