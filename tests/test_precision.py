"""Exact result sets, near matches, did-you-mean, and queries as people type them.

Issue #11 items 1-3 and #12 item 1: a result set is exactly the bulletins
containing the word (a synonym, a 发文字号 in other brackets); near matches
are a separate group; typos get a corrected query with its count; full-width
operators, 或/且/非, date fields and warnings; each distinct string looked
up once and the deadline honoured inside the substring index's loops.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from archive import grams, nearby
from archive import searcher as searcher_module
from archive.analysis import fold
from archive.cli import main
from archive.query import MAX_INPUT_CHARS, parse
from archive.search import SearchRequest, SearchService, SearchTimeout
from archive.store import Archive


def run(home, *args):
    return CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)


def search_json(home, *args):
    result = run(home, "search", "--json", "--all", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def folded_texts(home) -> dict[int, str]:
    archive = Archive(home, readonly=True)
    out = {}
    for doc_id, _vid, status, record in archive.all_docs():
        if status == "active":
            out[doc_id] = "\x1f".join(fold(record.get(f) or "") for f in (
                "title", "body", "issuer", "topic")) + "\x1f" + fold(
                " ".join(record.get("keywords") or [])) + "\x1f" + "\x1f".join(
                fold(record.get(f) or "") for f in ("doc_no", "index_no"))
    archive.close()
    return out


# ------------------------------------------------------------ a small home --

def _record(n, title, body, **extra):
    return {"index_no": f"P-{n:03d}", "title": title, "body": body,
            "issuer": extra.pop("issuer", "青石县人民政府"), "topic": "综合政务",
            "issued": extra.pop("issued", "2024-03-01"), **extra}


RECORDS = (
    [_record(i, f"持续优化营商环境第{i}次会议", f"会议研究营商环境工作，赵永进同志出席。第{i}项。")
     for i in range(1, 15)]
    + [_record(20, "营商坏境问题整改", "个别文件把营商坏境写错了。"),
       _record(21, "项目建设推进会", "会上强调优化营商和法治环境。"),   # parts far apart
       _record(22, "营商工作环境报告", "营商工作环境持续改善。"),        # parts 2 chars apart
       _record(23, "关于印发实施方案的通知", "北政办发〔2024〕81号文件附后。",
               doc_no="北政办发〔2024〕81号"),
       _record(24, "年底发布的旧文件", "防汛抗旱工作总结。", issued="2023-12-28",
               published="2024-02-01"),
       _record(25, "视频会议纪要", "召开防汛视频会议。", issued="2024-05-01")]
)


@pytest.fixture(scope="module")
def home(records_home):
    return records_home("precision", RECORDS)


@pytest.fixture(scope="module")
def service(home):
    return SearchService(home)


def ids(service, q, **kw):
    return {h.id for h in service.search(SearchRequest(q=q, all=True, highlight=False,
                                                       **kw)).hits}


def by_index_no(home, index_no) -> int:
    archive = Archive(home, readonly=True)
    try:
        return next(d for d, _v, _s, r in archive.all_docs() if r.get("index_no") == index_no)
    finally:
        archive.close()


# ----------------------------------------------------------- near matches --

def near_oracle(texts, parts, exact):
    """Docs with `parts` in order, at most MAX_GAP characters apart, minus exact."""
    gap = rf"[^\x1e\x1f]{{0,{nearby.MAX_GAP}}}?"
    pattern = re.compile(gap.join(re.escape(p) for p in parts))
    return {d for d, t in texts.items() if pattern.search(t)} - exact


def test_split_word_is_exact_and_near_matches_are_separate(home, service):
    texts = folded_texts(home)
    result = service.search(SearchRequest(q="营商工作环境报告", highlight=False))
    exact = {d for d, t in texts.items() if "营商工作环境报告" in t}
    assert {h.id for h in result.hits} == exact and result.total == len(exact)

    result = service.search(SearchRequest(q="营商环境会议"))
    assert result.total == 0
    parts = nearby.parts_of(parse("营商环境会议").root, service.searcher().query_segmenter)
    assert len(parts) >= 2 and all(len(p) > 1 for p in parts)
    expected = near_oracle(texts, parts, set())
    assert result.partial_total == len(expected) and expected
    assert {h.id for h in result.partial} <= expected
    # facets and exports count the exact set only
    assert result.facets["issuer"] == []
    assert list(service.export(SearchRequest(q="营商环境会议"))) == []


def test_near_matches_never_from_single_characters(service):
    # 赵永进 is 赵 / 永进 to the segmenter: one dictionary word, no near matches
    result = service.search(SearchRequest(q="赵永近"))
    assert result.total == 0 and result.partial == [] and result.partial_total == 0


def test_no_near_matches_when_exact_matches_are_many(service):
    result = service.search(SearchRequest(q="营商环境"))
    assert result.total >= nearby.NEAR_THRESHOLD and result.partial_total == 0


def test_near_matches_in_cli_and_json(home):
    data = search_json(home, "营商环境会议")
    assert data["total"] == 0 and data["partial_total"] > nearby.SHOWN
    assert len(data["partial"]) == nearby.SHOWN
    out = run(home, "search", "营商环境会议").stdout
    assert "相近结果" in out


# ------------------------------------------------------------- suggestions --

def test_typo_without_hits_gets_the_corrected_word_and_its_count(service):
    result = service.search(SearchRequest(q="营商坏竟"))
    assert result.total == 0
    assert result.suggestion == "营商环境"
    assert result.suggestion_total == len(ids(service, "营商环境"))


def test_typo_with_a_few_hits_still_gets_a_suggestion(home, service):
    result = service.search(SearchRequest(q="营商坏境"))
    assert result.total == 1
    assert (result.suggestion, result.suggestion_total) == ("营商环境", len(ids(service, "营商环境")))
    data = search_json(home, "营商坏境")
    assert data["suggestion"] == "营商环境" and data["suggestion_total"] == result.suggestion_total
    assert "您是不是要找：营商环境" in run(home, "search", "营商坏境").stdout


def test_names_from_the_corpus_are_suggested(service):
    # 赵永进 is in no dictionary: it comes from the corpus's own phrases
    assert service.search(SearchRequest(q="赵勇进")).suggestion == "赵永进"   # same sound
    assert service.search(SearchRequest(q="赵进永")).suggestion == "赵永进"   # swapped


def test_no_suggestion_for_a_correct_common_word(service):
    assert service.search(SearchRequest(q="营商环境")).suggestion is None


@pytest.mark.parametrize("q", ["陈德昌", "北政办发202481号", "绝无此词甲乙丙丁"])
def test_never_a_single_character_for_a_longer_word(service, q):
    suggestion = service.search(SearchRequest(q=q)).suggestion
    assert suggestion is None or len(suggestion) > 1


# ----------------------------------------------------------- query forms --

def test_full_width_operators_and_chinese_operator_words(service):
    either = ids(service, "防汛 OR 赵永进")
    assert either and ids(service, "（防汛 ｜ 赵永进）") == either
    assert ids(service, "防汛 或 赵永进") == either
    assert ids(service, "防汛 且 视频") == ids(service, "防汛 AND 视频") != set()
    assert ids(service, "防汛 非 视频") == ids(service, "防汛 -视频") == ids(service, "防汛 －视频")
    assert ids(service, "＂营商环境＂") == ids(service, '"营商环境"')
    assert ids(service, "标题：营商") == ids(service, "标题:营商")
    assert ids(service, "＋防汛") == ids(service, "防汛")


def test_cli_several_words_and_a_leading_minus(home, service):
    assert {h["id"] for h in search_json(home, "防汛", "抗旱")["hits"]} == \
        ids(service, "防汛 抗旱")
    everything_but = {h["id"] for h in search_json(home, "-视频")["hits"]}
    assert everything_but == ids(service, "-视频") and everything_but
    result = run(home, "search", "--bogus")
    assert result.exit_code == 2 and "--" in result.output


def test_unknown_field_warns(service):
    result = service.search(SearchRequest(q="作者:张三"))
    assert any("作者" in w and "字段" in w for w in result.warnings)


def test_date_fields_issued_and_published(home, service):
    late = by_index_no(home, "P-024")          # issued 2023-12-28, published 2024-02-01
    assert late in ids(service, "发布日期:2024") and late not in ids(service, "发布日期:2023")
    assert late in ids(service, "发文时间:2023") and late not in ids(service, "发文时间:2024")
    assert ids(service, "成文日期:2023") == ids(service, "发文时间:2023")
    assert late in ids(service, "日期:2023")   # the pseudo-field: issued, else published


def test_reversed_date_range_warns_and_is_read_forwards(service):
    result = service.search(SearchRequest(q="日期:2024..2023", all=True))
    assert any("颠倒" in w for w in result.warnings)
    assert {h.id for h in result.hits} == ids(service, "日期:2023..2024")
    result = service.search(SearchRequest(q="", date_from="2024", date_to="2023"))
    assert any("颠倒" in w for w in result.warnings) and result.total > 0


def test_unknown_filter_values_warn(service):
    result = service.search(SearchRequest(q="", issuers=["不存在的机关"], topics=["无此分类"]))
    assert result.total == 0
    assert any("不存在的机关" in w for w in result.warnings)
    assert any("无此分类" in w for w in result.warnings)


@pytest.mark.parametrize("q,cause", [('"营商环境', "引号"), ("“营商环境", "引号"),
                                     ("(防汛 抗旱", "括号"), ("防汛 抗旱)", "括号")])
def test_unbalanced_quotes_and_parentheses_warn(service, q, cause):
    result = service.search(SearchRequest(q=q))
    assert any(cause in w for w in result.warnings), result.warnings
    assert result.total > 0


def test_doc_no_without_brackets(home, service):
    target = by_index_no(home, "P-023")
    assert ids(service, "北政办发202481号") == {target}
    assert ids(service, "文号:北政办发202481号") == {target}


def test_long_query_rule_is_the_same_in_cli_and_api(home):
    from web.app import create_app

    q = "营" * (MAX_INPUT_CHARS + 1)
    result = run(home, "search", q)
    assert result.exit_code == 2 and str(MAX_INPUT_CHARS) in result.output
    client = create_app(home).test_client()
    response = client.get("/api/search", query_string={"q": q})
    assert response.status_code == 400 and str(MAX_INPUT_CHARS) in response.get_json()["error"]
    ok = "营商环境 " * (MAX_INPUT_CHARS // 5)                  # within: cut, with a warning
    assert len(ok) <= MAX_INPUT_CHARS
    assert run(home, "search", ok).exit_code == 0
    assert client.get("/api/search", query_string={"q": ok}).status_code == 200


# ----------------------------------------------------------------- cost --

def test_each_distinct_string_is_looked_up_once(service, monkeypatch):
    searcher = service.searcher()
    calls = []
    original = grams.GramIndex.find

    def counting(self, word, field=None, check=None, among=None):
        calls.append((word, field))
        return original(self, word, field, check, among)

    monkeypatch.setattr(grams.GramIndex, "find", counting)
    result = searcher.search(SearchRequest(q=" ".join(["营商环境会议"] * 120)))
    assert len(calls) == len(set(calls))
    assert any("超过" in w for w in result.warnings)


def test_an_and_bound_is_looked_up_once_per_generation(service, monkeypatch):
    """Whole-archive gram candidates are remembered across searches (the
    generation never changes): a repeated AND looks each word up once, and
    answers exactly as the first time."""
    searcher = service.searcher()
    calls = []
    original = grams.GramIndex.candidates

    def counting(self, *words):
        calls.append(words)
        return original(self, *words)

    monkeypatch.setattr(grams.GramIndex, "candidates", counting)
    request = SearchRequest(q="人大常委会 会议 -通知")
    first = searcher.search(request)
    looked_up = list(calls)
    again = searcher.search(request)
    assert looked_up and calls == looked_up
    assert again.total == first.total
    assert [h.docnum for h in again.hits] == [h.docnum for h in first.hits]
    assert searcher.find_ids("人大常委会 会议 -通知") == sorted(
        int(i) for i in searcher.doc_id[np.intersect1d(
            searcher.exact("人大常委会"), np.setdiff1d(searcher.exact("会议"),
                                                   searcher.exact("通知")))])


def test_distinct_words_are_capped(service):
    words = [f"词{i:02d}" for i in range(40)]
    parsed = parse(" ".join(words))
    assert len({w.text for w in parsed.words()}) <= 16 and parsed.warnings


def test_deadline_is_checked_inside_verification(service):
    segment = service.searcher().grams.segments[0]
    local = np.arange(len(segment.keys), dtype=np.uint32)
    calls = []

    def check():
        calls.append(1)
        if len(calls) > 1:
            raise SearchTimeout("stop")

    old = grams.VERIFY_CHUNK
    grams.VERIFY_CHUNK = 2
    try:
        with pytest.raises(SearchTimeout):
            segment.contains(local, "营商", None, check)
    finally:
        grams.VERIFY_CHUNK = old
    assert len(calls) == 2


def test_a_search_past_its_deadline_stops(service, monkeypatch):
    monkeypatch.setattr(searcher_module, "SEARCH_TIME_LIMIT", -1.0)
    with pytest.raises(SearchTimeout):
        service.searcher().search(SearchRequest(q="营商环境会议"))


# ----------------------------------------------------------- README examples --

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_json_example_is_true_on_the_sample(sample_home):
    text = README.read_text(encoding="utf-8")
    example = re.search(r'\{"query": "人大常委会", "total": (\d+).*?"hits": \[\{"id": (\d+), '
                        r'"index_no": "([^"]+)", "doc_no": "([^"]+)"', text, re.S)
    assert example, "the README's JSON example"
    data = search_json(sample_home, "人大常委会")
    first = data["hits"][0]
    assert (data["total"], first["id"], first["index_no"], first["doc_no"]) == (
        int(example[1]), int(example[2]), example[3], example[4])
    assert {"suggestion_total", "partial", "partial_total"} <= set(data)


def test_readme_doc_no_forms_are_true_on_the_sample(sample_home):
    text = README.read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| `青政发[2025]12号`"))
    forms = re.findall(r"`(青政发[^`]*12号)`", row)
    assert len(forms) == 4
    found = [{h["id"] for h in search_json(sample_home, form)["hits"]} for form in forms]
    assert found[0] and all(f == found[0] for f in found)
