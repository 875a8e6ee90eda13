"""More like this: a bulletin's most distinctive words, scored by Whoosh.

Weights are tf × idf of the document's own dictionary words (segmented with
the generation's word table, so a web worker never loads jieba's
dictionary); words in more than 20% of the archive are left out; the top 12
are searched in title and body with the document itself and withdrawn
bulletins masked out.  The caller bounds the text (`SearchService.related`
uses the title and a prefix of the body) and caches the answer.
"""
from __future__ import annotations

import numpy as np

from .folding import fold
from .request import Hit
from .whoosh_compat import union_query as _union_query


def related_hits(searcher, doc_id: int, text: str, limit: int = 5) -> list[Hit]:
    """Up to `limit` bulletins like `text` (bulletin `doc_id` excluded)."""
    from whoosh import query as wq

    counts: dict[str, int] = {}
    for word in searcher.query_segmenter.words_of(fold(text)):
        if len(word) > 1:
            counts[word] = counts.get(word, 0) + 1
    total = max(1, searcher.doc_count)
    weights = []
    with searcher.whoosh_lock:
        frequencies = {word: searcher.whoosh.doc_frequency("body", word) for word in counts}
    for word, tf in counts.items():
        df = frequencies[word]
        if 0 < df < total * 0.2:
            weights.append((tf * np.log(total / df), word))
    weights.sort(reverse=True)
    key_terms = [w for _, w in weights[:12]]
    if not key_terms:
        return []
    q = _union_query([wq.Term(f, w) for w in key_terms for f in ("title", "body")])
    # Itself and withdrawn bulletins masked out (a mask query, not a
    # filter set: Whoosh walks every posting to apply a filter).
    mask = wq.Or([wq.Term("id", str(doc_id)), wq.Term("status", "withdrawn")])
    with searcher.whoosh_lock:
        if searcher._whoosh_searcher is None:
            from whoosh.searching import Searcher as WhooshSearcher

            searcher._whoosh_searcher = WhooshSearcher(searcher._reader)
        results = searcher._whoosh_searcher.search(q, mask=mask, limit=limit,
                                               terms=False, optimize=False)
        return [Hit(h.docnum, h.score, h["hit"]) for h in results]
