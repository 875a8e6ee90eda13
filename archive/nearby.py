"""Near matches: the word's dictionary words found close together, in order.

A result set is exact (a bulletin contains the word, a synonym, or the same
发文字号 in other brackets).  When it is small (under NEAR_THRESHOLD), a
clerk who typed a longer form than the bulletins use — 青石县营商环境 where a
bulletin says 青石县优化营商环境 — still deserves to see those bulletins, as
a separate, labelled group ("相近结果", JSON ``partial``), never mixed into
the count, the facets or the exports.

A near match of a word is a document whose folded text holds the word's
multi-character dictionary words (from the query segmenter) in the typed
order, each within MAX_GAP characters of the one before.  Single characters
of a multi-character word never count: "all the characters of 申小平
somewhere in the text" matched 321 bulletins for one that contains the name.
A word with fewer than two such dictionary words has no near matches.

Candidates are the documents whose gram postings hold every part (the
substring index, `archive.grams`); each is verified with one regular
expression on the stored folded text, the deadline checked as it goes.
"""
from __future__ import annotations

import numpy as np

from .folding import fold
from .gram_text import pattern_of, search_aligned
from .sorted_arrays import unique_sorted
from .query import Word

NEAR_THRESHOLD = 10      # near matches are offered when exact matches are fewer
MAX_GAP = 4              # characters allowed between two consecutive parts
MAX_PARTS = 6            # a word's parts looked at (query cost stays bounded)
SHOWN = 10               # near matches listed (the total is counted in full)


def parts_of(word: Word, segmenter) -> list[str]:
    """The multi-character dictionary words of an unquoted word, in order
    (empty when fewer than two: nothing to bring together)."""
    if word.quoted or word.doc_no:
        return []
    folded = " ".join(fold(word.text).split())
    parts = [p for p in segmenter.words_of(folded) if len(p) > 1][:MAX_PARTS]
    return parts if len(parts) > 1 else []


def _near_test(pattern, unit: int):
    return lambda text, s, e: search_aligned(pattern, text, s, e, unit) is not None


def near_keys(gram_index, parts: list[str], field: str | None, check,
              among: np.ndarray | None = None) -> np.ndarray:
    """Keys (version ids) of the documents holding `parts` close together
    (`among`: sorted keys, the only documents looked at)."""
    patterns = {}           # by the text's encoding (old segments: UTF-8)
    found = []
    for segment, keys in gram_index.segments_among(among):
        check()
        local = segment.candidates(*parts, among=keys)
        if not local.size:
            continue
        pattern = patterns.get(segment.encoding)
        if pattern is None:
            pattern = patterns[segment.encoding] = pattern_of(parts, MAX_GAP, segment.encoding)
        local = segment.select(local, field, _near_test(pattern, segment.unit), check)
        found.append(np.asarray(segment.keys[local], dtype=np.int64))
    return unique_sorted(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)
