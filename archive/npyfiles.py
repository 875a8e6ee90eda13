"""Arrays read from .npy and uncompressed .npz files by memory-mapping them.

A search opens ~200 .npy files (the gram index's segments) and two .npz
files (the docmap, the reprint groups).  numpy's readers parse each header
with ast.literal_eval and copy every .npz member through zipfile: on the 53k
archive np.load(mmap_mode="r") took 74 ms for 140 gram files and np.load of
the 2.6 MB docmap 14 ms (load ~5), a quarter of a fresh `archive search`'s
own work.  Here the header numpy writes for a plain array is matched by one
regular expression and the data is mapped, not read: a view over the file's
pages, shared by every process, read-only.  Anything else (an object array,
a compressed member, a header laid out another way) goes to np.load.
"""
from __future__ import annotations

import math
import mmap
import re
from pathlib import Path

import numpy as np

_NPY_HEADER = re.compile(r"\{'descr': '([<>|=]?[a-zA-Z]\d*)', 'fortran_order': False, "
                         r"'shape': \(((?:\d+, ?)*\d*)\), \}")
_LOCAL_HEADER = b"PK\x03\x04"            # a zip member's local file header


def map_array(path: Path) -> np.ndarray:
    """The array of an .npy file, over its memory map.

    A plain ndarray, not np.memmap: numpy's memmap subclass costs ~5 µs of
    __array_finalize__ on every slice, and a query slices a posting list per
    gram per segment (about a third of the gram lookups' CPU on the 53k
    archive)."""
    with open(path, "rb") as handle:
        data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    found = _array_at(data, 0, len(data))
    return found if found is not None else np.load(path, mmap_mode="r").view(np.ndarray)


def release(*arrays: np.ndarray) -> None:
    """Drop this process's resident pages of the files `arrays` are mapped
    from (`map_array`): they stay in the page cache, and a later read maps
    them again.  A pass over a whole file (a merge) would otherwise keep
    all of it resident in the process until the array is gone.  Arrays not
    over a memory map are left alone."""
    for array in arrays:
        mapped = memory_map_of(array)
        if mapped is not None and not mapped.closed:
            mapped.madvise(mmap.MADV_DONTNEED)


def memory_map_of(array: np.ndarray) -> mmap.mmap | None:
    """The memory map an array is a view of (`map_array`, `map_npz`), None
    for an array in memory (a copy)."""
    base = array
    while isinstance(base, np.ndarray):
        base = base.base
    if isinstance(base, memoryview):                 # np.frombuffer's
        base = base.obj
    return base if isinstance(base, mmap.mmap) else None


def map_npz(path: Path, keys: tuple[str, ...] | None = None,
            allow_pickle: bool = False) -> dict[str, np.ndarray]:
    """The arrays of an .npz file (those named in `keys`, else all), each
    stored member mapped like `map_array`."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        members = [(info.filename[:-4], info) for info in archive.infolist()
                   if info.filename.endswith(".npy")]
    with open(path, "rb") as handle:
        data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    arrays, others = {}, []
    for name, info in members:
        if keys is not None and name not in keys:
            continue
        found = None
        at = info.header_offset
        if info.compress_type == zipfile.ZIP_STORED and data[at:at + 4] == _LOCAL_HEADER:
            start = (at + 30 + int.from_bytes(data[at + 26:at + 28], "little")
                     + int.from_bytes(data[at + 28:at + 30], "little"))
            found = _array_at(data, start, start + info.file_size)
        if found is None:
            others.append(name)
        else:
            arrays[name] = found
    if others:
        with np.load(path, allow_pickle=allow_pickle) as loaded:
            arrays.update((name, loaded[name]) for name in others)
    return arrays


ALIGN = 64                   # numpy pads an .npy header to this: the data stays aligned
_PAD_FIELD = 0xD935          # a zip extra field readers skip (zipalign's), used as padding


def save_npz(path: Path, data: dict, deflated: tuple[str, ...] = (),
             allow_pickle: bool = False) -> None:
    """`np.savez` whose stored members start on an ALIGN-byte boundary of
    the file, so `map_npz` maps them as they are.

    np.savez places a member's data wherever the zip headers end: the
    docmap's columns were mapped misaligned, and numpy gathers from a
    misaligned array ~6x slower (issuer[hits] of 75,000 hits: 0.37 ms
    against 0.06 ms), three to five gathers a query.  The local header's
    extra field pads it (as Android's zipalign does); any zip reader skips
    it.  `deflated`: members compressed instead (read whole, never mapped)."""
    import struct
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for key, value in data.items():
            name = f"{key}.npy"
            member = name
            if key not in deflated:
                member = zipfile.ZipInfo(name)                 # stored
                # local header: 30 bytes, the name, this field (4 + pad), zip64's (20)
                before = archive.fp.tell() + 30 + len(name.encode()) + 4 + 20
                pad = -before % ALIGN
                member.extra = struct.pack("<HH", _PAD_FIELD, pad) + bytes(pad)
            with archive.open(member, "w", force_zip64=True) as out:
                np.lib.format.write_array(out, np.asanyarray(value), allow_pickle=allow_pickle)


def _array_at(data, start: int, end: int) -> np.ndarray | None:
    """The plain array whose .npy bytes are data[start:end], or None when
    its header is not the one numpy writes for a plain array (version 1)."""
    head = data[start:start + 10]
    if len(head) < 10 or head[:6] != b"\x93NUMPY" or head[6] != 1:
        return None
    length = int.from_bytes(head[8:10], "little")
    found = _NPY_HEADER.match(data[start + 10:start + 10 + length].decode("latin-1"))
    if not found:
        return None
    dtype = np.dtype(found.group(1))
    if dtype.hasobject:
        return None
    shape = tuple(int(n) for n in found.group(2).replace(" ", "").split(",") if n)
    count = math.prod(shape)
    offset = start + 10 + length
    if offset + count * dtype.itemsize > end:
        return None
    if not count:
        array = np.empty(shape, dtype=dtype)
        array.flags.writeable = False
        return array
    array = np.frombuffer(data, dtype=dtype, count=count, offset=offset).reshape(shape)
    if offset % dtype.alignment:       # written by np.savez (before save_npz): copied aligned
        array = array.copy()
        array.flags.writeable = False
    return array
