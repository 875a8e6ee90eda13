"""Similar shape (形近) of two Chinese characters, from four-corner codes.

The four-corner method (四角号码) gives each character five digits: the
stroke shape at its four corners and one extra corner.  Look-alikes agree
there: 己/已, 未/末, 侯/候, 拔/拨, 治/冶 have the same code, and 坏/环 (41190 /
11190), 理/埋, 设/没 differ in one digit.  Characters whose codes differ in at
most one digit are taken as similar in shape: the typo of a handwriting
recogniser, a shape-based input method (五笔) or a reader misreading.

The codes (74k characters) come from the `four-corner-method` package's
shipped table; loading it costs ~0.1 s, so it is loaded on the first
comparison that needs it, never by a plain import of the search path.
"""
from __future__ import annotations

from functools import lru_cache

MAX_DIFFERENT_DIGITS = 1


@lru_cache(maxsize=1)
def _codes() -> dict[str, str]:
    from four_corner_method import FourCornerMethod

    return FourCornerMethod().data


def code(char: str) -> str | None:
    """The character's four-corner code, None for one the table lacks."""
    return _codes().get(char)


def similar(a: str, b: str) -> bool:
    """Whether two different characters look alike (codes differ in at most
    MAX_DIFFERENT_DIGITS of their digits)."""
    if a == b or not ("\u3400" <= a <= "\u9fff" and "\u3400" <= b <= "\u9fff"):
        return False
    ca, cb = code(a), code(b)
    if not ca or not cb or len(ca) != len(cb):
        return False
    return sum(x != y for x, y in zip(ca, cb)) <= MAX_DIFFERENT_DIGITS
