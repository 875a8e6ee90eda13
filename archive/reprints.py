"""Reprints and copies: bulletins whose bodies are the same or nearly the same.

A 转发 notice carrying the original's full text, one release on two portals,
an export and a saved page of one document: such bulletins form a *group*.
Each group is named by its first bulletin (lowest id); a bulletin alone is a
group of one.

Method (standard near-duplicate detection, vectorised with numpy):

* text: the folded body as indexed (NFKC, case, 繁→简) with everything but
  letters, digits and CJK removed (so layout, punctuation, width and script
  do not matter); bodies shorter than MIN_CHARS are never grouped (a
  two-line notice says too little);
* shingles: every SHINGLE consecutive characters, hashed to 64 bits;
* signature: one-permutation MinHash with BINS bins (the top 6 bits of a
  shingle's hash choose its bin, the minimum of the low 32 bits is kept) —
  one hash per shingle instead of one per shingle and permutation;
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

The signatures, groups and candidate edges of an index generation are
written by `archive.reprint_writer` (full build and sync); `Groups` reads
them at query time.
"""
from __future__ import annotations

import re
import zlib
from pathlib import Path

import numpy as np

from .fold_lookup import CodePointTable, text_of
from .sorted_arrays import find_sorted, unique_counts
from .npyfiles import map_npz

FILE_NAME = "reprints.npz"
SHINGLE = 5
BINS = 64
BANDS, ROWS = 16, 4
THRESHOLD = 0.7
MIN_CHARS = 100
SMALL_GROUP = 8             # Groups.size_at: members compared one by one up to this many
TABLE_AFTER = 30            # Groups.annotate: hits looked up one by one before the table is built
BATCH = 2000                       # bulletins hashed in one numpy pass
_EMPTY_BIN = np.uint32(0xFFFFFFFF)
_NON_TEXT = re.compile(r"[\W_]+")
# Numbers in digits and in Chinese numerals (十四届, 二次会议, 第六十六次).
_NUMBER = re.compile(r"[0-9]+|[〇零一二两三四五六七八九十百千]+")
NUMBERS = 64                       # distinct numbers kept per bulletin
NUMBER_SHARE = 0.9
_BASE = np.uint64(1_000_003)


def shingle_text(folded_body: str | None) -> str:
    """What is compared: letters, digits and CJK of the folded body as
    indexed (`archive.folding.fold`: width, case and script do not matter).
    Computed where the body is folded already (the build's index workers,
    `archive.prepare`).

    `[\\W_]` is exactly "not `str.isalnum()`": a long body is filtered by
    one lookup in a per-code-point table (filled as characters are first
    seen) instead of the regular expression — 0.14 -> 0.06 s CPU for 3,000
    bodies of the corpus."""
    text = folded_body or ""
    if len(text) < ARRAY_FROM:
        return _NON_TEXT.sub("", text)
    points, kept = _TEXT_CHARS.lookup(text, lambda code: chr(code).isalnum())
    return text_of(points[kept.astype(bool)])


ARRAY_FROM = 200                   # characters; below, the regular expression is faster
_TEXT_CHARS = CodePointTable(np.int8)    # code point -> 1 letter or digit, 0 not


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads the rolling hash over all 64 bits."""
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def signatures(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(signatures (n, BINS) uint32, long-enough mask) of shingle texts."""
    n = len(texts)
    sigs = np.full((n, BINS), _EMPTY_BIN, dtype=np.uint32)
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
    flat = np.full(len(kept) * BINS, _EMPTY_BIN, dtype=np.uint32)
    np.minimum.at(flat, owner[:m][whole] * BINS + bins, values)
    sigs[rows] = flat.reshape(len(kept), BINS)
    return sigs, valid


def similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of signature rows (bins either fills)."""
    filled = (a != _EMPTY_BIN) | (b != _EMPTY_BIN)
    same = (a == b) & filled
    return same.sum(axis=-1) / np.maximum(filled.sum(axis=-1), 1)


def band_keys(sigs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, BANDS) LSH bucket keys of signature rows, and (n, BANDS) whether
    the row's band holds a shingle (an empty band is in no bucket)."""
    n = sigs.shape[0]
    keys = np.zeros((n, BANDS), dtype=np.uint64)
    filled = np.zeros((n, BANDS), dtype=bool)
    for band in range(BANDS):
        part = sigs[:, band * ROWS:(band + 1) * ROWS].astype(np.uint64)
        key = np.zeros(n, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for col in range(ROWS):
                key = _mix(key * _BASE + part[:, col])
        keys[:, band] = key
        filled[:, band] = ~(part == np.uint64(_EMPTY_BIN)).all(axis=1)
    return keys, filled


def candidate_edges(keys: np.ndarray, filled: np.ndarray, rows: np.ndarray,
                    only: list[np.ndarray] | None = None) -> np.ndarray:
    """(k, 3) [band, first row, member row]: in each band, every member of a
    bucket (rows of `rows`, ascending, with equal keys) with the bucket's
    first row.  `only`: per band, the sorted keys of the buckets wanted."""
    edges = []
    for band in range(BANDS):
        members = rows[filled[rows, band]]
        key = keys[members, band]
        if only is not None:
            wanted = _among(key, only[band])
            members, key = members[wanted], key[wanted]
        if members.size < 2:
            continue
        at = np.argsort(key, kind="stable")
        order, key = members[at], key[at]
        starts = np.r_[True, key[1:] != key[:-1]]
        first = order[np.maximum.accumulate(np.where(starts, np.arange(order.size), 0))]
        member = ~starts
        edges.append(np.stack([np.full(int(member.sum()), band), first[member],
                               order[member]], axis=1))
    return np.concatenate(edges) if edges else np.empty((0, 3), dtype=np.int64)


def _among(values: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """Mask of `values` found in `sorted_keys`."""
    return find_sorted(sorted_keys, values)[1]


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


def number_sets(texts: list[str]) -> np.ndarray:
    """(n, NUMBERS) uint32: the first NUMBERS distinct digit runs of each text
    (values + 1, 0 = none).  Dates, counts and amounts are what tells two
    bulletins of one template apart when their wording is the same."""
    out = np.zeros((len(texts), NUMBERS), dtype=np.uint32)
    for row, text in enumerate(texts):
        found = list(dict.fromkeys(zlib.crc32(n.encode()) or 1
                                   for n in _NUMBER.findall(text)))[:NUMBERS]
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
    them with the other.
    """
    return group_with_edges(data)[0]


def group_with_edges(data: dict, old_edges: np.ndarray | None = None,
                     changed: np.ndarray | None = None,
                     old_sigs: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(group per row, edges): every candidate edge of every band as
    [band, first doc, member doc, 1 if a near-duplicate pair else 0].

    With the `old_edges` of the groups before `changed` bulletins (doc ids)
    changed (their rows in `data` are the new ones, `old_sigs` their old
    signatures), only the buckets those bulletins left or joined are formed
    again: every other bucket has the same members, so the same edges and
    verdicts.  The groups are then exactly a full computation's, without
    its sorts of every band (0.3 s CPU at 53k bulletins, ~3 s at 200k).
    """
    doc = data["doc"]
    rows = np.flatnonzero(data["valid"] & data["active"])
    keys, filled = band_keys(data["sig"])
    kept = np.empty((0, 4), dtype=np.int64)
    only = None
    if old_edges is not None:
        only, kept = _unaffected(data, keys, filled, old_edges, changed, old_sigs)
    edges = candidate_edges(keys, filled, rows, only)
    a, b = edges[:, 1], edges[:, 2]
    found = np.stack([edges[:, 0], doc[a], doc[b], _near(data, a, b)], axis=1)
    found = np.concatenate([kept, found.astype(np.int64)])
    near = found[found[:, 3] == 1]
    pairs = np.searchsorted(doc, near[:, 1:3])
    return doc[components(doc.size, pairs)], found


def _unaffected(data, keys, filled, old_edges, changed, old_sigs):
    """(per band, sorted keys of the buckets changed bulletins left or
    joined; the old edges of every other bucket)."""
    rows = np.searchsorted(data["doc"], changed)
    usable = (data["valid"] & data["active"])[rows]
    gone_keys, gone_filled = band_keys(old_sigs)
    only = []
    for band in range(BANDS):
        joined = keys[rows[usable & filled[rows, band]], band]
        left = gone_keys[gone_filled[:, band], band]
        only.append(np.sort(np.concatenate([joined, left])))
    at = np.searchsorted(data["doc"], old_edges[:, 1])
    changed = np.sort(changed)
    keep = ~_among(old_edges[:, 1], changed) & ~_among(old_edges[:, 2], changed)
    for band in range(BANDS):
        in_band = keep & (old_edges[:, 0] == band)
        keep[in_band] = ~_among(keys[at[in_band], band], only[band])
    return only, old_edges[keep]


EDGE_CHUNK = 2048     # candidate pairs judged at a time: number_containment
#   broadcasts NUMBERS x NUMBERS per pair (~12 KB transient), so judging every
#   pair at once peaked at 924 MB+ in the reading process at 100k generated
#   bulletins (3.4 GB at 200k); a chunk bounds it near 25 MB (8,192 pairs,
#   ~100 MB, were 112 of the grouping's 285 MiB peak at 200k, the build's
#   tail peak with the vocabulary written beside it).


def _near(data: dict, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """1 where rows a[i], b[i] are near-duplicates (similar shingles, shared
    numbers, one title inside the other), else 0."""
    out = np.zeros(a.size, dtype=np.int64)
    for start in range(0, a.size, EDGE_CHUNK):
        stop = start + EDGE_CHUNK
        out[start:stop] = _near_chunk(data, a[start:stop], b[start:stop])
    return out


def _near_chunk(data: dict, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    sigs, nums = data["sig"], data["num"]
    near = similarity(sigs[a], sigs[b]) >= THRESHOLD
    similar = np.flatnonzero(near)           # numbers compared for these only
    near[similar] = number_containment(nums[a[similar]], nums[b[similar]]) >= NUMBER_SHARE
    for i in np.flatnonzero(near):
        near[i] = titles_agree(data["title"][a[i]], data["title"][b[i]])
    return near


# ------------------------------------------------------------------ storage --

TITLE_CHARS = 96
_TITLE_PREFIX = re.compile(r"^(?:\[[^\]]{0,12}\]|【[^】]{0,12}】)+")


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




def entry(doc_id: int, status: str, folded_body: str | None, title: str | None) -> tuple:
    """What a bulletin contributes, before hashing (`hash_entries`)."""
    return doc_id, status == "active", shingle_text(folded_body), title_text(title)


def hash_entries(entries: list[tuple]) -> dict:
    """The stored columns of a batch of `entry` tuples (one numpy pass; in
    the build's workers, shipped to the writer with `add_part`)."""
    texts = [e[2] for e in entries]
    sigs, valid = signatures(texts)
    return {"doc": np.fromiter((e[0] for e in entries), dtype=np.int64, count=len(entries)),
            "sig": sigs, "num": number_sets(texts), "valid": valid,
            "title": np.array([e[3] for e in entries], dtype=f"<U{TITLE_CHARS}"),
            "active": np.fromiter((e[1] for e in entries), dtype=bool, count=len(entries))}


class Groups:
    """Read side: group and group size per Whoosh document number.

    The whole table (every docnum's group and size) costs a fresh process
    43 M instructions on the 53k archive (valgrind: two 53k bisections, a
    sort, an argsort; ~17 ms, a twentieth of a cold `archive search`), yet
    a page shows ten hits: `annotate` looks its hits up one by one
    (`group_at`, `size_at`) until something needs the table (`collapse`,
    `members`, `group_of`), which is then built once and used from then on.
    A lookup without the table reads whole columns (`size_at`: ~5 passes
    over every docnum, ~0.3 ms a hit at 53k, ~1 ms at 200k), so a searcher
    that goes on answering builds the table after TABLE_AFTER hits, two
    pages and their near matches: without it, annotating a page was the
    stage that grew with the archive (3.6 of 5.8 ms CPU a query of the
    bench's mix at 53k under cProfile; p50 5.4 -> 15.8 ms at 200k).
    """

    def __init__(self, generation_path: Path, doc_of_docnum: np.ndarray,
                 live: np.ndarray, status: np.ndarray):
        try:                # read-only arrays over the file's pages, not signatures
            data = map_npz(Path(generation_path) / FILE_NAME, ("doc", "group"))
        except FileNotFoundError:
            data = None
        empty = np.empty(0, dtype=np.int64)
        self._docs = empty if data is None else data["doc"]          # sorted by doc id
        self._groups = empty if data is None else data["group"]
        self.doc_of_docnum = doc_of_docnum
        self._counted = live & (status == 0)                   # active bulletins of the index
        self._table = None
        self._looked_up = 0                     # hits annotated without the table

    def table(self) -> tuple[np.ndarray, np.ndarray]:
        """(group, size) of every docnum, built on first use."""
        if self._table is None:
            doc_of_docnum, counted = self.doc_of_docnum, self._counted
            group = doc_of_docnum.copy()
            at, found = find_sorted(self._docs, doc_of_docnum)
            group[found] = self._groups[at[found]]
            group[~counted] = doc_of_docnum[~counted]
            values, counts = unique_counts(group[counted])
            size = np.ones(group.size, dtype=np.int64)
            at, hit = find_sorted(values, group)
            size[hit] = counts[at[hit]]
            self._by_doc = np.argsort(doc_of_docnum, kind="stable")
            self._table = group, size
        return self._table

    @property
    def group(self) -> np.ndarray:
        return self.table()[0]

    @property
    def size(self) -> np.ndarray:
        return self.table()[1]

    def group_at(self, docnum: int) -> int:
        """The group of one docnum (the table's entry), without the table."""
        if self._table is not None:
            return int(self._table[0][docnum])
        doc = int(self.doc_of_docnum[docnum])
        if self._counted[docnum]:
            at = int(np.searchsorted(self._docs, doc))
            if at < self._docs.size and self._docs[at] == doc:
                return int(self._groups[at])
        return doc

    def size_at(self, docnum: int) -> int:
        """How many active bulletins of the index share the docnum's group
        (at least 1: the table's entry), without the table."""
        if self._table is not None:
            return int(self._table[1][docnum])
        group = self.group_at(docnum)
        # An active bulletin is in `group` by the file's groups or, when the
        # file does not know it, as its own group.
        listed = self._docs[self._groups == group]
        if listed.size <= SMALL_GROUP:          # most: a comparison each beats np.isin's setup
            members = np.zeros(self.doc_of_docnum.size, dtype=bool)
            for doc in listed.tolist():
                members |= self.doc_of_docnum == doc
        else:                                   # (np.isin would import numpy.ma)
            members = find_sorted(listed, self.doc_of_docnum)[1]
        at = int(np.searchsorted(self._docs, group))
        if not (at < self._docs.size and self._docs[at] == group):
            members |= self.doc_of_docnum == group
        return max(1, int(np.count_nonzero(members & self._counted)))

    def group_of(self, doc_id: int) -> int:
        """The group (first bulletin's id) of a bulletin id; itself if unknown."""
        group = self.group
        at = np.searchsorted(self.doc_of_docnum[self._by_doc], doc_id)
        if at < self._by_doc.size:
            docnum = self._by_doc[at]
            if self.doc_of_docnum[docnum] == doc_id and self._counted[docnum]:
                return int(group[docnum])
        return doc_id

    def collapse(self, docnums: np.ndarray) -> np.ndarray:
        """One docnum per group: the group's lowest-id bulletin among `docnums`."""
        if not docnums.size:
            return docnums
        group = self.group
        order = np.lexsort((self.doc_of_docnum[docnums], group[docnums]))
        groups = group[docnums][order]
        first = np.r_[True, groups[1:] != groups[:-1]]
        return np.sort(docnums[order][first])

    def annotate(self, hits) -> None:
        if self._table is None:
            self._looked_up += len(hits)
            if self._looked_up > TABLE_AFTER:
                self.table()
        for hit in hits:
            hit.fields = {**hit.fields, "group": self.group_at(hit.docnum),
                          "group_size": self.size_at(hit.docnum)}

    def members(self, group_id: int) -> np.ndarray:
        """Docnums of a group's active bulletins, lowest id first."""
        docnums = np.flatnonzero((self.group == group_id) & self._counted)
        return docnums[np.argsort(self.doc_of_docnum[docnums])]
