"""Text analysis: character folding, jieba segmentation, and the Whoosh analyzer.

Two things happen to text before it is searched:

* **Folding** (`fold`): NFKC, case-folding and traditional -> simplified, one
  character at a time.  Search is defined over folded text: a query word
  matches a bulletin when the folded bulletin contains the folded word.
* **Segmentation** (`Segmenter`): jieba's dictionary segmentation with the
  HMM off, on folded text, with the package's domain dictionary and the data
  home's user dictionary.  Words feed BM25F ranking and "split word" matches;
  completeness never depends on them (see `archive.grams`).

We segment with rjieba (jieba-rs), whose output with the HMM off is identical
to jieba's (``tests/test_analysis.py`` checks it on real text) and ~10x faster.
`JiebaTokenizer` is the same pipeline as a Whoosh tokenizer, with ordinal
positions and character offsets into the *original* text for highlighting.
"""
from __future__ import annotations

import os
import re
import threading
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from whoosh.analysis import Token, Tokenizer

from . import jieba_reference
from .jieba_reference import replaced_frequency

DATA_DIR = Path(__file__).with_name("data")
DOMAIN_DICT = DATA_DIR / "dict.txt"
DEFAULT_WORD_FREQ = 20000            # for user-dictionary lines without a frequency


# ---------------------------------------------------------------- folding ---

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


def fold_with_offsets(text: str) -> tuple[str, Sequence[int]]:
    """`fold(text)` plus, for each folded character, its offset in `text`.

    The list has one extra entry, len(text).  A folded span [i, j) maps back
    to the original span [offsets[i], offsets[j - 1] + 1) (one original
    character may fold to several: ﬁ -> fi).
    """
    from .fold_lookup import fold_one_to_one

    table = _fold_table()
    if len(text) >= ARRAY_FOLD_FROM:
        folded = fold_one_to_one(text, table)
        if folded is not None:
            return folded, range(len(text) + 1)
    folded = text.translate(table)
    if len(folded) == len(text):
        # The usual case (no ligatures, no ㈱): no character folds to none
        # (NFKC never empties one), so equal lengths mean one folded character
        # per original and offsets are the identity, as a range (not a list:
        # snippets of a 10-hit page spent 40% of their time building them).
        return folded, range(len(text) + 1)
    # Some character folds to several ("……" -> "......" is common): each
    # original offset repeated by its character's folded length, in numpy
    # (the per-character loop took 1 ms per snippet).
    import numpy as np

    lengths = np.frombuffer(text.translate(table.lengths).encode("latin-1"), dtype=np.uint8)
    offsets = np.repeat(np.arange(len(text)), lengths).tolist()
    offsets.append(len(text))
    return folded, offsets


def is_word_char(ch: str) -> bool:
    """Letters, digits and ideographs make words; punctuation and space don't."""
    return unicodedata.category(ch)[0] in "LNM" or ch == "_"


@lru_cache(maxsize=65536)
def is_word(token: str) -> bool:
    return any(is_word_char(c) for c in token)


# ----------------------------------------------------------- segmentation ---

def read_dictionary(path: Path) -> list[tuple[str, int]]:
    """(word, frequency) pairs from a jieba-format dictionary file.

    Lines are ``word [freq] [tag]``; `#` starts a comment. Words are folded so
    that they match folded text.
    """
    entries = []
    if not path.exists():
        return entries
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        freq = DEFAULT_WORD_FREQ
        if len(parts) > 1 and parts[1].isdigit():
            freq = int(parts[1])
        entries.append((fold(parts[0]), freq))
    return entries


_TOTAL_PAD_WORD = "\U0010fffd\U0010fffd"      # noncharacters: in no real text


def write_frequency_table() -> None:
    """Rewrite jieba's frequencies of the domain dictionary's words
    (`archive.jieba_reference`): run after editing data/dict.txt."""
    jieba_reference.write_table([word for word, _ in read_dictionary(DOMAIN_DICT)])


class Segmenter:
    """jieba segmentation (HMM off) with the domain and user dictionaries."""

    def __init__(self, user_dict: Path | None = None):
        self.dictionaries = [DOMAIN_DICT] + ([user_dict] if user_dict else [])
        self._jieba = None
        self._lock = threading.Lock()

    @property
    def words(self) -> list[tuple[str, int]]:
        return [entry for path in self.dictionaries for entry in read_dictionary(path)]

    def _load(self):
        with self._lock:
            if self._jieba is None:
                import rjieba

                engine = rjieba.Jieba()
                words = self.words
                for word, freq in words:
                    engine.add_word(word, freq, None)
                # jieba's add_word adds the new frequency to its total and
                # keeps the old one in it; jieba-rs subtracts the old one.
                # Put the difference back (as a word no text contains), or
                # the two segment differently (应接尽接: 应接/尽/接 vs 应/接/尽/接).
                replaced = replaced_frequency(words)
                if replaced:
                    engine.add_word(_TOTAL_PAD_WORD, replaced, None)
                self._jieba = engine
        return self._jieba

    def cut(self, folded_text: str) -> list[str]:
        """Words of already-folded text, punctuation and spaces included."""
        engine = self._jieba or self._load()
        return engine.cut(folded_text, False)

    def words_of(self, folded_text: str) -> list[str]:
        """Searchable words only: no punctuation, no whitespace."""
        return [w for w in self.cut(folded_text) if is_word(w)]

    def __reduce__(self):
        # Whoosh pickles the schema (and so this) into its TOC and into
        # MpWriter's workers: pickle the dictionary paths, share the engine.
        return _shared_segmenter, (tuple(str(p) for p in self.dictionaries[1:]),)

    def signature(self) -> str:
        """Changes when a dictionary changes, so the index knows it is stale."""
        import hashlib

        digest = hashlib.sha256()
        for path in self.dictionaries:
            if path.exists():
                digest.update(path.read_bytes())
        return digest.hexdigest()[:16]


_SEGMENTERS: dict[tuple, Segmenter] = {}


def _dictionary_stamp(paths: list[Path]) -> tuple:
    """Cheap change detector for dictionary files (size and mtime)."""
    stamp = []
    for path in paths:
        try:
            st = os.stat(path)
            stamp.append((str(path), st.st_size, st.st_mtime_ns))
        except OSError:
            stamp.append((str(path), None, None))
    return tuple(stamp)


def _shared_segmenter(user_dicts: tuple[str, ...]) -> Segmenter:
    # A dictionary edited since the segmenter was made (the user dictionary
    # then `archive reindex --full`) gets a fresh segmenter, so a long-lived
    # process (the web server, a test session) segments as the new index does.
    cached = _SEGMENTERS.get(user_dicts)
    paths = [DOMAIN_DICT] + [Path(p) for p in user_dicts]
    stamp = _dictionary_stamp(paths)
    if cached is None or getattr(cached, "_stamp", None) != stamp:
        cached = Segmenter(Path(user_dicts[0]) if user_dicts else None)
        cached._stamp = stamp
        _SEGMENTERS[user_dicts] = cached
    return cached


def segmenter_for(home: Path | None) -> Segmenter:
    """One shared segmenter per data home (dictionary loading is not free)."""
    if not home:
        return _shared_segmenter(())
    from .config import load

    return _shared_segmenter((str(load(Path(home)).dictionary),))



# ---------------------------------------------------------- Whoosh pipe ---

class JiebaTokenizer(Tokenizer):
    """Whoosh tokenizer: fold, segment with jieba, emit word tokens.

    Positions are ordinal (0, 1, 2, ... over emitted words), so Whoosh phrase
    queries work; `startchar`/`endchar` are offsets into the original,
    unfolded text, so highlights land on what the reader sees.
    """

    def __init__(self, segmenter: Segmenter | None = None):
        self.segmenter = segmenter or segmenter_for(None)

    def __eq__(self, other):
        return isinstance(other, JiebaTokenizer) and other.segmenter is self.segmenter

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = fold(value)
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        folded, offsets = fold_with_offsets(value)
        pos, cursor = start_pos, 0
        for word in self.segmenter.cut(folded):
            start, cursor = cursor, cursor + len(word)
            if not is_word(word):
                continue
            token.text = word
            token.boost = 1.0
            token.stopped = False
            # The original span: from the character holding the word's first
            # folded character to the one holding its last (ﬁ folds to fi).
            end = offsets[cursor - 1] + 1
            if keeporiginal:
                token.original = value[offsets[start]:end]
            if positions:
                token.pos = pos
            if chars:
                token.startchar = start_char + offsets[start]
                token.endchar = start_char + end
            pos += 1
            yield token


# --------------------------------------------------------------- synonyms ---

SYNONYMS = DATA_DIR / "synonyms.txt"


def read_synonyms(paths: list[Path]) -> dict[str, set[str]]:
    """Folded term -> its equivalents, from ``a = b = c`` lines (``#`` comments).

    Groups that share a term are merged, so the relation is an equivalence.
    """
    groups: list[set[str]] = []
    for path in paths:
        if not path or not Path(path).exists():
            continue
        for line in Path(path).read_text(encoding="utf-8-sig").splitlines():
            line = line.split("#", 1)[0]
            terms = {fold(t.strip()) for t in line.split("=") if t.strip()}
            if len(terms) > 1:
                groups.append(terms)
    merged: dict[str, set[str]] = {}
    for group in groups:
        union = set(group)
        for term in group:
            union |= merged.get(term, set())
        for term in union:
            merged[term] = union
    return {term: group - {term} for term, group in merged.items()}


# ------------------------------------------------- query-time segmentation ---

# jieba's blocks: runs of Han characters, ASCII letters, digits and + # & . _ % -
_HAN_BLOCK = re.compile(
    "([\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\U00020000-\U0002A6DF\U0002A700-\U0002B73F"
    "\U0002B740-\U0002B81F\U0002B820-\U0002CEAF\U0002CEB0-\U0002EBEF\U0002F800-\U0002FA1F"
    "a-zA-Z0-9+#&._%\\-]+)")
_SKIP = re.compile(r"(\r\n|\s)")


def select_in(db, query: str, values: list, chunk: int = 500) -> list[tuple]:
    """The rows of `query`, whose one `IN ({})` takes `values`, asked a chunk
    at a time (SQLite bounds the parameters of one statement)."""
    rows = []
    for start in range(0, len(values), chunk):
        part = values[start:start + chunk]
        rows += db.execute(query.format(",".join("?" * len(part))), part)
    return rows


_UNREAD = object()


class WordTable:
    """jieba's dictionary as an SQLite table, for segmenting queries.

    A query needs the frequencies of the few strings inside its words, not
    the 350,000-word dictionary: looking them up in a table built at index
    time (``words.sqlite`` in each index generation) takes a millisecond,
    where loading jieba costs ~0.5 s per process — the difference between a
    CLI search that feels instant and one that doesn't.  `cut` is jieba's
    algorithm with the HMM off (DAG of dictionary words, maximum-probability
    route, runs of single ASCII letters/digits joined), as rjieba implements
    it; ``tests/test_analysis.py`` checks the two agree word for word.
    """

    def __init__(self, path: Path):
        import sqlite3

        self.path = Path(path)
        self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True,
                                   check_same_thread=False)
        meta = dict(self._db.execute("SELECT key, value FROM meta"))
        self.total = int(meta["total"])
        self.longest = int(meta["longest"])
        self._lock = threading.Lock()
        self._kept: dict[str, int | None] = {}      # see _frequencies

    KEPT_ROWS = 200_000        # ~25 MB at most

    _built: dict[str, Path] = {}      # dictionary signature -> a table built by this process

    @classmethod
    def build(cls, path: Path, segmenter: Segmenter) -> Path:
        """Write the table for `segmenter`'s dictionaries (jieba's + ours).

        Tables are identical for identical dictionaries, so a process that
        builds several (tests, repeated rebuilds) copies the first one.
        """
        import shutil

        import jieba

        jieba_dict = Path(jieba.__file__).with_name("dict.txt")
        key = segmenter.signature() + str(jieba_dict.stat().st_mtime_ns)
        tmp = Path(str(path) + ".tmp")
        tmp.unlink(missing_ok=True)
        source = cls._built.get(key)
        if source is not None and source.exists():
            shutil.copyfile(source, tmp)
        else:
            cls._write(tmp, jieba_dict, segmenter.words)
        os.replace(tmp, path)
        cls._built[key] = Path(path)
        return Path(path)

    @staticmethod
    def _write(target: Path, jieba_dict: Path, added: list[tuple[str, int]]) -> None:
        import sqlite3

        freqs: dict[str, int] = {}
        with open(jieba_dict, encoding="utf-8") as handle:
            for line in handle:
                parts = line.split()
                if parts:
                    freqs[parts[0]] = int(parts[1]) if len(parts) > 1 else 0
        total = sum(freqs.values())
        for word, freq in added:
            # python jieba's add_word: the new frequency replaces the old one
            # but the total keeps both (Segmenter pads rjieba to match).
            total += freq
            freqs[word] = freq
        db = sqlite3.connect(target)
        db.execute("PRAGMA journal_mode=OFF")      # a scratch file until renamed
        db.execute("PRAGMA synchronous=OFF")
        db.execute("CREATE TABLE words (word TEXT PRIMARY KEY, freq INTEGER) WITHOUT ROWID")
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        db.executemany("INSERT INTO words VALUES (?, ?)", sorted(freqs.items()))
        db.executemany("INSERT INTO meta VALUES (?, ?)",
                       [("total", str(total)), ("longest", str(max(map(len, freqs))))])
        db.commit()
        db.close()

    def _frequencies(self, block: str) -> dict[str, int]:
        """The dictionary's frequency of every string inside `block` that is
        a word.  Rows read are kept (absent words too), up to KEPT_ROWS: the
        table never changes, and a server's queries share most of their
        substrings (the bench mix: 0.3 ms of a search's CPU, half of it in
        SQLite, for 4 words)."""
        pieces = {block[i:j] for i in range(len(block))
                  for j in range(i + 1, min(len(block), i + self.longest) + 1)}
        found: dict[str, int] = {}
        unknown = []
        for piece in pieces:
            freq = self._kept.get(piece, _UNREAD)     # one read: another thread may clear
            if freq is _UNREAD:
                unknown.append(piece)
            elif freq is not None:
                found[piece] = freq
        if unknown:
            read: dict[str, int | None] = dict.fromkeys(unknown)
            with self._lock:
                read.update(select_in(self._db, "SELECT word, freq FROM words WHERE word IN ({})",
                                      unknown, 900))
                if len(self._kept) + len(read) > self.KEPT_ROWS:
                    self._kept.clear()
                self._kept.update(read)
            found.update((p, f) for p, f in read.items() if f is not None)
        return found

    def _cut_block(self, block: str) -> list[str]:
        import math

        freqs = self._frequencies(block)
        n = len(block)
        logtotal = math.log(self.total)
        route = [(0.0, 0)] * (n + 1)
        for start in range(n - 1, -1, -1):
            best = None
            for end in range(start + 1, min(n, start + self.longest) + 1):
                freq = freqs.get(block[start:end])
                if freq is None:
                    continue
                score = (math.log(freq) if freq > 0 else -math.inf) - logtotal + route[end][0]
                if best is None or (score, end) > best:
                    best = (score, end)
            route[start] = best if best is not None else (-logtotal + route[start + 1][0],
                                                          start + 1)
        words, ascii_run, x = [], "", 0
        while x < n:
            y = route[x][1]
            word = block[x:y]
            if len(word) == 1 and word.isascii() and word.isalnum():
                ascii_run += word
            else:
                if ascii_run:
                    words.append(ascii_run)
                    ascii_run = ""
                words.append(word)
            x = y
        if ascii_run:
            words.append(ascii_run)
        return words

    def cut(self, folded_text: str) -> list[str]:
        words: list[str] = []
        for block in _HAN_BLOCK.split(folded_text):
            if not block:
                continue
            if _HAN_BLOCK.fullmatch(block):
                words.extend(self._cut_block(block))
                continue
            for piece in _SKIP.split(block):
                if piece:
                    words.extend([piece] if _SKIP.fullmatch(piece) else list(piece))
        return words

    def words_of(self, folded_text: str) -> list[str]:
        return [w for w in self.cut(folded_text) if is_word(w)]

    def neighbors(self, word: str, limit: int = 5) -> list[str]:
        """Dictionary words one edit from `word` (a character replaced after
        the first, or one character dropped), most frequent first."""
        if len(word) < 2:
            return []
        found: dict[str, int] = {}
        with self._lock:
            for i in range(1, len(word)):
                prefix = word[:i]
                for candidate, freq in self._db.execute(
                        "SELECT word, freq FROM words WHERE word >= ? AND word < ?"
                        " AND length(word) = ? AND freq > 0", (prefix, prefix + "\U0010ffff",
                                                               len(word))):
                    if sum(a != b for a, b in zip(candidate, word)) == 1:
                        found[candidate] = freq
            shorter = [word[:i] + word[i + 1:] for i in range(len(word))]
            marks = ",".join("?" * len(shorter))
            found.update(self._db.execute(
                f"SELECT word, freq FROM words WHERE word IN ({marks}) AND freq > 0", shorter))
        found.pop(word, None)
        return sorted(found, key=lambda w: -found[w])[:limit]
