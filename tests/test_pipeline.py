"""The build pipeline writes what Whoosh's own writer writes.

* `FastSegmentWriter` (column pool, direct block writing) against Whoosh's
  `SegmentWriter` on the same documents: byte-identical posting and term
  files when every block is compressed as Whoosh compresses it and no list
  is inlined, and the same postings and term statistics, read back, with
  small blocks stored uncompressed and short lists inlined;
* a full rebuild through `PipelineWriter` (two worker processes folding,
  writing gram segments and Whoosh segments, cut small so there are
  several) against a rebuild through Whoosh's writer in one process: same
  documents, same answers with the same scores and facets.
"""
from __future__ import annotations

import hashlib
import random

import pytest
from whoosh import index as windex
from whoosh import writing

from archive import generations, gram_merge, grams, index, jobs, pipeline, postings, writer
from archive.analysis import segmenter_for
from archive.store import Archive
from jobtools import answers, check_consistent, make_source, record, write_file

WORDS = ("政府", "信息", "公开", "乡村振兴", "营商环境", "防汛", "抗旱", "应急", "人大常委会",
         "财政", "预算", "教育", "医疗", "交通", "水利", "the", "ABC", "2024")


def _documents(count: int) -> list[dict]:
    """Whoosh documents with words common enough to fill several blocks."""
    rng = random.Random(7)
    docs = []
    for n in range(count):
        rec = record(n)
        rec["body"] += "，".join(rng.choice(WORDS) for _ in range(rng.randint(5, 60)))
        rec["keywords"] = [rng.choice(WORDS)]
        docs.append(index.whoosh_document(n + 1, n + 1, "active", rec, index.folded_fields(rec)))
    return docs


def _build(tmp_path, name: str, writer_class, docs: list[dict]):
    folder = tmp_path / name
    folder.mkdir()
    ix = windex.create_in(str(folder), index.make_schema(segmenter_for(None)))
    w = writer_class(ix, compound=False)
    for doc in docs:
        w.add_document(**doc)
    w.commit()
    return folder, windex.open_dir(str(folder))


def _digests(folder) -> dict[str, str]:
    return {p.suffix: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.iterdir() if p.suffix in (".pst", ".trm")}


def test_files_are_byte_identical_to_whoosh_when_compressed_alike(tmp_path, monkeypatch):
    monkeypatch.setattr(postings, "COMPRESS_MIN_BYTES", 0)
    monkeypatch.setattr(postings, "INLINE_POSTINGS", 0)
    monkeypatch.setattr(postings, "CHUNK_POSTINGS", 100)     # many chunks, some terms longer
    docs = _documents(400)
    ours, _ = _build(tmp_path, "ours", writer.FastSegmentWriter, docs)
    theirs, _ = _build(tmp_path, "whoosh", writing.SegmentWriter, docs)
    assert set(_digests(ours)) == {".pst", ".trm"}
    assert _digests(ours) == _digests(theirs)


def _postings(ix) -> dict:
    """Every term: its statistics and its postings (doc, weight, value)."""
    out = {}
    with ix.reader() as reader:
        for fieldname, text in reader.all_terms():
            info = reader.term_info(fieldname, text)
            stats = (info.weight(), info.doc_frequency(), info.min_length(),
                     info.max_length(), info.max_weight(), info.min_id(), info.max_id())
            matcher = reader.postings(fieldname, text)
            rows = []
            while matcher.is_active():
                # A value-less posting's value: None from a block, "" from
                # an inlined list (Whoosh's ListMatcher); both mean none.
                value = matcher.value()
                rows.append((matcher.id(), matcher.weight(), None if value == "" else value))
                matcher.next()
            out[(fieldname, text)] = (stats, rows)
    return out


def _files_size(folder) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.suffix in (".pst", ".trm"))


def _inlined_terms(ix) -> int:
    with ix.reader() as reader:
        return sum(reader.term_info(f, t).is_inlined() for f, t in reader.all_terms())


def test_postings_read_back_equal_to_whoosh(tmp_path, monkeypatch):
    monkeypatch.setattr(postings, "CHUNK_POSTINGS", 1000)
    docs = _documents(400)
    _, ours = _build(tmp_path, "ours", writer.FastSegmentWriter, docs)
    _, theirs = _build(tmp_path, "whoosh", writing.SegmentWriter, docs)
    mine, reference = _postings(ours), _postings(theirs)
    assert len(reference) > 1000
    assert max(len(rows) for _, rows in reference.values()) > 2 * 128   # several blocks
    assert mine == reference
    short = sum(len(rows) <= postings.INLINE_POSTINGS for _, rows in reference.values())
    assert _inlined_terms(ours) == short > 1000 and _inlined_terms(theirs) == 0


def test_inlined_lists_keep_weights_and_shrink_the_files(tmp_path, monkeypatch):
    """Lists of up to `INLINE_POSTINGS` postings, with counts above 1 and
    ids past one byte, read back as Whoosh's blocks hold them, with every
    posting of a list that long inlined; the segment's files shrink."""
    monkeypatch.setattr(postings, "INLINE_POSTINGS", 100)
    docs = _documents(400)
    for n, doc in enumerate(docs):
        doc["title"] = f"题{n % 7}，题{n % 7}，题{n % 7}" if n % 2 else f"题{n % 7}"
    ours, mine = _build(tmp_path, "ours", writer.FastSegmentWriter, docs)
    theirs, reference = _build(tmp_path, "whoosh", writing.SegmentWriter, docs)
    found = _postings(mine)
    assert found == _postings(reference)
    weights = {w for _, rows in found.values() for _, w, _ in rows}
    assert {1.0, 3.0} <= weights and max(d for _, rows in found.values() for d, _, _ in rows) > 255
    with mine.reader() as reader:
        lengths = {(f, t): len(found[(f, t)][1]) for f, t in reader.all_terms()}
        inlined = {key for key in lengths if reader.term_info(*key).is_inlined()}
    assert inlined == {key for key, n in lengths.items() if n <= 100}
    assert any(w == 3.0 for key in inlined for _, w, _ in found[key][1])
    assert inlined and len(inlined) < len(lengths)
    assert _files_size(ours) < _files_size(theirs)


def test_pipelined_rebuild_answers_as_whoosh_writer(tmp_path, monkeypatch):
    source = tmp_path / "src"
    make_source(source, files=3, per_file=150)
    home = tmp_path / "home"
    assert jobs.ingest(home, [source]).outcome == "ok"

    with monkeypatch.context() as patch:
        patch.setattr(index, "open_writer",
                      lambda ix, procs=1, **_: writing.SegmentWriter(ix, compound=False))
        index.rebuild(Archive(home), home, procs=1)
    reference = answers(home)

    monkeypatch.setattr(pipeline, "SEGMENT_POSTINGS", 3000)     # several segments a worker
    monkeypatch.setattr(index, "GRAM_SEGMENT_DOCS", 100)        # gram segments from both
    monkeypatch.setattr(gram_merge, "MAX_MERGED_DOCS", 250)     # merged into two
    generation = index.rebuild(Archive(home), home, procs=2)
    with generation.open_whoosh().reader() as reader:
        assert len(list(reader.leaf_readers())) > 2
        assert reader.doc_count() == 450
    manifest = grams.read_manifest(generation.grams_dir)
    assert sum(seg["docs"] for seg in manifest["segments"]) == 450
    assert len({seg["name"] for seg in manifest["segments"]}) == len(manifest["segments"]) == 2
    assert answers(home) == reference
    assert reference[("通知", "relevance")][0] == 450


def test_worker_failure_is_reported_and_nothing_switched(tmp_path, monkeypatch):
    source = tmp_path / "src"
    make_source(source, files=1, per_file=20)
    home = tmp_path / "home"
    assert jobs.ingest(home, [source]).outcome == "ok"
    live = generations.current_generation(home).path.name

    def broken(self, **fields):
        raise ValueError("boom")
    monkeypatch.setattr(writer.FastSegmentWriter, "add_document", broken)
    with pytest.raises(RuntimeError, match="index worker failed"):
        index.rebuild(Archive(home), home, procs=2)
    assert generations.current_generation(home).path.name == live


def test_frequency_fields_of_older_generations_are_written_as_whoosh_does(tmp_path, monkeypatch):
    """A generation built before `WordCounts` keeps Whoosh's Frequency
    format in its schema; a sync writes its segments with that format."""
    from whoosh import formats

    monkeypatch.setattr(postings, "COMPRESS_MIN_BYTES", 0)
    monkeypatch.setattr(postings, "INLINE_POSTINGS", 0)
    schema = index.make_schema(segmenter_for(None))
    for name in ("title", "body", "meta"):
        schema[name].format = formats.Frequency()
    monkeypatch.setattr(index, "make_schema", lambda segmenter: schema)
    docs = _documents(150)
    ours, _ = _build(tmp_path, "ours", writer.FastSegmentWriter, docs)
    theirs, _ = _build(tmp_path, "whoosh", writing.SegmentWriter, docs)
    assert _digests(ours) == _digests(theirs)


def test_punctuation_only_fields_are_written_as_whoosh_does(tmp_path, monkeypatch):
    """Non-words get term numbers while documents are added and are dropped
    when the field is sorted: a field that held nothing else is not written."""
    monkeypatch.setattr(postings, "COMPRESS_MIN_BYTES", 0)
    monkeypatch.setattr(postings, "INLINE_POSTINGS", 0)
    docs = _documents(30)
    for doc in docs[:10]:
        doc["title"] = "——，。"
    for doc in docs:
        doc["meta"] = "（）"
    ours, mine = _build(tmp_path, "ours", writer.FastSegmentWriter, docs)
    theirs, reference = _build(tmp_path, "whoosh", writing.SegmentWriter, docs)
    assert _digests(ours) == _digests(theirs)
    assert _postings(mine) == _postings(reference)
    with mine.reader() as reader, reference.reader() as whoosh_reader:
        assert "meta" not in {name for name, _ in reader.all_terms()}
        lengths = [reader.doc_field_length(n, "title") for n in range(30)]
        assert lengths == [whoosh_reader.doc_field_length(n, "title") for n in range(30)]
        assert not any(lengths[:10]) and all(lengths[10:])


def _segments_inlined(home) -> list[bool]:
    """Per Whoosh segment of the live generation: does it hold inlined lists?"""
    with generations.current_generation(home).open_whoosh().reader() as reader:
        return [any(leaf.term_info(f, t).is_inlined() for f, t in leaf.all_terms())
                for leaf, _ in reader.leaf_readers()]


def _build_then_sync(tmp_path, name: str, monkeypatch, inline_syncs: bool) -> tuple:
    """A home of five bulletins and four syncs of two written without
    inlining; then (inlined if `inline_syncs`) the five changed and five
    syncs of two: the tenth segment's sync merges all ten.  Returns (home,
    whether each live segment holds inlined lists, before and after)."""
    source, home = tmp_path / name / "src", tmp_path / name / "home"
    make_source(source, files=1, per_file=5)
    steps = []

    def sync(first: int) -> None:
        write_file(source, f"more-{first}.jsonl", range(first, first + 2))
        assert jobs.ingest(home, [source]).outcome == "ok"

    with monkeypatch.context() as patch:
        patch.setattr(postings, "INLINE_POSTINGS", 0)
        assert jobs.ingest(home, [source]).outcome == "ok"
        for n in range(4):
            sync(100 + 2 * n)
        if inline_syncs:
            patch.undo()
        write_file(source, "part-000.jsonl", range(0, 5), salt="改")
        assert jobs.ingest(home, [source]).outcome == "ok"
        for n in range(4):
            sync(200 + 2 * n)
        steps.append(sorted(_segments_inlined(home)))
        sync(300)
        steps.append(sorted(_segments_inlined(home)))
    return home, steps


def test_a_home_built_before_inlining_syncs_and_merges_as_before(tmp_path, monkeypatch):
    """Segments of blocks only (an index written before) and inlined ones
    side by side, then merged by a sync: the same answers, scores included,
    as the same syncs written without inlining."""
    home, steps = _build_then_sync(tmp_path, "mixed", monkeypatch, inline_syncs=True)
    reference, before = _build_then_sync(tmp_path, "blocks", monkeypatch, inline_syncs=False)
    assert steps == [[False] * 5 + [True] * 5, [True]]
    assert before == [[False] * 10, [False]]
    check_consistent(home)
    found = answers(home)
    assert found == answers(reference)
    assert found[("通知", "relevance")][0] == 23
