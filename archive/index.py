"""The search index: derived from the archive, rebuilt from it at will.

An index *generation* is a directory ``<home>/index/gen-NNNN`` holding

* ``whoosh/`` — the Whoosh index: jieba words of title, body and metadata
  (BM25F ranking, related documents, suggestions), facet and sort columns,
  and the small stored record shown in result lists;
* ``grams/`` — the substring index (`archive.grams`) that makes search
  complete;
* ``docmap-<whoosh generation>.npz`` — per Whoosh document number: archive
  version id, status, issuer, topic and date codes, so filters, facets and
  date sorting are array operations;
* ``citations.sqlite``, ``reprints.npz`` — citation references and
  near-duplicate groups (`archive.links`);
* ``state.json`` — the archive change counter applied, the dictionary
  signature, counts.

``<home>/index/CURRENT`` names the live generation.  A full rebuild writes a
new generation beside it, verifies it and switches CURRENT atomically
(rename); readers notice on their next search.  An incremental sync updates
the live generation in place, in an order that makes a crash harmless:
grams first, then the Whoosh commit, then docmap and state.  Anything a crash
leaves half-applied is applied again by the next sync (it is idempotent).
"""
from __future__ import annotations

import os
import shutil
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from whoosh import fields as wf
from whoosh import columns, index as windex
from whoosh.system import pack_uint

from . import gram_merge, grams, vocabulary
from .analysis import JiebaTokenizer, Segmenter, WordTable, is_word, segmenter_for
from .folding import fold
from .docmap import compute_docmap, write_docmap
from .generations import Generation, current_generation, index_root, switch_to
# Re-exported: the forms of a row were defined here (tests and scripts name them so).
from .forms import display_fields, folded_fields, whoosh_document  # noqa: F401
from .pause import pause_point
# Also named here: generations built while the class lived in this module
# name it archive.index.WordCounts in their pickled schema.
from .word_counts import WordCounts
from .segment_merge import merge_by_tier
from .whoosh_compat import break_writelock
from .store import Archive, now_iso

GRAM_SEGMENT_DOCS = 4000          # bounds the memory of one gram segment build (~200 MB);
                                  # a full build merges them at the end (archive.gram_merge)


# ------------------------------------------------------------------ schema --

class WordsField(wf.FieldType):
    """jieba words with counts, for BM25F.

    Values given to `index()` are already folded by the indexer (folding once
    serves both indexes); queries go through the analyzer, which folds.
    No positions: phrases and substrings are answered by the gram index.
    """

    def __init__(self, segmenter: Segmenter, field_boost: float = 1.0):
        self.segmenter = segmenter
        # The tokenizer is the whole analyzer (folding happens inside it,
        # because jieba must see folded text).
        self.analyzer = JiebaTokenizer(segmenter)
        self.format = WordCounts(field_boost=field_boost)
        self.scorable = True
        self.stored = False
        self.unique = False
        self.vector = None
        self.column_type = None

    def word_counts(self, value: str | list[str]) -> Counter:
        """Every token of the folded value with its count, punctuation
        included (`is_word` tells; the writer checks each distinct token once).
        The value may come segmented already: the build's workers cut each
        text once, for Whoosh and for the vocabulary (`archive.prepare`)."""
        return Counter(value if isinstance(value, list) else self.segmenter.cut(value))

    is_word = staticmethod(is_word)

    def index(self, value, **kwargs):
        for word, freq in self.word_counts(value).items():
            if is_word(word):             # checked once per distinct word
                # Whoosh's Frequency format (a generation built before
                # WordCounts) keeps the count as 4 value bytes too.
                yield (word.encode("utf-8"), freq, float(freq),
                       pack_uint(freq) if self.format.posting_size else b"")

    def __getstate__(self):                     # MpWriter pickles the schema
        return dict(self.__dict__)


def make_schema(segmenter: Segmenter) -> wf.Schema:
    return wf.Schema(
        id=wf.ID(stored=True, unique=True),
        # Numbers are columns only (read into the docmap): indexed NUMERIC
        # fields cost 40 postings a document (one per 4-bit shift) that no
        # query reads, a fifth of the terms of a segment.
        vid=wf.COLUMN(columns.NumericColumn("q")),
        doc=wf.COLUMN(columns.NumericColumn("q")),   # the archive's doc id
        title=WordsField(segmenter),
        body=WordsField(segmenter),
        meta=WordsField(segmenter),
        issuer=wf.ID(sortable=True),
        topic=wf.ID(sortable=True),
        status=wf.ID(sortable=True),
        date=wf.COLUMN(columns.NumericColumn("i")),
        issued=wf.COLUMN(columns.NumericColumn("i")),       # 发文时间 alone (query filters)
        published=wf.COLUMN(columns.NumericColumn("i")),    # 发布日期 alone
        hit=wf.STORED(),
    )


# ------------------------------------------------------------- generations --

def _new_generation(home: Path, schema: wf.Schema) -> Generation:
    """An empty generation numbered after the live one.  Called under the
    writer lock, so any generation newer than the live one is a build that
    was killed or failed before its switch: no reader ever saw it, and it is
    removed (its name is reused).  Generations older than the one kept back
    for readers go too."""
    root = index_root(home)
    root.mkdir(parents=True, exist_ok=True)
    live = current_generation(home)
    live_number = int(live.path.name[4:]) if live else 0
    numbers = sorted(int(p.name[4:]) for p in root.glob("gen-*") if p.name[4:].isdigit())
    keep = {live_number, max((n for n in numbers if n < live_number), default=0)}
    for number in numbers:
        if number not in keep:
            shutil.rmtree(root / f"gen-{number:04d}", ignore_errors=True)
    path = root / f"gen-{live_number + 1:04d}"
    path.mkdir()
    generation = Generation(path)
    generation.whoosh_dir.mkdir()
    generation.grams_dir.mkdir()
    windex.create_in(str(generation.whoosh_dir), schema)
    return generation


# --------------------------------------------------------------- building --

@dataclass
class IndexStats:
    indexed: int = 0
    removed: int = 0
    seconds: float = 0.0


def open_writer(ix, *args, **kwargs):
    """`archive.pipeline.open_writer`, imported when a writer opens: the
    pipeline (multiprocessing, the segment writer, Whoosh's writing module)
    is write side, and a search imports this module."""
    from .pipeline import open_writer as pipeline_writer

    return pipeline_writer(ix, *args, **kwargs)


class _Batch:
    """Documents on their way into both indexes of one generation, with their
    link rows and vocabulary: added here (a sync, a one-process build) or
    by the pipeline's workers (`RowForms` runs there, `absorb` here)."""

    def __init__(self, generation: Generation, full: bool, segmenter: Segmenter, names):
        from .prepare import RowForms    # write side: never imported by a search
        from .reprints import BATCH

        self.generation, self.full = generation, full
        self.link_batch = BATCH
        self.grams = grams.SegmentBuilder()
        self.forms = RowForms(names, segmenter, vocabulary=full)
        self.writer = self.links = self.derived = None

    def open(self, writer) -> None:
        """Start writing.  Called after the workers are forked: the citation
        file's SQLite connection must not cross a fork."""
        from . import links
        from .prepare import Derived

        self.writer = writer
        self.links = links.LinkWriter(self.generation.path, self.full)   # citations, reprints
        self.derived = Derived(self.links, self.generation.path / "vocabulary-counts")

    def absorb(self, taken: dict) -> None:
        self.derived(taken)

    def add(self, item: tuple, update: bool) -> None:
        doc, key, folded = self.forms(item)
        self.grams.add(key, folded)
        if update:
            self.writer.update_document(**doc)
        else:
            self.writer.add_document(**doc)
        if len(self.grams) >= GRAM_SEGMENT_DOCS:
            self.flush_grams()
        if len(self.forms) >= self.link_batch:
            self.absorb(self.forms.take())

    def flush_grams(self) -> None:
        grams.add_segment(self.generation.grams_dir, self.grams)
        self.grams = grams.SegmentBuilder()

    def take_rest(self) -> None:
        """What the forms still hold (one process: the last part batch)."""
        self.absorb(self.forms.take())

    def finish_links(self) -> dict:
        self.take_rest()
        return self.links.finish()

    def cancel_links(self) -> None:
        if self.links is not None:
            self.links.cancel()


class _Background:
    """`function(*args)` run in a thread; `result()` waits and re-raises."""

    def __init__(self, function, *args):
        self.error: BaseException | None = None

        def run():
            try:
                function(*args)
            except BaseException as exc:       # handed to the caller
                self.error = exc
        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def result(self, raise_error: bool = True) -> None:
        self.thread.join()
        if self.error is not None and raise_error:
            raise self.error


class FullBuild:
    """A fresh generation being filled: `add` archive rows, then `finish`
    (verify, make durable, switch) or `cancel` (remove it).

    `rebuild` feeds it every row of the archive; `archive.build_stream`
    feeds it rows as a first ingest stores them, so the index workers run
    while the archive is written.  Until the switch nothing a reader uses is
    touched; a killed build's leftovers go at the next `_new_generation`.
    """

    def __init__(self, home: Path, segmenter: Segmenter | None = None,
                 procs: int | None = None):
        self.home = Path(home)
        self.segmenter = segmenter = segmenter or segmenter_for(home)
        self.started = time.monotonic()
        self.generation = _new_generation(home, make_schema(segmenter))
        ix = self.generation.open_whoosh()
        self.procs = procs or min(2, os.cpu_count() or 1)
        self.batch = _Batch(self.generation, full=True, segmenter=segmenter,
                            names=ix.schema.names())
        self.count = 0
        self.committed = self.cancelled = False
        self.vocabulary_file = self.gram_merged = None
        # With several processes, folding, the substring index, segmentation,
        # citations and signatures all happen in the workers (`archive.prepare`);
        # this process reads the archive and stores what comes back.
        self.writer = open_writer(ix, self.procs, prepare=self.batch.forms,
                                  grams_dir=self.generation.grams_dir,
                                  gram_docs=GRAM_SEGMENT_DOCS, on_derived=self.batch.absorb)
        # The query dictionary table depends on the dictionaries alone: written
        # in a thread while this process mostly waits on the workers (2 s at
        # the end of every build before).
        self.words_table = _Background(WordTable.build, self.generation.words_path, segmenter)
        try:
            self.batch.open(self.writer)
        except BaseException:
            self.cancel()
            raise

    def add(self, item: tuple) -> None:
        """One archive row `(doc id, vid, status, record)`."""
        if self.procs > 1:
            self.writer.add_item(item)
        else:
            self.batch.add(item, update=False)
        self.count += 1

    def finish(self, archive: Archive, seq: int, verify: bool = True) -> Generation:
        """Commit, verify against `archive` (at change counter `seq`), switch."""
        try:
            self._complete(archive, seq, verify)
        except BaseException:
            self.cancel()
            raise
        switch_to(self.home, self.generation)
        return self.generation

    def _complete(self, archive: Archive, seq: int, verify: bool) -> None:
        generation, batch = self.generation, self.batch
        batch.flush_grams()
        pause_point("rebuild-commit")
        self.writer.commit()          # the workers' last rows arrive before it returns
        self.committed = True
        # Before the vocabulary thread reads the counts: in one process the
        # last part batch's were still in the forms (its vocabulary lacked them).
        batch.take_rest()
        # The vocabulary is mostly SQLite inserts (the GIL released): written
        # in a thread while reprints, citations and the docmap are finished
        # (serial steps after the workers, 10 s CPU at 53k bulletins).
        self.vocabulary_file = _Background(vocabulary.build, generation.vocab_path,
                                           batch.derived.vocabulary)
        link_counts = batch.finish_links()
        # Few large gram segments (`archive.gram_merge`), merged in a thread
        # (numpy, the GIL mostly released) while the docmap is computed and
        # the vocabulary written, its longest step: after the reprint
        # grouping, not beside it (together they were this process's peak,
        # 893 MiB at 200k bulletins, over the build's 800 MB bound).
        self.gram_merged = _Background(gram_merge.merge_all, generation.grams_dir, False)
        write_docmap(generation)
        self.words_table.result()
        self.vocabulary_file.result()
        batch.derived.vocabulary.close()
        self.gram_merged.result()
        generation.write_state({"seq": seq, "dictionary": self.segmenter.signature(),
                                "built_at": now_iso(), "documents": self.count,
                                "links": link_counts,
                                "build_seconds": round(time.monotonic() - self.started, 2)})
        problem = verify_generation(generation, archive) if verify else None
        if problem:
            raise RuntimeError(f"new index failed verification, not switched: {problem}")
        # Whoosh does not fsync: make the generation durable before CURRENT
        # names it, or a power cut could publish empty files.
        for path in generation.path.rglob("*"):
            if path.is_file():
                fd = os.open(path, os.O_RDONLY)
                os.fsync(fd)
                os.close(fd)
        pause_point("rebuild-switch")

    def cancel(self) -> None:
        """Stop the workers and threads, remove the generation (once)."""
        if self.cancelled:
            return
        self.cancelled = True
        self.words_table.result(raise_error=False)
        if self.gram_merged is not None:
            self.gram_merged.result(raise_error=False)
        if self.vocabulary_file is not None:
            self.vocabulary_file.result(raise_error=False)
        self.batch.cancel_links()
        if not self.committed:
            try:
                self.writer.cancel()
            except Exception:             # the first error is the one to tell
                pass
            # MpWriter.cancel() leaves its workers blocked on their queue.
            for task in getattr(self.writer, "tasks", []):
                task.terminate()
                task.join()
        shutil.rmtree(self.generation.path, ignore_errors=True)


def rebuild(archive: Archive, home: Path, segmenter: Segmenter | None = None,
            procs: int | None = None, progress=None, verify: bool = True) -> Generation:
    """Build a fresh generation from the archive alone, verify it, switch to it.

    Until the switch nothing a reader uses is touched; on any failure the
    new generation is removed (a killed build's leftovers go at the next
    `_new_generation`).
    """
    seq = archive.current_seq()
    build = FullBuild(home, segmenter, procs)
    try:
        for item in archive.all_docs():
            build.add(item)
            if progress:
                progress(1)
    except BaseException:
        build.cancel()
        raise
    return build.finish(archive, seq, verify)


def sync(archive: Archive, home: Path, segmenter: Segmenter | None = None) -> IndexStats:
    """Apply every archive change the live index has not seen yet."""
    segmenter = segmenter or segmenter_for(home)
    generation = current_generation(home)
    if generation is None:
        started = time.monotonic()
        generation = rebuild(archive, home, segmenter)
        return IndexStats(indexed=generation.state()["documents"],
                          seconds=time.monotonic() - started)
    started = time.monotonic()
    live_number = int(generation.path.name[4:])
    for path in index_root(home).glob("gen-*"):   # a killed rebuild's leftovers: never live
        if path.name[4:].isdigit() and int(path.name[4:]) > live_number:
            shutil.rmtree(path, ignore_errors=True)
    from . import links

    state = generation.state()
    changes = list(archive.changes_since(state.get("seq", 0)))
    if links.missing(generation.path):          # built before citations and groups
        state["links"] = links.backfill(archive, generation.path)
    stats = IndexStats()
    if not changes:
        return stats
    ix = generation.open_whoosh()
    try:
        writer = open_writer(ix)
    except windex.LockError:
        # We hold the data home's writer lock, so Whoosh's lock can only be
        # held by a dead writer's orphan: a new lock file is a new lock.
        break_writelock(generation.whoosh_dir)
        writer = open_writer(ix)
    batch = _Batch(generation, full=False, segmenter=segmenter, names=ix.schema.names())
    batch.open(writer)
    top = state.get("seq", 0)
    try:
        for doc_id, status, vid, record, seq in changes:
            batch.add((doc_id, vid, status, record), update=True)
            stats.indexed += status == "active"
            stats.removed += status != "active"
            top = max(top, seq)
        batch.flush_grams()           # grams before Whoosh: see module docstring
        gram_merge.merge_small(generation.grams_dir)    # ten small segments into one
        state["links"] = batch.finish_links()     # idempotent like the grams
        pause_point("sync-commit")
    except BaseException:
        batch.cancel_links()
        writer.cancel()
        raise
    writer.commit(mergetype=merge_by_tier)      # small segments only (archive.segment_merge)
    pause_point("sync-state")
    write_docmap(generation)
    state.update(seq=top, synced_at=now_iso(), documents=_live_count(generation))
    generation.write_state(state)
    stats.seconds = time.monotonic() - started
    return stats


def _live_count(generation: Generation) -> int:
    with generation.open_whoosh().reader() as reader:
        return reader.doc_count()


# ------------------------------------------------------------ verification --

def verify_generation(generation: Generation, archive: Archive) -> str | None:
    """None if the generation agrees with the archive, else what is wrong."""
    expected = archive.counts()
    total = expected["documents"] + expected["withdrawn"]
    with generation.open_whoosh().reader() as reader:
        indexed = reader.doc_count()
    if indexed != total:
        return f"index has {indexed} documents, archive has {total}"
    manifest = grams.read_manifest(generation.grams_dir)
    in_grams = sum(seg["docs"] for seg in manifest["segments"])
    if in_grams < total:
        return f"substring index has {in_grams} documents, archive has {total}"
    return _check_samples(generation, archive.sample_titles(3))


def _check_samples(generation: Generation, sample: list[tuple[int, str]]) -> str | None:
    """Each sample bulletin is found by its title through the substring index
    and the docmap, the path every search takes from a word to a bulletin."""
    data, whoosh_generation = compute_docmap(generation.open_whoosh())
    found_by = grams.GramIndex(generation.grams_dir)
    for doc_id, title in sample:
        vids = found_by.find(fold(title), "title")
        docs = data["doc"][data["live"] & np.isin(data["vid"], vids)]
        if doc_id not in docs:
            return f"sample query {title!r} does not find bulletin #{doc_id}"
    return None
