"""Groups after a sync: only the changed bulletins' buckets are formed again
(`archive.reprints.group_with_edges`), and the result must be exactly what a
full computation over the same bulletins gives — the oracle here."""
from __future__ import annotations

import random

import numpy as np
import pytest

from archive import reprints

POOL = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府"


def _text(rng: random.Random, n: int = 240) -> str:
    return "".join(rng.choice(POOL) for _ in range(n))


def _edit(rng: random.Random, text: str, share: float) -> str:
    """`text` with about `share` of its characters replaced."""
    chars = list(text)
    for i in rng.sample(range(len(chars)), int(len(chars) * share)):
        chars[i] = rng.choice(POOL)
    return "".join(chars)


class Bulletins:
    """Bodies and statuses by doc id, with copies and near copies among them."""

    def __init__(self, rng: random.Random, count: int):
        self.rng = rng
        self.body: dict[int, str] = {}
        self.active: dict[int, bool] = {}
        for doc in range(1, count + 1):
            self.body[doc] = self.variant_of_some() if doc > 5 and rng.random() < 0.5 else _text(rng)
            self.active[doc] = True

    def variant_of_some(self) -> str:
        """A copy (a few characters changed) or a loose one (a third changed)."""
        base = self.body[self.rng.choice(sorted(self.body))]
        return _edit(self.rng, base, self.rng.choice([0.0, 0.02, 0.05, 0.33]))

    def change(self, count: int) -> list[int]:
        """Edit, withdraw, restore or add `count` bulletins; their ids."""
        changed = []
        for _ in range(count):
            kind = self.rng.random()
            if kind < 0.15:
                doc = max(self.body) + 1
                self.body[doc], self.active[doc] = self.variant_of_some(), True
            else:
                doc = self.rng.choice(sorted(self.body))
                if kind < 0.3:
                    self.active[doc] = not self.active[doc]
                elif kind < 0.6:
                    self.body[doc] = self.variant_of_some()
                else:
                    self.body[doc] = _edit(self.rng, self.body[doc], self.rng.choice([0.02, 0.5]))
            changed.append(doc)
        return list(dict.fromkeys(changed))

    def write(self, directory, docs, full: bool) -> dict:
        writer = reprints.ReprintWriter(directory, full)
        for doc in docs:
            writer.add(doc, "active" if self.active[doc] else "withdrawn", self.body[doc], "")
        writer.finish()
        return reprints._load(directory / reprints.FILE_NAME)


def _edge_set(data: dict) -> set[tuple[int, ...]]:
    return {tuple(int(v) for v in row) for row in data["edges"]}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_sync_groups_as_a_full_computation_does(tmp_path, seed):
    rng = random.Random(seed)
    bulletins = Bulletins(rng, 120)
    synced, full = tmp_path / "synced", tmp_path / "full"
    synced.mkdir()
    full.mkdir()
    bulletins.write(synced, sorted(bulletins.body), full=True)
    regrouped = 0
    for _ in range(6):
        old = reprints._load(synced / reprints.FILE_NAME)
        before = dict(zip(old["doc"].tolist(), old["group"].tolist()))
        changed = bulletins.change(rng.choice([1, 3, 12]))
        after = bulletins.write(synced, changed, full=False)
        oracle = bulletins.write(full, sorted(bulletins.body), full=True)
        assert after["doc"].tolist() == oracle["doc"].tolist()
        assert after["group"].tolist() == oracle["group"].tolist()
        assert _edge_set(after) == _edge_set(oracle)
        regrouped += sum(before.get(doc, group) != group for doc, group
                         in zip(after["doc"].tolist(), after["group"].tolist()))
    grouped = np.unique(oracle["group"], return_counts=True)[1]
    assert (grouped > 1).any()             # the data has groups to get wrong
    assert regrouped > 0                   # and the syncs changed some of them


def test_pairs_judged_in_chunks_give_the_same_groups_and_edges(tmp_path, monkeypatch):
    """Candidate pairs are judged EDGE_CHUNK at a time (memory bound); a chunk
    of 7 pairs must give exactly the verdicts of one chunk holding them all."""
    bulletins = Bulletins(random.Random(5), 120)
    whole, chunked = tmp_path / "whole", tmp_path / "chunked"
    whole.mkdir()
    chunked.mkdir()
    monkeypatch.setattr(reprints, "EDGE_CHUNK", 10**9)
    at_once = bulletins.write(whole, sorted(bulletins.body), full=True)
    monkeypatch.setattr(reprints, "EDGE_CHUNK", 7)
    in_chunks = bulletins.write(chunked, sorted(bulletins.body), full=True)
    assert len(at_once["edges"]) > 7 * 3                 # several chunks, really
    assert (at_once["edges"][:, 3] == 1).any()           # and some near pairs among them
    assert in_chunks["group"].tolist() == at_once["group"].tolist()
    assert _edge_set(in_chunks) == _edge_set(at_once)


def test_a_sync_reads_a_file_written_by_np_savez_as_its_own(tmp_path):
    """Files written before the sync-only columns were deflated (plain
    `np.savez`) sync to the same groups and edges; the new file deflates
    those columns and leaves the query side's stored as they are."""
    import zipfile

    rng = random.Random(7)
    bulletins = Bulletins(rng, 120)
    new, old = tmp_path / "new", tmp_path / "old"
    new.mkdir()
    old.mkdir()
    written = bulletins.write(new, sorted(bulletins.body), full=True)
    np.savez(old / reprints.FILE_NAME, **written)
    members = {m.filename: m.compress_type
               for m in zipfile.ZipFile(new / reprints.FILE_NAME).infolist()}
    assert members["num.npy"] == members["title.npy"] == zipfile.ZIP_DEFLATED
    assert members["doc.npy"] == members["group.npy"] == zipfile.ZIP_STORED
    changed = bulletins.change(12)
    from_new = bulletins.write(new, changed, full=False)
    from_old = bulletins.write(old, changed, full=False)
    for key in ("doc", "group", "sig", "num", "title", "valid", "active"):
        assert from_new[key].tolist() == from_old[key].tolist(), key
    assert _edge_set(from_new) == _edge_set(from_old)


def test_a_full_build_keeps_its_rows_on_disk_with_the_same_result(tmp_path):
    """A full build's rows wait in files (`_Spill`), arriving in batches out of
    doc order as the two index workers send them; the stored table must be
    exactly the in-memory path's, and the files must be gone after finish and
    after cancel."""
    bulletins = Bulletins(random.Random(9), 150)
    docs = sorted(bulletins.body)
    batches = [docs[i:i + 20] for i in range(0, len(docs), 20)]
    random.Random(4).shuffle(batches)

    def write(directory, spill: bool) -> dict:
        directory.mkdir()
        writer = reprints.ReprintWriter(directory, full=True)
        assert (writer.spill is not None) and (directory / "reprints.spill").is_dir()
        if not spill:
            writer.spill.remove()
            writer.spill = None
        for batch in batches:
            writer.add_part(reprints.hash_entries(
                [reprints.entry(d, "active", bulletins.body[d], f"标题{d % 7}") for d in batch]))
        writer.finish()
        assert not (directory / "reprints.spill").exists()
        return reprints._load(directory / reprints.FILE_NAME)

    on_disk, in_memory = write(tmp_path / "disk", True), write(tmp_path / "memory", False)
    assert on_disk["doc"].tolist() == docs
    assert set(on_disk) == set(in_memory)
    for key in on_disk:
        assert np.array_equal(on_disk[key], in_memory[key]), key
    assert (np.unique(on_disk["group"], return_counts=True)[1] > 1).any()

    cancelled = reprints.ReprintWriter(tmp_path / "disk", full=True)
    cancelled.add_part(reprints.hash_entries([reprints.entry(1, "active", "正文" * 80, "")]))
    cancelled.cancel()
    assert not (tmp_path / "disk" / "reprints.spill").exists()
