"""How a gram segment stores its folded texts, and how to search them.

The texts are what verification reads (`archive.gram_segment`): documents
joined by DOC_SEP, fields by FIELD_SEP, with a table of where each field
starts.  Segments before this module stored them as UTF-8 (``NNNN.text``):
3 bytes a CJK character, the biggest file of the index (130.5 MB of the 53k
archive).  A segment now stores UTF-16-LE (``NNNN.text16``): 2 bytes a
character of the BMP, 4 an astral one, 29% less on the development corpus
(26.6 MB of UTF-8 → 19.0 MB for its first three segments).

UTF-16 bytes can match a needle at an odd offset, across two characters
(一 U+4E00 after ἀ U+1F00 holds the bytes of U+001F, the field separator).
Every character of a UTF-16 text starts at an even offset (each document
and field is a whole number of 2-byte units), so a match counts only there:
`find_aligned`, `search_aligned`.  Field offsets are byte offsets in the
file's own encoding; ``fields[d, i + 1] - unit`` ends field i.
"""
from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import BinaryIO

import numpy as np

FIELD_SEP = "\x1f"      # control characters no query contains (`grams.layout`)
DOC_SEP = "\x1e"
UTF8 = "utf-8"
UTF16 = "utf-16-le"
# Text file suffix -> encoding, the newest first (a segment has one of them).
TEXT_FILES = (("text16", UTF16), ("text", UTF8))
WRITTEN = TEXT_FILES[0]

# One character of the stored text (never a field or document separator),
# for byte regular expressions: UTF-8 is a lead byte and its continuation
# bytes; UTF-16-LE a surrogate pair or one other 2-byte unit.
_CHAR = {
    UTF8: rb"(?:[\x00-\x1d\x20-\x7f]|[\xc0-\xff][\x80-\xbf]*)",
    UTF16: rb"(?:[\x00-\xff][\xd8-\xdb][\x00-\xff][\xdc-\xdf]"
           rb"|[\x00-\x1d\x20-\xff]\x00|[\x00-\xff][\x01-\xd7\xdc-\xff])",
}


def unit_of(encoding: str) -> int:
    """Bytes of a separator (and the alignment of every character)."""
    return 2 if encoding == UTF16 else 1


def text_file(directory: Path, name: str) -> tuple[Path, str]:
    """(path, encoding) of segment `name`'s text."""
    for suffix, encoding in TEXT_FILES:
        path = directory / f"{name}.{suffix}"
        if path.exists():
            return path, encoding
    return directory / f"{name}.text", UTF8      # absent: read as empty by the caller


def write_texts(directory: Path, name: str, texts: list[str], n_fields: int) -> np.ndarray:
    """Write `texts` (each `n_fields` fields joined by FIELD_SEP) to the
    segment's text file in the WRITTEN encoding; returns the field table:
    [doc, i] the byte offset of field i, [doc, -1] the end of the document
    plus one separator."""
    suffix, encoding = WRITTEN
    with open(directory / f"{name}.{suffix}", "wb") as out:
        fields = _write_documents(out, texts, n_fields, encoding)
        out.flush()
        os.fsync(out.fileno())
    return fields


def _write_documents(out: BinaryIO, texts: list[str], n_fields: int,
                     encoding: str) -> np.ndarray:
    unit = unit_of(encoding)
    bounds: list[int] = []
    position = 0
    separators = [FIELD_SEP.encode(encoding)] * (n_fields - 1) + [DOC_SEP.encode(encoding)]
    for text in texts:
        # Fields encoded one by one: a UTF-16 field's length in bytes is not
        # twice its length in characters when it holds an astral character.
        parts = text.split(FIELD_SEP)
        if len(parts) != n_fields:
            raise ValueError(f"a document of {len(parts)} fields, expected {n_fields}")
        for part, separator in zip(parts, separators):
            bounds.append(position)
            blob = part.encode(encoding)
            out.write(blob)
            out.write(separator)
            position += len(blob) + unit
        bounds.append(position)
    # Offsets stay int32 while they can (a segment of 4,000 bulletins holds
    # ~10 MB): half the field table.
    dtype = np.int32 if position < 1 << 31 else np.int64
    table = np.asarray(bounds, dtype=dtype).reshape(len(texts), n_fields + 1) if texts else \
        np.zeros((0, n_fields + 1), dtype=dtype)
    return table


def reencoded(text: bytes, fields: np.ndarray, encoding: str) -> tuple[bytes, np.ndarray]:
    """A segment's stored `text` in `encoding` (its field table `fields`)
    laid out again in the WRITTEN encoding, with its new field table: for a
    tool that joins segments written before UTF-16 (their bytes cannot be
    copied next to UTF-16 ones)."""
    unit = unit_of(encoding)
    texts = [text[row[0]:row[-1] - unit].decode(encoding) for row in fields.tolist()]
    out = io.BytesIO()
    table = _write_documents(out, texts, fields.shape[1] - 1, WRITTEN[1])
    return out.getvalue(), table


def find_aligned(find, needle: bytes, start: int, end: int, unit: int) -> int:
    """`find(needle, start, end)` at a character boundary (-1: none)."""
    at = find(needle, start, end)
    while at != -1 and at % unit:
        at = find(needle, at + 1, end)
    return at


def pattern_of(parts: list[str], gap: int, encoding: str) -> re.Pattern:
    """Bytes regex: `parts` in order, at most `gap` characters apart, in
    the stored text's `encoding`."""
    between = rb"%s{0,%d}?" % (_CHAR[encoding], gap)
    return re.compile(between.join(re.escape(p.encode(encoding)) for p in parts))


def search_aligned(pattern: re.Pattern, text, start: int, end: int, unit: int):
    """`pattern.search(text, start, end)` at a character boundary."""
    found = pattern.search(text, start, end)
    while found is not None and found.start() % unit:
        found = pattern.search(text, found.start() + 1, end)
    return found


def as_utf8(values: list[bytes], encoding: str) -> list[bytes]:
    """Field values cut from a text in `encoding`, as UTF-8: joined by the
    separator (no value holds it), converted once, split (one conversion a
    value made a segment's title table 2.3x as slow to build)."""
    if encoding == UTF8 or not values:
        return values
    joined = FIELD_SEP.encode(encoding).join(values).decode(encoding).encode(UTF8)
    return joined.split(FIELD_SEP.encode(UTF8))
