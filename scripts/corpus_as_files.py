"""Expand JSON Lines exports into many small JSONL files, one per N records.

The development corpus is 11 large JSONL files; a scheduled reindex watches
folders of many files.  This writes ``part-NNNNN-MMMM.jsonl`` files of
--per-file records each (default 100) so `archive reindex` can be measured
on a realistic folder:

    python scripts/corpus_as_files.py /work/shared/corpus/dev/jsonl /tmp/dev-files
"""
from __future__ import annotations

import argparse
import gzip
from pathlib import Path


def lines_of(path: Path):
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as stream:
        for line in stream:
            if line.strip():
                yield line if line.endswith(b"\n") else line + b"\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder of .jsonl / .jsonl.gz files")
    parser.add_argument("target", type=Path, help="folder to write (created)")
    parser.add_argument("--per-file", type=int, default=100)
    args = parser.parse_args()
    args.target.mkdir(parents=True, exist_ok=True)
    files = records = 0
    for number, path in enumerate(sorted(args.source.glob("*.jsonl*")), 1):
        chunk: list[bytes] = []
        part = 0

        def flush(number=number):
            nonlocal chunk, part, files
            if chunk:
                (args.target / f"part-{number:05d}-{part:04d}.jsonl").write_bytes(b"".join(chunk))
                files, part, chunk = files + 1, part + 1, []

        for line in lines_of(path):
            chunk.append(line)
            records += 1
            if len(chunk) >= args.per_file:
                flush()
        flush()
    print(f"{records} records in {files} files under {args.target}")


if __name__ == "__main__":
    main()
