"""The archive's query language as OpenSearch query DSL (a pure function).

`search_body(request, synonyms=..., segment=...)` turns a `SearchRequest`
(query text, filters, sort, page) into the body of `POST <index>/_search`
with the archive's semantics on `mapping.index_template`'s fields:

* a word matches where its folded text, a synonym (unquoted words only) or
  the same 发文字号 in another bracket form is a substring of the folded text
  (`match_phrase` on the 1–2-gram fields), in one field (`标题:`…) or any;
* AND / OR / NOT / grouping become `bool` filter / should / must_not, so the
  matching set carries no score — exactly the archive's set semantics;
* dates (`日期:`, `--from/--to`, `year`, `month`) are ranges of `date_code`
  (undated bulletins never fall inside a range);
* issuer/topic/year/month filters go to `post_filter`, and each facet is an
  aggregation filtered by the *other* selections, as the archive counts each
  facet without its own filter;
* relevance: a title match of a word scores above any body-only match
  (`constant_score`, as the archive's title tier), then BM25 over the jieba
  words with the archive's field weights; ties by date, newest first.

Highlighting stays with the archive's own code (`archive.highlight`) over the
page's stored text: the gram fields hold folded text, whose offsets are not
the original's.
"""
from __future__ import annotations

from collections.abc import Callable

from ..folding import fold
from ..query import And, Not, Or, ParsedQuery, Word, date_bound, parse
from .mapping import WORD_FIELDS, folded_field

# The bracket pairs a 发文字号's year is written in (the archive's own list).
DOC_NO_BRACKETS = (("[", "]"), ("(", ")"), ("【", "】"), ("〖", "〗"), ("{", "}"))
TITLE_TIER = 1000.0          # above any BM25 score of the word fields
FACET_SIZE = 1000            # the archive returns every issuer/topic value
YEAR_SIZE = 500


def variants(word: Word, synonyms: dict[str, set[str]] | None = None) -> list[str]:
    """The folded strings a word matches: itself, synonyms, bracket forms."""
    folded = " ".join(fold(word.text).split())
    found = [folded]
    if not word.quoted and synonyms:
        found += sorted(synonyms.get(folded, ()))
    if word.doc_no:
        found += [folded.replace("〔", a).replace("〕", b) for a, b in DOC_NO_BRACKETS]
    return found


def _phrase(field: str, text: str) -> dict:
    return {"match_phrase": {field: {"query": text}}}


def _any(clauses: list[dict]) -> dict:
    if len(clauses) == 1:
        return clauses[0]
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


def word_filter(word: Word, synonyms=None) -> dict:
    """The (scoreless) clause selecting the bulletins that contain `word`."""
    field = folded_field(word.field or "")
    return _any([_phrase(field, v) for v in variants(word, synonyms)])


def match_clause(node, synonyms=None) -> dict:
    """The boolean tree of a parsed query as a filter (no scoring)."""
    if node is None:
        return {"match_all": {}}
    if isinstance(node, Word):
        return word_filter(node, synonyms)
    if isinstance(node, Not):
        return {"bool": {"must_not": [match_clause(node.item, synonyms)]}}
    if isinstance(node, And):
        positive = [match_clause(i, synonyms) for i in node.items if not isinstance(i, Not)]
        negative = [match_clause(i.item, synonyms) for i in node.items if isinstance(i, Not)]
        clause: dict = {"filter": positive or [{"match_all": {}}]}
        if negative:
            clause["must_not"] = negative
        return {"bool": clause}
    if isinstance(node, Or):
        return _any([match_clause(i, synonyms) for i in node.items])
    raise TypeError(f"not a query node: {node!r}")


def scoring_clauses(parsed: ParsedQuery, synonyms=None,
                    segment: Callable[[str], list[str]] | None = None) -> list[dict]:
    """Optional clauses that order the matches: title tier, then BM25."""
    clauses: list[dict] = []
    for word in parsed.words():
        forms = variants(word, synonyms)
        if word.field in (None, "title"):
            clauses.append({"constant_score": {
                "filter": _any([_phrase(folded_field("title"), v) for v in forms]),
                "boost": TITLE_TIER}})
        words = [w for v in forms for w in (segment(v) if segment else v.split())]
        if words:
            clauses.append({"multi_match": {
                "query": " ".join(dict.fromkeys(words)), "type": "most_fields",
                "fields": [f"{name}^{boost:g}" for name, boost in WORD_FIELDS.items()]}})
    return clauses


def _date_ranges(parsed: ParsedQuery, request) -> list[dict]:
    ranges = [(r.start, r.end) for r in parsed.dates]
    low, high = date_bound(request.date_from, False), date_bound(request.date_to, True)
    if low or high:
        ranges.append((low, high))
    out = []
    for start, end in ranges:
        bounds: dict = {"gt": 0}
        if start:
            bounds["gte"] = start
        if end:
            bounds["lte"] = end
        out.append({"range": {"date_code": bounds}})
    return out


def _selections(request) -> dict[str, dict]:
    """Facet selections, by facet name (each counted without its own)."""
    chosen: dict[str, dict] = {}
    if request.issuers:
        chosen["issuer"] = {"terms": {"issuer": list(request.issuers)}}
    if request.topics:
        chosen["topic"] = {"terms": {"topic": list(request.topics)}}
    if request.year:
        chosen["year"] = {"term": {"year": request.year}}
    if request.month:
        chosen["month"] = {"term": {"month": request.month}}
    return chosen


def _aggregations(request, chosen: dict[str, dict]) -> dict:
    def others(name: str) -> dict:
        rest = [c for other, c in chosen.items() if other != name]
        return {"bool": {"filter": rest}} if rest else {"match_all": {}}

    aggs = {
        "issuer": {"filter": others("issuer"),
                   "aggs": {"values": {"terms": {"field": "issuer", "size": FACET_SIZE}}}},
        "topic": {"filter": others("topic"),
                  "aggs": {"values": {"terms": {"field": "topic", "size": FACET_SIZE}}}},
        "year": {"filter": others("year"),
                 "aggs": {"values": {"terms": {"field": "year", "size": YEAR_SIZE,
                                               "order": {"_key": "desc"}}}}},
    }
    if request.year:
        within = [c for other, c in chosen.items() if other != "month"]
        aggs["month"] = {"filter": {"bool": {"filter": within}},
                         "aggs": {"values": {"terms": {"field": "month", "size": 12,
                                                       "order": {"_key": "asc"}}}}}
    return aggs


def _sort(request) -> list:
    newest = {"date_code": {"order": "desc", "missing": "_last"}}
    if request.sort == "date":
        return [{"date_code": {"order": "asc", "missing": "_last"}}, {"id": "asc"}]
    if request.sort == "-date":
        return [newest, {"id": "asc"}]
    return ["_score", newest, {"id": "asc"}]


def search_body(request, parsed: ParsedQuery | None = None, synonyms=None,
                segment: Callable[[str], list[str]] | None = None) -> dict:
    """The `_search` body answering `request` as the archive would."""
    parsed = parsed if parsed is not None else parse(request.q)
    filters = [match_clause(parsed.root, synonyms), *_date_ranges(parsed, request)]
    if not request.include_withdrawn:
        filters.append({"term": {"status": "active"}})
    query: dict = {"bool": {"filter": filters}}
    scoring = scoring_clauses(parsed, synonyms, segment) if request.sort == "relevance" else []
    if scoring:
        query["bool"]["should"] = scoring
    chosen = _selections(request)
    body: dict = {"query": query, "sort": _sort(request), "track_total_hits": True,
                  "aggs": _aggregations(request, chosen),
                  "_source": {"excludes": ["*_folded", "*_words", "body"]}}
    if chosen:
        body["post_filter"] = {"bool": {"filter": list(chosen.values())}}
    if not request.all:
        body["from"] = (request.page - 1) * request.size
        body["size"] = request.size
    return body
