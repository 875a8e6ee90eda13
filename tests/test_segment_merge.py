"""The sync's merge policy: small segments of one tier, ten at a time."""
from __future__ import annotations

from whoosh import fields, index

from archive.segment_merge import LARGEST_MERGED, MERGE_FANIN, merge_by_tier, segments_to_merge


def test_nothing_merges_until_a_tier_is_full():
    assert segments_to_merge([20000, 20000, 100, 100, 100]) == []
    assert segments_to_merge([100] * (MERGE_FANIN - 1) + [5] * (MERGE_FANIN - 1)) == []


def test_the_smallest_full_tier_merges_ten_segments():
    sizes = [20000] + [100] * MERGE_FANIN + [3] * (MERGE_FANIN + 2)
    chosen = segments_to_merge(sizes)
    assert len(chosen) == MERGE_FANIN and {sizes[i] for i in chosen} == {3}
    assert {sizes[i] for i in segments_to_merge([s for s in sizes if s != 3])} == {100}


def test_build_sized_segments_never_merge():
    assert segments_to_merge([LARGEST_MERGED] * (MERGE_FANIN + 5)) == []
    assert segments_to_merge([LARGEST_MERGED - 1] * MERGE_FANIN) != []


def test_a_whoosh_index_under_the_policy_keeps_every_document(tmp_path):
    ix = index.create_in(str(tmp_path), fields.Schema(id=fields.ID(stored=True, unique=True)))
    for n in range(2 * MERGE_FANIN + 1):             # one document a commit, as a small sync
        writer = ix.writer()
        writer.add_document(id=str(n))
        writer.commit(mergetype=merge_by_tier)
    with ix.reader() as reader:
        sizes = sorted(leaf.doc_count_all() for leaf, _ in reader.leaf_readers())
        ids = sorted(int(f["id"]) for f in reader.all_stored_fields())
    assert ids == list(range(2 * MERGE_FANIN + 1))
    # The eleventh commit found ten one-document segments and merged them
    # with its own document; the ten after it wait for their tier to fill.
    assert sizes == [1] * MERGE_FANIN + [MERGE_FANIN + 1]
