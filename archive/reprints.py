"""Reprints and copies: bulletins whose bodies are the same or nearly the same.

A 转发 notice carrying the original's full text, one release on two portals,
an export and a saved page of one document: such bulletins form a *group*.
Each group is named by its first bulletin (lowest id); a bulletin alone is a
group of one.

Method (standard near-duplicate detection, vectorised with numpy):

* text: the folded body as indexed (`archive.analysis.fold`: NFKC, case,
  繁→简) with everything but letters, digits and CJK removed (so layout,
  punctuation, width and script do not matter); bodies shorter than
  MIN_CHARS are never grouped (a two-line notice says too little);
* shingles: every SHINGLE consecutive characters, hashed to 64 bits;
* signature: one-permutation MinHash with BINS bins (the top 6 bits of a
  shingle's hash choose its bin, the minimum of the low 32 bits is taken) —
  one hash per shingle instead of one per shingle and permutation; the low
  16 bits of each minimum are kept (b-bit MinHash: two different minima
  agree by chance once in 65,536 bins, far below what moves a similarity
  across THRESHOLD, and the file is half the size);
* candidates: LSH banding (BANDS bands of ROWS bins; two bulletins sharing a
  band are candidates), each candidate then checked by the signatures'
  estimated Jaccard similarity >= THRESHOLD over the bins either fills;
* numbers: a candidate pair must also share NUMBER_SHARE of the numbers
  (dates, counts, amounts, sessions: the first NUMBERS distinct runs of
  digits or Chinese numerals) of the one with fewer — two 新闻联播 items of
  one template ("本台明天将直播十四届全国人大二次/三次会议开幕会", "纪念孙中山逝世
  96/97周年") differ in little but those.  On a judged sample of 50 groups
  found without this check, all 28 true groups shared >= 0.94 of their
  numbers, and 12 of the 22 false ones fell below 0.9;
* titles: one must contain the other (or be missing) — copies keep their
  title and a 关于转发《X》的通知 contains X's; on the judged sample this
  removed 12 of the 15 false groups left by the number check and 2 of the
  35 true ones (a renamed city's regulation, one story under two headlines);
* groups: connected components of the checked pairs.

THRESHOLD 0.7 of 5-character shingles: an edited copy (a 转发 notice's added
preface, a changed date or phone number) stays above it, while two bulletins
of one template (the same notice text for different offices, names, dates
and figures) fall below it.  Measured on the development corpus: see README
("Reprints").

The signatures and groups of an index generation are in `reprints.npz`,
written by the full build and updated by every sync (changed bulletins get
new signatures, then all groups are recomputed from the signatures: about
a second at 53k bulletins).  Signatures are computed where the body is
folded (the build's index workers, `archive.prepare`), in batches
(`hash_entries`); this process only keeps them.  Stored compactly: 16-bit
signatures, numbers and titles as ragged columns (a count per row, then the
values), about 200 bytes a bulletin where fixed-width columns took 900
(48 MB at 53k bulletins).
"""
from __future__ import annotations

import os
import re
import zlib
from pathlib import Path

import numpy as np

FILE_NAME = "reprints.npz"
SHINGLE = 5
BINS = 64
BANDS, ROWS = 16, 4
THRESHOLD = 0.7
MIN_CHARS = 100
BATCH = 2000                       # bulletins hashed in one numpy pass
_EMPTY_BIN = np.uint16(0xFFFF)
_NON_TEXT = re.compile(r"[\W_]+")
# Numbers in digits and in Chinese numerals (十四届, 二次会议, 第六十六次).
_NUMBER = re.compile(r"[0-9]+|[〇零一二两三四五六七八九十百千]+")
NUMBERS = 64                       # distinct numbers kept per bulletin
NUMBER_SHARE = 0.9
_BASE = np.uint64(1_000_003)


def shingle_text(folded_body: str | None) -> str:
    """What is compared: letters, digits and CJK of the folded body (full/half
    width, case and script do not matter)."""
    return _NON_TEXT.sub("", folded_body or "")


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads the rolling hash over all 64 bits."""
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def signatures(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(signatures (n, BINS) uint16, long-enough mask) of shingle texts."""
    n = len(texts)
    sigs = np.full((n, BINS), _EMPTY_BIN, dtype=np.uint16)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=n)
    valid = lengths >= MIN_CHARS
    if not valid.any():
        return sigs, valid
    kept = [t for t, ok in zip(texts, valid) if ok]
    rows = np.flatnonzero(valid)
    codes = np.frombuffer("".join(kept).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    owner = np.repeat(np.arange(len(kept)), lengths[valid])
    m = codes.size - SHINGLE + 1
    with np.errstate(over="ignore"):
        h = np.zeros(m, dtype=np.uint64)
        for j in range(SHINGLE):
            h = h * _BASE + codes[j:j + m]
        whole = owner[:m] == owner[SHINGLE - 1:]          # no shingle across two texts
        h = _mix(h[whole])
    bins = (h >> np.uint64(64 - 6)).astype(np.int64)      # BINS == 64 == 2**6
    values = (h & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    flat = np.full(len(kept) * BINS, 0xFFFFFFFF, dtype=np.uint32)
    np.minimum.at(flat, owner[:m][whole] * BINS + bins, values)
    low = (flat & 0xFFFF).astype(np.uint16)
    low[(low == _EMPTY_BIN) & (flat != 0xFFFFFFFF)] = _EMPTY_BIN - 1   # a value, not "empty"
    sigs[rows] = low.reshape(len(kept), BINS)
    return sigs, valid


def similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of signature rows (bins either fills)."""
    filled = (a != _EMPTY_BIN) | (b != _EMPTY_BIN)
    same = (a == b) & filled
    return same.sum(axis=-1) / np.maximum(filled.sum(axis=-1), 1)


def candidate_pairs(sigs: np.ndarray) -> np.ndarray:
    """(k, 2) row pairs sharing an LSH band: each member with its bucket's first."""
    pairs = []
    for band in range(BANDS):
        part = sigs[:, band * ROWS:(band + 1) * ROWS].astype(np.uint64)
        key = np.zeros(part.shape[0], dtype=np.uint64)
        with np.errstate(over="ignore"):
            for col in range(ROWS):
                key = _mix(key * _BASE + part[:, col])
        usable = ~(part == np.uint64(_EMPTY_BIN)).all(axis=1)
        rows = np.flatnonzero(usable)
        if rows.size < 2:
            continue
        order = rows[np.argsort(key[rows], kind="stable")]
        keys = key[order]
        starts = np.r_[True, keys[1:] != keys[:-1]]
        first = order[np.maximum.accumulate(np.where(starts, np.arange(order.size), 0))]
        member = ~starts
        pairs.append(np.stack([first[member], order[member]], axis=1))
    if not pairs:
        return np.empty((0, 2), dtype=np.int64)
    both = np.concatenate(pairs)
    return np.unique(both, axis=0) if both.size else both


def components(n: int, pairs: np.ndarray) -> np.ndarray:
    """Per row, the smallest row of its connected component."""
    labels = np.arange(n)
    if not pairs.size:
        return labels
    a, b = pairs[:, 0], pairs[:, 1]
    while True:
        low = np.minimum(labels[a], labels[b])
        new = labels.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[new]                                     # pointer jumping
        if np.array_equal(new, labels):
            return labels
        labels = new


def numbers_of(text: str) -> list[int]:
    """The first NUMBERS distinct digit runs of a text, hashed (never 0).
    Dates, counts and amounts are what tells two bulletins of one template
    apart when their wording is the same."""
    return list(dict.fromkeys(zlib.crc32(n.encode()) or 1
                              for n in _NUMBER.findall(text)))[:NUMBERS]


def number_sets(texts: list[str]) -> np.ndarray:
    """(n, NUMBERS) uint32: `numbers_of` each text, 0 = none."""
    out = np.zeros((len(texts), NUMBERS), dtype=np.uint32)
    for row, text in enumerate(texts):
        found = numbers_of(text)
        out[row, :len(found)] = found
    return out


def number_containment(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per row pair: shared numbers / numbers of the row with fewer (1 if none)."""
    same = ((a[:, :, None] == b[:, None, :]) & (a[:, :, None] > 0)).any(axis=2).sum(axis=1)
    fewer = np.minimum((a > 0).sum(axis=1), (b > 0).sum(axis=1))
    return np.where(fewer > 0, same / np.maximum(fewer, 1), 1.0)


def group(data: dict) -> np.ndarray:
    """Group id (the first bulletin's id) of every row; rows sorted by doc id.

    A pair is near-duplicate when its shingles' estimated Jaccard similarity
    is >= THRESHOLD and the one with fewer numbers shares >= NUMBER_SHARE of
    them with the other (`data` as `ReprintWriter` keeps it: numbers and
    titles ragged, made dense for the candidate pairs only).
    """
    usable = np.flatnonzero(data["valid"] & data["active"])
    sigs = data["sig"]
    pairs = candidate_pairs(sigs[usable])
    if pairs.size:
        a, b = usable[pairs[:, 0]], usable[pairs[:, 1]]
        close = similarity(sigs[a], sigs[b]) >= THRESHOLD
        a, b = a[close], b[close]
        numbers = _Ragged(data["num_counts"], data["num"])
        close = number_containment(numbers.dense(a, NUMBERS), numbers.dense(b, NUMBERS)) \
            >= NUMBER_SHARE
        a, b = a[close], b[close]
        titles = _Ragged(data["title_len"], data["title"])
        close = np.array([titles_agree(titles.text(i), titles.text(j))
                          for i, j in zip(a.tolist(), b.tolist())], dtype=bool)
        pairs = np.stack([a[close], b[close]], axis=1) if a.size else np.empty((0, 2), int)
    labels = components(data["doc"].size, pairs)
    return data["doc"][labels]


# ------------------------------------------------------------------ storage --

TITLE_CHARS = 96
_TITLE_PREFIX = re.compile(r"^(?:\[[^\]]{0,12}\]|【[^】]{0,12}】)+")
# Columns of a row each, and ragged columns: (count per row, values).
_FIXED = ("doc", "sig", "valid", "active")
_RAGGED = (("num_counts", "num"), ("title_len", "title"))
LAYOUT = 2                         # 1: fixed-width numbers and titles, 32-bit signatures


def title_text(title: str | None) -> str:
    """The compared title: folded, no spaces, 〈〉 as 《》, no [视频]/【栏目】 prefix."""
    from .citations import title_key

    return _TITLE_PREFIX.sub("", title_key(title) or "")[:TITLE_CHARS]


def titles_agree(a: str, b: str) -> bool:
    """Copies keep their title, and a 转发 notice names its original's:
    one title inside the other (or a title missing).  Two bulletins of one
    template differ in it (日照市/济宁市…条例, …英文版/法文版出版发行)."""
    a, b = str(a), str(b)
    return not a or not b or a in b or b in a


class _Ragged:
    """A ragged column: `counts[i]` values of row i, rows one after another."""

    def __init__(self, counts: np.ndarray, values: np.ndarray):
        self.counts, self.values = counts, values
        self.starts = np.cumsum(counts, dtype=np.int64) - counts

    def take(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(counts, values) of `rows`, in that order."""
        counts = self.counts[rows].astype(np.int64)
        within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        return self.counts[rows], self.values[np.repeat(self.starts[rows], counts) + within]

    def dense(self, rows: np.ndarray, width: int) -> np.ndarray:
        out = np.zeros((rows.size, width), dtype=self.values.dtype)
        counts, values = self.take(rows)
        counts = counts.astype(np.int64)
        out[np.repeat(np.arange(rows.size), counts),
            np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)] = values
        return out

    def text(self, row: int) -> str:
        start = int(self.starts[row])
        return self.values[start:start + int(self.counts[row])].tobytes().decode("utf-8")


def entry(doc_id: int, status: str, folded_body: str | None, title: str | None) -> tuple:
    """What a bulletin contributes, before hashing (see `hash_entries`)."""
    return doc_id, status == "active", shingle_text(folded_body), title_text(title)


def hash_entries(entries: list[tuple]) -> dict:
    """The stored columns of a batch of `entry` tuples (one numpy pass)."""
    texts = [e[2] for e in entries]
    sigs, valid = signatures(texts)
    numbers = [numbers_of(t) for t in texts]
    titles = [e[3].encode("utf-8") for e in entries]
    return {"doc": np.fromiter((e[0] for e in entries), dtype=np.int64, count=len(entries)),
            "sig": sigs, "valid": valid,
            "active": np.fromiter((e[1] for e in entries), dtype=bool, count=len(entries)),
            "num_counts": np.fromiter(map(len, numbers), dtype=np.uint8, count=len(entries)),
            "num": np.fromiter((n for row in numbers for n in row), dtype=np.uint32),
            "title_len": np.fromiter(map(len, titles), dtype=np.uint16, count=len(entries)),
            "title": np.frombuffer(b"".join(titles), dtype=np.uint8)}


def _rows(part: dict, rows: np.ndarray) -> dict:
    out = {k: part[k][rows] for k in _FIXED}
    for counts, values in _RAGGED:
        out[counts], out[values] = _Ragged(part[counts], part[values]).take(rows)
    return out


def _concatenate(parts: list[dict]) -> dict:
    if not parts:
        parts = [hash_entries([])]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


class ReprintWriter:
    """Signatures of changed bulletins into a generation, then its groups."""

    def __init__(self, generation_path: Path, full: bool):
        self.path = Path(generation_path) / FILE_NAME
        self.old = None if full else _load(self.path)
        if self.old is not None and not current_layout(self.old):
            self.old = None                # an older layout: `links.missing` backfills it
        self.pending: list[tuple] = []
        self.parts: list[dict] = []

    def add(self, doc_id: int, status: str, folded_body: str | None, title: str | None) -> None:
        self.pending.append(entry(doc_id, status, folded_body, title))
        if len(self.pending) >= BATCH:
            self._hash_pending()

    def add_part(self, part: dict) -> None:
        """Columns `hash_entries` made (maybe in another process)."""
        if part["doc"].size:
            self.parts.append(part)

    def _hash_pending(self) -> None:
        if self.pending:
            self.parts.append(hash_entries(self.pending))
            self.pending = []

    def finish(self) -> dict:
        self._hash_pending()
        parts = list(self.parts)
        if self.old is not None:
            changed = (np.concatenate([p["doc"] for p in parts]) if parts
                       else np.empty(0, np.int64))
            parts.insert(0, _rows(self.old, np.flatnonzero(~np.isin(self.old["doc"], changed))))
        data = _concatenate(parts)
        data = _rows(data, np.argsort(data["doc"], kind="stable"))
        data["group"] = group(data)
        data["layout"] = np.array(LAYOUT)
        tmp = self.path.with_name(self.path.name + ".tmp.npz")
        np.savez(tmp, **data)
        os.replace(tmp, self.path)
        sizes = np.unique(data["group"], return_counts=True)[1]
        return {"groups": int((sizes > 1).sum()), "grouped": int(sizes[sizes > 1].sum())}


def current_layout(data: dict | None) -> bool:
    return data is not None and "layout" in data and int(data["layout"]) == LAYOUT


def stored_layout_is_current(generation_path: Path) -> bool:
    """False for a file written before the current layout (rebuilt by a backfill)."""
    try:
        with np.load(Path(generation_path) / FILE_NAME) as data:
            return "layout" in data.files and int(data["layout"]) == LAYOUT
    except (FileNotFoundError, ValueError, OSError):
        return False


def _load(path: Path, keys: tuple[str, ...] | None = None) -> dict | None:
    try:
        with np.load(path) as data:
            return {k: data[k] for k in (keys or data.files)}
    except FileNotFoundError:
        return None


class Groups:
    """Read side: group and group size per Whoosh document number."""

    def __init__(self, generation_path: Path, doc_of_docnum: np.ndarray,
                 live: np.ndarray, status: np.ndarray):
        data = _load(Path(generation_path) / FILE_NAME, ("doc", "group"))   # not signatures
        self.doc_of_docnum = doc_of_docnum
        self.group = doc_of_docnum.copy()
        if data is not None and data["doc"].size:
            at = np.clip(np.searchsorted(data["doc"], doc_of_docnum), 0, data["doc"].size - 1)
            found = data["doc"][at] == doc_of_docnum
            self.group[found] = data["group"][at[found]]
        counted = live & (status == 0)                   # active bulletins of the index
        self.group[~counted] = doc_of_docnum[~counted]
        values, counts = np.unique(self.group[counted], return_counts=True)
        self.size = np.ones(self.group.size, dtype=np.int64)
        if values.size:
            at = np.clip(np.searchsorted(values, self.group), 0, values.size - 1)
            hit = values[at] == self.group
            self.size[hit] = counts[at[hit]]
        self._counted = counted
        self._by_doc = np.argsort(doc_of_docnum, kind="stable")

    def group_of(self, doc_id: int) -> int:
        """The group (first bulletin's id) of a bulletin id; itself if unknown."""
        at = np.searchsorted(self.doc_of_docnum[self._by_doc], doc_id)
        if at < self._by_doc.size:
            docnum = self._by_doc[at]
            if self.doc_of_docnum[docnum] == doc_id and self._counted[docnum]:
                return int(self.group[docnum])
        return doc_id

    def collapse(self, docnums: np.ndarray) -> np.ndarray:
        """One docnum per group: the group's lowest-id bulletin among `docnums`."""
        if not docnums.size:
            return docnums
        order = np.lexsort((self.doc_of_docnum[docnums], self.group[docnums]))
        groups = self.group[docnums][order]
        first = np.r_[True, groups[1:] != groups[:-1]]
        return np.sort(docnums[order][first])

    def annotate(self, hits) -> None:
        for hit in hits:
            hit.fields = {**hit.fields, "group": int(self.group[hit.docnum]),
                          "group_size": int(self.size[hit.docnum])}

    def members(self, group_id: int) -> np.ndarray:
        """Docnums of a group's active bulletins, lowest id first."""
        docnums = np.flatnonzero((self.group == group_id) & self._counted)
        return docnums[np.argsort(self.doc_of_docnum[docnums])]
