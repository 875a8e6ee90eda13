"""Folding as one array lookup, for long texts (bodies in the build, the
text of a page's snippets).

`archive.folding.fold` translates with a lazily filled dict
(`str.translate`); this keeps the same mapping in a code-point array — the
folded code point of a character that folds to exactly one, a mark for one
that folds to several — so a long text is folded by numpy instead of one
dict lookup per character.
"""
from __future__ import annotations

import numpy as np

class CodePointTable:
    """A value per code point (`dtype`), filled as characters are first
    seen: a long text is looked up by one numpy gather instead of a Python
    call per character.  Used for folding here and for the reprint
    signature's letters and digits (`archive.reprints.shingle_text`).
    The array (0x110000 entries) is allocated on first use."""

    UNSEEN = -1

    def __init__(self, dtype):
        self.dtype, self._values = dtype, None

    def lookup(self, text: str, fill) -> tuple[np.ndarray, np.ndarray]:
        """(code points of `text`, their values), `fill(code)` giving the
        value of a code point seen for the first time."""
        if self._values is None:
            self._values = np.full(0x110000, self.UNSEEN, dtype=self.dtype)
        points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        values = self._values[points]
        unseen = values == self.UNSEEN
        if unseen.any():
            # A set, not np.unique: numpy 2's np.unique imports numpy.ma on
            # first use, 15-40 ms of a fresh `archive search`.
            for code in set(points[unseen].tolist()):
                self._values[code] = fill(code)
            values = self._values[points]
        return points, values


def text_of(codes: np.ndarray) -> str:
    """The string of an array of code points."""
    return codes.astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")


_ONE_TO_ONE = CodePointTable(np.int32)   # code point -> folded code point, or _SEVERAL
_SEVERAL = -2


def _mapped(text: str, table) -> tuple[np.ndarray, np.ndarray]:
    """(code points of `text`, their folded code points or _SEVERAL)."""
    def fill(code: int) -> int:
        folded = table[code]
        return ord(folded) if len(folded) == 1 else _SEVERAL

    return _ONE_TO_ONE.lookup(text, fill)


def fold_one_to_one(text: str, table) -> str | None:
    """`text.translate(table)` as one array lookup when every character of
    `text` folds to exactly one character (the usual case); None otherwise.

    str.translate looks a non-Latin-1 table up character by character:
    folding a page's ten snippets' text took a third of the highlighting
    time on the bench mix.  2,500 characters: 0.80 ms translated, 0.13 ms
    looked up.
    The array (4.5 MB) is filled from `table` as characters are first seen."""
    _points, mapped = _mapped(text, table)
    if (mapped < 0).any():
        return None
    return text_of(mapped)


def fold_with_offsets(text: str, table) -> tuple[str, np.ndarray | None]:
    """`text.translate(table)` and, when some character folds to several
    (…… -> ......, common in laws), each folded character's offset in `text`
    (with len(text) at the end, an int64 array); None when the offsets are
    the identity.

    A law's snippet text (30,000 characters) with one ellipsis was folded
    by two `str.translate` calls (the text, then every character's folded
    length): ~3 ms each, 25 ms of a 文号 query's page at 200k bulletins."""
    points, mapped = _mapped(text, table)
    at = np.flatnonzero(mapped < 0)
    if not at.size:
        return text_of(mapped), None
    # The characters that fold to several, each distinct one's fold padded
    # into a row: their lengths and characters are placed by array indexing
    # (a pass over the text per distinct character cost more than the fold).
    distinct = sorted(set(points[at].tolist()))
    folds = [[ord(c) for c in table[code]] for code in distinct]
    widths = np.array([len(f) for f in folds], dtype=np.int64)
    rows = np.zeros((len(folds), max(1, int(widths.max()))), dtype=np.int64)
    for row, chars in zip(rows, folds):
        row[:len(chars)] = chars
    which = np.searchsorted(np.array(distinct, dtype=np.int64), points[at])
    lengths = np.ones(points.size, dtype=np.int64)
    lengths[at] = widths[which]
    starts = np.cumsum(lengths) - lengths
    codes = np.empty(int(lengths.sum()), dtype=np.int64)
    one = np.ones(points.size, dtype=bool)
    one[at] = False
    codes[starts[one]] = mapped[one]
    for k in range(rows.shape[1]):
        wide = widths[which] > k
        codes[starts[at[wide]] + k] = rows[which[wide], k]
    return text_of(codes), np.repeat(np.arange(points.size + 1), np.append(lengths, 1))
