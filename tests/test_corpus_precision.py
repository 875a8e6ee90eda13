"""On a real shard: `archive search Q --all --json` is exactly the bulletins
containing Q (no misses, no extras), and "did you mean" corrects generated
typos of frequent words.

Q is a random 2-4 character string drawn from the slice's own text — parts of
names, parts of words, strings across jieba word boundaries — without a
synonym (synonyms legitimately widen a set; tests/test_search_contract.py
covers them).  The oracle folds every record itself and scans.
"""
from __future__ import annotations

import importlib.util
import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.folding import fold
from archive.cli import main
from archive.search import SearchService
from archive.store import Archive

FIELDS = ("title", "body", "issuer", "topic", "keywords", "doc_no", "index_no")
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def texts(corpus_slice_home) -> dict[int, str]:
    archive = Archive(corpus_slice_home, readonly=True)
    out = {}
    for doc_id, _vid, status, record in archive.all_docs():
        if status == "active":
            values = [" ".join(record.get(f) or []) if f == "keywords" else record.get(f) or ""
                      for f in FIELDS]
            out[doc_id] = "\x1f".join(fold(v) for v in values)
    archive.close()
    return out


def draws(texts: dict[int, str], synonyms, n: int, seed: int) -> list[str]:
    """Random 2-4 character strings of word characters from random documents."""
    rng = random.Random(seed)
    ids = sorted(texts)
    found: list[str] = []
    while len(found) < n:
        text = texts[rng.choice(ids)].split("\x1f")[rng.choice((0, 1, 1, 1))]
        length = rng.randint(2, 4)
        if len(text) < length:
            continue
        start = rng.randrange(len(text) - length + 1)
        q = text[start:start + length]
        if not all(c.isalnum() for c in q) or q in synonyms or q in found:
            continue
        if q.upper() in ("OR", "AND", "NOT") or q[0] in "-+":
            continue
        found.append(q)
    return found


@pytest.mark.slow
def test_cli_all_json_is_exactly_the_bulletins_containing_q(corpus_slice_home, texts):
    synonyms = SearchService(corpus_slice_home).searcher().synonyms
    runner = CliRunner()
    for q in draws(texts, synonyms, 60, seed=2024):
        result = runner.invoke(main, ["--home", str(corpus_slice_home), "search", q,
                                      "--all", "--json"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        got = {h["id"] for h in json.loads(result.stdout)["hits"]}
        expected = {d for d, t in texts.items() if fold(q) in t}
        assert got == expected, (q, sorted(expected - got)[:5], sorted(got - expected)[:5])


@pytest.mark.slow
def test_generated_typos_are_corrected(corpus_slice_home):
    spec = importlib.util.spec_from_file_location("eval_typos", REPO / "scripts" / "eval_typos.py")
    typos = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(typos)
    searcher = SearchService(corpus_slice_home).searcher()
    cases = typos.generate(searcher, 80, seed=3)
    assert len(cases) == 80
    report = typos.evaluate(searcher, cases)
    assert report["single_char_suggestions"] == 0
    # Same-sound, deletion and transposition typos are the common ones and
    # are nearly always right; look-alikes without a shared sound are the
    # weak kind (see the README's figures).
    for kind in ("same-sound", "deletion", "transposition"):
        right = report["by_kind"][kind]
        assert right["right"] >= 0.85 * right["of"], (kind, right)
    assert report["top1"] >= 0.75, report
