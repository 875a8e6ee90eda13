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
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

from whoosh.analysis import Token, Tokenizer

DATA_DIR = Path(__file__).with_name("data")
DOMAIN_DICT = DATA_DIR / "dict.txt"
DEFAULT_WORD_FREQ = 20000            # for user-dictionary lines without a frequency


# ---------------------------------------------------------------- folding ---

def _t2s_table() -> dict[str, str]:
    """Traditional -> simplified single characters, from OpenCC's table."""
    import opencc  # the package ships OpenCC's dictionaries as text files

    path = Path(opencc.__file__).with_name("dictionary") / "TSCharacters.txt"
    table = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2 and len(parts[0]) == 1 and len(parts[1]) == 1:
            table[parts[0]] = parts[1]
    return table


class _FoldTable(dict):
    """A lazily filled `str.translate` table: ord(char) -> folded string.

    Computing the fold of every code point up front costs ~1 s; filling the
    table on first sight of each character costs nothing noticeable.
    """

    def __init__(self):
        super().__init__()
        self.t2s = _t2s_table()

    def __missing__(self, code: int) -> str:
        folded = unicodedata.normalize("NFKC", chr(code)).casefold()
        folded = "".join(self.t2s.get(c, c) for c in folded)
        self[code] = folded
        return folded


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


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """`fold(text)` plus, for each folded character, its offset in `text`.

    The list has one extra entry, len(text), so a folded span [i, j) maps
    back to the original span [offsets[i], offsets[j]).
    """
    table = _fold_table()
    pieces, offsets = [], []
    for i, ch in enumerate(text):
        piece = table[ord(ch)]
        pieces.append(piece)
        offsets.extend([i] * len(piece))
    offsets.append(len(text))
    return "".join(pieces), offsets


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
                for word, freq in self.words:
                    engine.add_word(word, freq, None)
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


def _shared_segmenter(user_dicts: tuple[str, ...]) -> Segmenter:
    if user_dicts not in _SEGMENTERS:
        _SEGMENTERS[user_dicts] = Segmenter(Path(user_dicts[0]) if user_dicts else None)
    return _SEGMENTERS[user_dicts]


def segmenter_for(home: Path | None) -> Segmenter:
    """One shared segmenter per data home (dictionary loading is not free)."""
    if not home:
        return _shared_segmenter(())
    from .config import load

    return _shared_segmenter((str(load(Path(home)).dictionary),))


def configure_jieba_cache(home: Path) -> None:
    """Keep python-jieba's dictionary cache inside the data home, not /tmp."""
    os.makedirs(home, exist_ok=True)
    import jieba

    jieba.dt.tmp_dir = str(home)
    jieba.dt.cache_file = "jieba.cache"


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
            if keeporiginal:
                token.original = value[offsets[start]:offsets[cursor]]
            if positions:
                token.pos = pos
            if chars:
                token.startchar = start_char + offsets[start]
                token.endchar = start_char + offsets[cursor]
            pos += 1
            yield token


def ChineseAnalyzer(segmenter: Segmenter | None = None):
    """The analyzer for Whoosh text fields (a one-stage pipeline: folding
    happens inside the tokenizer, because jieba must see folded text)."""
    return JiebaTokenizer(segmenter)


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
