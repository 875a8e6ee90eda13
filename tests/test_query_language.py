"""Every item of the query language, through the library and through the CLI.

The library is `SearchService`; the CLI is `archive search --json` run with
click's CliRunner.  Both must give the same hits for the same query.
"""
from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive import jobs
from archive.analysis import DOMAIN_DICT, read_dictionary, segmenter_for
from archive.folding import fold
from archive.cli import main
from archive.query import parse
from archive.search import SearchRequest, SearchService
from archive.store import Archive


# ---------------------------------------------------------------- helpers --

def lib_search(home, q, **kw):
    kw.setdefault("all", True)
    return SearchService(home).search(SearchRequest(q=q, **kw))


def lib_ids(home, q, **kw):
    return [h.id for h in lib_search(home, q, **kw).hits]


def cli(home, *args):
    result = CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)
    return result


def cli_json(home, q, *options):
    result = cli(home, "search", "--json", "--all", *options, "--", q)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def cli_ids(home, q, *options):
    return [h["id"] for h in cli_json(home, q, *options)["hits"]]


def both(home, q, *options, **kw):
    """Hits of `q` from the library and from the CLI, checked to agree."""
    ids = lib_ids(home, q, **kw)
    assert cli_ids(home, q, *options) == ids, q
    return ids


def records(home) -> dict[int, dict]:
    archive = Archive(home, readonly=True)
    try:
        return {d: r for d, _v, s, r in archive.all_docs() if s == "active"}
    finally:
        archive.close()


def brute(home, word, field=None) -> set[int]:
    """Docs whose folded text (or field) contains `word` verbatim."""
    out = set()
    for doc_id, r in records(home).items():
        fields = {"title": r.get("title"), "body": r.get("body"), "issuer": r.get("issuer"),
                  "topic": r.get("topic"), "keywords": " ".join(r.get("keywords") or []),
                  "doc_no": r.get("doc_no"), "index_no": r.get("index_no")}
        texts = [fields[field]] if field else list(fields.values())
        if any(fold(word) in fold(t or "") for t in texts):
            out.add(doc_id)
    return out


def by_doc_no(home, doc_no) -> int:
    return next(d for d, r in records(home).items() if r.get("doc_no") == doc_no)


# ------------------------------------------------------------ a tiny home --

CUSTOM = [
    {"title": "青石茶业合作社获评示范社", "body": "青石茶业合作社带动茶农增收。<script>alert(1)</script> & 更多",
     "issuer": "青石县农业农村局", "topic": "农业农村", "issued": "2025-04-01", "index_no": "T-1"},
    {"title": "青石县茶产业发展情况", "body": "全县茶业产值增长，青石镇新建茶园。",
     "issuer": "青石县农业农村局", "topic": "农业农村", "issued": "2024-04-01", "index_no": "T-2"},
    {"title": "关于开展防汛检查的通知", "body": "各乡镇：请做好防汛准备。" + "防汛物资储备。" * 40
     + "末尾提到应急管理。",
     "issuer": "青石县应急管理局", "topic": "安全生产", "issued": "2024-06-01", "index_no": "T-3"},
]


@pytest.fixture()
def custom_home(tmp_path) -> Path:
    """A small, writable data home (each test gets its own)."""
    source = tmp_path / "src"
    source.mkdir()
    with open(source / "custom.jsonl", "w", encoding="utf-8") as out:
        for record in CUSTOM:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    home = tmp_path / "home"
    report = jobs.ingest(home, [source])
    assert report.added == len(CUSTOM)
    return home


# ----------------------------------------------------------------- boolean --

def test_and_is_the_default(sample_home):
    a, b = set(both(sample_home, "青石县")), set(both(sample_home, "防汛"))
    assert set(both(sample_home, "青石县 防汛")) == a & b
    assert set(both(sample_home, "青石县 AND 防汛")) == a & b
    assert a & b


def test_or(sample_home):
    a, b = set(both(sample_home, "防汛")), set(both(sample_home, "教育"))
    assert set(both(sample_home, "防汛 OR 教育")) == a | b
    assert set(both(sample_home, "防汛 | 教育")) == a | b
    assert a - b and b - a


@pytest.mark.parametrize("q", ["防汛 -应急", "防汛 NOT 应急"])
def test_not(sample_home, q):
    expected = set(both(sample_home, "防汛")) - set(both(sample_home, "应急"))
    assert expected
    assert set(both(sample_home, q)) == expected


def test_phrase_is_exact_substring(sample_home):
    assert set(both(sample_home, '"人大"')) == brute(sample_home, "人大")
    assert set(both(sample_home, '"县人大常委会"')) == brute(sample_home, "县人大常委会")
    # unquoted 人大 also finds 人民代表大会 (synonym)
    assert set(both(sample_home, "人大")) > set(both(sample_home, '"人大"'))


def test_parentheses(sample_home):
    expected = (set(both(sample_home, "防汛")) | set(both(sample_home, "抗旱"))) \
        & set(both(sample_home, "应急"))
    assert expected
    assert set(both(sample_home, "(防汛 OR 抗旱) 应急")) == expected
    assert set(both(sample_home, "应急 (防汛 OR 抗旱)")) == expected
    assert set(both(sample_home, "防汛 OR (抗旱 应急)")) == \
        set(both(sample_home, "防汛")) | (set(both(sample_home, "抗旱")) & set(both(sample_home, "应急")))


# ------------------------------------------------------------------ fields --

@pytest.mark.parametrize("zh,en,field,word", [
    ("标题", "title", "title", "会议"),
    ("正文", "body", "body", "营商环境"),
    ("机关", "issuer", "issuer", "教育局"),
    ("分类", "topic", "topic", "安全生产"),
    ("文号", "doc_no", "doc_no", "青教发"),
    ("索引号", "index_no", "index_no", "QS001"),
    ("主题词", "keywords", "keywords", "防汛"),
])
def test_field_names(sample_home, zh, en, field, word):
    zh_ids = both(sample_home, f"{zh}:{word}")
    assert zh_ids == both(sample_home, f"{en}:{word}")
    assert zh_ids == both(sample_home, f"{zh}：{word}")          # full-width colon
    assert set(zh_ids) == brute(sample_home, word, field) != set()
    assert set(zh_ids) <= set(both(sample_home, word))


def test_field_restriction_really_restricts(sample_home):
    assert set(both(sample_home, "标题:人大")) < set(both(sample_home, "人大"))
    assert set(both(sample_home, "机关:人大")) < set(both(sample_home, "人大"))


def test_field_with_quoted_phrase(sample_home):
    assert set(both(sample_home, '标题:"人民代表大会"')) == brute(sample_home, "人民代表大会", "title")


# ------------------------------------------------------------------- dates --

def in_dates(home, low, high):
    out = set()
    for d, r in records(home).items():
        date = r.get("issued") or r.get("published")
        if date and low <= date[:len(low)] and date[:len(high)] <= high:
            out.add(d)
    return out


@pytest.mark.parametrize("expr,low,high,cli_opts", [
    ("日期:2025", "2025", "2025", ("--from", "2025", "--to", "2025")),
    ("日期:2025-03", "2025-03", "2025-03", ("--from", "2025-03", "--to", "2025-03")),
    ("日期:2025年3月", "2025-03", "2025-03", ("--from", "2025年3月", "--to", "2025年3月")),
    ("日期:2025-01..2025-06", "2025-01", "2025-06", ("--from", "2025-01", "--to", "2025-06")),
    ("日期:>=2024-07", "2024-07", "9999", ("--from", "2024-07")),
    ("日期:<2024", "0000", "2023-12-31", ("--to", "2023")),
])
def test_dates(sample_home, expr, low, high, cli_opts):
    expected = in_dates(sample_home, low, high)
    assert expected
    assert set(both(sample_home, expr)) == expected
    # --from/--to give the same set
    assert set(cli_ids(sample_home, "", *cli_opts)) == expected


def test_date_combined_with_words(sample_home):
    assert set(both(sample_home, "日期:2025 人大")) == \
        set(both(sample_home, "人大")) & in_dates(sample_home, "2025", "2025")


def test_bad_date_is_ignored_with_a_warning(sample_home):
    result = lib_search(sample_home, "日期:明天 人大")
    assert result.warnings
    assert [h.id for h in result.hits] == lib_ids(sample_home, "人大")
    assert cli_json(sample_home, "日期:明天 人大")["warnings"]


def test_bad_from_is_a_usage_error(sample_home):
    assert cli(sample_home, "search", "--from", "someday", "人大").exit_code == 2


# ------------------------------------------------------------ 发文字号 --

@pytest.mark.parametrize("form", [
    "青政发[2025]12号", "青政发（2025）12号", "青政发〔2025〕12号", "青政发(2025)12号",
    "青政发【2025】12号", "青政发［2025］12号", "青政发﹝2025﹞12号", "青政发〔２０２５〕１２号",
    "文号:青政发[2025]12号", "发文字号:青政发(2025)12号", "〔2025〕12号", "(2025)12号",
])
def test_doc_number_any_bracket_form_first(sample_home, form):
    target = by_doc_no(sample_home, "青政发〔2025〕12号")
    ids = both(sample_home, form)
    assert ids and ids[0] == target, form


def test_doc_number_partial_forms(sample_home):
    target = by_doc_no(sample_home, "青政发〔2025〕12号")
    assert target in both(sample_home, "青政发 2025")
    assert both(sample_home, "〔2025〕12号")[0] == target
    # other documents of 2025 by the same issuer are found too, but not others
    assert set(both(sample_home, "青政发 2025")) <= brute(sample_home, "青政发") & brute(sample_home, "2025")


def test_doc_number_followed_by_words(sample_home):
    """A bracket year followed by a space and a word keeps them separate words."""
    q = parse("〔2025〕 营商环境")
    assert [w.text for w in q.words()] == ["〔2025〕", "营商环境"]
    target = by_doc_no(sample_home, "青政发〔2025〕12号")
    assert target in both(sample_home, "青政发〔2025〕 营商环境")


# ---------------------------------------------------------------- malformed --

@pytest.mark.parametrize("q", [
    "((((", ")", "人大 (", "人大 OR", "OR", "AND", "NOT", "人大 NOT", "-", '"', '"未闭合',
    "标题:", "日期:", ":", "((人大) OR", "a" * 600, " ".join(["人大"] * 50),
    "(" * 30 + "人大" + ")" * 30, "标题:(人大", "*", "人大*", "?营商",
])
def test_malformed_queries_never_fail(sample_home, q):
    result = lib_search(sample_home, q)
    assert {h.id for h in result.hits} == plain_words_oracle(sample_home, q)
    out = cli(sample_home, "search", "--json", "--", q)
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["total"] == result.total


def plain_words_oracle(home, q) -> set[int]:
    """What a query read as plain words must find, by brute force: every
    word (or a synonym) verbatim in its field, or, for a word jieba splits,
    all its parts."""
    parsed = parse(q)
    words = parsed.words()
    assert parsed.root is None or len(words) == (len(parsed.root.items)
                                                 if hasattr(parsed.root, "items") else 1)
    searcher = SearchService(home).searcher()
    found = set(records(home))
    for word in words:
        folded = fold(word.text)
        parts = searcher.query_segmenter.words_of(folded)
        matches = set().union(*(brute(home, v, word.field)
                                for v in [folded, *searcher.synonyms.get(folded, ())]))
        if len(parts) > 1 and not word.quoted:
            matches |= set.intersection(*(brute(home, p, word.field) for p in parts))
        found &= matches
    return found


@pytest.mark.parametrize("q", ["((((", "人大 OR", "NOT", "人大 NOT", "a" * 600, "人大*"])
def test_malformed_query_falls_back_with_a_warning(sample_home, q):
    assert lib_search(sample_home, q).warnings
    assert cli_json(sample_home, q)["warnings"]


def test_fallback_reads_plain_words(sample_home):
    assert set(both(sample_home, "(人大 常委会")) == \
        set(both(sample_home, "人大 常委会"))


# ------------------------------------------------------------- dictionaries --

def test_domain_dictionary_words_are_segmented_whole():
    segmenter = segmenter_for(None)
    words = read_dictionary(DOMAIN_DICT)
    assert len(words) > 100
    split = [w for w, _ in words if segmenter.words_of(w) != [w]]
    assert not split, split[:20]
    assert "营商环境" in segmenter.words_of(fold("持续优化营商环境，推进一网通办"))
    assert "一网通办" in segmenter.words_of(fold("持续优化营商环境，推进一网通办"))


def test_user_dictionary_changes_segmentation_after_full_reindex(custom_home):
    a = by_doc_no_title(custom_home, "青石茶业合作社获评示范社")
    b = by_doc_no_title(custom_home, "青石县茶产业发展情况")
    # jieba splits 青石茶业 into 青石 / 茶业; doc b holds both words apart and
    # is not a result (only verbatim matches are), whatever the dictionary
    assert segmenter_for(custom_home).words_of("青石茶业") == ["青石", "茶业"]
    assert b != a and both(custom_home, "青石茶业") == [a]
    (custom_home / "dict.txt").write_text("# user words\n青石茶业 50000 nz\n", encoding="utf-8")
    result = cli(custom_home, "reindex", "--full")
    assert result.exit_code == 0, result.output
    assert segmenter_for(custom_home).words_of("青石茶业") == ["青石茶业"]
    assert both(custom_home, "青石茶业") == [a]


def by_doc_no_title(home, title) -> int:
    return next(d for d, r in records(home).items() if r.get("title") == title)


# ---------------------------------------------------------------- synonyms --

@pytest.mark.parametrize("short,long", [("人大", "人民代表大会"), ("发改委", "发展和改革委员会"),
                                        ("人大常委会", "人民代表大会常务委员会")])
def test_synonyms_both_ways(sample_home, short, long):
    s, l = set(both(sample_home, short)), set(both(sample_home, long))
    assert s == l
    assert s >= brute(sample_home, short) | brute(sample_home, long)
    assert s


def test_user_synonyms_file(custom_home):
    a = by_doc_no_title(custom_home, "青石茶业合作社获评示范社")
    assert both(custom_home, "翠峰茶社") == []
    (custom_home / "synonyms.txt").write_text("翠峰茶社 = 青石茶业合作社\n", encoding="utf-8")
    assert both(custom_home, "翠峰茶社") == [a]          # no reindex needed
    assert a in both(custom_home, "青石茶业合作社")


def test_user_synonyms_reach_a_running_service(custom_home):
    """The web server's long-lived SearchService sees an edited synonyms file."""
    a = by_doc_no_title(custom_home, "青石茶业合作社获评示范社")
    service = SearchService(custom_home)
    assert service.search(SearchRequest(q="翠峰茶社")).total == 0
    (custom_home / "synonyms.txt").write_text("翠峰茶社 = 青石茶业合作社\n", encoding="utf-8")
    assert [h.id for h in service.search(SearchRequest(q="翠峰茶社")).hits] == [a]


# ------------------------------------------------------------------ facets --

def facet_map(facet):
    return {f["value"]: f["count"] for f in facet}


def brute_facets(home, ids):
    recs = records(home)
    counts = {"issuer": {}, "topic": {}, "year": {}}
    for d in ids:
        r = recs[d]
        date = r.get("issued") or r.get("published")
        for name, value in (("issuer", r.get("issuer")), ("topic", r.get("topic")),
                            ("year", int(date[:4]) if date else None)):
            if value:
                counts[name][value] = counts[name].get(value, 0) + 1
    return counts


def test_facets_count_the_results(sample_home):
    data = cli_json(sample_home, "青石县")
    ids = [h["id"] for h in data["hits"]]
    expected = brute_facets(sample_home, ids)
    for name in ("issuer", "topic", "year"):
        assert facet_map(data["facets"][name]) == expected[name], name
    lib = lib_search(sample_home, "青石县")
    assert lib.facets == data["facets"]


def test_selecting_a_facet_value_keeps_the_others_visible(sample_home):
    plain = cli_json(sample_home, "青石县")
    issuers = facet_map(plain["facets"]["issuer"])
    chosen = "青石县教育局"
    picked = cli_json(sample_home, "青石县", "--issuer", chosen)
    assert picked["total"] == issuers[chosen] < plain["total"]
    assert facet_map(picked["facets"]["issuer"]) == issuers       # others still there
    assert sum(facet_map(picked["facets"]["topic"]).values()) <= picked["total"]
    assert {h["issuer"] for h in picked["hits"]} == {chosen}
    # library, two issuers
    two = lib_search(sample_home, "青石县", issuers=[chosen, "青石县应急管理局"])
    assert two.total == issuers[chosen] + issuers["青石县应急管理局"]
    assert facet_map(two.facets["issuer"]) == issuers


def test_year_and_month_facets(sample_home):
    plain = cli_json(sample_home, "")
    years = facet_map(plain["facets"]["year"])
    assert years == brute_facets(sample_home, [h["id"] for h in plain["hits"]])["year"]
    year = cli_json(sample_home, "", "--year", "2024")
    assert year["total"] == years[2024]
    assert facet_map(year["facets"]["year"]) == years            # other years visible
    months = facet_map(year["facets"]["month"])
    assert sum(months.values()) == years[2024]
    month = max(months, key=months.get)
    chosen = cli_json(sample_home, "", "--year", "2024", "--month", str(month))
    assert chosen["total"] == months[month]
    assert facet_map(chosen["facets"]["month"]) == months        # other months visible
    for hit in chosen["hits"]:
        date = hit["issued"] or hit["published"]
        assert date.startswith(f"2024-{month:02d}")


def test_topic_facet_selection(sample_home):
    plain = lib_search(sample_home, "")
    topics = facet_map(plain.facets["topic"])
    picked = lib_search(sample_home, "", topics=["教育"])
    assert picked.total == topics["教育"]
    assert facet_map(picked.facets["topic"]) == topics


# ------------------------------------------------------------ highlighting --

MARK = re.compile(r"<mark>(.*?)</mark>")


def test_highlight_marks_and_escapes(custom_home):
    data = cli_json(custom_home, "茶农")
    (hit,) = data["hits"]
    snippet = hit["snippet"]
    assert "<mark>茶农</mark>" in snippet
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet
    assert "&amp;" in snippet
    without_marks = MARK.sub(r"\1", snippet)
    assert "<" not in without_marks and ">" not in without_marks


def test_snippet_never_cuts_a_mark(custom_home):
    # the only match of 应急管理 is near the end of a long body
    data = cli_json(custom_home, "应急管理 防汛")
    for hit in data["hits"]:
        marks = MARK.findall(hit["snippet"])
        assert marks
        for marked in marks:           # whole terms (adjacent ones may merge)
            assert re.fullmatch(r"(应急管理|防汛)+", fold(unescape(marked))), marked
        assert hit["snippet"].count("<mark>") == hit["snippet"].count("</mark>")


def test_traditional_text_is_marked(sample_home):
    result = lib_search(sample_home, "青石縣", size=3, all=False)
    assert result.hits
    for hit in result.hits:
        assert any(marked for _, marked in hit.title_segments)


def test_cli_shows_snippets(sample_home):
    out = cli(sample_home, "search", "--no-color", "营商环境")
    assert out.exit_code == 0
    hits = lib_search(sample_home, "营商环境", size=10, all=False).hits
    assert hits
    first_snippet = "".join(t for t, _ in hits[0].snippet_segments[0])
    assert first_snippet in out.stdout
    assert f"[{hits[0].id}]" in out.stdout


# -------------------------------------------------------- related, suggest --

def test_related_excludes_itself(sample_home):
    service = SearchService(sample_home)
    target = by_doc_no(sample_home, "青政发〔2025〕12号")
    related = service.related(target, limit=5)
    assert related
    assert target not in [h.id for h in related]
    assert len({h.id for h in related}) == len(related)


def test_did_you_mean_on_zero_results(sample_home):
    result = lib_search(sample_home, "营商环镜 青石县")
    assert result.total == 0
    assert result.suggestion
    assert lib_search(sample_home, result.suggestion).total > 0
    data = cli_json(sample_home, "营商环镜 青石县")
    assert data["suggestion"] == result.suggestion
    out = cli(sample_home, "search", "营商环镜 青石县")
    assert result.suggestion in out.stdout
    # one long-lived service keeps working after suggesting (its reader stays open)
    service = SearchService(sample_home)
    assert service.search(SearchRequest(q="营商环镜 青石县")).suggestion
    assert service.search(SearchRequest(q="青石县")).total > 0


def test_no_suggestion_when_results(sample_home):
    assert lib_search(sample_home, "青石县").suggestion is None


def test_date_ranges_include_bulletins_dated_only_by_year_or_month():
    from archive.dates import date_code
    from archive.query import parse_date_range

    for expr, iso in (("2019", "2019"), ("2019-03", "2019-03"), ("2019年3月", "2019-03"),
                      ("2018..2019", "2019"), ("<=2019", "2019")):
        found = parse_date_range(expr)
        code = date_code(iso)
        assert (found.start or 0) <= code <= (found.end or 99999999), (expr, found, code)
    assert not parse_date_range(">=2019-03").start <= date_code("2019")
