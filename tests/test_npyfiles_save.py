"""`npyfiles.save_npz`: members np.load reads, whose stored data `map_npz`
maps aligned and in place; files np.savez wrote map as aligned copies."""
from __future__ import annotations

import numpy as np
import pytest

from archive.npyfiles import ALIGN, map_npz, memory_map_of, save_npz

ARRAYS = {"vid": np.arange(50, dtype=np.int64), "d": np.arange(7, dtype=np.float64),
          "issuer": np.arange(33, dtype=np.int32), "live": np.arange(50) % 3 == 0,
          "status": np.arange(5, dtype=np.int8), "empty": np.empty(0, dtype=np.int32),
          "grid": np.arange(6, dtype=">u2").reshape(2, 3),
          "a_long_member_name_of_forty_one_characters": np.arange(9, dtype=np.int64),
          "names": np.array(["青石县", "人民政府"], dtype=object)}


def _over_a_map(array: np.ndarray) -> bool:
    return memory_map_of(array) is not None


@pytest.mark.parametrize("deflated", [(), ("d", "grid")])
def test_save_npz_members_are_mapped_aligned_in_place(tmp_path, deflated):
    path = tmp_path / "t.npz"
    save_npz(path, ARRAYS, deflated=deflated, allow_pickle=True)
    with np.load(path, allow_pickle=True) as loaded:             # any reader reads it
        assert set(loaded.files) == set(ARRAYS)
        for name, array in ARRAYS.items():
            assert np.array_equal(loaded[name], array) and loaded[name].dtype == array.dtype
    mapped = map_npz(path, allow_pickle=True)
    for name, array in ARRAYS.items():
        got = mapped[name]
        assert got.dtype == array.dtype and np.array_equal(got, array), name
        if got.size and name not in deflated and name != "names":
            assert _over_a_map(got), name                        # not a copy
            assert got.__array_interface__["data"][0] % ALIGN == 0, name


def test_an_np_savez_file_maps_as_aligned_read_only_copies(tmp_path):
    path = tmp_path / "old.npz"
    np.savez(path, **{k: v for k, v in ARRAYS.items() if k != "names"})
    mapped = map_npz(path)
    misaligned = 0
    for name, got in mapped.items():
        assert np.array_equal(got, ARRAYS[name]) and got.flags.aligned, name
        assert not got.flags.writeable
        misaligned += not _over_a_map(got)
    assert misaligned          # np.savez put some member off its alignment: copied


def test_a_built_docmap_is_mapped_in_place_and_aligned(sample_home):
    """The searcher's per-document columns come straight off the docmap
    file, aligned (gathers from misaligned arrays were ~6x slower)."""
    from archive.search import SearchService

    searcher = SearchService(sample_home).searcher()
    for name in ("issuer", "topic", "date", "doc_id", "vid"):
        column = getattr(searcher, name)
        assert column.size and column.flags.aligned, name
        assert _over_a_map(column), name                          # not a copy
