"""What ties bulletins together, kept with each index generation.

Two derived tables live beside the Whoosh and gram indexes of a generation:
citation references (`archive.citations`) and near-duplicate groups
(`archive.reprints`).  The index build feeds `LinkWriter` the records it
indexes, in the process that reads the archive (the Whoosh workers fold and
segment), so a full build derives them from the archive alone and a sync updates them for the
changed bulletins only.  A generation built before these tables existed gets
them computed once, from the archive, by the next sync (`backfill`).
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from . import citations, reprints


class LinkWriter:
    def __init__(self, generation_path: Path, full: bool):
        self.citations = citations.CitationWriter(generation_path, full)
        self.reprints = reprints.ReprintWriter(generation_path, full)

    def add(self, doc_id: int, status: str, record: dict) -> None:
        self.citations.add(doc_id, status, record)
        self.reprints.add(doc_id, status, record.get("body"), record.get("title"))

    def finish(self) -> dict:
        references = self.citations.refs
        self.citations.finish()
        return {"references": references, **self.reprints.finish()}

    def cancel(self) -> None:
        try:
            self.citations.cancel()
        except sqlite3.Error:         # already closed: the build's own error is the one to tell
            pass


def missing(generation_path: Path) -> bool:
    path = Path(generation_path)
    return not ((path / citations.FILE_NAME).exists() and (path / reprints.FILE_NAME).exists())


def backfill(archive, generation_path: Path) -> dict:
    """Compute both tables for every bulletin of the archive (migration)."""
    writer = LinkWriter(generation_path, full=True)
    try:
        for doc_id, _vid, status, record in archive.all_docs():
            writer.add(doc_id, status, record)
    except BaseException:
        writer.cancel()
        raise
    return writer.finish()
