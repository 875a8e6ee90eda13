"""The search API: what the CLI, the web app, scripts and tests import.

The parts live one concern a module — `request` (SearchRequest, Hit,
SearchResult, the deadline), `matching`, `facets`, `ranking`, `nearby`,
`suggest`, `related`, `searcher` (one index generation) and `service`
(SearchService) — and this module names them in one place.

How a query is answered (see `archive.query` for the language):

1. Every word becomes a set of documents from the substring index
   (`archive.grams`): the documents whose folded text contains the word
   verbatim, or a synonym, or the same 发文字号 in other brackets — nothing
   else.  Sets are combined by AND / OR / NOT.  Each distinct string is looked
   up once per search, and the deadline is checked inside the loops that
   grow with the corpus.  Few results: near matches (`archive.nearby`) come
   as a separate group; typos get a suggestion (`archive.suggest`).
2. Status, date, issuer, topic, year and month filters are array masks over
   the docmap (`archive.index`); facet counts are `bincount`s of the same
   arrays, each facet counted without its own filter.
3. Relevance: documents are tiered — words found in the title first — and
   ordered within a tier by BM25F over jieba words in title, body and
   metadata, computed over whole posting lists as arrays (`archive.ranking`:
   Whoosh's scores, no per-document Python); only the page's ranks are sorted.
4. The page's records come from Whoosh's stored fields (`archive.stored`:
   memory-mapped, no lock), snippets from the archive's text of those few
   documents.
"""
from __future__ import annotations

from .errors import NoIndex, QueryError, SearchTimeout
from .facets import FACET_LIMIT, MISSING
from .request import (MAX_PAGE, MAX_PAGE_SIZE, SEARCH_TIME_LIMIT, SORTS, Hit, SearchRequest,
                      SearchResult, _check_deadline, _deadline, request_deadline)
from .searcher import Searcher
from .service import DocumentPage, SearchService

__all__ = ["FACET_LIMIT", "MAX_PAGE", "MAX_PAGE_SIZE", "MISSING", "SEARCH_TIME_LIMIT", "SORTS",
           "DocumentPage", "Hit", "NoIndex", "QueryError", "SearchRequest", "SearchResult",
           "SearchService", "SearchTimeout", "Searcher", "request_deadline",
           "_check_deadline", "_deadline"]
