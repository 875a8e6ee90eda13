"""`reconcile.record_texts`: the stored JSON and the content hash from one
serialisation must equal the two it replaces, whatever the record holds."""
import itertools
import json

import pytest

from archive.model import Record
from archive.reconcile import record_hash, record_json, record_texts
from archive.sources import iter_stream_records


TRICKY = [
    Record(),
    Record(title="t", body="b", source_line=7),
    Record(title='a "source_line": 3, b', body='"source_line": 9}', source_line=12),
    Record(title="x", source_line=None, url='u, "source_line": 1'),
    Record(title="y", source_line=3, raw={"source_line": "5", "z": "w"},
           keywords=["k"], issued_from="落款",
           attachments=[{"name": '"source_line": 4', "url": "a"}]),
    Record(title=None, topic='", "source_line": 8', url=None, source_line=0),
    Record(title="z", source_line=10**12, body="\\\"source_line\\\": 2"),
    # Not spliceable (a source_line that is not an integer, a non-string
    # title): served by two serialisations, still equal.
    Record(title="w", source_line="17"),
    Record(title=["not", "a", "string"], source_line=2),
]


@pytest.mark.parametrize("record", TRICKY)
def test_tricky_records(record):
    assert record_texts(record) == (record_json(record), record_hash(record))


def test_corpus_records(corpus_dir):
    path = sorted((corpus_dir / "dev" / "jsonl").glob("*.jsonl*"))[0]
    with open(path, "rb") as handle:
        records = [r for _, r, _ in itertools.islice(iter_stream_records(path, handle), 400)
                   if r is not None][:300]
    assert len(records) == 300
    for record in records:
        text, content = record_texts(record)
        assert (text, content) == (record_json(record), record_hash(record))
        assert json.loads(text)["source_line"] == record.source_line
