"""Normalisation of derived fields: dates, 发文字号, keywords, whitespace."""
from __future__ import annotations

import datetime

import pytest
from hypothesis import given, strategies as st

from archive.dates import parse_date, parse_date_partial
from archive.doc_numbers import normalize_doc_no
from archive.normalize import (build_record, clean_index_no, collapse_ws, normalize_body,
                               pick_fields, split_keywords)


@pytest.mark.parametrize("text, iso", [
    ("2025-12-25", "2025-12-25"),
    ("2025/12/25", "2025-12-25"),
    ("2025.12.25", "2025-12-25"),
    ("2025年12月25日", "2025-12-25"),
    ("2025年1月5日", "2025-01-05"),
    ("2019年01月27日", "2019-01-27"),
    ("2018.4.23", "2018-04-23"),
    ("2017-01-11 19:26:29", "2017-01-11"),
    ("2015-08-22 09:30", "2015-08-22"),
    ("2007-08-20-23:59:59", "2007-08-20"),
    ("发布时间：2019-03-18 17:25:07", "2019-03-18"),
    ("二〇二五年十二月二十五日", "2025-12-25"),
    ("二零二五年一月五日", "2025-01-05"),
    ("二○一八年十月三十一日", "2018-10-31"),
    ("二〇二〇年二月二十九日", "2020-02-29"),
    ("二〇一九年十一月十日", "2019-11-10"),
    ("２０２５年１２月２５日", "2025-12-25"),
    ("２０２５－１２－２５", "2025-12-25"),
])
def test_parse_date_forms(text, iso):
    assert parse_date(text) == iso


@pytest.mark.parametrize("text", [
    "2025-13-45", "2025-02-30", "2023-02-29", "2025年0月1日", "二〇二五年十三月一日",
    "二〇二五年二月三十日", "", None, "无", "2025", "2025年3月", "第12号",
])
def test_parse_date_rejects_impossible_or_partial(text):
    assert parse_date(text) is None


@pytest.mark.parametrize("text, parts", [
    ("2025", (2025, None, None)),
    ("2025年", (2025, None, None)),
    ("2025年3月", (2025, 3, None)),
    ("2025-03", (2025, 3, None)),
    ("二〇二五年三月", (2025, 3, None)),
    ("2025-03-07", (2025, 3, 7)),
    ("２０２５", (2025, None, None)),
])
def test_parse_date_partial(text, parts):
    assert parse_date_partial(text) == parts


@pytest.mark.parametrize("text", ["2025-13", "2025-02-30", "hello", "", None])
def test_parse_date_partial_rejects(text):
    assert parse_date_partial(text) is None


@given(st.dates(min_value=datetime.date(1000, 1, 1)))
def test_parse_date_round_trips_every_real_date(day):
    iso = day.isoformat()
    assert parse_date(iso) == iso
    assert parse_date(f"{day.year}年{day.month}月{day.day}日") == iso
    assert parse_date(f"{day.year}/{day.month}/{day.day} 08:00") == iso


@pytest.mark.parametrize("text, normal", [
    ("晋政办发[2024]3号", "晋政办发〔2024〕3号"),
    ("晋政办发【2024】3号", "晋政办发〔2024〕3号"),
    ("晋政办发(2024)3号", "晋政办发〔2024〕3号"),
    ("晋政办发（2024）3号", "晋政办发〔2024〕3号"),
    ("晋政办发〔2024〕3号", "晋政办发〔2024〕3号"),
    ("晋政办发［2024］3号", "晋政办发〔2024〕3号"),
    ("晋政办发﹝2024﹞3号", "晋政办发〔2024〕3号"),
    ("晋政办发〖2024〗3号", "晋政办发〔2024〕3号"),
    ("浙政办函【２０１６】42号", "浙政办函〔2016〕42号"),
    (" 国发 〔 2020 〕 1 号 ", "国发〔2020〕1号"),
    ("中华人民共和国国务院令第517号", "中华人民共和国国务院令第517号"),
    ("", None),
    (None, None),
])
def test_normalize_doc_no(text, normal):
    assert normalize_doc_no(text) == normal


def test_brackets_only_change_around_a_year():
    assert normalize_doc_no("某字(试行)12号") == "某字(试行)12号"


def test_collapse_ws_handles_ideographic_and_nbsp():
    assert collapse_ws(" a\u3000\u3000b\xa0\xa0c \n d\t") == "a b c d"
    assert collapse_ws(None) == ""


def test_split_keywords():
    assert split_keywords("纪念 遵义会议;80周年；大会,隆重，举行、今天\u3000完") == [
        "纪念", "遵义会议", "80周年", "大会", "隆重", "举行", "今天", "完"]
    assert split_keywords(" ;; ") == []
    assert split_keywords(None) == []


def test_clean_index_no_is_nfkc():
    assert clean_index_no(" ００００１４３４９／2025-32207 ") == "000014349/2025-32207"
    assert clean_index_no("  ") is None


def test_normalize_body_trims_paragraphs_only():
    text = "\u3000\u3000第一段 内容。 \r\n\n\xa0\xa0\n  第二段\u200b"
    assert normalize_body(text) == "第一段 内容。\n第二段\u200b"


def test_pick_fields_prefers_shown_value_then_rank():
    values = pick_fields([("来源", "央视网"), ("发文机关", ""), ("发布机构", "国务院")])
    assert values["issuer"] == "国务院"
    assert pick_fields([("索　引　号", "X")])["index_no"] == "X"


def test_build_record_derives_and_keeps_raw():
    raw = {"发文字号": "晋政办发[2024]3号", "主题词": "a b"}
    record = build_record({"doc_no": raw["发文字号"], "keywords": raw["主题词"],
                           "issued": "2024年1月2日", "title": " 标题\u3000一 "}, raw)
    assert (record.doc_no, record.keywords, record.issued, record.title) == (
        "晋政办发〔2024〕3号", ["a", "b"], "2024-01-02", "标题 一")
    assert record.raw["发文字号"] == "晋政办发[2024]3号"
