"""The OpenSearch seam: template, bulk documents and query translation.

No server is reachable here.  The translation is checked two ways:
query by query (the DSL it writes), and as a whole against the archive
itself — a small evaluator of the DSL subset the translation emits runs the
translated query over the bulk documents of the bundled sample, and must
select exactly the bulletins the archive's own search selects.  The
evaluator reads `match_phrase` on a gram field as "substring of the folded
text"; `test_gram_phrase_is_substring` checks that reading against a model
of Lucene's `ngram` tokenizer (grams emitted by start offset, then length,
one position each — Lucene ≥ 4.4).  The test against a real cluster runs
only with ARCHIVE_TEST_OPENSEARCH=URL.
"""
from __future__ import annotations

import json
import os
import random

import pytest
from click.testing import CliRunner

from archive.fields import SEARCH_FIELDS
from archive.opensearch.client import OpenSearchClient, result_json
from archive.opensearch.mapping import bulk_document, folded_field, index_template
from archive.opensearch.translate import search_body, variants
from archive.query import parse
from archive.search import SearchRequest, SearchService


def _segment(text: str) -> list[str]:
    return text.split()


# ------------------------------------------------------------ the template --

def test_template_maps_every_field_a_bulk_document_carries():
    properties = index_template()["template"]["mappings"]["properties"]
    record = {"id": 7, "title": "关于防汛的通知", "body": "正文 內容", "issuer": "县水利局",
              "topic": "农业", "keywords": ["防汛", "抗旱"], "doc_no": "青水发〔2024〕3号",
              "index_no": "QS-2024-1", "issued": "2024-05-06", "published": None,
              "url": "http://example.invalid/1", "status": "active"}
    doc = bulk_document(record, _segment)
    assert set(doc) <= set(properties), set(doc) - set(properties)
    assert doc["body_folded"] == "正文 内容"             # folded at export (繁→简)
    assert doc["keywords_folded"] == "防汛 抗旱"
    assert (doc["date_code"], doc["year"], doc["month"]) == (20240506, 2024, 5)
    for name in SEARCH_FIELDS:
        assert properties[folded_field(name)]["copy_to"] == "all_folded"


def test_undated_and_reduced_dates():
    assert "date_code" not in bulk_document({"id": 1}, _segment)
    doc = bulk_document({"id": 2, "published": "2019"}, _segment)
    assert (doc["date_code"], doc["year"]) == (20190000, 2019) and "month" not in doc


def _lucene_ngrams(text: str) -> list[str]:
    """Lucene's NGramTokenizer(1, 2): by start offset, then by length."""
    return [text[i:i + n] for i in range(len(text)) for n in (1, 2) if i + n <= len(text)]


def _phrase_matches(doc_tokens: list[str], query_tokens: list[str]) -> bool:
    width = len(query_tokens)
    return any(doc_tokens[p:p + width] == query_tokens
               for p in range(len(doc_tokens) - width + 1))


def test_gram_phrase_is_substring():
    rng = random.Random(5)
    for _ in range(3000):
        text = "".join(rng.choice("甲乙丙丁") for _ in range(rng.randint(0, 12)))
        query = "".join(rng.choice("甲乙丙丁") for _ in range(rng.randint(1, 5)))
        assert _phrase_matches(_lucene_ngrams(text), _lucene_ngrams(query)) == (query in text), \
            (text, query)


# ----------------------------------------------------- query by query -------

def _request(q="", **kw) -> SearchRequest:
    return SearchRequest(q=q, **kw)


def _filters(body: dict) -> list:
    return body["query"]["bool"]["filter"]


def test_word_is_a_phrase_on_all_folded_fields():
    body = search_body(_request("人大常委会"))
    assert _filters(body)[0] == {"match_phrase": {"all_folded": {"query": "人大常委会"}}}
    assert {"term": {"status": "active"}} in _filters(body)


def test_field_word_targets_its_gram_field_and_skips_title_tier():
    body = search_body(_request("正文:防汛"), segment=_segment)
    assert _filters(body)[0] == {"match_phrase": {"body_folded": {"query": "防汛"}}}
    assert not any("constant_score" in c for c in body["query"]["bool"]["should"])


def test_boolean_structure():
    body = search_body(_request("(防汛 OR 抗旱) 应急 -演练"))
    tree = _filters(body)[0]["bool"]
    either, need = tree["filter"]
    assert either["bool"]["minimum_should_match"] == 1
    assert [c["match_phrase"]["all_folded"]["query"] for c in either["bool"]["should"]] == \
        ["防汛", "抗旱"]
    assert need == {"match_phrase": {"all_folded": {"query": "应急"}}}
    assert tree["must_not"] == [{"match_phrase": {"all_folded": {"query": "演练"}}}]


def test_doc_no_variants_and_synonyms():
    parsed = parse("沁政发[2025]12号")
    forms = variants(parsed.words()[0])
    assert forms[0] == "沁政发〔2025〕12号" and "沁政发[2025]12号" in forms
    synonyms = {"人大": {"人民代表大会"}}
    assert variants(parse("人大").words()[0], synonyms) == ["人大", "人民代表大会"]
    assert variants(parse('"人大"').words()[0], synonyms) == ["人大"]      # quoted: as typed


def test_dates_filters_facets_and_sort():
    body = search_body(_request("日期:2024-03 防汛", issuers=["县水利局"], year=2024, month=3,
                                date_from="2023", sort="-date", page=3, size=20))
    ranges = [c["range"]["date_code"] for c in _filters(body) if "range" in c]
    assert {"gt": 0, "gte": 20240300, "lte": 20240331} in ranges
    assert {"gt": 0, "gte": 20230000} in ranges
    chosen = body["post_filter"]["bool"]["filter"]
    assert {"terms": {"issuer": ["县水利局"]}} in chosen and {"term": {"year": 2024}} in chosen
    # each facet is counted without its own selection
    issuer_filter = body["aggs"]["issuer"]["filter"]["bool"]["filter"]
    assert {"terms": {"issuer": ["县水利局"]}} not in issuer_filter
    assert {"term": {"year": 2024}} in issuer_filter
    assert body["sort"][0] == {"date_code": {"order": "desc", "missing": "_last"}}
    assert (body["from"], body["size"]) == (40, 20)
    assert "should" not in body["query"]["bool"]              # date order: no scoring


def test_result_json_shape():
    answer = {"took": 3, "hits": {"total": {"value": 1}, "hits": [
        {"_score": 2.5, "_source": {"id": 4, "title": "t"}}]},
        "aggregations": {"issuer": {"values": {"buckets": [{"key": "县政府", "doc_count": 1}]}}}}
    out = result_json(answer, _request("t"))
    assert out["total"] == 1 and out["hits"] == [{"id": 4, "title": "t", "score": 2.5}]
    assert out["facets"]["issuer"] == [{"value": "县政府", "count": 1}]


# -------------------------------------------- the archive's own answers -----

def _values(doc: dict, field: str) -> list:
    if field == "all_folded":
        return [doc.get(folded_field(n), "") for n in SEARCH_FIELDS]
    value = doc.get(field)
    return value if isinstance(value, list) else [value]


def _evaluate(clause: dict, doc: dict) -> bool:
    """The DSL subset the translation emits, evaluated over one document."""
    (kind, spec), = clause.items()
    if kind == "match_all":
        return True
    if kind == "match_phrase":
        (field, query), = spec.items()
        return any(query["query"] in (v or "") for v in _values(doc, field))
    if kind == "term":
        (field, value), = spec.items()
        return value in _values(doc, field)
    if kind == "terms":
        (field, wanted), = spec.items()
        return any(v in wanted for v in _values(doc, field))
    if kind == "range":
        (field, bounds), = spec.items()
        value = doc.get(field)
        return value is not None and all(
            {"gt": value > b, "gte": value >= b, "lte": value <= b}[op]
            for op, b in bounds.items())
    if kind == "bool":
        ok = all(_evaluate(c, doc) for c in spec.get("filter", []))
        ok = ok and not any(_evaluate(c, doc) for c in spec.get("must_not", []))
        if spec.get("minimum_should_match"):
            ok = ok and any(_evaluate(c, doc) for c in spec.get("should", []))
        return ok
    raise AssertionError(f"the translation emitted an unexpected clause: {kind}")


QUERIES = ["人大常委会", "人大 OR 政协", "防汛 -演练", "(防汛 OR 抗旱) 应急", '"人大常委会"',
           "标题:条例", "正文:乡村振兴", "机关:教育局", "沁政发[2025]12号", "〔2025〕12号",
           "日期:2024", "日期:2024-01..2024-06 通知", "NOT 通知", "县", "", "縣"]


@pytest.fixture(scope="module")
def sample_bulk(sample_home):
    from archive.analysis import segmenter_for

    service = SearchService(sample_home)
    segment = segmenter_for(sample_home).cut
    records = list(service.export(SearchRequest(q="", include_withdrawn=True)))
    return service, [bulk_document(r, segment) for r in records]


@pytest.mark.parametrize("q", QUERIES)
def test_translation_selects_what_the_archive_selects(sample_bulk, q):
    service, docs = sample_bulk
    searcher = service.searcher()
    body = search_body(_request(q), synonyms=searcher.synonyms)
    chosen = sorted(d["id"] for d in docs if _evaluate(body["query"], d))
    assert chosen == searcher.find_ids(q)


def test_facet_selection_matches_the_archive(sample_bulk):
    service, docs = sample_bulk
    request = _request("", year=2024)
    expected = service.search(SearchRequest(q="", year=2024, all=True)).total
    body = search_body(request)
    chosen = [d for d in docs if _evaluate(body["query"], d)
              and _evaluate(body["post_filter"], d)]
    assert len(chosen) == expected > 0


# ------------------------------------------------------------ the CLI -------

def test_cli_export_writes_bulk_and_template(sample_home, tmp_path):
    from archive.cli import main

    out = tmp_path / "bulletins.ndjson"
    run = CliRunner().invoke(main, ["--home", str(sample_home), "export", "防汛",
                                    "--format", "opensearch", "-o", str(out)])
    assert run.exit_code == 0, run.output
    lines = out.read_text(encoding="utf-8").splitlines()
    actions, docs = [json.loads(x) for x in lines[::2]], [json.loads(x) for x in lines[1::2]]
    expected = SearchService(sample_home).searcher().find_ids("防汛")
    assert sorted(int(a["index"]["_id"]) for a in actions) == expected
    assert all(any("防汛" in d.get(folded_field(n), "") for n in SEARCH_FIELDS) for d in docs)
    assert all(d["title_words"] and "body" in d for d in docs)
    template = json.loads((tmp_path / "bulletins.template.json").read_text(encoding="utf-8"))
    assert template["index_patterns"] == ["bulletins*"]


def test_cli_export_opensearch_needs_a_file(sample_home):
    from archive.cli import main

    run = CliRunner().invoke(main, ["--home", str(sample_home), "export", "--format",
                                    "opensearch"])
    assert run.exit_code == 2 and "-o" in run.output


# ------------------------------------------------- a real cluster, if any ---

SERVER = os.environ.get("ARCHIVE_TEST_OPENSEARCH")


@pytest.mark.skipif(not SERVER, reason="set ARCHIVE_TEST_OPENSEARCH=URL to test against a "
                                       "running OpenSearch (none is reachable here)")
def test_against_a_cluster(sample_home, tmp_path):
    from archive.analysis import segmenter_for
    from archive.opensearch.mapping import bulk_lines

    service = SearchService(sample_home)
    segment = segmenter_for(sample_home).cut
    client = OpenSearchClient(SERVER, index=f"archive-test-{os.getpid()}")
    client.install_template(replicas=0)
    records = service.export(SearchRequest(q="", include_withdrawn=True))
    client.bulk(bulk_lines(records, segment, client.index))
    for q in QUERIES:
        answer = client.search(SearchRequest(q=q, size=100), service.searcher().synonyms,
                               segment)
        assert answer["total"] == len(service.searcher().find_ids(q)), q
