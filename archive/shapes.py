"""Similar shape (形近) of two Chinese characters, from four-corner codes.

The four-corner method (四角号码) gives each character five digits: the
stroke shape at its four corners and one extra corner.  Look-alikes agree
there: 己/已, 未/末, 侯/候, 拔/拨, 治/冶 have the same code, and 坏/环 (41190 /
11190), 理/埋, 设/没 differ in one digit.  Characters whose codes differ in at
most one digit are taken as similar in shape: the typo of a handwriting
recogniser, a shape-based input method (五笔) or a reader misreading.

The codes (74k characters) come from the `four-corner-method` package's
shipped table.  Loading it costs ~0.1 s of CPU (measured: a cold
`archive search` with a suggestion, 0.72 -> 0.82 s user), so a generation
copies the codes into its vocab.sqlite when built (`archive.vocabulary`),
like the pinyin readings, and the package is loaded only for a generation
built before that, on the first comparison that needs it.
"""
from __future__ import annotations

from functools import lru_cache

MAX_DIFFERENT_DIGITS = 1


@lru_cache(maxsize=1)
def all_codes() -> dict[str, str]:
    """Every character's four-corner code (the package's table, less its few
    keys that are not one encodable character: lone surrogates)."""
    from four_corner_method import FourCornerMethod

    return {char: code for char, code in FourCornerMethod().data.items()
            if len(char) == 1 and not "\ud800" <= char <= "\udfff"}


def code(char: str) -> str | None:
    """The character's four-corner code, None for one the table lacks."""
    return all_codes().get(char)


def similar(a: str, b: str, code_of=code) -> bool:
    """Whether two different characters look alike (codes differ in at most
    MAX_DIFFERENT_DIGITS of their digits); `code_of(char)` -> code or None."""
    if a == b or not ("\u3400" <= a <= "\u9fff" and "\u3400" <= b <= "\u9fff"):
        return False
    ca, cb = code_of(a), code_of(b)
    if not ca or not cb or len(ca) != len(cb):
        return False
    return sum(x != y for x, y in zip(ca, cb)) <= MAX_DIFFERENT_DIGITS
