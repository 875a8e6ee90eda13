"""Build Whoosh segments on every core, streaming, each posting written once.

The process that reads the archive hands its rows to one worker per core in
batches of `BATCH_DOCS`, through a queue of at most two batches per worker:
when the workers fall behind, the reader waits, so the documents in flight
are bounded whatever the corpus size.  Each worker turns rows into index
forms (with `prepare`: `archive.prepare.RowForms` — folding, segmentation,
citations, reprint signatures, vocabulary entries), writes substring-index
segments of `gram_docs` documents and keeps its postings in a `ColumnPool`;
when the pool holds `SEGMENT_POSTINGS` postings it writes them as a
finished Whoosh segment and starts a new one.  Segments are never merged:
every posting is written once.  After each batch the worker sends back
what `prepare.take()` derived (link rows, vocabulary counts); the reader
stores it as it arrives (`on_derived`), so nothing piles up in the queue.

Memory is bounded per worker by one pool (~9 bytes a posting while adding,
~25 while the segment is written: packed sort keys, uint32 columns; Python
lists for 65,536 postings at a time) plus the segment's vocabulary and the
segmenter's dictionary (~70 MB), and one gram segment build
(`archive.grams`); the workers' first segments are cut at different sizes
so their write peaks do not meet.  The reader holds the vocabulary counts
up to a bound (then sorted run files: `archive.spilled_counts`); the
reprint rows (~0.9 KB a bulletin) wait on disk
(`archive.reprint_writer._Spill`).  `commit` adds the gram segments to the
manifest, then publishes all Whoosh segments in one TOC, as
`MpWriter(multisegment=True)` does.

Workers are forked: a worker blocked on its queue is killed with its parent
(`archive.writer_lock._after_fork`), and `cancel` terminates them.
"""
from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import queue
import traceback
from pathlib import Path

from whoosh.writing import NO_MERGE

from . import grams
from .writer import FastSegmentWriter

BATCH_DOCS = 200
SEGMENT_POSTINGS = 2_000_000      # ~10,500 bulletins of the development corpus


class _Feed:
    """What a worker does with an item: documents as they are, or (with
    `prepare`) archive rows turned into Whoosh fields and gram segments."""

    def __init__(self, prepare=None, grams_dir=None, gram_docs: int = 4000,
                 names=(), writing=None):
        self.prepare, self.grams_dir, self.gram_docs = prepare, grams_dir, gram_docs
        self.names = iter(names)
        self.builder = grams.SegmentBuilder()
        self.writing = writing or contextlib.nullcontext()

    def fields(self, item, results) -> dict:
        if self.prepare is None:
            return item
        fields, key, folded = self.prepare(item)
        self.builder.add(key, folded)
        if len(self.builder) >= self.gram_docs:
            self.flush(results)
        return fields

    def end_batch(self, results, final: bool = False) -> None:
        """Send back what `prepare` derived from the batch (`take`), if
        anything; `final`: all it still holds (the worker's last batch)."""
        take = getattr(self.prepare, "take", None)
        if take is not None:
            results.put(("derived", take(final)))

    def flush(self, results) -> None:
        if len(self.builder):
            with self.writing:
                entry = self.builder.write(Path(self.grams_dir), f"{next(self.names):05d}")
            results.put(("grams", entry))
            self.builder = grams.SegmentBuilder()


def _work(storage, indexname: str, jobs, results, kwargs: dict, limits: tuple[int, int],
          feed: _Feed) -> None:
    """A worker: add batches, finish a segment whenever the pool is full
    (`limits`: postings of its first segment, of the others)."""
    try:
        ix = storage.open_index(indexname)
        writer = FastSegmentWriter(ix, _lk=False, **kwargs)
        limit = limits[0]
        while (batch := jobs.get()) is not None:
            for item in batch:
                writer.add_document(**feed.fields(item, results))
            feed.end_batch(results)
            if len(writer.pool) >= limit:
                with feed.writing:
                    segment = writer._finalize_segment()
                results.put(("segment", segment))
                writer = FastSegmentWriter(ix, _lk=False, **kwargs)
                limit = limits[1]
        feed.end_batch(results, final=True)
        feed.flush(results)
        if writer.docnum:
            with feed.writing:
                segment = writer._finalize_segment()
            results.put(("segment", segment))
        else:
            writer._close_segment()
        results.put(("done", None))
    except BaseException:
        results.put(("error", traceback.format_exc()))


class PipelineWriter(FastSegmentWriter):
    """A writer whose documents are indexed by `procs` worker processes.

    Holds the Whoosh write lock (this process commits the TOC); documents
    are added with `add_document` only (no deletions: it fills a new index
    generation).
    """

    def __init__(self, ix, procs: int = 2, max_postings: int | None = None, prepare=None,
                 grams_dir: Path | None = None, gram_docs: int = 4000, on_derived=None,
                 **kwargs):
        super().__init__(ix, **kwargs)
        self.on_derived = on_derived
        self.new_segments: list = []
        self.gram_segments: list = []
        self.done = 0
        max_postings = max_postings or SEGMENT_POSTINGS
        context = multiprocessing.get_context("fork")
        self.jobs = context.Queue(2 * procs)
        self.results = context.Queue()
        self.batch: list = []
        self.grams_dir = grams_dir
        first = 1 + max((int(seg["name"]) for seg in
                         grams.read_manifest(grams_dir)["segments"]), default=0) if grams_dir else 0
        # Worker n finishes its first segment at (n + 1) / procs of the
        # limit: the workers, fed alike, would otherwise write their segments
        # (their memory peak) at the same moment.  They drift apart as the
        # batches fall, and all write their last ones at the end: one writes
        # at a time (`writing`), the others wait (two at once were the
        # build's peak at 200k bulletins: 884 MiB with the reading process).
        writing = context.Lock()
        self.tasks = [context.Process(
            target=_work, daemon=True,
            args=(self.storage, self.indexname, self.jobs, self.results, kwargs,
                  (max_postings * (n + 1) // procs, max_postings),
                  _Feed(prepare, grams_dir, gram_docs, itertools.count(first + n, procs),
                        writing)))
            for n in range(procs)]
        for task in self.tasks:
            task.start()

    def add_document(self, **fields):
        self.add_item(fields)

    def add_item(self, item) -> None:
        """A document's fields, or with `prepare` an archive row for it."""
        self.batch.append(item)
        if len(self.batch) >= BATCH_DOCS:
            self.jobs.put(self.batch)
            self.batch = []
            self._drain()

    def _drain(self) -> None:
        """Handle what the workers sent so far, without waiting: derived rows
        are stored as they come, so they never pile up in the queue."""
        while True:
            try:
                message = self.results.get_nowait()
            except queue.Empty:
                return
            self._handle(*message)

    def _handle(self, kind: str, value) -> None:
        if kind == "error":
            raise RuntimeError(f"an index worker failed:\n{value}")
        if kind == "done":
            self.done += 1
        elif kind == "grams":
            self.gram_segments.append(value)
        elif kind == "derived":
            if self.on_derived is not None:
                self.on_derived(value)
        else:
            self.new_segments.append(value)

    def _collect(self) -> tuple[list, list]:
        while self.done < len(self.tasks):
            self._handle(*self.results.get())
        return self.new_segments, self.gram_segments

    def commit(self, mergetype=None, optimize=False, merge=True):
        if self.batch:
            self.jobs.put(self.batch)
            self.batch = []
        for _ in self.tasks:
            self.jobs.put(None)
        try:
            segments, gram_segments = self._collect()
        except BaseException:
            self.cancel()
            raise
        for task in self.tasks:
            task.join()
        if gram_segments:                 # grams before Whoosh (see archive.index)
            manifest = grams.read_manifest(self.grams_dir)
            manifest["segments"] += sorted(gram_segments, key=lambda seg: seg["name"])
            grams.write_manifest(self.grams_dir, manifest)
        existing = self._merge_segments(NO_MERGE, False, False)
        self._close_segment()
        self._commit_toc(existing + segments)
        self._finish()

    def cancel(self):
        for task in self.tasks:
            if task.is_alive():
                task.terminate()
            task.join()
        # Batches still buffered for dead workers: without this the process
        # hangs at exit, joining the queue's feeder thread.
        self.jobs.cancel_join_thread()
        super().cancel()


def open_writer(ix, procs: int = 1, limitmb: int = 256, **pipeline):
    """A writer for a batch of documents: several processes for a big batch.

    Segments are written as separate files, not Whoosh's single compound
    file: a reader opening a compound file copies each part into memory
    (0.15 s and 300 MB per process at 53k bulletins, measured on a cold CLI
    search), while separate files are read through the page cache.
    `pipeline` arguments (prepare, grams_dir, gram_docs, on_derived) go to
    the `PipelineWriter`; one process adds documents itself.
    """
    if procs > 1:
        return PipelineWriter(ix, procs=procs, compound=False, **pipeline)
    return FastSegmentWriter(ix, limitmb=limitmb, compound=False)
