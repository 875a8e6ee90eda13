"""The OpenSearch index template and the bulk documents that fill it.

What each field reproduces of the archive's own index:

* `<field>_folded` (title, body, issuer, topic, keywords, doc_no, index_no)
  and `all_folded` (their union through `copy_to`) hold the *folded* text
  (NFKC, case-folded, 繁→简 — folded here at export, because OpenSearch has no
  such filter without plugins) analysed into 1- and 2-character grams.  The
  `ngram` tokenizer emits, for each character, its unigram then the bigram
  starting there, each one position further on: character i's unigram sits at
  position 2i.  A `match_phrase` of the query's own grams therefore matches
  exactly where the query is a substring of the text — the never-miss
  contract of `archive.grams`, and nothing more (the unigrams must stand at
  consecutive even positions, so the characters are adjacent).  Values of
  one field are kept apart by the position gap of `copy_to` arrays, as the
  archive's layout keeps fields apart with a separator.
* `title_words`, `meta_words`, `body_words`: the jieba words of the folded
  text, segmented at export by the same segmenter as the index (rjieba with
  the archive's dictionaries) and joined by spaces, analysed by whitespace —
  BM25 ranks them, with the archive's field weights (3 / 1.5 / 1).
* `issuer`, `topic`, `keywords`, `status`: keywords for facets and filters;
  `date_code` (YYYYMMDD, a bare year or month as YYYY0000 / YYYYMM00, absent
  when undated), `year` and `month` (integers) for ranges, sorting and the
  year/month facets, exactly as the archive files a bulletin (发文时间, else
  发布日期).
* the display fields (`title`, `issued`, `published`, `body`, …) stored, not
  indexed: the result list and the document page read them back.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator

from ..analysis import is_word
from ..folding import fold
from ..fields import SEARCH_FIELDS

DEFAULT_INDEX = "bulletins"
GRAMS = "grams12"
WORDS = "words"
# The archive's BM25F field weights (archive/search.py), kept for ranking.
WORD_FIELDS = {"title_words": 3.0, "meta_words": 1.5, "body_words": 1.0}
META_OF_WORDS = ("issuer", "topic", "keywords", "doc_no", "index_no")
_DISPLAY = ("id", "index_no", "doc_no", "title", "issuer", "topic", "keywords", "issued",
            "published", "url", "status", "body")

Segment = Callable[[str], list[str]]


def folded_field(name: str) -> str:
    """The gram field of a searchable field (`all_folded` for any field)."""
    return f"{name}_folded" if name in SEARCH_FIELDS else "all_folded"


def index_template(index: str = DEFAULT_INDEX, shards: int = 1, replicas: int = 1) -> dict:
    """A composable index template (`PUT _index_template/<index>`)."""
    grams_field = {"type": "text", "analyzer": GRAMS, "norms": False,
                   "index_options": "positions"}
    properties: dict[str, dict] = {
        "id": {"type": "long"},
        "index_no": {"type": "keyword"},
        "doc_no": {"type": "keyword"},
        "issuer": {"type": "keyword"},
        "topic": {"type": "keyword"},
        "keywords": {"type": "keyword"},
        "status": {"type": "keyword"},
        "date_code": {"type": "integer"},
        "year": {"type": "integer"},
        "month": {"type": "integer"},
        "title": {"type": "text", "index": False},
        "body": {"type": "text", "index": False},
        "issued": {"type": "keyword", "index": False},
        "published": {"type": "keyword", "index": False},
        "url": {"type": "keyword", "index": False},
        "all_folded": dict(grams_field),
    }
    for name in SEARCH_FIELDS:
        properties[folded_field(name)] = dict(grams_field, copy_to="all_folded")
    for name in WORD_FIELDS:
        properties[name] = {"type": "text", "analyzer": WORDS}
    return {
        "index_patterns": [f"{index}*"],
        "template": {
            "settings": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                "analysis": {
                    "tokenizer": {GRAMS: {"type": "ngram", "min_gram": 1, "max_gram": 2,
                                          "token_chars": []}},
                    "analyzer": {
                        GRAMS: {"type": "custom", "tokenizer": GRAMS},
                        WORDS: {"type": "custom", "tokenizer": "whitespace"},
                    },
                },
            },
            "mappings": {"dynamic": "strict", "properties": properties},
        },
    }


def date_code(iso: str | None) -> int | None:
    """YYYYMMDD of an ISO date or reduced form (`2019`, `2019-03`); None if absent."""
    digits = (iso or "").replace("-", "")
    return int(digits.ljust(8, "0")) if digits.isdigit() and len(digits) in (4, 6, 8) else None


def _words(segment: Segment, folded: str) -> str:
    return " ".join(w for w in segment(folded) if is_word(w) and not any(c.isspace() for c in w))


def bulk_document(record: dict, segment: Segment) -> dict:
    """One archive record (the public JSON of `archive show --json`) as an
    OpenSearch document of `index_template`'s mapping."""
    doc = {name: record.get(name) for name in _DISPLAY}
    doc["keywords"] = list(record.get("keywords") or [])
    folded = {name: fold(" ".join(doc["keywords"]) if name == "keywords"
                         else str(record.get(name) or ""))
              for name in SEARCH_FIELDS}
    for name, text in folded.items():
        doc[folded_field(name)] = text
    doc["title_words"] = _words(segment, folded["title"])
    doc["body_words"] = _words(segment, folded["body"])
    doc["meta_words"] = _words(segment, " ".join(folded[n] for n in META_OF_WORDS))
    code = date_code(record.get("issued") or record.get("published"))
    if code:
        doc.update(date_code=code, year=code // 10000, month=(code // 100) % 100 or None)
    return {k: v for k, v in doc.items() if v is not None}


def bulk_lines(records: Iterable[dict], segment: Segment,
               index: str = DEFAULT_INDEX) -> Iterator[str]:
    """NDJSON for `POST _bulk`: an action line and a document line per record."""
    for record in records:
        action = {"index": {"_index": index, "_id": str(record["id"])}}
        yield json.dumps(action) + "\n"
        yield json.dumps(bulk_document(record, segment), ensure_ascii=False) + "\n"
