"""The article's own title, as a careful reader sees it.

Portals put the site name beside the title in `<title>` and often in
og:title (`…座谈会-中国科普网`, `…通知_万载县人民政府`, `…｜中国宜春`); the
breadcrumb (`首页 > 政务公开 > 通知公告`) and stray punctuation (a lone `）`
left by a split heading) are not titles either.
"""
from __future__ import annotations

import re

from archive.normalize import collapse_ws

_TITLE_SPLIT = re.compile(r"\s*(?:_+|[|｜])\s*|\s+[-–—]\s*|\s*[-–—]\s+")
# A site name glued on with no spaces: `标题-中国科普网`, `标题_某某县人民政府`.
_SUFFIX = re.compile(r"^(?P<title>.{4,}?)\s*(?:_+|[|｜]|[-–—]+)\s*(?P<site>[^_|｜\-–—]{2,24})$")
# The part of <title> that names the site rather than the article.
SITE_NAME = re.compile(r"(?:人民政府|政府网|门户网站?|网站|官网|政府|办公厅|[\u4e00-\u9fff]网"
                       r"|中国[\u4e00-\u9fff]{2,3})$")
# A site name put before the title: `保定市人民政府网——标题`.
# Only a website's name (…网, …网站) counts here: a title may itself start
# with a phrase and a dash (`大变局中的中国与世界——写在…之际`).
_PREFIX = re.compile(r"^(?P<site>[\u4e00-\u9fff]{2,20}(?:网|网站))\s*(?:——|—|[|｜]|_+)\s*"
                     r"(?P<title>.{4,})$")
_BREADCRUMB = re.compile(
    r"(?:首页|当前位置|您的位置|所在位置).*(?:>|»|＞|›|/)|(?:>|»|＞|›).*(?:>|»|＞|›)")
_PUNCT_ONLY = re.compile(r"^[\W_]*$")
_SENTENCE_END = re.compile(r"[。；！？:：]$")
_LABELLED = re.compile(r"[:：]")
# The agency prefix may be left out: 北京监管局 sets `〔2022〕64号` alone (www.csrc.gov.cn).
_DOC_NO_LINE = re.compile(r"^[\u4e00-\u9fff]{0,12}[〔\[［【(（]\d{4}[〕\]］】)）]第?\d+号$")


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def contradicts(label_title: str | None, meta_title: str | None) -> bool:
    """A labelled title sharing nothing with the CMS's ArticleTitle meta is some
    other 名称 (a purchaser's in a procurement notice's contact lines), not the
    page's title; one contained in the other (a site prefix, a 文号 suffix) agrees."""
    label, meta = squash(label_title or ""), squash(meta_title or "")
    return bool(label and meta) and label not in meta and meta not in label


def strip_site_suffix(title: str, site_names: tuple[str, ...] = ()) -> str:
    """`title` without a trailing site name (repeatedly: `文_部门_站名`) or a
    leading one (`站名——文`)."""
    m = _PREFIX.match(title)
    if m:
        title = m.group("title").strip()
    while True:
        m = _SUFFIX.match(title)
        if not m:
            return title
        site = m.group("site").strip()
        if re.search(r"\d", site) or not (SITE_NAME.search(site) or site in site_names):
            return title
        title = m.group("title").strip()


def acceptable(title: str | None) -> bool:
    """Not empty, not punctuation alone, not a breadcrumb."""
    text = collapse_ws(title)
    return bool(text) and not _PUNCT_ONLY.match(text) and not _BREADCRUMB.search(text)


def title_tag(root) -> str:
    el = root.find(".//title")
    return collapse_ws(el.text_content()) if el is not None else ""


def heading_texts(root) -> list[str]:
    found = []
    for el in root.iter("h1", "h2", "h3", "h4", "ucaptitle"):
        text = collapse_ws(el.text_content())
        if acceptable(text):
            found.append(text)
    return found


def guess_title(tag_text: str, headings: list[str], lead_lines: list[str],
                site_names: tuple[str, ...] = ()) -> str | None:
    """The title when no label or meta tag gives it.

    A heading, or the article's opening lines, that the <title> starts or ends
    with (portals add the site name on either side); else the longest part of
    <title> that is not a site name.
    """
    squashed = squash(tag_text)
    matches = [c for c in headings + _lead_candidates(lead_lines)
               if len(squash(c)) >= 4 and acceptable(c)
               and (squashed.startswith(squash(c)) or squashed.endswith(squash(c)))]
    if matches:
        return max(matches, key=lambda c: len(squash(c)))
    if not squashed:
        return headings[0] if headings else None
    parts = [p for p in _TITLE_SPLIT.split(tag_text) if acceptable(p)]
    articles = [p for p in parts if not SITE_NAME.search(p) and p not in site_names] or parts
    best = max(articles, key=len) if articles else None
    return strip_site_suffix(best, site_names) if best else None


def line_above(el) -> str | None:
    """The text line right above `el` (the 发布时间/来源 line), when it reads
    as a heading: where a page with neither <title> nor h1 sets its title
    (www.yuhang.gov.cn puts it in a table cell above the date line)."""
    node = el
    while node is not None and node.getparent() is not None:
        for sib in node.itersiblings(preceding=True):
            if not isinstance(sib.tag, str):
                continue
            text = collapse_ws(sib.text_content())
            if text:
                return text if _heading_like(text) else None
        node = node.getparent()
    return None


def lead_heading(lines: list[str], styled: list[str]) -> str | None:
    """A title set inside the article as its first centred or bold lines
    (`建德市…采购项目` / `预中标结果公示`), for a page with no <title> and
    no heading element: up to three such lines, joined."""
    picked = []
    for line in lines[:3]:
        if _LABELLED.search(line) or not any(squash(line) in text for text in styled):
            break
        picked.append(line)
    title = "".join(picked)
    return title if picked and _heading_like(title) else None


def _heading_like(text: str) -> bool:
    return (4 <= len(text) <= 120 and acceptable(text) and not _SENTENCE_END.search(text)
            and not _LABELLED.search(text))


def _lead_candidates(lines: list[str]) -> list[str]:
    """The first one to four body lines joined, for titles set inside the article."""
    return ["".join(lines[:n]) for n in range(1, min(4, len(lines)) + 1)]


def styled_texts(container) -> list[str]:
    """Squashed texts of centred, heading or bold elements: where a repeated title sits."""
    found = []
    for el in container.iter():
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        style = (el.get("style") or "").replace(" ", "").lower()
        if (tag in ("h1", "h2", "h3", "h4", "h5", "h6", "center", "strong", "b")
                or (el.get("align") or "").lower() == "center" or "text-align:center" in style):
            found.append(squash(el.text_content()))
    return found


def drop_title_lines(lines: list[str], title: str | None, styled: list[str]) -> list[str]:
    """Remove the title when the article repeats it as a heading at its top.

    Only a heading-styled repeat goes: a first paragraph that merely reads
    like the title is article text.
    """
    if not title:
        return lines
    target = squash(title)
    for n in range(1, min(4, len(lines)) + 1):
        lead = squash("".join(lines[:n]))
        if lead == target and (any(lead in text for text in styled) or all(
                any(squash(line) in text for text in styled) for line in lines[:n])):
            return lines[n:]
    return lines


def take_doc_no_line(lines: list[str], labelled: str | None) -> tuple[str | None, list[str]]:
    """The lines without the 发文字号 line a document sets at the head of its
    text, under its heading (`国发〔2018〕43号`), and the doc_no: the labelled
    one, else that line's."""
    if lines and _DOC_NO_LINE.match(squash(lines[0])):
        return labelled or squash(lines[0]), lines[1:]
    return labelled, lines
