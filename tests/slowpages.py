"""Pages built to make a careless parser slow: name -> bytes.

Shared by the hostile tests (which assert what comes out) and by
`scripts/parse_accuracy.py --slow` (which times them; speed is measured there,
never in a unit test).  Before issue #13 these took 64-245 s each to parse.
"""
from __future__ import annotations

_HEAD = '<html><head><meta charset="utf-8"><title>关于慢页面测试的通知</title></head><body>'
_ARTICLE = '<div class="content"><h1>关于慢页面测试的通知</h1><p>正文第一段。</p></div>'


def many_tags(count: int = 100_000) -> bytes:
    spans = "".join(f"<span>字{i % 10}</span>" for i in range(count))
    return (_HEAD + _ARTICLE + f"<div>{spans}</div></body></html>").encode()


def deep_nesting(depth: int = 200) -> bytes:
    """Nested just under libxml2's depth limit (256): the parser must cope."""
    return (_HEAD + "<div>" * depth + _ARTICLE + "</div>" * depth + "</body></html>").encode()


def huge_attribute(size: int = 5_000_000) -> bytes:
    return (_HEAD + f'<div class="{"x" * size}" title="{"y" * size}">' + _ARTICLE
            + "</div></body></html>").encode()


def many_label_items(count: int = 10_000) -> bytes:
    items = "".join(f"<li>发文机关：机关{i}</li>" for i in range(count))
    return (_HEAD + f"<ul>{items}</ul>" + _ARTICLE + "</body></html>").encode()


def many_label_rows(count: int = 2_500) -> bytes:
    rows = "".join(f"<tr><td>索引号：</td><td>A{i}</td><td>发布日期：</td><td>2024-01-01</td></tr>"
                   for i in range(count))
    return (_HEAD + f"<table>{rows}</table>" + _ARTICLE + "</body></html>").encode()


def wide_row(cells: int = 20_000) -> bytes:
    tds = "".join(f"<td>格{i}</td>" for i in range(cells))
    return (_HEAD + '<div class="content"><p>正文第一段。</p>'
            f"<table><tr>{tds}</tr><tr><td>a</td><td>b</td></tr></table></div></body></html>").encode()


def too_deep(depth: int = 100_000) -> bytes:
    """Past any sane nesting: must fail with a reason, not come out empty."""
    return (_HEAD + "<div>" * depth + "深层嵌套正文" + "</div>" * depth + "</body></html>").encode()


SLOW_PAGES = {
    "100k-tags.html": many_tags,
    "deep-200.html": deep_nesting,
    "huge-attribute.html": huge_attribute,
    "10k-label-items.html": many_label_items,
    "2500-label-rows.html": many_label_rows,
    "20k-cell-row.html": wide_row,
    "too-deep.html": too_deep,
}
