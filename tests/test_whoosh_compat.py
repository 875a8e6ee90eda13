"""The Whoosh internals the archive relies on (archive/whoosh_compat.py).

Each test names the internal it checks, so that upgrading Whoosh fails here,
loudly and by name, rather than somewhere deep in a rebuild or a search.
"""
from __future__ import annotations

import inspect
from importlib.metadata import version

import pytest
from whoosh import fields, index, writing
from whoosh import query as wq

from archive import whoosh_compat as compat


def test_the_installed_whoosh_is_the_version_checked():
    assert version("whoosh-reloaded") == compat.WHOOSH_VERSION, (
        "Whoosh changed: check every internal listed in archive/whoosh_compat.py, "
        "then update WHOOSH_VERSION and the pin in pyproject.toml")


def _index(tmp_path, docs: int):
    ix = index.create_in(str(tmp_path), fields.Schema(id=fields.ID(stored=True),
                                                      n=fields.NUMERIC(sortable=True)))
    writer = ix.writer()
    for i in range(docs):
        writer.add_document(id=str(i), n=i)
    writer.commit()
    return ix


def test_writer_internals():
    """archive/writer.py subclasses SegmentWriter and writes whoosh3 blocks."""
    from whoosh.codec import whoosh3
    from whoosh.util.numeric import length_to_byte

    assert "self.pool" in inspect.getsource(writing.SegmentWriter.__init__)
    for name in ("_flush_segment", "per_document_reader", "add_document"):
        assert callable(getattr(writing.SegmentWriter, name)), name
    assert callable(whoosh3.W3FieldWriter) and callable(whoosh3.W3TermInfo)
    assert whoosh3.WHOOSH3_HEADER_MAGIC == b"W3Bl"
    assert length_to_byte(0) == 0


def test_an_empty_index_has_no_columns_and_column_values_copes(tmp_path):
    ix = _index(tmp_path, 0)
    with ix.reader() as reader:
        assert compat.column_values(reader, "n") == []
    (tmp_path / "full").mkdir()
    ix = _index(tmp_path / "full", 3)
    with ix.reader() as reader:
        assert compat.column_values(reader, "n") == [0, 1, 2]


def test_toc_file_names(tmp_path):
    ix = _index(tmp_path, 2)
    assert compat.toc_generation(tmp_path) == ix.latest_generation() >= 1
    assert index.TOC._filename(compat.INDEX_NAME, 7) == "_MAIN_7.toc"


def test_writelock_file_name(tmp_path):
    ix = _index(tmp_path, 1)
    writer = ix.writer()
    assert (tmp_path / compat.WRITELOCK).exists()
    with pytest.raises(index.LockError):
        ix.writer()
    writer.cancel()
    # A writer that died holding its lock, as sync finds it: a new lock file
    # is a new lock.
    dead = ix.storage.lock(compat.WRITELOCK)
    assert dead.acquire()
    with pytest.raises(index.LockError):
        ix.writer()
    compat.break_writelock(tmp_path)
    ix.writer().cancel()


def test_union_matcher_type(tmp_path):
    query = compat.union_query([wq.Term("id", "1"), wq.Term("id", "2")])
    assert wq.Or.DEFAULT_MATCHER != wq.Or.AUTO_MATCHER
    assert "matcher_type" in inspect.getsource(wq.Or._matcher)
    ix = _index(tmp_path, 5)
    with ix.searcher() as searcher:
        matcher = query.matcher(searcher)
        assert type(matcher).__name__ in ("UnionMatcher", "DisjunctionMaxMatcher")
        assert sorted(hit["id"] for hit in searcher.search(query)) == ["1", "2"]


def test_add_ordered_writes_what_ordered_hash_writer_add_writes(tmp_path):
    from whoosh.filedb.filestore import FileStorage
    from whoosh.filedb.filetables import OrderedHashReader, OrderedHashWriter

    storage = FileStorage(str(tmp_path))
    keys = sorted({f"k{i * 7919 % 100_003}".encode() for i in range(3000)})
    values = [b"v" * (i % 40) for i in range(len(keys))]
    one = OrderedHashWriter(storage.create_file("one"))
    for key, value in zip(keys, values):
        one.add(key, value)
    one.close()
    many = OrderedHashWriter(storage.create_file("many"))
    compat.add_ordered(many, keys[:1000], values[:1000])
    compat.add_ordered(many, keys[1000:], values[1000:])
    many.close()
    assert (tmp_path / "one").read_bytes() == (tmp_path / "many").read_bytes()
    reader = OrderedHashReader(storage.open_file("many"))
    assert reader[keys[1234]] == values[1234]
    with pytest.raises(ValueError):
        compat.add_ordered(OrderedHashWriter(storage.create_file("bad")), [b"b", b"a"], [b"", b""])


def test_length_bytes_of_arrays_are_length_to_byte():
    import numpy as np
    from whoosh.util.numeric import length_to_byte

    from archive import postings

    lengths = np.concatenate([np.arange(0, 5000), np.arange(5000, 300_000, 997),
                              [106373, 106374, 106375, 2**31 - 1]]).astype(np.int32)
    assert postings._length_bytes(lengths).tolist() == [length_to_byte(int(n)) for n in lengths]
