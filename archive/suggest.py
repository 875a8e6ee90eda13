"""Did you mean: the corrected query for a typo, with its count.

A query word is suspect when the archive has no bulletin containing it, or
SUGGEST_RATIO times fewer than a close alternative does (营商坏境 finds 3
bulletins that carry the same typo, 营商环境 finds 228).  Alternatives are
the corpus's own words and phrases (`archive.vocabulary`: dictionary words
the bulletins use, frequent title phrases, names) that a typist could have
meant:

* one character substituted, missing, extra, or two swapped (two of these
  for words of four characters or more), the vocabulary being small and
  real;
* similar-shape characters (形近: 己/已, 坏/环), from their four-corner
  codes (`archive.shapes`), cheaper than an unrelated substitution;
* same-sound characters (同音: 物/务, 长/常, any number of them), from
  pypinyin's readings — the usual error of a pinyin input method, so they
  cost half an edit.

Candidates are ranked by edit cost, then by how many bulletins contain them
(the substring index's bigram postings: an upper bound that costs a few
posting reads, not a verification); the winner's real count is what the
page shows.  Never a single character for a multi-character word.  Cost on
the 53k archive: see `scripts/bench` (suggestion latency).
"""
from __future__ import annotations

import math
import threading
from functools import lru_cache

import numpy as np

from . import shapes
from .folding import fold
from .gram_codes import FIELDS as GRAM_FIELDS, codes_of
from .sorted_arrays import intersect_sorted, unique_sorted
from .query import ParsedQuery

SUGGEST_RATIO = 10          # a word this many times rarer than an alternative is suspect
SUGGEST_MAX_WORDS = 8       # longer queries get no suggestion
MAX_WORD_CHARS = 12         # words longer than this are not corrected
MAX_RANKED = 12             # candidates whose counts are looked up, per word
MAX_DROP_TRIES = 8          # "drop a word" fallback queries tried
CACHED_WORDS = 4096         # words whose alternatives a searcher remembers

# Edit costs, from how typists err: a same-sound character (the pinyin input
# method offered it), two characters swapped, one left out are cheaper than
# an unrelated substitution or an extra character.  A near-sound one (same
# initial or final: 坏 huai / 环 huan, also most look-alikes that share a
# phonetic component) sits between, a look-alike (four-corner codes, see
# archive.shapes) just above same sound.  Measured with scripts/eval_typos.py.
SAME_SOUND, NEAR_SOUND, SWAPPED, MISSING, EXTRA, OTHER = 0.5, 0.8, 0.45, 0.55, 1.0, 1.0
SIMILAR_SHAPE = 0.6
COMMON_BONUS = 0.1
_INITIALS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j",
             "q", "x", "r", "z", "c", "s", "y", "w")


@lru_cache(maxsize=4096)
def _split(reading: str) -> tuple[str, str]:
    initial = next((i for i in _INITIALS if reading.startswith(i)), "")
    return initial, reading[len(initial):]


def _no_readings(char: str) -> tuple[str, ...]:
    return (char,)


@lru_cache(maxsize=65536)
def substitution_cost(a: str, b: str, readings=_no_readings, shape_code=shapes.code) -> float:
    """Cost of typing `a` for `b`: same sound when `b`'s usual (first) reading
    is one of `a`'s — a rare reading of the intended character (不 read fu)
    is not what a typist spells; then similar shape; then near sound."""
    ra, rb = set(readings(a)), set(readings(b)[:1])
    if ra & rb:
        return SAME_SOUND
    if shapes.similar(a, b, shape_code):
        return SIMILAR_SHAPE
    sa, sb = [_split(r) for r in ra], [_split(r) for r in rb]
    if any((x[0] and x[0] == y[0]) or (x[1] and x[1] == y[1]) for x in sa for y in sb):
        return NEAR_SOUND
    return OTHER



def edit_cost(typed: str, word: str, readings=_no_readings, shape_code=shapes.code) -> float:
    """Weighted Damerau-Levenshtein distance from what was typed to `word`
    (optimal string alignment; `readings(char)` -> toneless pinyin,
    `shape_code(char)` -> four-corner code)."""
    rows, cols = len(typed) + 1, len(word) + 1
    d = [[0.0] * cols for _ in range(rows)]
    for i in range(rows):
        d[i][0] = i * EXTRA
    for j in range(cols):
        d[0][j] = j * MISSING
    for i in range(1, rows):
        for j in range(1, cols):
            a, b = typed[i - 1], word[j - 1]
            sub = 0.0 if a == b else substitution_cost(a, b, readings, shape_code)
            d[i][j] = min(d[i - 1][j] + EXTRA, d[i][j - 1] + MISSING, d[i - 1][j - 1] + sub)
            if i > 1 and j > 1 and a == word[j - 2] and typed[i - 2] == b and a != b:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + SWAPPED)
    return round(d[-1][-1], 2)


def allowed(typed: str, word: str, cost: float) -> bool:
    """One edit; two for words of four characters or more when the lengths
    agree (two substitutions, or a swap and a substitution)."""
    return cost <= 1.0 or (cost <= 2.0 and len(typed) >= 4 and len(word) == len(typed))


def estimate(grams, word: str) -> int:
    """Documents holding every gram of `word`: an upper bound of its count
    (exact for one or two characters), from posting lists alone."""
    return int(sum(seg.candidates(word).size for seg in grams.segments))


def estimates(grams_index, words: list[str], check=None) -> list[int]:
    """`estimate` of each of `words`, each segment's term array searched once
    for the grams of all of them (a dozen words x 14 segments of the 53k
    archive cost ~4 ms of a new word's suggestion when each word searched
    every segment)."""
    codes = [codes_of((word,)).tolist() for word in words]
    every = unique_sorted(np.asarray([c for word in codes for c in word], dtype=np.uint64))
    totals = [0] * len(words)
    for seg in grams_index.segments:
        if check is not None:
            check()
        at, found = seg.terms.find(every)
        number = dict(zip(every.tolist(), np.where(found, at, -1).tolist()))
        for k, word_codes in enumerate(codes):
            found = [number[c] for c in word_codes]
            if not found or min(found) < 0:
                continue
            lists = seg.posting_lists_at(np.asarray(found))
            totals[k] += (lists[0] if len(lists) == 1 else intersect_sorted(lists)).size
    return totals


def corrections(searcher, typed: str) -> list[tuple[float, int, str]]:
    """(cost, estimated count, word) of the alternatives to `typed`, best first.

    They depend on the index generation alone, so the searcher keeps the
    last CACHED_WORDS words' (a suggestion costed ~9 ms of a query's CPU on
    the 53k archive: edit costs of ~100 vocabulary neighbours, a dozen
    gram-posting estimates over every segment)."""
    cache = getattr(searcher, "corrections_cache", None)
    if cache is None:
        return _corrections(searcher, typed)
    found = cache.get(typed)
    if found is None:
        found = _corrections(searcher, typed)
        cache.put(typed, found)
    return found


class WordCache:
    """At most `size` entries, the oldest dropped first; thread-safe (the web
    app's threads share one searcher)."""

    def __init__(self, size: int = CACHED_WORDS):
        self.size, self._items, self._lock = size, {}, threading.Lock()

    def get(self, key):
        return self._items.get(key)

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                del self._items[next(iter(self._items))]


def _corrections(searcher, typed: str) -> list[tuple[float, int, str]]:
    vocabulary = searcher.vocabulary
    if vocabulary is not None:
        near, readings = vocabulary.near(typed), vocabulary.readings
        shape_code = vocabulary.shape_code
        vocabulary.prefetch({c for word in (typed, *near) for c in word})
    else:                       # a generation built before the vocabulary existed
        near = {w: 0 for w in getattr(searcher.query_segmenter, "neighbors",
                                      lambda _w: [])(typed)}
        readings, shape_code = _no_readings, shapes.code
    # Two characters more or fewer cost at least 2 * MISSING > 1 with
    # unequal lengths: never allowed, so never costed.
    costed = sorted((edit_cost(typed, w, readings, shape_code), -freq, w)
                    for w, freq in near.items()
                    if len(w) >= 2 and w != typed and abs(len(w) - len(typed)) <= 1)
    costed = [c for c in costed if allowed(typed, c[2], c[0])][:MAX_RANKED]
    counts = estimates(searcher.grams, [word for _cost, _freq, word in costed],
                       searcher.check_deadline)
    scored = [(cost, count, word) for (cost, _freq, word), count in zip(costed, counts)
              if count]
    # Cheaper edits first, a tenfold commoner word worth COMMON_BONUS of cost.
    scored.sort(key=lambda c: (c[0] - COMMON_BONUS * math.log10(c[1]), -c[1]))
    return scored


def correct_word(searcher, typed: str, field: str | None = None) -> tuple[str, int] | None:
    """The best alternative to one word, if the word is suspect beside it.

    The word's own count is needed only when an alternative could be
    SUGGEST_RATIO times commoner: what the search already verified is a
    lower bound of it, so a common word ('中华人民共和国', verified within
    the few documents its query allows) is not verified across the archive
    only to be found unsuspect."""
    if not 2 <= len(typed) <= MAX_WORD_CHARS:
        return None
    found = corrections(searcher, typed)
    if not found or max(c[1] for c in found) < SUGGEST_RATIO * searcher.verified_so_far(
            typed, field):
        return None
    own_count = int(searcher.exact(typed, field).size)
    for _cost, estimated, word in found:
        if estimated < SUGGEST_RATIO * own_count or estimated == 0:
            continue
        count = int(searcher.exact(word).size)
        if count and count >= SUGGEST_RATIO * own_count:
            return word, count
    return None


def suggest(searcher, parsed: ParsedQuery, request, total: int) -> tuple[str, int] | None:
    """(suggested query, its count) or None.  `total`: the query's own count."""
    words = parsed.words()
    if not words or len(words) > SUGGEST_MAX_WORDS:
        return None
    query = request.q
    changed = False
    for word in words:
        # Typos are of text: a 文号, a quoted phrase or a non-text field
        # (引用:, which names a linked bulletin) is taken as typed.
        if word.quoted or word.doc_no or (word.field and word.field not in GRAM_FIELDS):
            continue
        typed = " ".join(fold(word.text).split())
        better = correct_word(searcher, typed, word.field)
        if better and word.text in query:
            query = query.replace(word.text, better[0], 1)
            changed = True
    candidates = [query] if changed else []
    if not total and len(words) > 1:           # no results: try without one word
        candidates += [" ".join(f'"{w.text}"' if w.quoted else w.text
                                for i, w in enumerate(words) if i != skip)
                       for skip in range(len(words))][:MAX_DROP_TRIES]
    for candidate in dict.fromkeys(candidates):
        if candidate == request.q:
            continue
        count = searcher.count(candidate, request)
        if count > total:
            return candidate, count
    return None
