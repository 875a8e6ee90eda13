"""What a fresh `archive search` process loads (issue 14: cold start).

A search reads an index; it never writes one.  The modules that build and
sync indexes (the pipeline's processes, the segment writer, the parsers,
the full jieba dictionary) cost a fresh process their import time, so the
search command must not load them.  Checked in a new interpreter, the way a
user runs the command, from the modules it has loaded when it is done.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Modules only writing needs: the build and sync (archive.pipeline with its
# worker processes, archive.writer, archive.links), the jobs and parsers,
# Whoosh's writer, and the full segmentation dictionary (jieba / rjieba:
# queries are segmented with the index's own word table).
WRITE_SIDE = ("archive.pipeline", "archive.writer", "archive.links", "archive.jobs",
              "archive.sources", "archive.parsers", "multiprocessing", "whoosh.writing",
              "jieba", "rjieba", "lxml")

_RUN_SEARCH = """
import json, sys
from archive.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def loaded_by(args: list[str]) -> tuple[dict, set[str]]:
    """(JSON output, modules loaded) of `archive ARGS` in a fresh interpreter."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    done = subprocess.run([sys.executable, "-c", _RUN_SEARCH, *args], capture_output=True,
                          text=True, env=env, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    modules = set(json.loads(done.stderr.strip().splitlines()[-1]))
    return json.loads(done.stdout), modules


def _write_side(modules: set[str]) -> list[str]:
    return sorted(m for m in modules
                  if any(m == w or m.startswith(w + ".") for w in WRITE_SIDE))


@pytest.mark.parametrize("query", ["人大常委会", "青石县 -视频", "标题:通知"])
def test_a_search_loads_no_write_side_module(sample_home, query):
    result, modules = loaded_by(["--home", str(sample_home), "search", query, "--json"])
    assert result["query"] == query and result["total"] > 0
    assert "archive.searcher" in modules          # the search really ran here
    assert _write_side(modules) == []


def test_the_check_sees_write_side_modules(sample_dir, tmp_path):
    """The same check on a command that writes finds them (it can fail)."""
    result, modules = loaded_by(["--home", str(tmp_path / "home"), "ingest", str(sample_dir),
                                 "--json"])
    assert result["added"] > 0
    assert {"archive.jobs", "archive.sources", "archive.writer"} <= set(_write_side(modules))
