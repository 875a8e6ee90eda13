"""The seam to OpenSearch, for archives that outgrow one machine.

One machine holds a county's or a city's archive (see docs/benchmark.md for
the measured limit); a province's 10⁶–10⁷ bulletins across portals belong in
an existing distributed engine, not in a home-made cluster.  This package is
everything the archive needs to hand its records to OpenSearch with the same
behaviour, testable without a server:

* `mapping`  — the index template (analysers, fields) and one bulk document
               per record: jieba words pre-segmented at export for ranking, a
               1–2-gram field over the folded text for the never-miss
               substring contract, keyword facets, date codes;
* `translate` — a pure function from the parsed query language (fields,
               AND/OR/NOT, phrases, date ranges, 文号 variants, synonyms) and a
               `SearchRequest` to OpenSearch query DSL;
* `client`   — a small HTTP client (standard library only) that loads a bulk
               file and runs a translated search; used only where a server is
               configured (`ARCHIVE_TEST_OPENSEARCH=URL` in the tests).

docs/scaling.md says when to move and how the CLI and the web app would
talk to a cluster through the search service's interface.
"""
