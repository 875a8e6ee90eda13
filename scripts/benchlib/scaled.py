"""The records a run measures: the first N of the corpus, continued past its
end with scripts/gen_corpus.py's variants, written as one file or as shards."""
from __future__ import annotations

import json
from pathlib import Path

from benchlib.corpus import corpus_lines, plain_record
from benchlib.measure import dir_size
from benchlib.settings import QUERY_SEED


def write_scaled(corpus: Path, n: int | None, workdir: Path, shard: int | None = None) -> dict:
    """The first N records as one JSONL file in its own folder: the corpus in
    sorted file order, then (past its end) distinct variants made by
    scripts/gen_corpus.py (labelled so).  Streams: any N fits in memory.
    With `shard`, the folder holds files of `shard` records each instead
    (``part-00000.jsonl``...), as an office's monthly exports would, and
    "path" is the folder."""
    if n:
        import gen_corpus                        # scripts/ is on the path (scripts/bench)

        lines = gen_corpus.generate(corpus, n, seed=QUERY_SEED)
    else:
        lines = corpus_lines(corpus)
    source = workdir / f"src-{n or 'all'}"
    source.mkdir(parents=True, exist_ok=True)
    path = source / "corpus.jsonl"
    count = text = 0
    out = None
    try:
        for line in lines:
            if out is None or (shard and count % shard == 0):
                if out is not None:
                    out.close()
                out = open(source / f"part-{count // shard:05d}.jsonl" if shard else path,
                           "w", encoding="utf-8")
            out.write(line + "\n")
            rec = plain_record(json.loads(line))
            text += len(rec["title"].encode()) + len(rec["body"].encode())
            count += 1
    finally:
        if out is not None:
            out.close()
    total = sum(1 for _ in corpus_lines(corpus)) if n and count >= n else count
    label = (f"all {count} records" if count == total else f"first {count} records"
             if count < total else
             f"{count} records: corpus of {total} + {count - total} generated variants")
    return {"path": str(source if shard else path), "dir": str(source), "records": count,
            "label": label, "text_bytes": text, "file_bytes": dir_size(source)}
