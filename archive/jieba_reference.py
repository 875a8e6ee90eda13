"""jieba's own frequencies of the words our dictionaries add.

rjieba (jieba-rs) and jieba keep a total of all word frequencies, and they
differ when a dictionary re-adds a word jieba already has: jieba keeps the
old frequency in its total, jieba-rs subtracts it.  The segmenter puts the
difference back (`archive.analysis.Segmenter`), which needs jieba's
frequency of each of our words: a scan of jieba's 349,046-line dict.txt,
0.3 s of CPU in every process that segments (a sync of 100 bulletins spent
a tenth of its time there).

The domain dictionary's words are looked up once, at development time, into
``data/jieba_freq.txt`` (regenerate it with
``python -c 'import archive.analysis as a; a.write_frequency_table()'`` when
``data/dict.txt`` changes; a test says so); the scan remains for words the
table lacks (a user dictionary's) or for another jieba dict.txt than the
one the table was made from.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

TABLE = Path(__file__).with_name("data") / "jieba_freq.txt"
_SIZE_LINE = "# jieba dict.txt bytes: "


def jieba_dictionary() -> Path | None:
    """jieba's dict.txt, found without importing jieba (0.3 s: pkg_resources)."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).with_name("dict.txt")
    return path if path.exists() else None


def scan(path: Path, wanted: set[str]) -> dict[str, int]:
    """jieba's frequency of each of `wanted` that its dict.txt holds."""
    found: dict[str, int] = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            word, _, rest = line.partition(" ")
            if word in wanted:
                found[word] = int(rest.split(" ", 1)[0])
    return found


def _table(dictionary: Path) -> dict[str, int] | None:
    """The precomputed frequencies (0: jieba lacks the word), None when the
    table was made from another dict.txt or is missing."""
    try:
        lines = TABLE.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    if not lines or lines[0] != f"{_SIZE_LINE}{dictionary.stat().st_size}":
        return None
    out = {}
    for line in lines[1:]:
        if line and not line.startswith("#"):
            word, freq = line.rsplit(" ", 1)
            out[word] = int(freq)
    return out


def frequencies(wanted: set[str]) -> dict[str, int]:
    """jieba's frequency of each of `wanted` it holds ({} without jieba)."""
    dictionary = jieba_dictionary()
    if dictionary is None:
        return {}
    table = _table(dictionary)
    if table is not None and wanted <= table.keys():
        return {word: table[word] for word in wanted if table[word]}
    return scan(dictionary, wanted)


def replaced_frequency(words: list[tuple[str, int]]) -> int:
    """Sum of the frequencies `words` overwrite, in load order: those of
    jieba's main dictionary, then those of words added earlier in the list."""
    current = frequencies({word for word, _ in words})
    replaced = 0
    for word, freq in words:
        replaced += current.get(word, 0)
        current[word] = freq
    return replaced


def write_table(words: list[str]) -> None:
    """Write TABLE for `words` from the installed jieba's dict.txt."""
    dictionary = jieba_dictionary()
    if dictionary is None:
        raise SystemExit("jieba is not installed: its dict.txt is the reference")
    found = scan(dictionary, set(words))
    body = "".join(f"{word} {found.get(word, 0)}\n" for word in sorted(set(words)))
    TABLE.write_text(f"{_SIZE_LINE}{dictionary.stat().st_size}\n"
                     "# word, then jieba's frequency of it (0: not in jieba's dictionary)\n"
                     + body, encoding="utf-8")

