"""What an index worker makes of an archive row, and what comes back.

The full build reads the archive in one process and hands rows to its index
workers (`archive.pipeline`).  Everything computed per bulletin happens in
the worker, once: folding (for the gram index, Whoosh and the reprint
signatures), segmentation of title and body (for Whoosh and for the
vocabulary), citation extraction and MinHash signatures (`archive.links`).
What the reading process must keep (link rows, vocabulary counts) comes
back once per batch (`RowForms.take`, applied by `Derived`): plain rows and
arrays, a few hundred bytes a bulletin.

Profiled at 10,000 bulletins before this split (py-spy, two workers): the
reading process spent 20 s CPU against 15 s for each worker (citations and
signatures 10 s, a second segmentation for the vocabulary 5 s after the
workers had finished), so it set the pace of the whole build.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from .forms import folded_fields, whoosh_document
from .links import LinkBatch, LinkWriter
from .spilled_counts import SpilledCounts
from .vocabulary import document_entries


class RowForms:
    """`(doc id, vid, status, record)` -> (Whoosh fields, gram key, folded
    fields), collecting the batch's link rows and vocabulary on the way.

    Vocabulary counts go back every `VOCABULARY_DOCS` bulletins, not with
    every batch's links: the reading process adds them up with a Python
    loop per distinct entry (`Counter.update`), and a batch of 200
    bulletins repeats most entries of the one before — 7% of that
    process's time at 10k bulletins when sent per batch.  The worker holds
    the counts of at most that many bulletins (~120k entries)."""

    VOCABULARY_DOCS = 2000

    def __init__(self, names, segmenter, vocabulary: bool = True):
        self.names = set(names)
        self.segmenter = segmenter
        self.vocabulary = vocabulary
        self.links = LinkBatch()
        self.entries: Counter = Counter()
        self.unsent = 0                 # bulletins counted in `entries`

    def __len__(self):
        return len(self.links)

    def __call__(self, item: tuple) -> tuple[dict, int, dict]:
        doc_id, vid, status, record = item
        folded = folded_fields(record)
        doc = whoosh_document(doc_id, vid, status, record, folded)
        # Cut once: Whoosh's word counts and the vocabulary share the words.
        doc["title"] = self.segmenter.cut(folded["title"])
        doc["body"] = self.segmenter.cut(folded["body"])
        if self.vocabulary:
            self.entries.update(document_entries(doc["title"], doc["body"]))
            self.unsent += 1
        self.links.add(doc_id, status, record, folded["body"])
        # A generation built before a column existed keeps its schema until
        # `reindex --full`: leave out what it cannot store.
        return {k: v for k, v in doc.items() if k in self.names}, vid, folded

    def take(self, final: bool = True) -> dict:
        """What the reading process keeps of the rows seen since the last
        take: their link rows, and the vocabulary counts held back so far
        when `final` or when they cover `VOCABULARY_DOCS` bulletins."""
        vocabulary: Counter = Counter()
        if final or self.unsent >= self.VOCABULARY_DOCS:
            vocabulary, self.entries, self.unsent = self.entries, Counter(), 0
        return {"links": self.links.take(), "vocabulary": vocabulary}


class Derived:
    """The reading process's side: stores what `RowForms.take` sent."""

    def __init__(self, links: LinkWriter, spill_dir: Path):
        self.links = links
        # entry -> documents; past a bound, in sorted run files under `spill_dir`
        self.vocabulary = SpilledCounts(spill_dir)

    def __call__(self, taken: dict) -> None:
        self.links.add_batch(taken["links"])
        self.vocabulary.update(taken["vocabulary"])
