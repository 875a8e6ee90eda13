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

import numpy as np
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


def _fresh_env() -> dict:
    """The environment of a fresh interpreter with this tree first on its path."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))


def _printed_json(code: str):
    """What `code`, run by a fresh interpreter from this tree, prints as JSON."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=_fresh_env(), cwd=ROOT, check=True)
    return json.loads(done.stdout)


def loaded_by(args: list[str]) -> tuple[dict, set[str]]:
    """(JSON output, modules loaded) of `archive ARGS` in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", _RUN_SEARCH, *args], capture_output=True,
                          text=True, env=_fresh_env(), timeout=120, cwd=ROOT)
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


# Loaded by Whoosh's and numpy's imports but never used by a search
# (archive.lean_imports), and the citation parser (opened on first use).
DEFERRED = ("urllib.request", "http.client", "email", "ssl", "asyncio", "numpy.ma",
            "archive.citations")


@pytest.mark.parametrize("query", ["人大常委会", "青石县 -视频", "标题:通知"])
def test_a_search_loads_no_deferred_module(sample_home, query):
    result, modules = loaded_by(["--home", str(sample_home), "search", query, "--json"])
    assert result["total"] > 0 and "whoosh.reading" in modules
    assert sorted(m for m in modules if m in DEFERRED) == []


def test_the_check_sees_deferred_modules_loaded_without_the_preparation():
    """The same imports without prepare_read_process load them (it can fail)."""
    code = ("import json, sys; import cached_property, whoosh.compat; "
            "print(json.dumps(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert {"urllib.request", "http.client", "asyncio"} <= set(json.loads(done.stdout))


def test_deferred_modules_are_the_real_ones_when_used(tmp_path):
    """After the preparation, Whoosh's urlretrieve downloads, cached_property
    tells coroutine functions as asyncio does, and a later import gets the
    real modules."""
    source = tmp_path / "source.txt"
    source.write_text("青石县", encoding="utf-8")
    code = f"""
import json, sys
from archive.lean_imports import prepare_read_process
prepare_read_process()
import cached_property, whoosh.compat
before = sorted(m for m in ("asyncio", "urllib.request") if m in sys.modules)
whoosh.compat.urlretrieve({source.as_uri()!r}, {str(tmp_path / "copy.txt")!r})

async def coroutine():
    pass

def plain():
    pass

told = [cached_property.asyncio.iscoroutinefunction(f) for f in (coroutine, plain)]
import asyncio, urllib.request
real = [asyncio.iscoroutinefunction(f) for f in (coroutine, plain)]
print(json.dumps([before, told, real, hasattr(asyncio, "get_event_loop"),
                  hasattr(urllib.request, "Request")]))
"""
    before, told, real, loop, request = _printed_json(code)
    assert before == []                      # neither was loaded by the imports
    assert told == real == [True, False]
    assert loop and request
    assert (tmp_path / "copy.txt").read_text(encoding="utf-8") == "青石县"


@pytest.mark.parametrize("array", [
    np.arange(7, dtype=np.int64), np.arange(12, dtype=np.uint16).reshape(4, 3),
    np.array([3, 1 << 40], dtype=np.uint64), np.empty(0, dtype=np.uint32),
    np.empty((0, 8), dtype=np.int64), np.arange(6, dtype=">i4"),
    np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3)),   # np.load's path
    np.arange(4, dtype=np.float32).reshape((1,) * 30 + (4,)),        # a long header
])
def test_map_array_reads_what_np_load_reads(tmp_path, array):
    from archive.npyfiles import map_array

    path = tmp_path / "a.npy"
    np.save(path, array)
    mapped = map_array(path)
    expected = np.load(path)
    assert mapped.dtype == expected.dtype and mapped.shape == expected.shape
    assert np.array_equal(mapped, expected)
    assert type(mapped) is np.ndarray and not mapped.flags.writeable


def test_map_npz_reads_what_np_load_reads(tmp_path):
    """Stored members are mapped; an object array and a compressed file go
    through np.load; `keys` picks members."""
    from archive.npyfiles import map_npz

    arrays = {"vid": np.arange(50, dtype=np.int64), "live": np.arange(50) % 3 == 0,
              "empty": np.empty(0, dtype=np.int32), "grid": np.arange(6, dtype=">u2").reshape(2, 3),
              "names": np.array(["青石县", "人民政府"], dtype=object)}
    for save in (np.savez, np.savez_compressed):
        path = tmp_path / f"{save.__name__}.npz"
        save(path, **arrays)
        with np.load(path, allow_pickle=True) as loaded:
            expected = {k: loaded[k] for k in loaded.files}
        mapped = map_npz(path, allow_pickle=True)
        assert mapped.keys() == expected.keys()
        for name, array in expected.items():
            assert mapped[name].dtype == array.dtype and np.array_equal(mapped[name], array)
        assert map_npz(path, ("vid", "live")).keys() == {"vid", "live"}
    stored = map_npz(tmp_path / "savez.npz", ("vid",))["vid"]
    assert not stored.flags.writeable                  # over the file, not a copy
    with pytest.raises(ValueError):                    # pickles only when allowed
        map_npz(tmp_path / "savez.npz", ("names",))


@pytest.mark.parametrize("values", [
    np.random.default_rng(7).integers(0, 500, 5000), np.array([2024, 2023, 2024, 0, 2024]),
    np.empty(0, dtype=np.int64), np.array([5]), np.arange(10)[::-1]])
def test_unique_counts_is_np_unique_with_counts(values):
    """Reprint group sizes and year facets count by a sort (sorted_arrays.unique_counts):
    the same values and counts as numpy's np.unique."""
    from archive.sorted_arrays import unique_counts

    values_, counts = unique_counts(values)
    expected_values, expected_counts = np.unique(values, return_counts=True)
    assert np.array_equal(values_, expected_values) and np.array_equal(counts, expected_counts)
    assert counts.sum() == values.size


def test_numpy_is_imported_without_its_docstring_modules_and_they_still_load():
    """prepare_read_process imports numpy without the two modules that only
    attach docstrings (archive.lean_imports); numpy works, and importing
    them afterwards runs the real ones, which add the docstrings."""
    code = """
import json, sys
from archive.lean_imports import NUMPY_DOCSTRING_MODULES, prepare_read_process
prepare_read_process()
import numpy as np
loaded = sorted(m for m in NUMPY_DOCSTRING_MODULES if m in sys.modules)
works = int(np.add(np.arange(4), 1).sum())
bare = np.array.__doc__ is None
import numpy._core._add_newdocs, numpy._core._add_newdocs_scalars
print(json.dumps([loaded, works, bare, "array(object" in (np.array.__doc__ or "")]))
"""
    loaded, works, bare, documented = _printed_json(code)
    assert loaded == [] and works == 10
    assert bare and documented
