"""Reprint groups looked up hit by hit (`Groups.group_at`, `size_at`) agree
with the whole table (`Groups.table`) that collapsing and a group's page
build: for every docnum, over random files, docmaps and statuses."""
from __future__ import annotations

import numpy as np
import pytest

from archive.reprints import FILE_NAME, Groups


def _case(tmp_path, seed: int, with_file: bool = True):
    rng = np.random.default_rng(seed)
    docs = np.unique(rng.integers(1, 400, 250))                 # the file: sorted doc ids
    groups = docs.copy()
    for _ in range(60):                     # merge random docs into groups led by the lowest
        members = np.sort(rng.choice(docs.size, rng.integers(2, 6), replace=False))
        groups[members] = groups[members].min()
    if with_file:
        np.savez(tmp_path / FILE_NAME, doc=docs, group=groups)
    # Docnums: some ids outside the file, some twice (an old version), some
    # equal to a group id that the file lists elsewhere.
    doc_of_docnum = rng.integers(1, 450, 300).astype(np.int64)
    live = rng.random(300) < 0.85
    status = rng.choice(np.array([0, 0, 0, 1, 2], dtype=np.int8), 300)
    return Groups(tmp_path, doc_of_docnum, live, status)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("with_file", [True, False])
def test_one_docnum_at_a_time_is_the_table(tmp_path, seed, with_file):
    lazy = _case(tmp_path, seed, with_file)
    pairs = [(lazy.group_at(d), lazy.size_at(d)) for d in range(lazy.doc_of_docnum.size)]
    assert lazy._table is None                  # looked up without the table
    group, size = _case(tmp_path, seed, with_file).table()
    assert pairs == list(zip(group.tolist(), size.tolist()))
    assert max(size) > 1 or not with_file         # the case has real groups


def test_the_table_brute_force(tmp_path):
    """The table itself against its definition: an active bulletin's group
    is the file's (else its own id), an inactive one is alone; the size
    counts the active bulletins of the group, at least 1."""
    groups = _case(tmp_path, 3)
    file = np.load(tmp_path / FILE_NAME)
    known = dict(zip(file["doc"].tolist(), file["group"].tolist()))
    counted = groups._counted
    expected = [known.get(doc, doc) if counted[d] else doc
                for d, doc in enumerate(groups.doc_of_docnum.tolist())]
    sizes = [max(1, sum(1 for c in range(len(expected)) if counted[c] and expected[c] == g))
             for g in expected]
    group, size = groups.table()
    assert group.tolist() == expected and size.tolist() == sizes


class _Hit:
    def __init__(self, docnum):
        self.docnum, self.fields = docnum, {}


def test_a_searcher_that_goes_on_builds_the_table(tmp_path):
    """A fresh process's page is annotated hit by hit; past TABLE_AFTER hits
    (a searcher answering again and again) the table is built, and every
    annotation is the same either way."""
    from archive.reprints import TABLE_AFTER

    groups = _case(tmp_path, 5)
    expected_group, expected_size = _case(tmp_path, 5).table()
    annotated = []
    for start in range(0, 300, 10):
        page = [_Hit(d) for d in range(start, start + 10)]
        groups.annotate(page)
        annotated += page
        assert (groups._table is None) == (start + 10 <= TABLE_AFTER)
    assert [(h.fields["group"], h.fields["group_size"]) for h in annotated] == \
        list(zip(expected_group.tolist(), expected_size.tolist()))
