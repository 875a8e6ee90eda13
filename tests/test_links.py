"""Citation links, version diffs and reprint groups (issue 15).

A small archive of invented bulletins that cite each other in every form
(文号 in each bracket style, title, both, unknown, a law), a 转发 notice
carrying its original's text, a reformatted copy, and two bulletins of one
template; then a re-ingest that changes one bulletin's citations.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive import jobs
from archive.citations import extract
from archive.cli import main
from archive.search import SearchRequest, SearchService
from web.app import create_app

ORIGINAL_TITLE = "青石县人民政府关于加强农村饮水安全工作的通知"
LAW_TITLE = "中华人民共和国乡村饮水保障法"
ORIGINAL_BODY = (
    "各乡镇人民政府，县人民政府各部门：\n"
    "为进一步巩固提升农村供水保障水平，确保群众喝上放心水，现就有关事项通知如下。\n"
    "一、落实水源保护责任。各乡镇要划定千人以上供水工程水源保护区，设立界标和警示牌，"
    "每季度开展一次水源地环境巡查，发现问题及时处置。\n"
    "二、加强水质检测。县疾病预防控制中心每年对集中供水工程开展丰水期、枯水期两次水质检测，"
    "检测结果向社会公开。\n"
    "三、健全运行管护机制。推行县级统管、乡镇监管、村级协管的管护模式，落实管护经费和人员。\n"
    "四、本通知自印发之日起施行。")
TEMPLATE = ("{office}：\n根据工作安排，{who}定于{date}在{place}召开{topic}推进会，"
            "请{attend}准时参加，会议时长约{hours}小时，联系人{contact}，电话{phone}。"
            "请于{deadline}前将参会回执报{office2}。")


def _record(n: int, title: str, body: str, doc_no: str | None = None,
            published: str = "2024-06-01", **extra) -> dict:
    return {"index_no": f"QS099-2024-{n:05d}", "doc_no": doc_no, "title": title,
            "issuer": "青石县人民政府", "topic": "综合政务", "issued": published,
            "published": published, "keywords": "", "body": body, **extra}


def _template(**values) -> str:
    return TEMPLATE.format(**values)


RECORDS = [
    _record(1, ORIGINAL_TITLE, ORIGINAL_BODY, "青政发〔2024〕7号", "2024-03-01"),
    _record(2, "关于开展饮水工程巡查的通知",
            "根据青政发[2024]7号文件精神，县水利局组织开展饮水工程巡查，重点检查水源保护和水质检测。",
            "青水发〔2024〕3号"),
    _record(3, "关于饮水安全工作的补充通知",
            f"按照《{ORIGINAL_TITLE}》要求，各乡镇于6月底前报送工作进展。"),
    _record(4, "关于做好汛期饮水安全保障的通知",
            f"根据《{ORIGINAL_TITLE}》（青政发（2024）7号）和青政发【2024】7号要求，做好汛期供水保障。"),
    _record(5, "关于转发省里文件的通知", "现将《某省农村供水管理办法》（某政发〔2019〕99号）转发给你们。"),
    _record(6, "关于学习宣传乡村饮水保障法的通知",
            f"《{LAW_TITLE}》已公布施行，各单位要组织干部职工认真学习。"),
    _record(7, LAW_TITLE, "第一条 为了保障乡村居民饮水安全，制定本法。\n第二条 本法适用于乡村供水工程的建设和管理。",
            None, "2023-01-01"),
    _record(8, f"青石县水利局关于转发《{ORIGINAL_TITLE}》的通知",
            "现将该通知转发给你们，请认真贯彻执行。\n" + ORIGINAL_BODY, "青水发〔2024〕5号",
            "2024-03-08"),
    # the same bulletin saved again elsewhere: spaces and full-width digits differ
    _record(9, ORIGINAL_TITLE, ORIGINAL_BODY.replace("，", "， ").replace("4", "４"), None,
            "2024-03-02"),
    _record(10, "关于召开防汛工作推进会的通知", _template(
        office="各乡镇人民政府", who="县应急管理局", date="2024年6月3日上午9时",
        place="县政府三楼会议室", topic="防汛", attend="分管负责同志", hours="2",
        contact="王明", phone="0000-6120001", deadline="5月31日", office2="县应急管理局办公室")),
    _record(11, "关于召开秋粮收购工作推进会的通知", _template(
        office="各粮食购销企业", who="县发展和改革局", date="2024年9月20日下午3时",
        place="县粮食大楼二楼报告厅", topic="秋粮收购", attend="企业主要负责人", hours="1.5",
        contact="李华", phone="0000-6120388", deadline="9月18日", office2="县发展和改革局粮食股")),
]


def _write(folder: Path, records: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "links.jsonl", "w", encoding="utf-8") as out:
        out.writelines(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    folder = tmp_path_factory.mktemp("links-src")
    home = tmp_path_factory.mktemp("links-home")
    _write(folder, RECORDS)
    report = jobs.ingest(home, [folder])
    assert report.added == len(RECORDS), report.to_json()
    return home


@pytest.fixture(scope="module")
def ids(home):
    """Record number (1..) -> bulletin id, by 索引号."""
    service = SearchService(home)
    hits = service.search(SearchRequest(q="", all=True, highlight=False)).hits
    return {int(h.fields["index_no"][-5:]): h.id for h in hits}


def _show(home, doc_id):
    return SearchService(home).show(doc_id)


def _cli(home, *args):
    result = CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def _citing(home, q: str) -> set[int]:
    return set(SearchService(home).searcher().find_ids(q))


# ---------------------------------------------------------------- extraction --

@pytest.mark.parametrize("written", ["国发〔2018〕39号", "国发[2018]39号", "国发(2018)39号",
                                     "国发（2018）39号", "国发【2018】39号", "国发［2018］39号",
                                     "国发﹝2018﹞39号", "国发〖2018〗39号", "国发{2018}39号",
                                     "国发〔２０１８〕３９号", "国发〔2018〕第39号"])
def test_doc_no_in_every_bracket_form(written):
    refs = extract(None, f"根据{written}文件精神，制定本办法。")
    assert [(r.doc_no, r.title) for r in refs] == [("国发〔2018〕39号", None)]


def test_title_and_doc_no_together_are_one_reference():
    body = "根据《国务院关于加强某某工作的通知》（国发〔2018〕39号），现通知如下。再次重申国发[2018]39号要求。"
    refs = extract(None, body)
    assert [(r.doc_no, r.title) for r in refs] == [("国发〔2018〕39号", "国务院关于加强某某工作的通知")]


def test_reprint_title_and_nested_quotes():
    refs = extract("关于转发《省政府关于印发〈某某办法〉的通知》的通知", "")
    assert [(r.title, r.kind) for r in refs] == [("省政府关于印发〈某某办法〉的通知", "reprint")]


# ----------------------------------------------------------------- resolving --

def test_citations_by_doc_no_title_both_unresolved_and_law(home, ids):
    def cites(n):
        return [(c["doc_no"], c["title"], c["id"]) for c in _show(home, ids[n])["cites"]]

    assert cites(2) == [("青政发〔2024〕7号", None, ids[1])]                  # 文号, [] brackets
    assert cites(3) == [(None, ORIGINAL_TITLE, ids[1])]                        # title
    assert cites(4) == [("青政发〔2024〕7号", ORIGINAL_TITLE, ids[1])]         # both, once
    assert cites(5) == [("某政发〔2019〕99号", "某省农村供水管理办法", None)]  # unresolved
    assert cites(6) == [(None, LAW_TITLE, ids[7])]                             # a law


def test_cited_by_lists_every_citing_bulletin(home, ids):
    data = _show(home, ids[1])
    assert [c["id"] for c in data["cited_by"]] == sorted([ids[2], ids[3], ids[4], ids[8]])
    assert all(set(c) == {"id", "title", "doc_no"} for c in data["cited_by"])
    assert {c["id"]: c["title"] for c in data["cited_by"]}[ids[2]] == "关于开展饮水工程巡查的通知"


def test_cited_by_agrees_with_cites_everywhere(home, ids):
    """Oracle: B is in cited_by(A) exactly when A is among B's resolved cites."""
    shown = {i: _show(home, i) for i in ids.values()}
    for target, data in shown.items():
        expected = sorted(i for i, other in shown.items()
                          if any(c["id"] == target for c in other["cites"]))
        assert [c["id"] for c in data["cited_by"]] == expected, target
        for entry in data["cited_by"]:            # as the citing bulletin shows itself
            assert (entry["title"], entry["doc_no"]) == (shown[entry["id"]]["title"],
                                                        shown[entry["id"]]["doc_no"])


def test_only_citing_bulletins_keep_their_title_in_the_citation_file(home, ids):
    """被引用 lists citing bulletins only: the others' titles are not kept."""
    import sqlite3

    from archive.citations import FILE_NAME
    from archive.generations import current_generation

    path = current_generation(home).path / FILE_NAME
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        citing = {row[0] for row in db.execute("SELECT DISTINCT src FROM refs")}
        titled = {row[0] for row in db.execute("SELECT doc FROM keys WHERE title IS NOT NULL")}
        keyed = {row[0] for row in db.execute("SELECT doc FROM keys WHERE title_key IS NOT NULL")}
    assert titled == citing and ids[2] in citing and ids[1] not in citing
    assert keyed == set(ids.values())


def test_reprint_notice_is_linked_to_its_original(home, ids):
    cites = _show(home, ids[8])["cites"]
    assert cites[0]["id"] == ids[1] and cites[0]["kind"] == "reprint"


@pytest.mark.parametrize("q", ["cites:青政发〔2024〕7号", "cites:青政发[2024]7号",
                               "引用:青政发(2024)7号", "引用：青政发【2024】7号",
                               f'cites:"{ORIGINAL_TITLE}"', f"引用:《{ORIGINAL_TITLE}》"])
def test_cites_query_by_doc_no_or_title(home, ids, q):
    assert _citing(home, q) == {ids[2], ids[3], ids[4], ids[8]}


def test_cites_query_combines_and_misses(home, ids):
    assert _citing(home, 'cites:青政发〔2024〕7号 "工程巡查"') == {ids[2]}
    assert _citing(home, f"cites:{LAW_TITLE}") == {ids[6]}
    assert _citing(home, "cites:某政发〔2019〕99号") == {ids[5]}
    assert _citing(home, "cites:青政发〔2030〕1号") == set()


def test_cites_query_without_citers_gets_no_text_suggestion(home):
    # A 引用: value common in bulletins' text but cited by none: no result,
    # and no did-you-mean computed on a field the text index does not have
    # (it raised ValueError from the substring index before).
    result = SearchService(home).search(SearchRequest(q="cites:人民政府"))
    assert (result.total, result.suggestion) == (0, None)


# ---------------------------------------------------------------- reprints --

def test_copies_grouped_and_template_siblings_not(home, ids):
    hits = SearchService(home).search(SearchRequest(q="", all=True, highlight=False)).hits
    group = {h.id: (h.fields["group"], h.fields["group_size"]) for h in hits}
    assert group[ids[1]] == group[ids[9]] == group[ids[8]] == (ids[1], 3)
    assert group[ids[10]] == (ids[10], 1) and group[ids[11]] == (ids[11], 1)
    assert group[ids[2]] == (ids[2], 1)


def test_collapse_in_cli_and_api(home, ids):
    full = json.loads(_cli(home, "search", "饮水", "--all", "--json"))
    collapsed = json.loads(_cli(home, "search", "饮水", "--all", "--json", "--collapse"))
    assert collapsed["total"] == full["total"]                 # still counts bulletins
    groups = [h["group"] for h in collapsed["hits"]]
    assert len(groups) == len(set(groups)) == collapsed["total_groups"]
    assert set(groups) == {h["group"] for h in full["hits"]}
    assert ids[9] not in [h["id"] for h in collapsed["hits"]]
    client = create_app(home).test_client()
    api = client.get("/api/search?q=饮水&size=100&collapse=1").get_json()
    assert [h["id"] for h in api["hits"]] == [h["id"] for h in collapsed["hits"]]
    plain = client.get("/api/search?q=饮水&size=100").get_json()
    assert "total_groups" not in plain and len(plain["hits"]) == full["total"]
    text = _cli(home, "search", "饮水", "--collapse", "--limit", "20")
    assert "另有 2 篇相同或相近" in text


def test_web_collapses_groups_and_expands_them(home, ids):
    html = create_app(home).test_client().get("/?q=饮水&size=50").get_data(as_text=True)
    groups = {ids[1], ids[2], ids[3], ids[4], ids[6], ids[7]}          # 8 and 9 are in 1's
    assert html.count('class="hit"') == len(groups)
    assert "另有 2 篇相同或相近" in html
    assert f'href="/doc/{ids[9]}"' in html and f'href="/doc/{ids[8]}"' in html


# ------------------------------------------------------- re-ingest and diff --

@pytest.fixture(scope="module")
def changed_home(tmp_path_factory):
    """The archive after bulletin 2 changed: its citation of 青政发〔2024〕7号
    replaced by one of the law, a date and a figure changed."""
    folder = tmp_path_factory.mktemp("links-src2")
    home = tmp_path_factory.mktemp("links-home2")
    _write(folder, RECORDS)
    jobs.ingest(home, [folder])
    changed = [dict(r) for r in RECORDS]
    changed[1] = _record(2, "关于开展饮水工程巡查的通知（修订）",
                         f"根据《{LAW_TITLE}》，县水利局组织开展饮水工程巡查，重点检查水源保护和水质检测，共45处。",
                         "青水发〔2024〕3号", "2024-06-15")
    _write(folder, changed)
    report = jobs.ingest(home, [folder])
    assert report.updated == 1, report.to_json()
    return home


def test_reingest_adds_and_removes_citations(changed_home):
    service = SearchService(changed_home)
    original = service.searcher().find_ids(f"标题:{ORIGINAL_TITLE}")
    law = service.searcher().find_ids(f"标题:{LAW_TITLE}")
    two = service.searcher().find_ids("标题:饮水工程巡查")[0]
    assert two not in [c["id"] for c in service.show(original[0])["cited_by"]]
    assert [c["title"] for c in service.show(law[0])["cited_by"] if c["id"] == two] == [
        "关于开展饮水工程巡查的通知（修订）"]
    assert two not in _citing(changed_home, "cites:青政发〔2024〕7号")
    assert two in _citing(changed_home, f"cites:{LAW_TITLE}")


def test_diff_of_metadata_and_body(changed_home):
    two = SearchService(changed_home).searcher().find_ids("标题:饮水工程巡查")[0]
    data = json.loads(_cli(changed_home, "show", str(two), "--diff", "--json"))
    assert set(data) == {"id", "from_version", "to_version", "fields", "changes"}
    assert (data["id"], data["from_version"], data["to_version"]) == (two, 1, 2)
    assert data["fields"]["title"] == ["关于开展饮水工程巡查的通知", "关于开展饮水工程巡查的通知（修订）"]
    assert data["fields"]["published"] == ["2024-06-01", "2024-06-15"]
    assert "doc_no" not in data["fields"]
    ops = [(c["op"], c["old"], c["new"]) for c in data["changes"] if c["op"] != "equal"]
    assert ("replace", "青政发[2024]7号文件精神", f"《{LAW_TITLE}》") in ops
    assert ("insert", "", "，共45处") in ops
    old = "".join(c["old"] for c in data["changes"])
    new = "".join(c["new"] for c in data["changes"])
    assert old == RECORDS[1]["body"] and new.endswith("共45处。")
    text = _cli(changed_home, "show", str(two), "--diff")
    assert "{+，共45处+}" in text and "发布日期: 2024-06-01 -> 2024-06-15" in text


def test_diff_needs_two_versions(home, ids):
    result = CliRunner().invoke(main, ["--home", str(home), "show", str(ids[1]), "--diff"])
    assert result.exit_code == 2 and "1 version" in result.output


def test_document_page_shows_revision_log(changed_home):
    two = SearchService(changed_home).searcher().find_ids("标题:饮水工程巡查")[0]
    html = create_app(changed_home).test_client().get(f"/doc/{two}").get_data(as_text=True)
    assert "修订记录" in html and "第 1 版 → 第 2 版" in html
    assert '<ins><span class="diff-mark">增</span>，共45处</ins>' in html
    assert "<del>" in html


def test_cited_doc_no_in_body_is_a_link(home, ids):
    html = create_app(home).test_client().get(f"/doc/{ids[4]}").get_data(as_text=True)
    assert f'<a class="cite-link" href="/doc/{ids[1]}" title="青政发〔2024〕7号">青政发【2024】7号</a>' in html
    assert "本文引用" in html and "被引用（0）" in html
    page = create_app(home).test_client().get(f"/doc/{ids[1]}").get_data(as_text=True)
    assert "被引用（4）" in page


def test_sync_after_copying_an_old_generation_backfills(tmp_path):
    """An index built before citations existed gets them at the next sync."""
    folder, home = tmp_path / "src", tmp_path / "home"
    _write(folder, RECORDS[:2])
    jobs.ingest(home, [folder])
    generation = next((home / "index").glob("gen-*"))
    (generation / "citations.sqlite").unlink()
    (generation / "reprints.npz").unlink()
    _write(folder, RECORDS[:3])
    jobs.ingest(home, [folder])
    service = SearchService(home)
    first = service.searcher().find_ids(f"标题:{ORIGINAL_TITLE}")[0]
    assert len(service.show(first)["cited_by"]) == 2
    shutil.rmtree(folder)


def test_grouping_of_none_one_and_short_bodies():
    from archive import reprints

    for texts in ([], ["短"], ["长" * 300], ["短", "长" * 300, "文" * 50]):
        data = reprints.hash_entries([(n, True, text, "") for n, text in enumerate(texts, 1)])
        assert reprints.group(data).tolist() == list(range(1, len(texts) + 1))


def test_titles_of_a_reprint_and_of_template_siblings():
    from archive.reprints import title_text, titles_agree

    original = title_text("青石县人民政府关于印发《青石县农村人居环境整治提升实施方案（2025—2027年）》的通知")
    reprint = title_text("青石县农业农村局关于转发《青石县人民政府关于印发〈青石县农村人居环境整治提升"
                         "实施方案（2025—2027年）〉的通知》的通知")
    assert titles_agree(original, reprint)
    assert titles_agree(title_text("[视频]中央领导同志看望老同志"), title_text("中央领导同志看望老同志"))
    assert not titles_agree(title_text("日照市制定地方性法规条例"), title_text("济宁市制定地方性法规条例"))
