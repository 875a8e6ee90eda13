"""archive/stored.py reads the same stored fields as Whoosh."""
from __future__ import annotations

import io

import numpy as np
import pytest

from archive.search import SearchService
from archive.stored import _offsets_and_lengths


@pytest.mark.parametrize("fixture", ["sample_home", "corpus_slice_home"])
def test_every_document_as_whoosh_reads_it(request, fixture):
    searcher = SearchService(request.getfixturevalue(fixture)).searcher()
    size = searcher.whoosh.doc_count_all()
    for docnum in range(size):
        assert searcher.stored.get(docnum) == searcher.whoosh.stored_fields(docnum), docnum
    with pytest.raises(IndexError):
        searcher.stored.get(size)


@pytest.mark.parametrize("cutoff", [2, 2**15])
def test_column_layout_with_and_without_offsets(cutoff):
    """Whoosh writes an offsets array only past `cutoff` rows (32,768 in
    practice): both layouts, written by Whoosh's own column writer."""
    from whoosh.columns import VarBytesColumn
    from whoosh.filedb.structfile import StructFile

    values = [b"a" * n for n in (3, 0, 70000, 1, 5)]
    buffer = io.BytesIO()
    writer = VarBytesColumn(write_offsets_cutoff=cutoff).writer(StructFile(buffer))
    for docnum, value in enumerate(values):
        if value:
            writer.add(docnum, value)
    writer.finish(len(values))
    data = buffer.getvalue()
    offsets, lengths = _offsets_and_lengths(data, len(values))
    assert lengths.tolist() == [len(v) for v in values]
    assert [data[o:o + n] for o, n in zip(offsets.tolist(), lengths.tolist())] == values
    assert isinstance(offsets, np.ndarray)
