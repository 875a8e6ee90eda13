"""The library's errors for Chinese readers, chosen by the error's `code`.

`archive.errors.ArchiveError` carries a stable code and the values its
message names (`details`); this table words each code for the pages and
never reads the English text, so rewording a library message cannot break
the web app.  A code missing here falls back to a generic message (and a
test lists every code the library raises).
"""
from __future__ import annotations

from archive.errors import ArchiveError, UsageError

CHINESE = {
    "query_too_long": "检索词过长（{length} 字）：最多 {max} 字，超过 {used} 字的部分不参与检索",
    "bad_sort": "排序方式（sort）只能是 {choices}",
    "bad_page": "页码（page）须在 1 到 {max} 之间",
    "bad_size": "每页条数（size）须在 1 到 {max} 之间",
    "bad_month": "月份（month）须在 1 到 12 之间",
    "month_needs_year": "选择月份（month）时须同时给出年份（year）",
    "bad_date": "无法识别的日期“{value}”，可写 2024、2024-03 或 2024-03-18",
    "timeout": "检索用时过长，已停止：请换用更少或更长的检索词，或加上筛选条件后再试。",
    "request_timeout": "处理此请求用时过长，已停止：请稍后再试，或换用更短的检索词。",
    "no_index": "档案尚未建立索引：请先运行 archive ingest 导入文件。",
    "no_archive": "数据目录中没有档案：请先运行 archive ingest 导入文件。",
    "not_found": "没有编号为 {doc_id} 的文件。",
    "config": "数据目录的配置文件 archive.toml 有误，请联系管理员。",
}
# English for the JSON API where the library's message names a server path.
ENGLISH = {
    "no_index": "no index yet: run `archive ingest PATH` first",
    "no_archive": "no archive yet: run `archive ingest PATH` first",
}
GENERIC = {True: "请求参数有误。", False: "处理请求时出错，请稍后再试。"}

# HTTP status by code; other usage errors are 400, other errors 500.
STATUS = {"timeout": 503, "request_timeout": 503, "no_index": 503, "no_archive": 503,
          "not_found": 404}


def chinese(exc: ArchiveError) -> str:
    """The message for a Chinese reader of the page."""
    template = CHINESE.get(exc.code)
    if template is None:
        return GENERIC[isinstance(exc, UsageError)]
    try:
        return template.format(**exc.details)
    except (KeyError, IndexError):
        return GENERIC[isinstance(exc, UsageError)]


def english(exc: ArchiveError) -> str:
    """The message for the JSON API (no server paths)."""
    return ENGLISH.get(exc.code, str(exc))


def status(exc: ArchiveError) -> int:
    return STATUS.get(exc.code, 400 if isinstance(exc, UsageError) else 500)
