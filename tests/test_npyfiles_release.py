"""`npyfiles.release`: a mapped array's pages let go, its values intact."""
from __future__ import annotations

import numpy as np

from archive.npyfiles import map_array, release


def _resident_kb(path) -> int:
    """Resident KB of this process's mappings of `path` (/proc/self/smaps)."""
    total, inside = 0, False
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            if "-" in line.split(" ", 1)[0]:
                inside = line.rstrip().endswith(str(path))
            elif inside and line.startswith("Rss:"):
                total += int(line.split()[1])
    return total


def test_release_drops_the_mapped_pages_and_keeps_the_values(tmp_path):
    path = tmp_path / "a.npy"
    values = np.arange(2_000_000, dtype=np.int64)          # 16 MB
    np.save(path, values)
    mapped = map_array(path)
    assert int(mapped[::512].sum()) == int(values[::512].sum())   # every page read
    before = _resident_kb(path)
    release(mapped[10:20])                    # a view: its map is found through it
    assert before > 10_000 and _resident_kb(path) < before // 10
    assert np.array_equal(mapped, values)


def test_release_leaves_arrays_in_memory_alone():
    values = np.arange(10)
    release(values, values[2:], np.empty(0))
    assert values.tolist() == list(range(10))
