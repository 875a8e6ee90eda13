"""Writing reprint groups: the signatures file of an index generation.

The method (signatures, LSH candidates, checks, groups) is in
`archive.reprints`, which also reads the groups at query time (`Groups`);
this module stores them.  The signatures, groups and candidate edges of an
index generation are in `reprints.npz`, written by the full build and
updated by every sync: changed bulletins get new signatures, and only the
LSH buckets they left or joined are formed again
(`archive.reprints.group_with_edges`), with the same result as recomputing
every group (which cost 0.3 s CPU at 53k bulletins, ~3 s at 200k: a sort of
every band).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

from .npyfiles import save_npz
from .reprints import (BATCH, BINS, FILE_NAME, NUMBERS, TITLE_CHARS, entry, group_with_edges,
                       hash_entries)
from .sorted_arrays import find_sorted

_COLUMNS = ("doc", "sig", "num", "title", "valid", "active")
LAYOUT = 2        # 1: signatures of the NFKC body (before they came from the folded one)


def stored_layout_is_current(generation_path: Path) -> bool:
    """False for a file of an older layout (`links.missing`: a sync backfills it)."""
    try:
        with np.load(Path(generation_path) / FILE_NAME) as data:
            return "layout" in data.files and int(data["layout"]) == LAYOUT
    except (FileNotFoundError, ValueError, OSError):
        return False


class _Spill:
    """The rows of a full build, appended to one file per column as they
    arrive and read back sorted by doc id, a column at a time.

    Kept in memory, a build's rows (~900 bytes a bulletin: signature,
    numbers, title) grew the reading process by 91 MB at 100k bulletins,
    while both index workers were at their own peaks: the build's memory
    peak grew with the archive (811 MB at 100k, 994 MB at 200k).  On disk,
    the reading process stays flat until the workers are gone; the grouping
    then holds the rows once, plus one column's sorted copy."""

    def __init__(self, directory: Path):
        self.directory = directory
        shutil.rmtree(directory, ignore_errors=True)      # a killed build's leftovers
        directory.mkdir()
        self.files = {k: open(directory / k, "wb") for k in _COLUMNS}
        self.shapes: dict = {}

    def append(self, part: dict) -> None:
        for k in _COLUMNS:
            column = np.ascontiguousarray(part[k])
            self.shapes[k] = (column.dtype, column.shape[1:])
            self.files[k].write(column.tobytes())

    def read(self) -> dict | None:
        """Every row, sorted by doc id (None without any); the files go."""
        for handle in self.files.values():
            handle.close()
        try:
            if not self.shapes:
                return None
            def column(k):
                dtype, shape = self.shapes[k]
                return np.fromfile(self.directory / k, dtype=dtype).reshape((-1, *shape))
            order = np.argsort(column("doc"), kind="stable")
            return {k: column(k)[order] for k in _COLUMNS}
        finally:
            self.remove()

    def remove(self) -> None:
        for handle in self.files.values():
            handle.close()
        shutil.rmtree(self.directory, ignore_errors=True)


class ReprintWriter:
    """Signatures of changed bulletins into a generation, then its groups."""

    def __init__(self, generation_path: Path, full: bool):
        self.path = Path(generation_path) / FILE_NAME
        self.old = None if full else read_table(self.path)
        if self.old is not None and "title" not in self.old:
            self.old = None                # an older layout: it cannot be merged into
        self.pending: list[tuple] = []
        self.parts: list[dict] = []
        # A full build's rows wait on disk (a sync's few stay in memory).
        self.spill = _Spill(Path(generation_path) / "reprints.spill") if full else None

    def add(self, doc_id: int, status: str, folded_body: str | None, title: str | None) -> None:
        self.pending.append(entry(doc_id, status, folded_body, title))
        if len(self.pending) >= BATCH:
            self._hash_pending()

    def add_part(self, part: dict) -> None:
        """Columns `hash_entries` made (maybe in another process)."""
        if part["doc"].size:
            if self.spill is not None:
                self.spill.append(part)
            else:
                self.parts.append(part)

    def _hash_pending(self) -> None:
        if self.pending:
            self.add_part(hash_entries(self.pending))
            self.pending = []

    def cancel(self) -> None:
        if self.spill is not None:
            self.spill.remove()

    def finish(self) -> dict:
        self._hash_pending()
        spilled = self.spill.read() if self.spill is not None else None
        new = spilled or _joined(self.parts)     # the changed bulletins, by doc id
        old_edges = old_sigs = None
        data = new
        if self.old is not None:
            if "edges" in self.old:        # else (an older file) every bucket is formed
                old_edges = self.old["edges"]
            data, old_sigs = _merged(self.old, new)
        data["group"], data["edges"] = group_with_edges(data, old_edges, new["doc"], old_sigs)
        data["layout"] = np.array(LAYOUT)
        tmp = self.path.with_name(self.path.name + ".tmp.npz")
        _save(tmp, data)
        os.replace(tmp, self.path)
        groups = np.sort(data["group"])
        starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]]) if groups.size else groups
        sizes = np.diff(np.r_[starts, groups.size])
        return {"groups": int((sizes > 1).sum()), "grouped": int(sizes[sizes > 1].sum())}


def _joined(parts: list[dict]) -> dict:
    """The rows of `parts` as one table sorted by doc id."""
    if not parts:
        return {"doc": np.empty(0, np.int64), "sig": np.empty((0, BINS), np.uint32),
                "num": np.empty((0, NUMBERS), np.uint32), "valid": np.empty(0, bool),
                "title": np.empty(0, dtype=f"<U{TITLE_CHARS}"), "active": np.empty(0, bool)}
    data = {k: np.concatenate([p[k] for p in parts]) for k in _COLUMNS}
    order = np.argsort(data["doc"], kind="stable")
    return {k: v[order] for k, v in data.items()}


def _merged(old: dict, new: dict) -> tuple[dict, np.ndarray]:
    """`old`'s rows with `new`'s in place of those of the same doc id, and
    new doc ids added (a table sorted by doc id); and the signatures of the
    replaced rows that were grouped.  `old`'s arrays are written in place:
    no copy of the whole table (three copies of every column took 0.35 s at
    53k bulletins)."""
    docs = old["doc"]
    at, found = find_sorted(docs, new["doc"])
    replaced = at[found]
    usable = old["valid"][replaced] & old["active"][replaced]
    old_sigs = old["sig"][replaced[usable]]                 # a copy, before the writes
    data = {k: old[k] for k in _COLUMNS}
    for k in _COLUMNS:
        data[k][replaced] = new[k][found]
    if not found.all():
        data = {k: np.concatenate([data[k], new[k][~found]]) for k in _COLUMNS}
        if docs.size and new["doc"][~found].min() < docs[-1]:
            order = np.argsort(data["doc"], kind="stable")
            data = {k: v[order] for k, v in data.items()}
    return data, old_sigs


# Columns only a sync reads, and that deflate well: the numbers (mostly zero
# padding) and the titles (UTF-32 padded to TITLE_CHARS) were 34 of the 48.6
# MB of the file at 53k bulletins, 3.6 MB deflated at level 1 (+0.1 s a write).  The signatures
# are random hashes (deflating saves 5%) and the query side reads doc and
# group: those stay stored, so opening them inflates nothing.
_DEFLATED = ("num", "title")


def _save(path: Path, data: dict) -> None:
    """The table, the _DEFLATED columns compressed (`np.load` reads either
    member kind, and files written before)."""
    save_npz(path, data, deflated=_DEFLATED)


def read_table(path: Path, keys: tuple[str, ...] | None = None) -> dict | None:
    """The columns of a signatures file (`keys`: only those), or None without one."""
    try:
        with np.load(path) as data:
            return {k: data[k] for k in (keys or data.files)}
    except FileNotFoundError:
        return None
