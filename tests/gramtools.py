"""Shared by the gram index tests: documents written as segments."""
from __future__ import annotations

from archive import grams


def write_segments(directory, documents: dict[int, dict[str, str]], per_segment: int) -> None:
    """Write `documents` (key -> folded fields) into `directory`, a segment
    every `per_segment` documents."""
    builder = grams.SegmentBuilder()
    for key, fields in documents.items():
        builder.add(key, fields)
        if len(builder) == per_segment:
            grams.add_segment(directory, builder)
            builder = grams.SegmentBuilder()
    grams.add_segment(directory, builder)
