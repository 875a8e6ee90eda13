"""Every use of a Whoosh internal, in one place, for one pinned version.

The archive uses Whoosh's public API for schemas, queries and searching, and
its internals where the public API could not do the job (each measured or
needed, see the callers):

* the **writer** — `archive.writer` subclasses `SegmentWriter` and writes
  the whoosh3 codec's posting blocks itself (`W3FieldWriter`, `W3TermInfo`,
  the block header); those names are used in writer.py, and
  tests/test_whoosh_compat.py checks each of them; a short list goes
  into its term info (`archive.postings`: W3TermInfo's inlined flag and
  pickle, which Whoosh's reader opens as a `ListMatcher`;
  tests/test_pipeline.py reads them back through Whoosh);
* the **length byte table** — `archive.postings` quantises field lengths
  with `whoosh.util.numeric._length_byte_cache` in numpy (`length_to_byte`
  for whole arrays);
* the **term table** — `archive.postings` appends a chunk of terms to the
  segment's `OrderedHashWriter` in one write (`add_ordered`: its records,
  bucket entries and position index as `add` keeps them);
* the **empty reader's columns** — a reader of an index with no documents
  has no column files, and `column_reader` raises (`column_values`);
* the **.toc names** — the live index's commit number is read from the
  ``_MAIN_<n>.toc`` file names without opening the index (`toc_generation`),
  because it is checked before every search;
* **MAIN_WRITELOCK** — the lock file of a writer that died; only ever
  removed while the data home's own writer lock is held (`break_writelock`);
* **matcher_type** — a union's matcher forced to the binary tree
  (`union_query`, for related documents).

`WHOOSH_VERSION` is the version these were checked against; pyproject pins
it, and tests/test_whoosh_compat.py fails loudly when any of them changes.
"""
from __future__ import annotations

import os
from pathlib import Path

from whoosh.index import TOC

WHOOSH_VERSION = "2.7.5"
INDEX_NAME = "MAIN"                                   # Whoosh's default index name
WRITELOCK = f"{INDEX_NAME}_WRITELOCK"                 # FileStorage.lock("WRITELOCK")



def column_values(reader, name: str) -> list:
    """The values of a column, [] for an index that has no documents yet
    (whose reader has no column files to open)."""
    if not reader.doc_count_all():
        return []
    return list(reader.column_reader(name))


_TOC_NAME = TOC._pattern(INDEX_NAME)


def toc_generation(whoosh_dir: Path) -> int | None:
    """The latest commit number of the Whoosh index in `whoosh_dir` (None if
    it has none), from the file names alone."""
    numbers = [int(m.group(1)) for m in map(_TOC_NAME.match, os.listdir(whoosh_dir)) if m]
    return max(numbers) if numbers else None


def break_writelock(whoosh_dir: Path) -> None:
    """Remove a dead writer's lock file.  Only call this holding the data
    home's writer lock: then no live Whoosh writer can own it."""
    (Path(whoosh_dir) / WRITELOCK).unlink(missing_ok=True)


def union_query(terms: list):
    """An Or whose matcher is the binary union tree at every index size.

    Whoosh preloads whole-index arrays for an Or on a small index (under
    5,000 documents): 12 ms a query on the 40-bulletin sample.  The union
    tree it uses on large indexes is right at every size.  (whoosh.query is
    imported here: a fresh `archive search` never needs it, ~60 ms.)
    """
    from whoosh import query as wq

    query = wq.Or(terms)
    query.matcher_type = wq.Or.DEFAULT_MATCHER
    return query



def add_ordered(table, keys: list[bytes], values: list[bytes]) -> None:
    """`OrderedHashWriter.add(key, value)` for each pair (keys increasing),
    with one file write: a call per term through Whoosh's StructFile was 6%
    of a build worker (10k bulletins)."""
    from hashlib import md5

    from whoosh.filedb.filetables import _lengths

    if not keys:
        return
    increasing = keys[0] > table.lastkey and all(map(bytes.__lt__, keys, keys[1:]))
    if table.hashtype != 0 or not increasing:
        for key, value in zip(keys, values):           # Whoosh's checks and errors
            table.add(key, value)
        return
    position = table.dbfile.tell()
    records = []
    for key, value in zip(keys, values):
        table.index.append(position)
        # md5_hash: the digest's low 32 bits as a number
        hashed = int.from_bytes(md5(key, usedforsecurity=False).digest()[-4:], "big")
        table.buckets[hashed & 255].append((hashed, position))
        record = _lengths.pack(len(key), len(value)) + key + value
        records.append(record)
        position += len(record)
    table.dbfile.write(b"".join(records))
    table.lastkey = keys[-1]
