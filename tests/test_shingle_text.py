"""`reprints.shingle_text` filters long bodies with a code-point table: the
text must be what the regular expression `[\\W_]+` removal gives."""
import itertools

import pytest

from archive import reprints
from archive.forms import folded_fields
from archive.sources import iter_stream_records



def _by_pattern(text: str) -> str:
    return reprints._NON_TEXT.sub("", text)


def test_every_code_point():
    """Each character, surrogates included, in one long text and alone."""
    every = "".join(map(chr, range(0x110000)))
    assert reprints.shingle_text(every) == _by_pattern(every)


@pytest.mark.parametrize("text", [
    "a_b c-d" * 40, "政府信息公开，第二条。" * 30, "x\u0301y\u0308z ²³ Ⅻ ١٢٣ 𠀀😀_" * 20,
    "短文本_ab", "", None])
def test_short_and_mixed_texts(text):
    assert reprints.shingle_text(text) == _by_pattern(text or "")


def test_corpus_bodies(corpus_dir):
    path = sorted((corpus_dir / "dev" / "jsonl").glob("*.jsonl*"))[0]
    with open(path, "rb") as handle:
        records = [r for _, r, _ in itertools.islice(iter_stream_records(path, handle), 1500)
                   if r is not None]
    long_ones = 0
    for record in records:
        body = folded_fields(record.to_dict())["body"]
        assert reprints.shingle_text(body) == _by_pattern(body)
        long_ones += len(body) >= reprints.ARRAY_FROM
    assert long_ones > 500
