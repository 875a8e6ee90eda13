"""Which Whoosh segments a sync merges: small ones of one size, ten at a time.

Every sync writes its changed bulletins as a new segment.  Whoosh's default
policy (MERGE_SMALL) merges "every segment up to a point" chosen by a
Fibonacci rule that grows with the number of segments: on a 53k archive,
after a few dozen syncs of 100 bulletins, segments of the full build had
been merged into syncs (the index then held segments of 20,200, 6,200 and
6,600 bulletins: thousands rewritten for a change of 100); merging ten
100-bulletin segments alone cost 10.9 s CPU on the loaded 2-core machine.

Here segments are put in tiers by size (under 10, 100, 1,000 documents:
tier 0..2); when a tier holds MERGE_FANIN segments, those are merged into
one of the next tier — the smallest such tier, one per commit.  Most syncs
merge nothing; every tenth sync of 100 bulletins merges the last ten into
one (1,000 bulletins rewritten, the cost above, so the merged size is
capped).  Segments of LARGEST_MERGED documents or more — merged ones, the
full build's — are never merged by a sync: `archive reindex --full`
rebuilds them (deleted documents dropped), which an archive that received
thousands of small syncs should get now and then.
"""
from __future__ import annotations

MERGE_FANIN = 10
LARGEST_MERGED = 1_000           # segments this big or bigger stay as they are


def tier(size: int) -> int:
    return len(str(max(1, size))) - 1          # 0 below 10, 1 below 100, 2 below 1,000


def segments_to_merge(sizes: list[int], largest: int = LARGEST_MERGED) -> list[int]:
    """Positions of the segments to merge now (documents per segment given;
    segments of `largest` documents or more are left alone)."""
    tiers: dict[int, list[int]] = {}
    for at, size in enumerate(sizes):
        if size < largest:
            tiers.setdefault(tier(size), []).append(at)
    for level in sorted(tiers):
        if len(tiers[level]) >= MERGE_FANIN:
            return tiers[level][:MERGE_FANIN]
    return []


def merge_by_tier(writer, segments):
    """A Whoosh merge policy (`writer.commit(mergetype=merge_by_tier)`): the
    segments of `segments_to_merge` are added to the new segment; returns
    the segments kept as they are."""
    from whoosh.reading import SegmentReader

    chosen = set(segments_to_merge([seg.doc_count_all() for seg in segments]))
    for at in sorted(chosen):
        reader = SegmentReader(writer.storage, writer.schema, segments[at])
        writer.add_reader(reader)
        reader.close()
    return [seg for at, seg in enumerate(segments) if at not in chosen]
