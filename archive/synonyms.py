"""Synonyms: the ``a = b = c`` files that widen a query word (`archive.searcher`).

The package ships ``data/synonyms.txt``; a data home may add its own
(archive.toml).  Terms are folded (`archive.folding`), so a group matches
whatever width, case or script the query is typed in.
"""
from __future__ import annotations

from pathlib import Path

from .folding import fold

SYNONYMS = Path(__file__).with_name("data") / "synonyms.txt"


def read_synonyms(paths: list[Path]) -> dict[str, set[str]]:
    """Folded term -> its equivalents, from ``a = b = c`` lines (``#`` comments).

    Groups that share a term are merged, so the relation is an equivalence.
    """
    groups: list[set[str]] = []
    for path in paths:
        if not path or not Path(path).exists():
            continue
        for line in Path(path).read_text(encoding="utf-8-sig").splitlines():
            line = line.split("#", 1)[0]
            terms = {fold(t.strip()) for t in line.split("=") if t.strip()}
            if len(terms) > 1:
                groups.append(terms)
    merged: dict[str, set[str]] = {}
    for group in groups:
        union = set(group)
        for term in group:
            union |= merged.get(term, set())
        for term in union:
            merged[term] = union
    return {term: group - {term} for term, group in merged.items()}
