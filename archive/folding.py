"""Folding: the searchable form of a text (NFKC, case-folded, 繁→简).

Search is defined over folded text: a query word matches a bulletin when
the folded bulletin contains the folded word.  Folding is one character at
a time, so `fold_with_offsets` can map a folded span back to the original
(highlighting).  It stands apart from `archive.analysis` (segmentation and
the Whoosh analyzer) because most modules fold and nothing more: they need
not import Whoosh or jieba for it.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Sequence
from pathlib import Path

# A line of OpenCC's table whose first two entries are single characters
# (`乾 乾 干` maps 乾 to itself; `囉 啰` maps 囉 to 啰).
_T2S_LINE = re.compile(r"^[^\S\n]*(\S)[^\S\n]+(\S)(?!\S)", re.M)


def _t2s_table() -> dict[str, str]:
    """Traditional -> simplified single characters, from OpenCC's table
    (the package ships its dictionaries as text files).  Found without
    importing opencc and read with one regular expression: 9 + 10 ms less
    than an import and a loop over 4,000 lines, in every fresh process that
    folds text (`archive search` folds its query)."""
    from importlib.util import find_spec

    path = Path(find_spec("opencc").origin).with_name("dictionary") / "TSCharacters.txt"
    return dict(_T2S_LINE.findall(path.read_text(encoding="utf-8")))


class _FoldTable(dict):
    """A lazily filled `str.translate` table: ord(char) -> folded string.

    Computing the fold of every code point up front costs ~1 s; filling the
    table on first sight of each character costs nothing noticeable.
    """

    def __init__(self):
        super().__init__()
        self.t2s = _t2s_table()
        self.lengths = _FoldLengths(self)

    def __missing__(self, code: int) -> str:
        folded = unicodedata.normalize("NFKC", chr(code)).casefold()
        folded = "".join(self.t2s.get(c, c) for c in folded)
        self[code] = folded
        return folded


class _FoldLengths(dict):
    """A `str.translate` table: ord(char) -> chr(length of its fold), so one
    translate gives every character's folded length (at most 18: ﷺ)."""

    def __init__(self, folds: _FoldTable):
        super().__init__()
        self.folds = folds

    def __missing__(self, code: int) -> str:
        length = self[code] = chr(len(self.folds[code]))
        return length


_FOLD: _FoldTable | None = None
_FOLD_LOCK = threading.Lock()


def _fold_table() -> _FoldTable:
    global _FOLD
    if _FOLD is None:
        with _FOLD_LOCK:
            if _FOLD is None:
                _FOLD = _FoldTable()
    return _FOLD


def fold(text: str) -> str:
    """The searchable form of `text`: NFKC, case-folded, simplified."""
    return text.translate(_fold_table())


# Shorter texts (a result's title) are folded by str.translate: the array
# lookup's fixed cost is ~45 µs, translate's ~0.25 µs a character (measured
# on the bench mix's titles and bodies: equal near 200 characters).
ARRAY_FOLD_FROM = 200


def fold_long(text: str) -> str:
    """`fold(text)`, by one array lookup when the text is long (the build
    folds every body: `fold` was 5% of a 10k build's CPU, py-spy; a 2,500
    character body folds in 0.13 ms looked up against 0.80 translated)."""
    if len(text) >= ARRAY_FOLD_FROM:
        from .fold_lookup import fold_one_to_one

        folded = fold_one_to_one(text, _fold_table())
        if folded is not None:
            return folded
    return fold(text)


def fold_with_offsets(text: str) -> tuple[str, Sequence[int]]:
    """`fold(text)` plus, for each folded character, its offset in `text`.

    The list has one extra entry, len(text).  A folded span [i, j) maps back
    to the original span [offsets[i], offsets[j - 1] + 1) (one original
    character may fold to several: ﬁ -> fi).
    """
    folded, offsets = fold_with_offset_array(text)
    # The usual case (no ligatures, no ㈱, no ……): the identity, as a range
    # (not a list: snippets of a 10-hit page spent 40% of their time
    # building them).
    return folded, range(len(text) + 1) if offsets is None else offsets.tolist()


def fold_with_offset_array(text: str):
    """`fold(text)` and its offsets (`fold_with_offsets`) as an int64 array,
    None when they are the identity: a caller mapping a few spans back
    indexes the array once for all of them, where a list of a law's
    30,000 offsets took 0.3 ms to make (six law bodies a 文号 page)."""
    table = _fold_table()
    if len(text) >= ARRAY_FOLD_FROM:
        from . import fold_lookup

        return fold_lookup.fold_with_offsets(text, table)
    folded = text.translate(table)
    if len(folded) == len(text):
        # No character folds to none (NFKC never empties one), so equal
        # lengths mean one folded character per original.
        return folded, None
    # Some character folds to several ("……" -> "......" is common): each
    # original offset repeated by its character's folded length, in numpy
    # (the per-character loop took 1 ms per snippet).
    import numpy as np

    lengths = np.frombuffer(text.translate(table.lengths).encode("latin-1"), dtype=np.uint8)
    return folded, np.repeat(np.arange(len(text) + 1), np.append(lengths, 1))
