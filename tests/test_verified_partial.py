"""What a search verified of a word within an AND's documents is remembered
for the next searches (`VerifiedSets.put_partial`): searches in any order,
in one service, give exactly the brute-force answer a fresh service gives."""
from __future__ import annotations

import itertools
import json
import random

from archive import jobs, matching
from archive.search import SearchRequest, SearchService

WORDS = ["行政强制", "公司法", "许可证", "时间", "实施"]


def test_remembered_verification_never_changes_an_answer(tmp_path, monkeypatch):
    remembered = []
    real = matching.VerifiedSets.put_partial
    monkeypatch.setattr(matching.VerifiedSets, "put_partial",
                        lambda self, key, *sets: remembered.append(key) or real(self, key, *sets))
    rng = random.Random(11)
    folder, home = tmp_path / "src", tmp_path / "home"
    folder.mkdir()
    bodies = {}
    for n in range(160):
        words = rng.sample(WORDS, rng.choice([0, 1, 1, 2, 3]))
        # the words' characters scattered too: candidates that verification rejects
        body = "".join(words) + "行政机关强制公司许可时实" * rng.randint(0, 2)
        bodies[f"QS5-2024-{n:05d}"] = body
    (folder / "a.jsonl").write_text("".join(
        json.dumps({"index_no": no, "title": f"通知{no[-3:]}", "body": body, "issuer": "甲局",
                    "published": "2024-05-01"}, ensure_ascii=False) + "\n"
        for no, body in bodies.items()), encoding="utf-8")
    jobs.ingest(home, [folder])
    queries = [" ".join(pair) for pair in itertools.permutations(WORDS, 2)] + WORDS
    rng.shuffle(queries)
    warm = SearchService(home)
    for q in queries + queries[::-1]:
        expected = sum(all(w in body for w in q.split()) for body in bodies.values())
        assert warm.search(SearchRequest(q=q)).total == expected, q
        assert SearchService(home).search(SearchRequest(q=q)).total == expected, q
    assert len(set(remembered)) >= 3          # partial verifications were remembered
