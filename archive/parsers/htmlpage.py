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
from archive.normalize import build_record, collapse_ws, label_field, pick_fields, strip_ws
from archive.parsers.labels import (LABEL_AT as _LABEL_AT, LABEL_ONLY as _LABEL_ONLY,
                                    before_counter as _before_counter, plausible as _plausible)
from archive.parsers import titles
from archive.parsers.attachments import attachment_links, is_file_link, names_text
from archive.parsers.byline import bylines, fill_from_byline
from archive.parsers.closing import closing_date
from archive.parsers.metasource import info_line_stamp, issuer_meta, issuer_not_site, site_names
from archive.parsers.render import (BLOCK_TAGS as _BLOCK_TAGS, LINE_SPACE as _LINE_SPACE,
                                    Renderer as _Renderer, cell_count as _cell_count,
                                    tag_of as _tag)
from archive.parsers.tags import fewer_attributes

# ---------------------------------------------------------------- loading

_JUNK_TAGS = ("script", "style", "noscript", "template", "iframe", "frame", "frameset",
              "object", "embed", "applet", "svg", "canvas", "select", "button",
              "textarea", "input", "form", "link", "map", "audio", "video")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
# AngularJS's display:none class; saved renderings (www.nfra.gov.cn) keep hidden 红头 headers.
_HIDDEN_CLASS = re.compile(r"(?:^|\s)ng-hide(?:$|\s)")
# A closing </html> or </body> in the middle of a page (a server-side include)
# makes libxml2 drop everything after it; they are implied at the end anyway.
_STRAY_CLOSE = re.compile(r"</\s*(?:html|body)\s*>", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.I)


class PageTooDeep(ValueError):
    """The page nests deeper than libxml2 parses (256 levels)."""


def _load(text: str):
    text = fewer_attributes(_XML_DECL.sub("", _STRAY_CLOSE.sub("", text.lstrip("\ufeff"))))
    # libxml2's depth cap (256) cuts a page of 100,000 nested divs short; what lies
    # below is lost, so such a page fails with that reason, not a partial body.
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True)
    root = lxml.html.document_fromstring(text, parser=parser)
    if any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log):
        raise PageTooDeep("page nested too deeply: over 256 levels of elements")
    return root


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
    return (el.get("hidden") is not None or bool(_HIDDEN_STYLE.search(el.get("style", "")))
            or bool(_HIDDEN_CLASS.search(el.get("class", ""))))


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
    if field == "issuer":
        return issuer_meta(lowered.get("contentsource"), lowered.get("source"))
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


# Elements that hold a value inline; a label may sit in one and its value in
# the next (`<b>索 引 号：</b>` in a cell, `<span>来源：</span><span>…</span>`).
_INLINE_TAGS = {"span", "b", "strong", "em", "i", "u", "font", "label", "a", "small", "big",
                "ins", "time", "abbr", "cite", "sup", "sub"}
_CELL_TAGS = {"td", "th", "dt", "dd"}
_NOT_VALUE_SLOTS = {"br", "img", "hr", "wbr"}


def _value_after(el, is_tail: bool) -> str:
    """The value that follows a label-only text run owned by `el`.

    Empty means empty: an empty value slot (`主题词：<em></em>`), a following
    label, or the end of the label's own block give "" — never the text of
    whatever element comes next in the page.
    """
    if not is_tail:
        slots = [c for c in el if _tag(c) and _tag(c) not in _NOT_VALUE_SLOTS]
        if slots:
            return _text(el)[len(el.text or ""):]
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
        parent = node.getparent()
        if parent is None or _tag(node) not in _INLINE_TAGS | _CELL_TAGS:
            return ""
        if _tag(node) in _CELL_TAGS and _tag(parent) not in ("tr", "dl", "div"):
            return ""
        node = parent
        if _tag(node) in ("tr", "table", "dl", "ul", "ol", "body"):
            return ""
    return ""


def _pairs_in_run(text: str, el, is_tail: bool):
    """Label/value pairs found in one text run."""
    only = _LABEL_ONLY.match(text)
    if only:
        yield only.group(1), _value_after(el, is_tail)
        return
    matches = [m for m in _LABEL_AT.finditer(text) if m.group(2)]  # inline needs a colon
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = _before_counter(text[m.end():end])
        if i + 1 == len(matches) and not is_tail and len(el) and m.end() == len(text.rstrip()):
            value = _first_child_value(el)  # 信息来源：<a>省发改委</a>
        yield m.group(1), value


def _first_child_value(el) -> str:
    """The value of `label：<a>value</a>`: the first child if it is inline, else empty."""
    child = next((c for c in el if _tag(c) and _tag(c) not in ("br", "wbr")), None)
    if child is None or _tag(child) not in _INLINE_TAGS:
        return ""
    value = _text(child)
    return "" if _LABEL_AT.match(value.strip()) else value


def _label_pairs(root) -> list[_Pair]:
    pairs = []
    for text, el, is_tail in _text_runs(root):
        owner = el.getparent() if is_tail else el
        for label, value in _pairs_in_run(text, el, is_tail):
            field = label_field(label)[0]
            if _plausible(field, value):
                pairs.append(_Pair(label, strip_ws(value), field, owner))
    return pairs


def _metadata_blocks(pairs: list[_Pair]) -> list:
    """The outermost elements that hold nothing but metadata, to drop from the body.

    Linear in pairs x depth: each ancestor's text length is measured once and
    the metadata inside it summed once (a page of 10,000 labelled items took
    minutes when each ancestor rescanned every pair).
    """
    meta_in: dict = {}
    for pair in pairs:
        size = len(pair.label) + len(pair.value) + 2
        node = pair.block
        while node is not None:
            meta_in[node] = meta_in.get(node, 0) + size
            node = node.getparent()
    text_len: dict = {}

    def length(el) -> int:
        if el not in text_len:
            text_len[el] = len(collapse_ws(_text(el)))
        return text_len[el]

    blocks, seen = [], set()
    for pair in pairs:
        block = pair.block
        while _tag(block) not in _BLOCK_TAGS and block.getparent() is not None:
            block = block.getparent()
        while True:
            parent = block.getparent()
            if parent is None or _tag(parent) in ("body", "html"):
                break
            if length(parent) > meta_in.get(parent, 0) * 1.3 + 30:
                break
            block = parent
        if block not in seen:
            seen.add(block)
            blocks.append(block)
    return blocks


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


def _attachment_block(a):
    """The block holding nothing but a download link (an attachment list entry)."""
    if not is_file_link(a):
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


def _body_lines(container) -> list[str]:
    text = _Renderer().render(container)
    lines = (strip_ws(_LINE_SPACE.sub(" ", line)) for line in text.split("\n"))
    return [line for line in lines if line and not _CHROME_LINE.match(line)]


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

    sites = site_names(meta)
    tag_text, headings = titles.title_tag(root), titles.heading_texts(body)
    attachments = attachment_links(body)
    pairs = _label_pairs(body)
    stamp = info_line_stamp([_text(b) for b in _metadata_blocks(pairs)])
    above = titles.line_above(pairs[0].block) if pairs and not tag_text else None
    found_bylines = bylines(body)
    for block in _metadata_blocks(pairs):
        if block.getparent() is not None:
            _drop(block)
    _remove_chrome(body)
    container = _find_container(body)
    lines = _body_lines(container)

    values = pick_fields((p.label, p.value) for p in pairs)
    if titles.contradicts(values.get("title"), _meta_value(meta, "title")):
        values["title"] = None
    issuer_shown = bool(collapse_ws(values.get("issuer") or ""))
    for field in _META_FIELDS:
        if not collapse_ws(values.get(field) or ""):
            values[field] = _meta_value(meta, field) or values.get(field)
    values["published"] = values.get("published") or stamp
    if values.get("issuer") and not issuer_shown:
        values["issuer"] = issuer_not_site(values["issuer"], sites, tag_text)
    styled = titles.styled_texts(container)
    title = titles.strip_site_suffix(collapse_ws(values.get("title") or ""), sites)
    if not titles.acceptable(title):
        title = (titles.guess_title(tag_text, headings, lines, sites)
                 or titles.lead_heading(lines, styled) or above)
    values["title"] = title
    fill_from_byline(values, found_bylines)
    if not pairs and "keywords" not in values:
        values["keywords"] = _meta_keywords(meta)
    values["doc_no"], lines = titles.take_doc_no_line(
        titles.drop_title_lines(lines, title, styled), values.get("doc_no"))
    extra = _issued_extra(values, lines)
    values["body"] = "\n".join(lines) or names_text(attachments)

    raw = {f"meta:{k}": v for k, v in meta.items() if v}
    for pair in pairs:
        raw.setdefault(pair.label, pair.value)
    return build_record(values, raw, attachments=attachments, **extra)


def _issued_extra(values: dict, lines: list[str]) -> dict:
    """Fill `issued` from the text when no label gave it; say where it came from."""
    if values.get("issued"):
        return {}
    values["issued"] = _issued_from_note(lines)
    if values["issued"]:
        return {}
    values["issued"] = closing_date(lines, values.get("issuer"))
    return {"issued_from": "落款"} if values["issued"] else {}


def parse(text: str, encoding: str | None = None) -> ParseResult:
    try:
        record = parse_html(text)
    except PageTooDeep as exc:
        return ParseResult("html", errors=[str(exc)], encoding=encoding)
    except (etree.ParserError, ValueError) as exc:
        return ParseResult("html", errors=[f"unparseable HTML: {exc}"], encoding=encoding)
    if not (record.title or record.body):
        return ParseResult("html", errors=["no title and no body found"], encoding=encoding)
    return ParseResult("html", records=[record], encoding=encoding)
