"""HTML detail pages saved from government portals.

No portal template is known by name. The parser works in steps:

1. Parse with lxml; drop scripts, styles, forms, iframes, hidden elements.
2. Metadata from `<meta>` tags (ArticleTitle, PubDate, ContentSource, ...)
   and from visible label/value layouts: the label and its value may share a
   text run (`发布时间：2019-03-18`), or sit in adjacent elements (td/td,
   th/td, dt/dd, label/span, span + tail text). Labels may be spaced
   (`索　引　号`) and the colon full-width, half-width or absent. Visible
   labels beat meta tags. Each value must look like its field (a date for a
   date label, a short name for an issuer) so sentences in the article are
   not taken for metadata.
3. The blocks that held metadata are removed, then page chrome (navigation,
   share/print widgets, related lists, attachments, footers: recognised by
   class/id words and link density).
4. The content container is the element that directly holds the most
   paragraph text, weighted by class/id hints (content, article, zoom,
   TRS_Editor, ...).
5. The body is rendered block by block (tables row by row, cells joined by
   TAB); lines are trimmed, empty ones and widget lines dropped, and a
   leading repeat of the title removed.
"""
from __future__ import annotations

import re

import lxml.etree as etree
import lxml.html

from archive.dates import parse_date
from archive.model import ParseResult, Record
from archive.normalize import (FIELD_LABELS, build_record, collapse_ws, label_field,
                               pick_fields, strip_ws)

# ---------------------------------------------------------------- loading

_JUNK_TAGS = ("script", "style", "noscript", "template", "iframe", "frame", "frameset",
              "object", "embed", "applet", "svg", "canvas", "select", "button",
              "textarea", "input", "form", "link", "map", "audio", "video")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
# A closing </html> or </body> in the middle of a page (a server-side include)
# makes libxml2 drop everything after it; they are implied at the end anyway.
_STRAY_CLOSE = re.compile(r"</\s*(?:html|body)\s*>", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.I)


def _load(text: str):
    text = _XML_DECL.sub("", _STRAY_CLOSE.sub("", text.lstrip("\ufeff")))
    # The default parser caps nesting depth (libxml2's 256), so a hostile page
    # of 100,000 nested divs is cut short instead of exhausting memory or stack.
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True)
    return lxml.html.document_fromstring(text, parser=parser)


def _tag(el) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def _drop(el) -> None:
    """Remove an element and its subtree; its tail text stays in the parent."""
    if el.getparent() is not None:
        el.drop_tree()


def _remove_junk(root) -> None:
    doomed = [el for el in root.iter() if _is_junk(el)]
    for el in doomed:
        _drop(el)


def _is_junk(el) -> bool:
    tag = _tag(el)
    if not tag:
        return True
    if tag in _JUNK_TAGS:
        return True
    return el.get("hidden") is not None or bool(_HIDDEN_STYLE.search(el.get("style", "")))


def _text(el) -> str:
    return el.text_content() if el is not None else ""


# ---------------------------------------------------------------- meta tags

_META_FIELDS = {
    "title": ("articletitle", "og:title"),
    "published": ("pubdate", "firstpublishedtime", "publishdate", "article:published_time"),
    "issuer": ("contentsource",),
}


def _meta(root) -> dict[str, str]:
    found: dict[str, str] = {}
    for el in root.iter("meta"):
        name = el.get("name") or el.get("property")
        content = el.get("content")
        if name and content is not None:
            found.setdefault(name, content)
    return found


def _meta_value(meta: dict[str, str], field: str) -> str | None:
    lowered = {k.lower(): v for k, v in meta.items()}
    for name in _META_FIELDS.get(field, ()):
        value = lowered.get(name)
        if value and value.strip():
            return value
    return None


def _meta_keywords(meta: dict[str, str]) -> str | None:
    """The article's Keywords meta, trusted only beside the CMS's ArticleTitle
    meta: a lone keywords meta is usually the site's SEO list."""
    if "ArticleTitle" not in meta:
        return None
    return meta.get("Keywords") or meta.get("KeyWords")


# ---------------------------------------------------------------- labels

def _spaced(label: str) -> str:
    return r"[\s\u3000\xa0]*".join(map(re.escape, label))


# Page labels of the metadata fields; 正文/链接 are export keys, not page labels.
_CHINESE_LABELS = sorted((lb for field, labels in FIELD_LABELS.items() for lb in labels
                          if not lb.isascii() and field not in ("body", "url")),
                         key=len, reverse=True)
_LABEL_ALT = "|".join(_spaced(lb) for lb in _CHINESE_LABELS)
# A label opens a text run or follows a space/separator, so 发布时间 is not 时间.
_LABEL_AT = re.compile(rf"(?:^|(?<=[\s\u3000\xa0|｜/【\[]))({_LABEL_ALT})[\s\u3000\xa0]*([:：])?")
_LABEL_ONLY = re.compile(
    rf"^[\s\u3000\xa0【\[]*({_LABEL_ALT})[\s\u3000\xa0]*[:：]?[\s\u3000\xa0】\]]*$")
_SENTENCE = re.compile(r"[。；！？]")
_MAX_LEN = {"title": 300, "keywords": 200, "index_no": 80, "doc_no": 80,
            "issuer": 60, "topic": 40, "url": 500}


def _plausible(field: str, value: str) -> bool:
    """Does `value` look like a value of `field`? Empty values are allowed."""
    value = collapse_ws(value)
    if not value:
        return True
    if field in ("issued", "published"):
        return parse_date(value) is not None and len(value) <= 40
    if field == "body":
        return False
    if len(value) > _MAX_LEN.get(field, 80):
        return False
    return field == "title" or not _SENTENCE.search(value)


class _Pair:
    __slots__ = ("label", "value", "field", "block")

    def __init__(self, label: str, value: str, field: str, block):
        self.label, self.value, self.field, self.block = label, value, field, block


def _text_runs(root):
    """(text, owner element, is_tail) for every text run in document order."""
    for el in root.iter():
        if not _tag(el):
            continue
        if el.text and el.text.strip():
            yield el.text, el, False
        if el.tail and el.tail.strip() and el.getparent() is not None:
            yield el.tail, el, True


def _value_after(el, is_tail: bool) -> str:
    """The value that follows a label-only text run owned by `el`."""
    if not is_tail and len(el):
        rest = _text(el)[len(el.text or ""):]
        if rest.strip():
            return rest
    node = el
    for _ in range(4):
        if not is_tail and node.tail and node.tail.strip():
            return node.tail
        nxt = node.getnext()
        if nxt is not None:
            value = _text(nxt)
            return "" if _LABEL_AT.match(value.strip()) else value
        if is_tail:
            return ""
        node = node.getparent()
        if node is None or _tag(node) in ("tr", "table", "dl", "ul", "ol", "body"):
            return ""
    return ""


def _pairs_in_run(text: str, el, is_tail: bool):
    """Label/value pairs found in one text run."""
    if _LABEL_ONLY.match(text):
        label = _LABEL_ONLY.match(text).group(1)
        yield label, _value_after(el, is_tail)
        return
    matches = [m for m in _LABEL_AT.finditer(text) if m.group(2)]  # inline needs a colon
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = text[m.end():end]
        if i + 1 == len(matches) and not is_tail and len(el) and m.end() == len(text.rstrip()):
            value = _text(el)[len(el.text or ""):]  # 信息来源：<a>省发改委</a>
        yield m.group(1), value


def _label_pairs(root) -> list[_Pair]:
    pairs = []
    for text, el, is_tail in _text_runs(root):
        owner = el.getparent() if is_tail else el
        for label, value in _pairs_in_run(text, el, is_tail):
            field = label_field(label)[0]
            if _plausible(field, value):
                pairs.append(_Pair(label, strip_ws(value), field, owner))
    return pairs


_BLOCK_TAGS = {"p", "div", "li", "dd", "dt", "dl", "ul", "ol", "table", "tbody", "tr", "td",
               "th", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header",
               "footer", "aside", "nav", "center", "blockquote", "pre", "address",
               "figure", "figcaption", "main", "hr", "br", "form", "fieldset"}


def _metadata_blocks(pairs: list[_Pair]) -> list:
    """The outermost elements that hold nothing but metadata, to drop from the body."""
    blocks = []
    for pair in pairs:
        block = pair.block
        while _tag(block) not in _BLOCK_TAGS and block.getparent() is not None:
            block = block.getparent()
        while True:
            parent = block.getparent()
            if parent is None or _tag(parent) in ("body", "html"):
                break
            inside = [p for p in pairs if _contains(parent, p.block)]
            meta_len = sum(len(p.label) + len(p.value) + 2 for p in inside)
            if len(collapse_ws(_text(parent))) > meta_len * 1.3 + 30:
                break
            block = parent
        blocks.append(block)
    return blocks


def _contains(ancestor, el) -> bool:
    while el is not None:
        if el is ancestor:
            return True
        el = el.getparent()
    return False


# ---------------------------------------------------------------- chrome

_NEG_WORDS = re.compile(
    r"share|footer|crumb|related|relate|print|attach|fujian|nav|menu|comment|copyright"
    r"|qrcode|ewm|erweima|fontsize|font-size|toolbar|sidebar|advert|banner|pagination"
    r"|(?:^|[\s_-])(?:zh|fz|tool|tools|btn|btns|side|foot|head|header|top|position|location"
    r"|xgwz|xglj|link|links|list|info|meta|title|extend|video|page|pages_print|clear)(?:$|[\s_-])",
    re.I)
_POS_WORDS = re.compile(
    r"content|article|zoom|editor|detail|txt|text|zw|view|body|con_|news|wzzw|main_?con", re.I)
_CHROME_LINE = re.compile(
    r"^(?:【?\s*字\s*[体号](?:大小)?\s*[:：]?.*[大中小].*|【?打印(?:本页|此页)?】?|【?关闭(?:窗口|本页)?】?"
    r"|分享到[:：]?.*|扫一扫.*|相关附件[:：]?|附件下载[:：]?|【?返回顶部】?|【?收藏】?|浏览次数[:：]?\s*\d*"
    r"|访问量[:：]?\s*\d*|(?:【(?:打印|关闭|关闭本页|关闭窗口|返回顶部|收藏|加入收藏)】\s*)+)$")


def _hint(el) -> str:
    return f"{el.get('id', '')} {el.get('class', '')}"


def _link_density(el) -> float:
    total = len(collapse_ws(_text(el)))
    if not total:
        return 1.0
    links = sum(len(collapse_ws(_text(a))) for a in el.iter("a"))
    return links / total


def _is_chrome(el) -> bool:
    tag = _tag(el)
    if tag in ("nav", "footer", "header", "aside"):
        return True
    hint = _hint(el)
    if not hint.strip() or not _NEG_WORDS.search(hint):
        return False
    if (_POS_WORDS.search(hint)
            and not re.search(r"title|extend|info|share|attach|related", hint, re.I)):
        return False
    size = len(collapse_ws(_text(el)))
    return size < 200 or _link_density(el) > 0.3


_FILE_LINK = re.compile(r"\.(?:docx?|xlsx?|pptx?|pdf|zip|rar|7z|wps|et|dps|ofd|csv|txt)$", re.I)


def _attachment_block(a):
    """The block holding nothing but a download link (an attachment list entry)."""
    if not _FILE_LINK.search((a.get("href") or "").strip()):
        return None
    block = a
    while _tag(block) not in _BLOCK_TAGS and block.getparent() is not None:
        block = block.getparent()
    return block if collapse_ws(_text(block)) == collapse_ws(_text(a)) else None


def _remove_chrome(root) -> None:
    doomed = [el for el in root.iter() if _tag(el) and _is_chrome(el)]
    doomed += [b for b in map(_attachment_block, root.iter("a")) if b is not None]
    for el in doomed:
        _drop(el)


# ---------------------------------------------------------------- content container

_PARA_TAGS = {"p", "div", "br", "span", "font", "td", "li", "h2", "h3", "h4", "h5", "h6",
              "strong", "b", "center", "section", "blockquote", "pre"}
# Elements that cannot be the article container; any other tag can, including
# the unknown ones portals invent (<ucapcontent>).
_NOT_CONTAINERS = {"a", "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "tr",
                   "table", "tbody", "thead", "ul", "ol", "dl", "br", "img", "b", "strong",
                   "em", "i", "u", "html", "head", "title", "meta"}


_INNER_BLOCKS = _BLOCK_TAGS - {"br"}


def _own_text_len(el) -> int:
    """Text this element holds directly or through childless paragraph children."""
    size = len(collapse_ws(el.text or ""))
    for child in el:
        if not _tag(child):
            continue
        size += len(collapse_ws(child.tail or ""))
        if _tag(child) == "a":
            continue
        if _tag(child) in _PARA_TAGS and not any(
                _tag(g) in _INNER_BLOCKS for g in child.iterdescendants()):
            size += len(collapse_ws(_text(child)))
    return size


def _find_container(body):
    best, best_score = body, 0.0
    for el in body.iter():
        if not _tag(el) or _tag(el) in _NOT_CONTAINERS:
            continue
        score = float(_own_text_len(el))
        if not score:
            continue
        hint = _hint(el)
        if _POS_WORDS.search(hint):
            score *= 2
        if score > best_score:
            best, best_score = el, score
    return _unwrap_data_cell(best)


def _unwrap_data_cell(el):
    """A cell of a data table is not the article: the table is part of it."""
    if _tag(el) not in ("td", "th"):
        return el
    table = next((a for a in el.iterancestors() if _tag(a) == "table"), None)
    if table is None:
        return el
    rows = [r for r in table.iter("tr") if _cell_count(r) > 1]
    if len(rows) < 2 or table.getparent() is None:
        return el
    return table.getparent()


# ---------------------------------------------------------------- body rendering

# HTML renders a run of spaces and line breaks as one space; &nbsp; runs are
# page layout (indents, pushed-right signatures), not content.
_INLINE_SPACE = re.compile(r"[ \t\r\n\f\xa0]+")
# Within a rendered line: any whitespace run but TAB (table cells) and U+3000
# (a deliberate full-width space) becomes one space.
_LINE_SPACE = re.compile(r"[^\S\t\u3000]+")


class _Renderer:
    """Block-aware text of an element; tables with several cells a row give one
    line a row, cells joined by TAB. Iterative, so depth is no concern."""

    def __init__(self):
        self.out: list[str] = []        # finished text
        self.cells: list[list[str]] = []  # stack: cell buffers of open multi-cell rows
        self.rows: list[list[str]] = []   # stack: finished cells of open multi-cell rows

    def _write(self, text: str) -> None:
        (self.cells[-1] if self.cells else self.out).append(text)

    def _newline(self) -> None:
        self._write(" " if self.cells else "\n")

    def render(self, el) -> str:
        for event, node in etree.iterwalk(el, events=("start", "end")):
            tag = _tag(node)
            if event == "start":
                self._start(node, tag)
            else:
                self._end(node, tag)
                if node is not el and node.tail:
                    self._write(_INLINE_SPACE.sub(" ", node.tail))
        return "".join(self.out)

    def _start(self, node, tag: str) -> None:
        if tag == "tr" and _cell_count(node) > 1:
            self.rows.append([])
        elif tag in ("td", "th") and self._in_split_row(node):
            self.cells.append([])
        elif tag in _BLOCK_TAGS:
            self._newline()
        if tag and node.text:
            self._write(_INLINE_SPACE.sub(" ", node.text))

    def _end(self, node, tag: str) -> None:
        if tag in ("td", "th") and self._in_split_row(node):
            self.rows[-1].append(collapse_ws("".join(self.cells.pop())))
        elif tag == "tr" and _cell_count(node) > 1:
            cells = self.rows.pop()
            self._newline()
            self._write("\t".join(cells))
            self._newline()
        elif tag in _BLOCK_TAGS:
            self._newline()

    def _in_split_row(self, cell) -> bool:
        row = cell.getparent()
        return row is not None and _tag(row) == "tr" and _cell_count(row) > 1 and bool(self.rows)


def _cell_count(row) -> int:
    return sum(1 for c in row if _tag(c) in ("td", "th"))


def _body_lines(container) -> list[str]:
    text = _Renderer().render(container)
    lines = (strip_ws(_LINE_SPACE.sub(" ", line)) for line in text.split("\n"))
    return [line for line in lines if line and not _CHROME_LINE.match(line)]


# ---------------------------------------------------------------- title

_TITLE_SPLIT = re.compile(r"\s*(?:_+|[|｜])\s*|\s+[-–—]\s*|\s*[-–—]\s+")


# The part of <title> that names the site rather than the article.
_SITE_NAME = re.compile(r"(?:人民政府|政府网|门户网站|网站|政府|办公厅|中国[\u4e00-\u9fff]{2,3})$")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _title_tag(root) -> str:
    el = root.find(".//title")
    return collapse_ws(_text(el)) if el is not None else ""


def _heading_texts(root) -> list[str]:
    found = []
    for el in root.iter("h1", "h2", "h3", "h4", "ucaptitle"):
        text = collapse_ws(_text(el))
        if text:
            found.append(text)
    return found


def _guess_title(title_tag: str, headings: list[str], lead_lines: list[str]) -> str | None:
    """The title when no label or meta tag gives it.

    A heading, or the article's opening lines, that the <title> starts or ends
    with (portals add the site name on either side); else the longest part of
    <title>.
    """
    squashed = _squash(title_tag)
    matches = [c for c in headings + _lead_candidates(lead_lines)
               if len(_squash(c)) >= 4
               and (squashed.startswith(_squash(c)) or squashed.endswith(_squash(c)))]
    if matches:
        return max(matches, key=lambda c: len(_squash(c)))
    parts = [p for p in _TITLE_SPLIT.split(title_tag) if p]
    articles = [p for p in parts if not _SITE_NAME.search(p)] or parts
    return max(articles, key=len) if articles else None


def _lead_candidates(lines: list[str]) -> list[str]:
    """The first one to four body lines joined, for titles set inside the article."""
    return ["".join(lines[:n]) for n in range(1, min(4, len(lines)) + 1)]


def _styled_texts(container) -> list[str]:
    """Squashed texts of centred, heading or bold elements: where a repeated title sits."""
    found = []
    for el in container.iter():
        tag = _tag(el)
        style = (el.get("style") or "").replace(" ", "").lower()
        if (tag in ("h1", "h2", "h3", "h4", "h5", "h6", "center", "strong", "b")
                or (el.get("align") or "").lower() == "center" or "text-align:center" in style):
            found.append(_squash(_text(el)))
    return found


def _drop_title_lines(lines: list[str], title: str | None, styled: list[str]) -> list[str]:
    """Remove the title when the article repeats it as a heading at its top.

    Only a heading-styled repeat goes: a first paragraph that merely reads
    like the title is article text.
    """
    if not title:
        return lines
    target = _squash(title)
    for n in range(1, min(4, len(lines)) + 1):
        lead = _squash("".join(lines[:n]))
        if lead == target and any(lead in text for text in styled):
            return lines[n:]
    return lines


# ---------------------------------------------------------------- issue date in the text

_NOTE_LINE = re.compile(r"^[（(][^（()）]*日[^（()）]*(?:通过|公布|发布|印发|批准)[）)]$")


def _issued_from_note(lines: list[str]) -> str | None:
    """The adoption date of a 题注 under the title: `（2007年6月29日…会议通过）`.

    The signature date at the end is deliberately not used: the corpus truth
    counts only a shown 发文时间/成文日期 label as the issue date.
    """
    if lines and _NOTE_LINE.match(lines[0]):
        return parse_date(lines[0])
    return None


# ---------------------------------------------------------------- assembly

def parse_html(text: str) -> Record:
    root = _load(text)
    meta = _meta(root)
    _remove_junk(root)
    body = root.find(".//body")
    body = body if body is not None else root

    title_tag, headings = _title_tag(root), _heading_texts(body)
    pairs = _label_pairs(body)
    for block in _metadata_blocks(pairs):
        if block.getparent() is not None:
            _drop(block)
    _remove_chrome(body)
    container = _find_container(body)
    lines = _body_lines(container)

    values = pick_fields((p.label, p.value) for p in pairs)
    for field in _META_FIELDS:
        if not collapse_ws(values.get(field) or ""):
            values[field] = _meta_value(meta, field) or values.get(field)
    if not collapse_ws(values.get("title") or ""):
        values["title"] = _guess_title(title_tag, headings, lines)
    if not pairs and "keywords" not in values:
        values["keywords"] = _meta_keywords(meta)
    lines = _drop_title_lines(lines, values.get("title"), _styled_texts(container))
    if not values.get("issued"):
        values["issued"] = _issued_from_note(lines)
    values["body"] = "\n".join(lines)

    raw = {f"meta:{k}": v for k, v in meta.items() if v}
    for pair in pairs:
        raw.setdefault(pair.label, pair.value)
    return build_record(values, raw)


def parse(text: str, encoding: str | None = None) -> ParseResult:
    try:
        record = parse_html(text)
    except (etree.ParserError, ValueError) as exc:
        return ParseResult("html", errors=[f"unparseable HTML: {exc}"], encoding=encoding)
    if not (record.title or record.body):
        return ParseResult("html", errors=["no title and no body found"], encoding=encoding)
    return ParseResult("html", records=[record], encoding=encoding)
