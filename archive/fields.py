"""The record's fields: the one registry every layer reads.

Each bulletin field is described once here — its JSON/CSV key, the Chinese
label shown to people, every label a source uses for it (portal pages, text
renderings, export keys), the names a user may type in the query language,
and its roles (stored for display, searchable as a substring, a facet, a
sort key).  Parsers, the store, the index, the query language, exports, the
CLI and the templates take their lists from here, so adding a label variant
or a field is a change in one place.

This module imports nothing from the package (it is read by everything).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str                         # key in Record, JSON, CSV
    label: str                        # Chinese label shown to people
    source_labels: tuple[str, ...]    # labels/keys sources use, best first
    query_names: tuple[str, ...] = () # names a user may type before ':'
    kind: str = "text"  # text | date | keywords | doc_no | url | body | provenance | attachments
    searchable: bool = False          # in the substring index, as a query field
    facet: bool = False               # counted in the sidebar
    csv: bool = True                  # a column of the CSV export
    max_chars: int = 500              # longer values are cut at ingest (reported)


# Display order is the order of this tuple (the disclosure table's order).
FIELDS: tuple[Field, ...] = (
    Field("index_no", "索引号", ("索引号", "index_no", "信息索引号", "索取号", "信息索取号",
                                 "文件索引号", "内容索引号"),
          ("索引号", "index_no"), searchable=True, max_chars=200),
    Field("doc_no", "发文字号", ("发文字号", "doc_no", "文号", "发文号", "文件编号", "发文文号",
                                "文件文号", "发文编号"),
          ("文号", "发文字号", "doc_no"), kind="doc_no", searchable=True, max_chars=200),
    Field("issuer", "发文机关",
          ("发文机关", "issuer", "发布机构", "发文单位", "发布单位", "生成机构", "制发机关",
           "成文机关", "发文部门", "发布部门", "信息来源", "文章来源", "稿件来源", "来源"),
          ("机关", "发文机关", "issuer", "来源"), searchable=True, facet=True,
          max_chars=300),
    Field("issued", "发文时间",
          ("发文时间", "issued", "成文日期", "发文日期", "成文时间", "生成日期", "印发日期",
           "印发时间", "制发日期"),
          ("发文时间", "成文日期", "发文日期", "issued"), kind="date"),
    Field("topic", "主题分类", ("主题分类", "topic", "信息分类", "所属分类", "所属主题", "公开类别",
                                "组配分类", "主题类别", "信息类别", "分类"),
          ("分类", "主题分类", "topic"), searchable=True, facet=True,
          max_chars=200),
    Field("published", "发布日期",
          ("发布日期", "published", "发布时间", "公开日期", "公开时间", "上网日期", "上网时间",
           "公示日期", "时间"),
          ("发布日期", "发布时间", "published"), kind="date"),
    Field("keywords", "主题词", ("主题词", "keywords", "关键词", "关键字"),
          ("主题词", "关键词", "keywords"), kind="keywords", searchable=True,
          max_chars=100),
    Field("title", "标题",
          ("标题", "title", "文件名称", "信息名称", "文件标题", "公文标题", "名称"),
          ("标题", "title", "题名"), searchable=True, max_chars=1000),
    Field("url", "链接", ("链接", "url", "网址"), kind="url", max_chars=2000),
    Field("body", "正文", ("正文", "body"), ("正文", "body", "内容"), kind="body",
          searchable=True, max_chars=2_000_000),   # refused, not cut: see limits
    # Derived, not read from a label: where `issued` came from when no label
    # showed it ("落款": the closing date line under the issuer's name).
    Field("issued_from", "发文时间依据", ("issued_from",), kind="provenance", csv=False,
          max_chars=20),
    # Download links of the bulletin: [{"name", "url"}]; names are searched with
    # the body (bounded in archive/parsers/attachments.py).
    Field("attachments", "附件", ("attachments",), kind="attachments", csv=False),
)

# Per-field limits are in `max_chars` above (keywords: per keyword).  Why:
# only the body had a cap, and a 10 MB issuer made the home page 27 MB for
# every visitor.  The longest real values in the development corpus are far
# below them (titles ~200 characters, issuers ~60).
MAX_KEYWORDS = 50                     # keywords kept per record

BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}

# Fields a record carries besides the body, in display order.
META_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS
                                     if f.kind not in ("body", "url", "provenance", "attachments"))

# Source label -> field name, best label first (parsers). Each label is also
# recognised with spaces inside (索 引 号) and a full- or half-width colon or none.
FIELD_LABELS: dict[str, tuple[str, ...]] = {f.name: f.source_labels for f in FIELDS}

# Labels a page shows for its metadata (Chinese, not the export-only keys of
# the body, link and derived fields), longest first so 发布时间 wins over 时间.
PAGE_LABELS: tuple[str, ...] = tuple(sorted(
    (lb for f in FIELDS if f.kind not in ("body", "url", "provenance", "attachments")
     for lb in f.source_labels if not lb.isascii()), key=len, reverse=True))

# Substring-indexed fields, in the index's layout order (grams.py).
SEARCH_FIELDS: tuple[str, ...] = ("title", "body", "issuer", "topic", "keywords", "doc_no",
                                  "index_no")

# The pseudo-field for dates in the query language (issued, else published);
# the date fields' own query names (above) filter on that date alone.
DATE_QUERY_NAMES: tuple[str, ...] = ("日期", "date")

# Date fields a query may filter on: the pseudo-field "date" and each date
# field by name (the docmap keeps one array per name, archive/index.py).
DATE_FIELDS: tuple[str, ...] = ("date",) + tuple(f.name for f in FIELDS if f.kind == "date")

# The pseudo-field for citations (archive.citations): bulletins citing a
# 发文字号 or a title.
CITES_QUERY_NAMES: tuple[str, ...] = ("引用", "cites")


def label_of(name: str) -> str:
    """The Chinese label of a field (or of a pseudo-column such as source_path)."""
    field = BY_NAME.get(name)
    return field.label if field else EXTRA_LABELS.get(name, name)


# Columns of the public JSON that are not parsed fields.
EXTRA_LABELS: dict[str, str] = {
    "id": "编号", "source_path": "来源文件", "source_line": "来源行", "ingested_at": "入库时间",
    "sha256": "原件SHA-256", "status": "状态",
}


# The disclosure table of a bulletin's page (CLI `show`, the document page).
TABLE_FIELDS: tuple[str, ...] = tuple(
    f.name for f in FIELDS
    if f.kind not in ("body", "url", "provenance", "attachments") and f.name != "title")

# Keys of a bulletin in the public JSON, in order (README "JSON shapes").
# Dates follow archive/dates.py: `issued`/`published` are YYYY-MM-DD or null,
# a date known only to the year or month is in `*_partial`.
HIT_KEYS: tuple[str, ...] = ("id", "index_no", "doc_no", "title", "issuer", "topic", "issued",
                             "published", "issued_partial", "published_partial", "keywords")
DOCUMENT_KEYS: tuple[str, ...] = HIT_KEYS + ("body", "url", "source_path", "source_line",
                                             "ingested_at", "sha256", "status", "versions",
                                             "sources", "issued_from", "attachments")
# CSV export: the document's keys with the body last (it is the long one).
CSV_COLUMNS: tuple[str, ...] = tuple(
    k for k in DOCUMENT_KEYS
    if k not in ("body", "status", "versions", "sources", "issued_from", "attachments")
) + ("body",)
