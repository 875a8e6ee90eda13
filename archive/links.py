"""What ties bulletins together, kept with each index generation.

Two derived tables live beside the Whoosh and gram indexes of a generation:
citation references (`archive.citations`) and near-duplicate groups
(`archive.reprints`).  Their per-bulletin part (references extracted from
the text, MinHash signatures of the folded body) is computed where the
bulletin is folded: by the full build's index workers, in batches
(`LinkBatch`, shipped to the reading process as plain rows and arrays), by
a sync in its own process.  `LinkWriter` stores them, so a full build
derives the tables from the archive alone and a sync updates them for the
changed bulletins only.  A generation built before these tables existed (or
with an older layout of them) gets them computed once, from the archive, by
the next sync (`backfill`).
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from . import citations, reprints
from .forms import folded_fields


class LinkBatch:
    """The link rows of a batch of bulletins, computed where they are folded."""

    def __init__(self):
        self.citations: list[tuple] = []
        self.reprints: list[tuple] = []

    def __len__(self):
        return len(self.reprints)

    def add(self, doc_id: int, status: str, record: dict, folded_body: str) -> None:
        self.citations.append(citations.document_rows(doc_id, status, record))
        self.reprints.append(reprints.entry(doc_id, status, folded_body, record.get("title")))

    def take(self) -> dict:
        """The batch as picklable rows and arrays; the batch starts empty again."""
        out = {"citations": self.citations, "reprints": reprints.hash_entries(self.reprints)}
        self.citations, self.reprints = [], []
        return out


class LinkWriter:
    def __init__(self, generation_path: Path, full: bool):
        self.citations = citations.CitationWriter(generation_path, full)
        self.reprints = reprints.ReprintWriter(generation_path, full)
        self.batch = LinkBatch()

    def add(self, doc_id: int, status: str, record: dict, folded_body: str) -> None:
        """One bulletin, computed here (a sync, a backfill)."""
        self.batch.add(doc_id, status, record, folded_body)
        if len(self.batch) >= reprints.BATCH:
            self.add_batch(self.batch.take())

    def add_batch(self, rows: dict) -> None:
        """What `LinkBatch.take` gave (maybe in a worker process)."""
        for document in rows["citations"]:
            self.citations.store(document)
        self.reprints.add_part(rows["reprints"])

    def finish(self) -> dict:
        if len(self.batch):
            self.add_batch(self.batch.take())
        references = self.citations.refs
        self.citations.finish()
        return {"references": references, **self.reprints.finish()}

    def cancel(self) -> None:
        self.reprints.cancel()
        try:
            self.citations.cancel()
        except sqlite3.Error:         # already closed: the build's own error is the one to tell
            pass


def missing(generation_path: Path) -> bool:
    path = Path(generation_path)
    return not ((path / citations.FILE_NAME).exists()
                and reprints.stored_layout_is_current(path))


def backfill(archive, generation_path: Path) -> dict:
    """Compute both tables for every bulletin of the archive (migration)."""
    writer = LinkWriter(generation_path, full=True)
    try:
        for doc_id, _vid, status, record in archive.all_docs():
            writer.add(doc_id, status, record, folded_fields(record)["body"])
    except BaseException:
        writer.cancel()
        raise
    return writer.finish()
