"""Build Whoosh segments on every core, streaming, each posting written once.

The process that reads the archive (and writes the substring index) hands
documents to one worker per core in batches of `BATCH_DOCS`, through a
queue of at most two batches per worker: when the workers fall behind, the
reader waits, so the documents in flight are bounded whatever the corpus
size.  Each worker segments the text (`archive.index.WordsField`) and keeps
its postings in a `ColumnPool`; when the pool holds `SEGMENT_POSTINGS`
postings it writes them as a finished Whoosh segment and starts a new one.
Segments are never merged: every posting is written once, and a worker's
memory is bounded by one pool: ~9 bytes a posting while adding, ~30 while
the segment is written (sort keys, permutation, the sorted columns; Python
lists only for 65,536 postings at a time), plus the segment's vocabulary —
about 200 MB at SEGMENT_POSTINGS (the development corpus averages ~190
postings a bulletin).  `commit` publishes all
segments in one Whoosh TOC, as `MpWriter(multisegment=True)` does.

Workers are forked: a worker blocked on its queue is killed with its parent
(`archive.jobs._after_fork`), and `cancel` terminates them.
"""
from __future__ import annotations

import multiprocessing
import traceback

from whoosh.writing import NO_MERGE

from .writer import FastSegmentWriter

BATCH_DOCS = 200
SEGMENT_POSTINGS = 4_000_000      # ~21,000 bulletins of the development corpus


def _work(storage, indexname: str, jobs, results, kwargs: dict, max_postings: int) -> None:
    """A worker: add batches, finish a segment whenever the pool is full."""
    try:
        ix = storage.open_index(indexname)
        writer = FastSegmentWriter(ix, _lk=False, **kwargs)
        while (batch := jobs.get()) is not None:
            for fields in batch:
                writer.add_document(**fields)
            if len(writer.pool) >= max_postings:
                results.put(("segment", writer._finalize_segment()))
                writer = FastSegmentWriter(ix, _lk=False, **kwargs)
        if writer.docnum:
            results.put(("segment", writer._finalize_segment()))
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

    def __init__(self, ix, procs: int = 2, max_postings: int | None = None, **kwargs):
        super().__init__(ix, **kwargs)
        max_postings = max_postings or SEGMENT_POSTINGS
        context = multiprocessing.get_context("fork")
        self.jobs = context.Queue(2 * procs)
        self.results = context.Queue()
        self.batch: list[dict] = []
        self.tasks = [context.Process(target=_work, daemon=True,
                                      args=(self.storage, self.indexname, self.jobs,
                                            self.results, kwargs, max_postings))
                      for _ in range(procs)]
        for task in self.tasks:
            task.start()

    def add_document(self, **fields):
        self.batch.append(fields)
        if len(self.batch) >= BATCH_DOCS:
            self.jobs.put(self.batch)
            self.batch = []

    def _collect(self) -> list:
        segments, done = [], 0
        while done < len(self.tasks):
            kind, value = self.results.get()
            if kind == "error":
                raise RuntimeError(f"an index worker failed:\n{value}")
            if kind == "done":
                done += 1
            else:
                segments.append(value)
        return segments

    def commit(self, mergetype=None, optimize=False, merge=True):
        if self.batch:
            self.jobs.put(self.batch)
            self.batch = []
        for _ in self.tasks:
            self.jobs.put(None)
        try:
            segments = self._collect()
        except BaseException:
            self.cancel()
            raise
        for task in self.tasks:
            task.join()
        existing = self._merge_segments(NO_MERGE, False, False)
        self._close_segment()
        self._commit_toc(existing + segments)
        self._finish()

    def cancel(self):
        for task in self.tasks:
            if task.is_alive():
                task.terminate()
            task.join()
        super().cancel()
