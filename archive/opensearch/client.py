"""A small OpenSearch client: install the template, load a bulk file, search.

Standard library only (urllib): the seam must not pull a client library into
every installation for the few that move to a cluster.  Nothing here runs
unless an operator points it at a server; the tests that need one run only
with `ARCHIVE_TEST_OPENSEARCH=URL` set.

`result_json` turns a `_search` response into the archive's public search
JSON (`archive search --json`), so the CLI and the web app could be served
from a cluster through the search service's interface (docs/scaling.md).
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterable

from .mapping import DEFAULT_INDEX, index_template
from .translate import search_body

BULK_BATCH_LINES = 2000          # 1,000 documents a request


class OpenSearchError(RuntimeError):
    """The server refused a request or could not be reached."""


class OpenSearchClient:
    def __init__(self, url: str, index: str = DEFAULT_INDEX, timeout: float = 60.0):
        self.url = url.rstrip("/")
        self.index = index
        self.timeout = timeout

    def _call(self, method: str, path: str, body: bytes | None = None,
              content_type: str = "application/json") -> dict:
        request = urllib.request.Request(f"{self.url}/{path.lstrip('/')}", data=body,
                                         method=method, headers={"Content-Type": content_type})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise OpenSearchError(f"{method} {path}: HTTP {exc.code}: "
                                  f"{exc.read()[:500].decode('utf-8', 'replace')}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise OpenSearchError(f"{method} {path}: {exc}") from None

    def install_template(self, shards: int = 1, replicas: int = 1) -> dict:
        template = index_template(self.index, shards, replicas)
        return self._call("PUT", f"_index_template/{self.index}",
                          json.dumps(template).encode())

    def bulk(self, lines: Iterable[str]) -> int:
        """Send NDJSON bulk lines in batches; the number of documents indexed."""
        batch: list[str] = []
        indexed = 0
        for line in lines:
            batch.append(line)
            if len(batch) >= BULK_BATCH_LINES:
                indexed += self._send(batch)
                batch = []
        if batch:
            indexed += self._send(batch)
        self._call("POST", f"{self.index}/_refresh")
        return indexed

    def _send(self, batch: list[str]) -> int:
        answer = self._call("POST", "_bulk", "".join(batch).encode("utf-8"),
                            "application/x-ndjson")
        if answer.get("errors"):
            failed = [item for item in answer.get("items", [])
                      if item.get("index", {}).get("error")]
            raise OpenSearchError(f"bulk: {len(failed)} documents refused, first: "
                                  f"{failed[0]['index']['error'] if failed else answer}")
        return len(answer.get("items", []))

    def search(self, request, synonyms=None, segment=None) -> dict:
        """The archive's public search JSON for `request`, answered by the cluster."""
        body = search_body(request, synonyms=synonyms, segment=segment)
        answer = self._call("POST", f"{self.index}/_search", json.dumps(body).encode())
        return result_json(answer, request)


def _buckets(aggregations: dict, name: str) -> list[dict]:
    facet = aggregations.get(name) or {}
    return [{"value": b["key"], "count": b["doc_count"]}
            for b in facet.get("values", {}).get("buckets", [])]


def result_json(answer: dict, request) -> dict:
    """A `_search` response in the shape of `SearchResult.to_json()`."""
    hits = answer.get("hits", {})
    aggregations = answer.get("aggregations", {})
    return {
        "query": request.q, "total": hits.get("total", {}).get("value", 0),
        "page": request.page, "page_size": request.size, "sort": request.sort,
        "hits": [dict(hit.get("_source", {}), score=hit.get("_score") or 0.0)
                 for hit in hits.get("hits", [])],
        "facets": {name: _buckets(aggregations, name)
                   for name in ("issuer", "topic", "year", "month")},
        "warnings": [], "suggestion": None, "took_ms": float(answer.get("took", 0)),
    }
