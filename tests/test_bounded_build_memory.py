"""What a full build's reading process holds per bulletin is bounded
(issue 14: memory bounded by a constant, not by the corpus):

* the vocabulary counts spill to sorted run files past a bound
  (`archive.spilled_counts`) and add up to what one Counter gives, key for
  key, and the vocabulary file a build writes is the same with or without
  spilling;
* the rows a streamed first build fed are kept as an id bitmap and an
  order-free digest (`archive.build_stream.FedRows`), which still tells
  the archive's rows from any other set: a row changed behind the stream's
  back drops the streamed generation.
"""
from __future__ import annotations

import random
import sqlite3
from collections import Counter

import pytest

from archive import build_stream, generations, jobs, spilled_counts
from archive.build_stream import FedRows
from archive.prepare import RowForms
from archive.spilled_counts import SpilledCounts
from archive.store import Archive
from jobtools import check_consistent, make_source


def _random_counts(rng: random.Random, n: int) -> Counter:
    alphabet = "政府信息公开通知关于印发管理办法\u0000ab1"
    return Counter({"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 4))):
                    rng.randint(1, 5) for _ in range(n)})


def test_spilled_counts_add_up_as_one_counter(tmp_path):
    rng = random.Random(7)
    spilled, oracle = SpilledCounts(tmp_path / "runs", spill_keys=50), Counter()
    for _ in range(40):
        batch = _random_counts(rng, rng.randint(0, 120))
        spilled.update(batch)
        oracle.update(batch)
    assert len(spilled.runs) > 5                   # it did spill, many times
    assert all(path.exists() for path in spilled.runs)
    items = list(spilled.items())
    assert items == sorted(oracle.items())         # every key once, in key order, same totals
    assert len(items) == len(oracle)
    spilled.close()
    assert not (tmp_path / "runs").exists()


def test_counts_that_never_reach_the_bound_write_no_file(tmp_path):
    spilled = SpilledCounts(tmp_path / "runs", spill_keys=1000)
    spilled.update({"通知": 2, "公开": 1})
    spilled.update({"通知": 1})
    assert list(spilled.items()) == [("公开", 1), ("通知", 3)]
    assert not (tmp_path / "runs").exists()


def _vocabulary_rows(home) -> list[tuple]:
    generation = generations.current_generation(home)
    with sqlite3.connect(generation.vocab_path) as db:
        return db.execute("SELECT word, freq FROM words ORDER BY word").fetchall()


def test_a_build_writes_the_same_vocabulary_when_its_counts_spill(tmp_path, monkeypatch):
    source = tmp_path / "src"
    make_source(source, files=2, per_file=120)
    whole = tmp_path / "whole"
    assert jobs.ingest(whole, [source]).outcome == "ok"

    spills = []
    real_spill = SpilledCounts._spill

    def counted(self):
        spills.append(len(self.counts))
        real_spill(self)
    monkeypatch.setattr(spilled_counts, "SPILL_KEYS", 40)
    monkeypatch.setattr(RowForms, "VOCABULARY_DOCS", 20)     # counts arrive in many parts
    monkeypatch.setattr(SpilledCounts, "_spill", counted)
    spilled = tmp_path / "spilled"
    assert jobs.ingest(spilled, [source]).outcome == "ok"
    assert len(spills) >= 2                         # the counts did go to several run files
    rows = _vocabulary_rows(spilled)
    assert len(rows) > 40
    assert rows == _vocabulary_rows(whole)
    generation = generations.current_generation(spilled)
    assert not (generation.path / "vocabulary-counts").exists()     # runs removed


def _rows(n: int) -> list[tuple]:
    return [(doc_id, doc_id * 3, "active" if doc_id % 5 else "withdrawn",
             None if doc_id % 7 == 0 else doc_id % 11) for doc_id in range(1, n + 1)]


def _fed(rows) -> FedRows:
    fed = FedRows()
    for row in rows:
        fed.add(row)
    return fed


def test_fed_rows_are_a_set_compared_in_any_order():
    rows = _rows(300)
    fed = _fed(rows)
    assert all(row[0] in fed for row in rows)
    assert 0 not in fed and 301 not in fed and 10_000 not in fed
    shuffled = rows[:]
    random.Random(3).shuffle(shuffled)
    assert _fed(shuffled).same_rows(fed)


@pytest.mark.parametrize("change", ["vid", "status", "line", "missing", "extra", "id"])
def test_fed_rows_tell_any_other_set_apart(change):
    rows = _rows(300)
    other = rows[:]
    doc_id, vid, status, line = other[150]
    other[150] = {"vid": (doc_id, vid + 1, status, line),
                  "status": (doc_id, vid, "active" if status != "active" else "withdrawn", line),
                  "line": (doc_id, vid, status, 99 if line is None else None),
                  "missing": None, "extra": other[150],
                  "id": (999, vid, status, line)}[change]
    if change == "missing":
        other.pop(150)
    elif change == "extra":
        other.append((301, 1, "active", None))
    assert not _fed(other).same_rows(_fed(rows))


def test_ids_far_past_any_bitmap_are_held_apart():
    far = 1 << 40
    fed = _fed([(far, 1, "active", None), (3, 1, "active", None)])
    assert far in fed and 3 in fed and far + 1 not in fed
    assert len(fed.ids) < 16
    assert not fed.same_rows(_fed([(far + 1, 1, "active", None), (3, 1, "active", None)]))


def test_a_row_changed_behind_the_streams_back_is_never_published(tmp_path):
    source = tmp_path / "src"
    files = make_source(source, files=1, per_file=40)
    home = tmp_path / "home"
    archive = Archive(home)
    jobs.FileIngest(archive, jobs.JobReport("ingest")).files(files)
    stream = build_stream.StreamingBuild(archive, home)
    stream.poll()
    # Not through the change counter: the stream cannot see it as a change.
    archive.db.execute("UPDATE docs SET source_line = source_line + 1000 WHERE id ="
                       " (SELECT min(id) FROM docs)")
    archive.db.commit()
    assert stream.finish() is False
    assert generations.current_generation(home) is None
    archive.db.execute("UPDATE docs SET source_line = source_line - 1000 WHERE id ="
                       " (SELECT min(id) FROM docs)")
    archive.db.commit()
    stream = build_stream.StreamingBuild(archive, home)
    stream.poll()
    assert stream.finish() is True
    archive.close()
    assert check_consistent(home)["documents"] == 40
