"""The segmentation limit: how fast the product's segmenter cuts the text
on all cores and on one, against python jieba on one core."""
from __future__ import annotations

import os
import time
from pathlib import Path

from benchlib.corpus import read_records
from benchlib.settings import MB


_TEXTS: list[str] = []


def _seg_init(path: str) -> None:
    from archive.analysis import fold, segmenter_for

    global _TEXTS
    _TEXTS = [fold(r["title"] + "\n" + r["body"]) for r in read_records(Path(path))]
    segmenter_for(None).cut("预热")           # load the dictionary before timing


def _seg_ready(_):
    time.sleep(0.3)
    return os.getpid()


def _seg_chunk(bounds) -> int:
    from archive.analysis import segmenter_for

    cut = segmenter_for(None).cut
    return sum(len(cut(t)) for t in _TEXTS[bounds[0]:bounds[1]])


def measure_segmentation(data: dict, jieba_mb: float) -> dict:
    """rjieba (the product's Segmenter.cut on folded text) on all cores and
    on one; python jieba's cut (HMM off: the same words) on one core, over at
    most `jieba_mb` MB."""
    import multiprocessing as mp

    import jieba

    procs = os.cpu_count() or 1
    n, total = data["records"], data["text_bytes"]
    chunks = [(i, min(n, i + 50)) for i in range(0, n, 50)]
    with mp.get_context("fork").Pool(procs, _seg_init, (data["path"],)) as pool:
        pool.map(_seg_ready, range(procs), chunksize=1)
        started = time.perf_counter()
        words = sum(pool.map(_seg_chunk, chunks, chunksize=1))
        pooled = time.perf_counter() - started
    out = {"procs": procs, "docs": n, "text_mb": round(total / MB, 2), "words": words,
           "all_cores": {"seconds": round(pooled, 2), "mb_s": round(total / MB / pooled, 2),
                         "docs_s": round(n / pooled, 1)}}

    _seg_init(data["path"])                   # one core, in this process
    started = time.perf_counter()
    _seg_chunk((0, n))
    single = time.perf_counter() - started
    out["one_core"] = {"seconds": round(single, 2), "mb_s": round(total / MB / single, 2),
                       "docs_s": round(n / single, 1)}

    jieba.setLogLevel(60)
    jieba.initialize()
    sample, size = [], 0
    for text in _TEXTS:
        if size >= jieba_mb * MB:
            break
        sample.append(text)
        size += len(text.encode())
    started = time.perf_counter()
    for text in sample:
        jieba.lcut(text, HMM=False)
    ref = time.perf_counter() - started
    out["jieba_one_core"] = {"seconds": round(ref, 2), "docs": len(sample),
                             "text_mb": round(size / MB, 2), "mb_s": round(size / MB / ref, 2),
                             "docs_s": round(len(sample) / ref, 1)}
    _TEXTS.clear()
    return out
