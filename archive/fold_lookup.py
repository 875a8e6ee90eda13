"""Folding as one array lookup, for the text of a page's snippets.

`archive.analysis.fold` translates with a lazily filled dict
(`str.translate`); this keeps the same mapping in a code-point array for
the characters that fold to exactly one character, so a long text is
folded by numpy instead of one dict lookup per character.
"""
from __future__ import annotations

import numpy as np

_ONE_TO_ONE = None          # code point -> folded code point; -1 unknown, -2 not one char


def fold_one_to_one(text: str, table) -> str | None:
    """`text.translate(table)` as one array lookup when every character of
    `text` folds to exactly one character (the usual case); None otherwise.

    str.translate looks a non-Latin-1 table up character by character:
    folding a page's ten snippets' text took a third of the highlighting
    time on the bench mix.  2,500 characters: 0.80 ms translated, 0.13 ms
    looked up.
    The array (4.5 MB) is filled from `table` as characters are first seen."""
    global _ONE_TO_ONE
    if _ONE_TO_ONE is None:
        _ONE_TO_ONE = np.full(0x110000, -1, dtype=np.int32)
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    mapped = _ONE_TO_ONE[points]
    if (mapped == -1).any():
        # A set, not np.unique: numpy 2's np.unique imports numpy.ma on first
        # use, 15-40 ms of a fresh `archive search`.
        for code in set(points[mapped == -1].tolist()):
            folded = table[code]
            _ONE_TO_ONE[code] = ord(folded) if len(folded) == 1 else -2
        mapped = _ONE_TO_ONE[points]
    if (mapped < 0).any():
        return None
    return mapped.astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
