"""What a gram is: the codes of a string's unigrams and bigrams.

The writer (`archive.grams.SegmentBuilder`) and the reader
(`archive.gram_segment.Segment`) must agree on them; they live here so that
neither side imports the other.

Gram codes are integers (``a`` for a unigram, ``(a+1) * 0x110000 + b`` for a
bigram, with a and b code points), skipping whitespace: the term dictionary
is then a sorted numpy array searched by bisection.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .fields import SEARCH_FIELDS

# Searchable fields, in the order they are laid out in the text file.
FIELDS = SEARCH_FIELDS
RADIX = 0x110000


def codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def breaks(points: np.ndarray) -> np.ndarray:
    """True where a character may not take part in a gram."""
    return (points <= 0x20) | (points == 0x3000) | (points == 0xA0) | (points == 0x85)


def query_codes(word: str) -> list[int]:
    """Codes whose posting lists bound the documents containing `word`."""
    points = [ord(c) for c in word]
    chunks, run = [], []
    for p in points + [0x20]:                    # whitespace splits the word
        if p <= 0x20 or p in (0x3000, 0xA0, 0x85):
            if run:
                chunks.append(run)
            run = []
        else:
            run.append(p)
    codes = []
    for run in chunks:
        if len(run) == 1:
            codes.append(run[0])
        codes.extend((a + 1) * RADIX + b for a, b in zip(run, run[1:]))
    return codes


@lru_cache(maxsize=4096)
def codes_of(words: tuple[str, ...]) -> np.ndarray:
    """The distinct codes of `words`, sorted: computed once, not once per
    segment (a query's words are looked up in every segment).  Sorted in
    Python, not by np.unique: numpy 2's np.unique imports numpy.ma on first
    use (15-40 ms of a fresh `archive search`)."""
    codes = np.fromiter(sorted({c for word in words for c in query_codes(word)}),
                        dtype=np.uint64)
    codes.flags.writeable = False
    return codes


def needs_verification(word: str) -> bool:
    """Posting lists alone are exact only for one run of at most 2 chars."""
    return len(word) > 2 or any(breaks(codepoints(word)))

