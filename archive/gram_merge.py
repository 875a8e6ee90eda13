"""Merging substring-index segments (`archive.grams`) into fewer, larger ones.

A query does some work in every gram segment: a bisection of its term
array per gram, an intersection, the common grams' bitmaps, a title table.
A full build writes segments of `index.GRAM_SEGMENT_DOCS` documents (what
bounds a worker's memory), 14 at 53k bulletins and 50 at 200k, so that
overhead grew with the archive; and every segment repeats the term
dictionary of the language (~262k gram codes and their offsets, 3.2 MB a
segment).  At the end of a full build the segments are merged into as few
as keep postings 16-bit (`MAX_MERGED_DOCS` documents each).

The merge is a k-way merge of sorted term arrays done with numpy, in chunks
of about `CHUNK_POSTINGS` postings so its memory stays bounded whatever the
archive: the merged segment's documents are the sources' documents one
segment after the other (local numbers re-based by the documents before),
so a term's merged posting list is its lists in source order, already
sorted; lists kept as bitmaps are unpacked, and the merged lists are split
into arrays and bitmaps again for the merged segment's size
(`archive.gram_bitmaps.split_dense`).  Texts are copied byte for byte (a
segment stored in UTF-8 before UTF-16 is re-encoded) and their field
offsets re-based.  Nothing is dropped: which keys are live is
the caller's business, as for any segment.

Measured (one process, `merge_all`): 53k bulletins, 14 segments into one,
2.0 s CPU; 200k, 50 into four, 10.2 s CPU with the UTF-8 texts of a home
built before re-encoded, peak RSS 380 MB (mapped source pages included).
Streamed (`merge_segments`), on the 50 UTF-16 segments of a 200k build:
peak RSS 318 -> 197 MiB (anonymous 217 -> 140, mapped pages 100 -> 57),
5.8 s CPU, every file byte for byte the same (load ~6).
Warm query CPU of the bench mix, same run, load ~3-4: p95 11.0 -> 9.1 ms at
53k, 22.1 -> 16.4 ms at 200k (with `matching.VerifiedSets.put_partial`).
"""
from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

import numpy as np

from . import gram_bitmaps, gram_terms, gram_text, grams, segment_merge
from .gram_segment import Segment
from .npyfiles import release
from .sorted_arrays import run_starts

MAX_MERGED_DOCS = 1 << 16          # local numbers 0..65535: postings stay uint16
# Postings merged at a time.  A list kept as a bitmap holds at least 1/16 of
# its segment, so the unpacked bitmaps of a chunk take at most 16 bytes a
# posting: ~32 MB, and ~60 MB of temporaries in all.
CHUNK_POSTINGS = 2_000_000
# A sync merges ten small gram segments of one size tier into one
# (`archive.segment_merge`), of fewer documents than this: ten of 1,000,
# every hundredth sync of 100 bulletins: ~0.35 s of CPU (10,000 documents
# of the corpus, fsync included).  The 4,000-
# document segments of a home built before merging stay as they are (a
# sync merging ten of them would cost ~2 s).
SYNC_LARGEST = 4_000


def merge_groups(sizes: list[int], limit: int | None = None) -> list[list[int]]:
    """Consecutive runs of segment positions to merge, each of at most
    `limit` documents (MAX_MERGED_DOCS), as few runs as the greedy cut
    allows and of even size (53k bulletins: one segment; 200k: four of ~50k)."""
    limit = limit or MAX_MERGED_DOCS
    total = sum(sizes)
    if not total:
        return []
    runs = max(1, -(-total // limit))
    target = -(-total // runs)
    groups: list[list[int]] = [[]]
    filled = 0
    for at, size in enumerate(sizes):
        if groups[-1] and (filled + size > limit or filled >= target):
            groups.append([])
            filled = 0
        groups[-1].append(at)
        filled += size
    return groups


def merge_segments(directory: Path, sources: list[Segment], name: str,
                   durable: bool = True) -> dict:
    """Write the documents of `sources` (in order) as one segment NAME.* in
    `directory`; returns its manifest entry.  `durable`: fsync the files
    (a full build fsyncs its whole generation itself).

    Streamed: which lists become bitmaps depends on their lengths alone, so
    the sizes of the merged postings and bitmaps are known before the first
    chunk, and each chunk is appended to its file as it is made; the source
    pages a chunk read are let go after it (`npyfiles.release`).  Gathered
    in memory, the merged arrays (~50 MB a merged segment at 200k
    bulletins), their concatenation and the mapped source pages held ~380
    MB in the build's process at its end, beside the build's tail."""
    docs = sum(seg.keys.size for seg in sources)
    if docs > MAX_MERGED_DOCS:
        raise ValueError(f"{docs} documents do not fit one merged segment")
    dtype = np.dtype(np.uint16)
    bases = np.cumsum([0] + [seg.keys.size for seg in sources])
    lists = [_FullLists(seg, int(base)) for seg, base in zip(sources, bases)]
    terms, positions = _merged_terms(sources)
    totals = np.zeros(terms.size, dtype=np.int64)
    for at, part in zip(positions, lists):
        totals[at] += part.counts
    dense = gram_bitmaps.is_dense(totals, dtype.itemsize, docs)
    _write_texts(directory, name, sources, durable)
    save = _saver(durable)
    save(directory / f"{name}.keys.npy",
         np.concatenate([np.asarray(seg.keys, dtype=np.int64) for seg in sources]))
    suffix, stored_terms = gram_terms.stored(terms)
    save(directory / f"{name}.{suffix}.npy", stored_terms)
    del stored_terms
    kept = int(totals[~dense].sum())
    with _NpyStream(directory / f"{name}.postings.npy", dtype, (kept,), durable) as postings_out, \
            _NpyStream(directory / f"{name}.bitmaps.npy", np.dtype(np.uint8),
                       (int(dense.sum()), (docs + 7) // 8), durable) as bitmaps_out:
        for start, end in _chunks(totals, CHUNK_POSTINGS):
            postings = _merged_chunk(lists, positions, totals, start, end, dtype)
            _, arrays, _, bitmaps = gram_bitmaps.split_dense(totals[start:end], postings, docs)
            postings_out.write(arrays)
            bitmaps_out.write(bitmaps)
            del postings, arrays, bitmaps
            for part in lists:
                part.release()
    offsets = np.append(0, np.cumsum(np.where(dense, 0, totals)))
    save(directory / f"{name}.offsets.npy",
         offsets.astype(np.uint32 if kept < 1 << 32 else np.int64))
    save(directory / f"{name}.dense.npy", np.flatnonzero(dense).astype(np.uint32))
    return {"name": name, "docs": int(docs), "postings": int(totals.sum())}


def _merged_terms(sources: list[Segment]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The sorted union of the sources' gram codes, and where each source's
    codes are in it."""
    codes = [seg.terms.codes() for seg in sources]
    terms = _union_of_sorted(codes)
    return terms, [np.searchsorted(terms, mine) for mine in codes]


def _merged_chunk(lists, positions, totals, start: int, end: int, dtype) -> np.ndarray:
    """The merged posting lists of terms start..end-1, one after the other."""
    counts = totals[start:end]
    postings = np.empty(int(counts.sum()), dtype=dtype)
    filled = np.cumsum(counts) - counts            # next free slot of each term
    for at, part in zip(positions, lists):
        low, high = np.searchsorted(at, (start, end))
        if high > low:
            local = at[low:high] - start
            part.scatter(low, high, postings, filled[local])
            filled[local] += part.counts[low:high]
    return postings


class _NpyStream:
    """An .npy file written piece by piece: the header for the final
    `shape`, then the pieces in order (their sizes must add up to it)."""

    def __init__(self, path: Path, dtype: np.dtype, shape: tuple, durable: bool):
        self.path, self.durable = path, durable
        self.left = math.prod(shape)
        self.out = open(path, "wb")
        np.lib.format.write_array_header_1_0(self.out, {
            "descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False,
            "shape": shape})

    def write(self, array: np.ndarray) -> None:
        if array.size:
            self.left -= array.size
            self.out.write(memoryview(np.ascontiguousarray(array).reshape(-1)).cast("B"))

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace) -> None:
        try:
            if kind is None and self.left:
                raise RuntimeError(f"{self.path.name}: {self.left} values short of its header")
            if kind is None and self.durable:
                self.out.flush()
                os.fsync(self.out.fileno())
        finally:
            self.out.close()


class _FullLists:
    """Every posting list of one source segment, bitmaps included, as
    counts per term and a way to copy lists into a merged chunk."""

    def __init__(self, seg: Segment, base: int):
        self.seg, self.base = seg, base
        counts = np.diff(np.asarray(seg.offsets, dtype=np.int64))
        if seg.dense.size:
            counts[seg.dense] = np.bitwise_count(np.asarray(seg.bitmaps)).sum(axis=1)
        self.counts = counts
        self.dense = np.asarray(seg.dense, dtype=np.int64)
        self.release()

    def scatter(self, low: int, high: int, out: np.ndarray, starts: np.ndarray) -> None:
        """Copy the lists of terms low..high-1 into `out`, term i's at
        starts[i - low], its local numbers re-based."""
        seg = self.seg
        offsets = np.asarray(seg.offsets[low:high + 1], dtype=np.int64)
        widths = np.diff(offsets)
        arrays = np.flatnonzero(widths)
        if arrays.size:
            first = int(offsets[0])
            flat = np.asarray(seg.postings[first:int(offsets[-1])])
            out[_spread(starts[arrays], widths[arrays])] = flat + self.base
        d_low, d_high = np.searchsorted(self.dense, (low, high))
        if d_high > d_low:
            bitmaps = np.asarray(seg.bitmaps[d_low:d_high])
            held = np.bitwise_count(bitmaps).sum(axis=1, dtype=np.int64)
            docs = seg.keys.size
            # One flat scan of the unpacked rows (2-d nonzero was 0.7 s of
            # the 2.8 s a merge of 53k bulletins took); row r's bits are at
            # r * docs onwards.
            bits = np.flatnonzero(np.unpackbits(bitmaps, axis=1, count=docs).view(bool))
            bits -= np.repeat(np.arange(held.size, dtype=np.int64) * docs - self.base, held)
            out[_spread(starts[self.dense[d_low:d_high] - low], held)] = bits

    def release(self) -> None:
        """Let go of the source pages read so far (they stay in the page
        cache): mapped, each chunk's would stay resident in this process
        until the merge ends."""
        release(self.seg.offsets, self.seg.postings, self.seg.bitmaps)


def _union_of_sorted(arrays: list[np.ndarray]) -> np.ndarray:
    """The distinct values of sorted arrays: a stable sort (timsort merges
    the sorted runs) and a comparison; numpy 2's hashing np.unique took 2.2 s
    for the 3 terms arrays of 10k bulletins (load ~12)."""
    values = np.concatenate(arrays)
    values.sort(kind="stable")
    return values[run_starts(values)]


def _spread(starts: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """Positions starts[i] .. starts[i] + widths[i] - 1 of every i, in order."""
    total = int(widths.sum())
    begin = np.cumsum(widths) - widths
    return np.arange(total, dtype=np.int64) + np.repeat(starts - begin, widths)


def _chunks(totals: np.ndarray, limit: int):
    """(start, end) term ranges holding about `limit` postings each."""
    ends = np.searchsorted(np.cumsum(totals), np.arange(limit, int(totals.sum()), limit))
    bounds = np.unique(np.concatenate([[0], ends + 1, [totals.size]]).clip(0, totals.size))
    return zip(bounds[:-1].tolist(), bounds[1:].tolist())


def _write_texts(directory: Path, name: str, sources: list[Segment], durable: bool) -> None:
    """The sources' texts one after the other, in the encoding segments are
    written in (`archive.gram_text`: bytes copied, or a segment written
    before re-encoded), and NAME.fields (their byte offsets, re-based)."""
    suffix, encoding = gram_text.WRITTEN
    fields, base = [], 0
    with open(directory / f"{name}.{suffix}", "wb") as out:
        for seg in sources:
            if seg.encoding == encoding:
                with open(seg.text_path, "rb") as source:
                    shutil.copyfileobj(source, out, 1 << 20)
                table = seg.fields
            else:
                with open(seg.text_path, "rb") as source:
                    text, table = gram_text.reencoded(source.read(), np.asarray(seg.fields),
                                                      seg.encoding)
                out.write(text)
            fields.append(np.asarray(table, dtype=np.int64) + base)
            base = out.tell()
        if durable:
            out.flush()
            os.fsync(out.fileno())
    table = np.concatenate(fields)
    _saver(durable)(directory / f"{name}.fields.npy",
                    table.astype(np.int32) if base < 1 << 31 else table)


def _saver(durable: bool):
    return grams._save if durable else np.save


def merge_all(directory: Path, durable: bool = True) -> dict:
    """Merge the segments of the index in `directory` into `merge_groups`,
    publish the new manifest, remove the merged segments' files; returns
    the manifest.  Called at the end of a full build: 53k bulletins in 14
    segments become one, 200k in ~50 become four."""
    directory = Path(directory)
    manifest = grams.read_manifest(directory)
    entries = manifest["segments"]
    groups = [g for g in merge_groups([e["docs"] for e in entries]) if len(g) > 1]
    if not groups:
        return manifest
    number = 1 + max(int(e["name"]) for e in entries)
    merged: dict[int, dict] = {}
    for offset, group in enumerate(groups):
        sources = [Segment.open(directory, entries[at]["name"]) for at in group]
        merged[group[0]] = merge_segments(directory, sources, f"{number + offset:05d}", durable)
        del sources
    gone = {at for group in groups for at in group}
    kept = [merged.get(at, entry) for at, entry in enumerate(entries)
            if at in merged or at not in gone]
    grams.write_manifest(directory, {**manifest, "segments": kept})
    for at in sorted(gone):
        for path in directory.glob(f"{entries[at]['name']}.*"):
            path.unlink()
    return grams.read_manifest(directory)


def merge_small(directory: Path) -> dict:
    """After a sync: merge ten small segments of one tier if there are
    (`segment_merge.segments_to_merge`), so segments do not pile up sync
    after sync; returns the manifest.

    The merged segments' files are deleted by the next call, not this one:
    a searcher opening the index reads the manifest, then opens its
    segments; the files it may have just read about stay until the next
    sync, minutes later (an open segment is a memory map, which outlives
    its file)."""
    directory = Path(directory)
    manifest = grams.read_manifest(directory)
    for name in manifest.get("retired", []):
        for path in directory.glob(f"{name}.*"):
            path.unlink()
    entries = manifest["segments"]
    chosen = segment_merge.segments_to_merge([e["docs"] for e in entries], SYNC_LARGEST)
    if len(chosen) < 2:
        if manifest.get("retired"):
            grams.write_manifest(directory, {"segments": entries})
        return grams.read_manifest(directory)
    name = f"{1 + max(int(e['name']) for e in entries):05d}"
    merged = merge_segments(directory, [Segment.open(directory, entries[at]["name"])
                                        for at in chosen], name)
    kept = [merged if at == chosen[0] else entry for at, entry in enumerate(entries)
            if at == chosen[0] or at not in chosen]
    grams.write_manifest(directory, {"segments": kept,
                                     "retired": [entries[at]["name"] for at in chosen]})
    return grams.read_manifest(directory)
