"""Which documents a query selects: words to document sets, combined as sets.

Every word is the set of documents whose folded text contains it verbatim,
a synonym, or the same 发文字号 in other brackets (`archive.grams`) — nothing
else; AND / OR / NOT are set operations on sorted docnum arrays; status and
date filters are masks over the docmap.  Each distinct string is looked up
once per search (a word repeated 125 times costs one lookup) and the
deadline is checked inside the loops that grow with the corpus.

`Matching` is a part of `archive.searcher.Searcher`: it reads the searcher's
gram index, docmap arrays, synonyms and query segmenter.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import doc_numbers, grams, nearby
from .analysis import fold
from .query import And, Not, Or, ParsedQuery, Word, date_bound
from .request import SearchRequest, _check_deadline, _deadline

MAX_RANKING_CHARS = 64            # a longer word is matched whole but segmented only this far


@dataclass
class _Leaf:
    docs: np.ndarray                  # every match
    exact: np.ndarray                 # the same (kept for the ranking tiers)
    title: np.ndarray                 # exact matches in the title
    terms: list[str]                  # folded strings to highlight
    words: list[str]                  # jieba words, for BM25F


_EMPTY = np.empty(0, dtype=np.int64)


class Matching:
    """Words and boolean queries to sorted docnum arrays (a Searcher part)."""

    check_deadline = staticmethod(_check_deadline)

    def docnums_of_vids(self, vids: np.ndarray) -> np.ndarray:
        if not vids.size or not self._vids_sorted.size:
            return _EMPTY
        at = np.searchsorted(self._vids_sorted, vids)
        at = np.clip(at, 0, self._vids_sorted.size - 1)
        found = self._vids_sorted[at] == vids
        return np.unique(self._docnums_by_vid[at[found]])


    def exact(self, folded: str, fieldname: str | None = None) -> np.ndarray:
        """Docnums whose folded text (or field) contains `folded` verbatim
        (looked up once per search)."""
        cache = getattr(_deadline, "lookups", None)
        key = (folded, fieldname)
        if cache is not None and key in cache:
            return cache[key]
        found = self.docnums_of_vids(self.grams.find(folded, fieldname, _check_deadline))
        if cache is not None:
            cache[key] = found
        return found

    check_deadline = staticmethod(_check_deadline)


    def variants(self, word: Word) -> list[str]:
        folded = " ".join(fold(word.text).split())
        found = [folded]
        if not word.quoted:
            found += sorted(self.synonyms.get(folded, ()))
        if word.doc_no:        # other brackets, or none (北政办发202481号)
            found += doc_numbers.bracket_variants(folded)[1:]
        return list(dict.fromkeys(found))


    def leaf(self, word: Word) -> _Leaf:
        """The documents of one word (the same object for a repeated word)."""
        cache = getattr(_deadline, "lookups", None)
        key = ("leaf", word.text, word.field, word.quoted, word.doc_no)
        if cache is not None and key in cache:
            return cache[key]
        found = self._leaf(word)
        if cache is not None:
            cache[key] = found
        return found


    def _leaf(self, word: Word) -> _Leaf:
        if word.field == "cites":
            return self.citing_leaf(word)
        fieldname = word.field if word.field in grams.FIELDS else None
        variants = self.variants(word)
        exact = _union([self.exact(v, fieldname) for v in variants])
        segmented = [self.query_segmenter.words_of(v[:MAX_RANKING_CHARS]) for v in variants]
        words = [w for variant_words in segmented for w in variant_words]
        title = (_union([self.exact(v, "title") for v in variants])
                 if fieldname in (None, "title") else _EMPTY)
        return _Leaf(exact, exact, title, list(variants), words)


    def citing_leaf(self, word: Word) -> _Leaf:
        """`引用:X`: the bulletins whose references resolve to, or name, X."""
        ids = np.asarray(self.citations.citing(word.text), dtype=np.int64)
        docs = np.flatnonzero(np.isin(self.doc_id, ids) & self.live) if ids.size else _EMPTY
        return _Leaf(docs, docs, _EMPTY, [" ".join(fold(word.text).split())], [])


    def near(self, word: Word) -> np.ndarray:
        """Docnums holding the word's dictionary words close together (archive.nearby)."""
        parts = nearby.parts_of(word, self.query_segmenter) if word.field != "cites" else None
        if not parts:
            return _EMPTY
        fieldname = word.field if word.field in grams.FIELDS else None
        return self.docnums_of_vids(nearby.near_keys(self.grams, parts, fieldname,
                                                     _check_deadline))


    def evaluate(self, node, leaves: list[_Leaf], relaxed: bool = False) -> np.ndarray:
        """Sorted docnums matching the boolean query `node` (`relaxed`: its
        positive words may match near, for the near-match group)."""
        if node is None:
            return self.universe
        if isinstance(node, Word):
            found = self.leaf(node)
            if not any(found is leaf for leaf in leaves):
                leaves.append(found)
            _check_deadline()
            return _union([found.docs, self.near(node)]) if relaxed else found.docs
        if isinstance(node, Not):
            return np.setdiff1d(self.universe, self.evaluate(node.item, []), assume_unique=True)
        if isinstance(node, And):
            positive = [i for i in node.items if not isinstance(i, Not)]
            negative = [i.item for i in node.items if isinstance(i, Not)]
            result = (_intersect([self.evaluate(i, leaves, relaxed) for i in positive])
                      if positive else self.universe)
            for item in negative:
                if result.size:
                    result = np.setdiff1d(result, self.evaluate(item, []), assume_unique=True)
            return result
        if isinstance(node, Or):
            return _union([self.evaluate(i, leaves, relaxed) for i in node.items])
        raise TypeError(node)


    def _base_filter(self, docs: np.ndarray, request: SearchRequest,
                     parsed: ParsedQuery) -> np.ndarray:
        if not request.include_withdrawn:
            docs = docs[self.status[docs] == 0]
        ranges = [(r.start, r.end, r.field) for r in parsed.dates]
        low, high = date_bound(request.date_from, False), date_bound(request.date_to, True)
        if low and high and low > high:
            _warn(parsed, f"日期范围起止颠倒（从 {request.date_from} 到 {request.date_to}），"
                          "已按颠倒后的范围检索")
            low, high = date_bound(request.date_to, False), date_bound(request.date_from, True)
        if low or high:
            ranges.append((low, high, "date"))
        for start, end, name in ranges:
            dates = self.dates[name][docs]
            keep = dates > 0
            if start:
                keep &= dates >= start
            if end:
                keep &= dates <= end
            docs = docs[keep]
        return docs


    def highlight_terms(self, parsed: ParsedQuery) -> list[str]:
        """The folded strings a search for `parsed` highlights, without running
        it: each distinct positive word's variants (synonyms, bracket forms),
        as `_leaf` lists them."""
        self._refresh_synonyms()
        words = dict.fromkeys((w.text, w.field, w.quoted, w.doc_no) for w in parsed.words())
        return list(dict.fromkeys(t for text, field, quoted, doc_no in words
                                  for t in self.variants(Word(text, field, quoted, doc_no))))


def _warn(parsed: ParsedQuery, message: str) -> None:
    if message not in parsed.warnings:
        parsed.warnings.append(message)



def _member(docs: np.ndarray, members: np.ndarray) -> np.ndarray:
    """1 where a doc of sorted `docs` is in sorted `members`, else 0."""
    if not members.size:
        return np.zeros(docs.size, dtype=np.int64)
    at = np.searchsorted(members, docs)
    at[at == members.size] = 0
    return (members[at] == docs).astype(np.int64)


def _union(arrays: list[np.ndarray]) -> np.ndarray:
    arrays = [a for a in arrays if a.size]
    if not arrays:
        return _EMPTY
    return np.unique(np.concatenate(arrays)) if len(arrays) > 1 else arrays[0]


def _intersect(arrays: list[np.ndarray]) -> np.ndarray:
    if not arrays:
        return _EMPTY
    arrays = sorted(arrays, key=len)
    result = arrays[0]
    for other in arrays[1:]:
        if not result.size:
            break
        result = np.intersect1d(result, other, assume_unique=True)
    return result
