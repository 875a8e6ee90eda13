"""Block-aware text of an HTML element, as a reader sees it laid out.

Tables with several cells a row give one line a row, cells joined by TAB;
every block element starts a new line. Iterative (lxml's iterwalk), so
nesting depth is no concern, and each row's cells are counted once, so a
row of 20,000 cells renders in linear time.
"""
from __future__ import annotations

import re

import lxml.etree as etree

from archive.normalize import collapse_ws

BLOCK_TAGS = {"p", "div", "li", "dd", "dt", "dl", "ul", "ol", "table", "tbody", "tr", "td",
              "th", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header",
              "footer", "aside", "nav", "center", "blockquote", "pre", "address",
              "figure", "figcaption", "main", "hr", "br", "form", "fieldset"}


def tag_of(el) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


# HTML renders a run of spaces and line breaks as one space; &nbsp; runs are
# page layout (indents, pushed-right signatures), not content.
INLINE_SPACE = re.compile(r"[ \t\r\n\f\xa0]+")
# Within a rendered line: any whitespace run but TAB (table cells) and U+3000
# (a deliberate full-width space) becomes one space.
LINE_SPACE = re.compile(r"[^\S\t\u3000]+")


class Renderer:
    """Block-aware text of an element; tables with several cells a row give one
    line a row, cells joined by TAB. Iterative, so depth is no concern."""

    def __init__(self):
        self.out: list[str] = []        # finished text
        self.cells: list[list[str]] = []  # stack: cell buffers of open multi-cell rows
        self.rows: list[list[str]] = []   # stack: finished cells of open multi-cell rows
        self.counts: dict = {}            # row -> cell count (a 20,000-cell row is counted once)

    def _cells_of(self, row) -> int:
        count = self.counts.get(row)
        if count is None:
            count = self.counts[row] = cell_count(row)
        return count

    def _write(self, text: str) -> None:
        (self.cells[-1] if self.cells else self.out).append(text)

    def _newline(self) -> None:
        self._write(" " if self.cells else "\n")

    def render(self, el) -> str:
        for event, node in etree.iterwalk(el, events=("start", "end")):
            tag = tag_of(node)
            if event == "start":
                self._start(node, tag)
            else:
                self._end(node, tag)
                if node is not el and node.tail:
                    self._write(INLINE_SPACE.sub(" ", node.tail))
        return "".join(self.out)

    def _start(self, node, tag: str) -> None:
        if tag == "tr" and self._cells_of(node) > 1:
            self.rows.append([])
        elif tag in ("td", "th") and self._in_split_row(node):
            self.cells.append([])
        elif tag in BLOCK_TAGS:
            self._newline()
        if tag and node.text:
            self._write(INLINE_SPACE.sub(" ", node.text))

    def _end(self, node, tag: str) -> None:
        if tag in ("td", "th") and self._in_split_row(node):
            self.rows[-1].append(collapse_ws("".join(self.cells.pop())))
        elif tag == "tr" and self._cells_of(node) > 1:
            cells = self.rows.pop()
            self._newline()
            self._write("\t".join(cells))
            self._newline()
        elif tag in BLOCK_TAGS:
            self._newline()

    def _in_split_row(self, cell) -> bool:
        row = cell.getparent()
        return (row is not None and tag_of(row) == "tr" and bool(self.rows)
                and self._cells_of(row) > 1)


def cell_count(row) -> int:
    return sum(1 for c in row if tag_of(c) in ("td", "th"))
