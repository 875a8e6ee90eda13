"""The corpus vocabulary of one index generation, for "did you mean".

A suggestion must be a word people actually find in *this* archive: a
dictionary word the bulletins use, a frequent phrase (营商环境, 人大常委会),
a name or a local term that no dictionary has (jieba, with the HMM off, cuts
an unknown name into single characters: a run of them is the name).  The
vocabulary is collected once, when a generation is built
(`archive.index.rebuild`), from the folded titles and the first
BODY_PREFIX characters of every body (what a bulletin is about is said
there), as the build's workers segment them for Whoosh (no second
segmentation: that pass over the archive took 5 s of 20 in the reading
process at 10k bulletins, after the workers had finished), and kept
in ``vocab.sqlite`` next to the generation's other files:

* ``words(id, word, freq)``: each word or phrase with the number of sampled
  documents that use it (a ranking hint; real counts come from the
  substring index at query time);
* ``readings(char, pinyin)``: every character's toneless readings from
  pypinyin, copied here because importing pypinyin's table costs ~2 s, far
  more than a cold `archive search` may;
* ``shapes(char, code)``: every character's four-corner code (look-alikes,
  `archive.shapes`), copied for the same reason (~0.1 s to load the
  package's table; a generation built before this table loads it);
* ``word_keys(key, id)`` (``keys(key, word)`` in a generation built
  before: the words repeated took 19 of its 22.5 MB at 53k bulletins, by
  number 4.5 MB less with the words' own index counted): lookup keys for
  near spellings — every string made by
  deleting one character of the word (so a word one substitution, insertion,
  deletion or transposition away from a query shares a key with one of the
  query's own deletions; two for words of four characters or more), and its
  toneless pinyin (same-sound typos of any
  number of characters).  Looking a query up costs a few indexed reads.

A generation updated incrementally keeps the vocabulary of its last full
build: new words still count (the counts are live), they are only not
proposed until the next `archive reindex --full`.
"""
from __future__ import annotations

import os
import re
import sqlite3
import threading
import unicodedata
from bisect import bisect_left
from collections import Counter
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING

from . import shapes
from .analysis import is_word, select_in

if TYPE_CHECKING:
    from .spilled_counts import SpilledCounts

BODY_PREFIX = 400          # body characters sampled per document
MIN_WORD_DOCS = 2          # a word seen in fewer sampled documents is left out
MIN_PHRASE_DOCS = 3        # two adjacent words seen together in this many titles
MAX_WORD_CHARS = 12
FILE_NAME = "vocab.sqlite"


def _pinyin_dict() -> dict:
    """pypinyin's character table (code point -> readings), read from its
    JSON file: importing the package loads its phrase dictionaries too, ~60
    MiB kept by the build's process from its tail on (tracemalloc, 200k
    bulletins), where the table alone is a few MB, freed after use."""
    import importlib.util
    import json

    spec = importlib.util.find_spec("pypinyin")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "pinyin_dict.json"
        if path.exists():
            return {int(code): raw for code, raw in
                    json.loads(path.read_text(encoding="utf-8")).items()}
    from pypinyin.pinyin_dict import pinyin_dict     # another layout of the package

    return pinyin_dict


def all_readings() -> dict[str, str]:
    """Every character's toneless pinyin readings, comma-separated (pypinyin)."""
    table = {}
    for code, raw in _pinyin_dict().items():
        out: list[str] = []
        for reading in raw.split(","):
            plain = "".join(c for c in unicodedata.normalize("NFD", reading)
                            if not unicodedata.combining(c))
            if plain not in out:
                out.append(plain)
        table[chr(code)] = ",".join(out)
    return table


def sound_key(word: str, table: dict[str, str]) -> str:
    """The word's sound under each character's first reading."""
    return "~" + " ".join(table.get(c, c).split(",")[0] for c in word)


def sound_keys(word: str, readings, limit: int = 32) -> list[str]:
    """Sound keys under every combination of readings (a typist picks a
    character by one of its readings), at most `limit` of them."""
    keys = [""]
    for char in word:
        keys = [f"{k} {r}" if k else r for k in keys for r in readings(char)][:limit]
    return ["~" + k for k in keys]


def deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def lookup_keys(word: str) -> set[str]:
    """A vocabulary word's spelling keys: its one-character deletions, and
    for words of four characters or more its two-character deletions too (two
    substitutions in a query of the same length meet it there)."""
    keys = deletions(word)
    if len(word) >= 4:
        keys |= {d2 for d in keys for d2 in deletions(d)}
    return keys


class _UsableWords(dict):
    """word -> whether it can be a vocabulary entry, computed on a miss.

    The build asks for every word of every title and body prefix (9% of a
    worker's time uncached, profiled at 10k bulletins).  A plain dict's
    lookup (misses call `__missing__`) costs a third of an `lru_cache`
    hit's, which keeps a recency list: 0.3 -> 0.2 s CPU per 3,000
    bulletins' entries.  Emptied past `LIMIT` words: 65,536, not 262,144
    (full, the larger cache and the words it kept alive were ~40 MiB in each
    index worker, tracemalloc; with both workers and the reading process
    that is the build's peak at 200k bulletins)."""

    LIMIT = 1 << 16

    def __missing__(self, word: str) -> bool:
        if len(self) >= self.LIMIT:
            self.clear()
        usable = self[word] = 2 <= len(word) <= MAX_WORD_CHARS and all(map(is_word, word))
        return usable


_usable = _UsableWords().__getitem__


def _han(word: str) -> bool:
    return len(word) == 1 and "\u4e00" <= word <= "\u9fff"


def _body_prefix(words: list[str]) -> list[str]:
    """The body's first words, up to BODY_PREFIX characters (the word that
    crosses the limit included).  Every word has a character: the first
    BODY_PREFIX words are enough."""
    words = words[:BODY_PREFIX]
    ends = list(accumulate(map(len, words)))
    return words[:bisect_left(ends, BODY_PREFIX) + 1]


def document_entries(title_words: list[str], body_words: list[str]) -> set[str]:
    """The words, title phrases (marked by a leading NUL: their own
    threshold) and single-character runs (names, local terms) one bulletin
    contributes, from its folded title's and body's words as segmented for
    Whoosh (each text is cut once, in the build's workers)."""
    seen: set[str] = set()
    for words in (title_words, _body_prefix(body_words)):
        seen.update(filter(_usable, set(words)))
        seen.update(_han_runs(words))
    for word, after in zip(title_words, title_words[1:]):
        if len(word) + len(after) <= 8 and _usable(word) and _usable(after):
            seen.add("\u0000" + word + after)      # phrase: own threshold
    return seen


# A maximal run of one-character Han words, between word separators.
_RUN = re.compile("\x00((?:[\u4e00-\u9fff]\x00)+)")


def _han_runs(words: list[str]) -> list[str]:
    """Runs of 2-4 consecutive one-character Han words, joined: found by one
    regular expression over the words joined by NULs (a loop per word was
    a tenth of a build worker's time, 10k bulletins)."""
    joined = "\x00" + "\x00".join(words) + "\x00"
    if joined.count("\x00") != len(words) + 1:      # a word holds a NUL itself
        return _han_runs_slowly(words)
    return [run.replace("\x00", "") for run in _RUN.findall(joined) if 4 <= len(run) <= 8]


def _han_runs_slowly(words: list[str]) -> list[str]:
    runs, run = [], []
    for word in words + [" "]:
        if _han(word):
            run.append(word)
            continue
        if 2 <= len(run) <= 4:
            runs.append("".join(run))
        run = []
    return runs


def build(target: Path, counts: Counter | SpilledCounts) -> Path:
    """Write the vocabulary to `target` (atomically); `counts`: the number
    of documents each of their `document_entries` came from (a full
    build's are spilled to disk past a bound: `archive.spilled_counts`)."""
    words: dict[str, int] = {}
    for word, n in counts.items():
        if word.startswith("\u0000"):
            if n >= MIN_PHRASE_DOCS:
                words[word[1:]] = max(words.get(word[1:], 0), n)
        elif n >= MIN_WORD_DOCS:
            words[word] = max(words.get(word, 0), n)
    tmp = Path(str(target) + ".tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("CREATE TABLE words (id INTEGER PRIMARY KEY, word TEXT NOT NULL UNIQUE,"
               " freq INTEGER)")
    db.execute("CREATE TABLE word_keys (key TEXT, id INTEGER, PRIMARY KEY (key, id))"
               " WITHOUT ROWID")
    db.execute("CREATE TABLE readings (char TEXT PRIMARY KEY, pinyin TEXT) WITHOUT ROWID")
    table = all_readings()
    db.executemany("INSERT INTO readings VALUES (?, ?)", sorted(table.items()))
    db.execute("CREATE TABLE shapes (char TEXT PRIMARY KEY, code TEXT) WITHOUT ROWID")
    db.executemany("INSERT INTO shapes VALUES (?, ?)", sorted(shapes.all_codes().items()))
    ordered = sorted(words)
    db.executemany("INSERT INTO words VALUES (?, ?, ?)",
                   ((number, word, words[word]) for number, word in enumerate(ordered)))
    db.executemany("INSERT OR IGNORE INTO word_keys VALUES (?, ?)",
                   ((key, number) for number, word in enumerate(ordered)
                    for key in sorted(lookup_keys(word) | {sound_key(word, table)})))
    db.commit()
    db.close()
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    return Path(target)


class Vocabulary:
    """A generation's vocab.sqlite, read-only, shared by threads."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True,
                                   check_same_thread=False)
        self._lock = threading.Lock()
        self._readings: dict[str, tuple[str, ...]] = {}
        self._shape_codes: dict[str, str | None] = {}
        tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master")}
        self._has_shapes = "shapes" in tables
        self._near_sql = ("SELECT w.word, w.freq FROM word_keys k JOIN words w ON w.id = k.id"
                          if "word_keys" in tables else      # a generation built before
                          "SELECT w.word, w.freq FROM keys k JOIN words w ON w.word = k.word"
                          ) + " WHERE k.key IN ({})"

    def readings(self, char: str) -> tuple[str, ...]:
        """Toneless pinyin readings of a character (itself when it has none)."""
        found = self._readings.get(char)
        if found is None:
            with self._lock:
                row = self._db.execute("SELECT pinyin FROM readings WHERE char = ?",
                                       (char,)).fetchone()
            found = tuple(row[0].split(",")) if row else (char,)
            if len(self._readings) < 100_000:
                self._readings[char] = found
        return found

    def shape_code(self, char: str) -> str | None:
        """Four-corner code of a character (None when unknown), from this
        generation's table, or the package's for an older generation."""
        if not self._has_shapes:
            return shapes.code(char)
        if char not in self._shape_codes:
            with self._lock:
                row = self._db.execute("SELECT code FROM shapes WHERE char = ?",
                                       (char,)).fetchone()
            if len(self._shape_codes) < 100_000:
                self._shape_codes[char] = row[0] if row else None
            return row[0] if row else None
        return self._shape_codes[char]

    def prefetch(self, chars) -> None:
        """Read the readings and shape codes of `chars` in one query each:
        costing a word's ~250 neighbours asked for ~470 of them one row at
        a time, 19 of a fresh `archive search 台风`'s ~75 ms of suggestion
        (cProfile, load ~7); remembered as `readings` and `shape_code` do."""
        wanted = sorted(set(chars) - self._readings.keys())
        if not wanted or len(self._readings) + len(wanted) > 100_000:
            return
        with self._lock:
            found = dict(select_in(self._db, "SELECT char, pinyin FROM readings"
                                   " WHERE char IN ({})", wanted))
            if self._has_shapes:
                codes = dict(select_in(self._db, "SELECT char, code FROM shapes"
                                       " WHERE char IN ({})", wanted))
                self._shape_codes.update((c, codes.get(c)) for c in wanted)
        self._readings.update((c, tuple(found[c].split(",")) if c in found else (c,))
                              for c in wanted)

    def near(self, word: str) -> dict[str, int]:
        """Vocabulary words sharing a lookup key with `word` -> sampled frequency:
        its own deletions (and, for longer words, deletions of those), the
        word itself (one character extra in the query), its sound keys."""
        keys = {word} | deletions(word)
        if len(word) >= 4:
            keys |= {d2 for d in deletions(word) for d2 in deletions(d)}
        keys |= set(sound_keys(word, self.readings))
        keys = sorted(keys)
        with self._lock:
            found: dict[str, int] = dict(select_in(self._db, self._near_sql, keys))
            found.update(self._db.execute(
                "SELECT word, freq FROM words WHERE word IN "
                f"({','.join('?' * len(deletions(word)))})", sorted(deletions(word))))
        found.pop(word, None)
        return found

    def frequency(self, word: str) -> int:
        with self._lock:
            row = self._db.execute("SELECT freq FROM words WHERE word = ?", (word,)).fetchone()
        return row[0] if row else 0
