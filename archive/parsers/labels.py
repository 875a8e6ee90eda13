"""The page labels of the metadata fields, as regular expressions.

Built once from the one vocabulary in `archive/fields.py` (`PAGE_LABELS`),
and shared by the HTML and text-page parsers.  A label may be written with
spaces inside (`索 引 号`, `索　引　号`) and followed by a full- or half-width
colon or by nothing; a value must look like its field (a date for a date
label, a short name for an issuer) to be taken.
"""
from __future__ import annotations

import re

from archive.fields import PAGE_LABELS
from archive.dates import parse_date
from archive.normalize import collapse_ws

_SPACE = r"[\s\u3000\xa0]"


def _spaced(label: str) -> str:
    return f"{_SPACE}*".join(map(re.escape, label))


LABEL_ALT = "|".join(_spaced(lb) for lb in PAGE_LABELS)
# A label opens a text run or follows a space/separator, so 发布时间 is not 时间.
# A label set in lenticular brackets takes the closing bracket for its colon:
# `【文&ensp;&ensp;号】 晋医保发〔2021〕14号` (shanxi.chinatax.gov.cn).
LABEL_AT = re.compile(
    rf"(?:^|(?<=[\s\u3000\xa0|｜/【\[]))({LABEL_ALT}){_SPACE}*([:：】])?")
LABEL_ONLY = re.compile(rf"^[\s\u3000\xa0【\[]*({LABEL_ALT}){_SPACE}*[:：]?[\s\u3000\xa0】\]]*$")
SENTENCE = re.compile(r"[。；！？]")
_MAX_LEN = {"title": 300, "keywords": 200, "index_no": 80, "doc_no": 80,
            "issuer": 60, "topic": 40, "url": 500}
# Counters and widgets that sit where an issuer would: 访问量：199, 浏览次数：12.
_COUNTER = re.compile(r"(?:访问量|浏览(?:次数|量)?|点击(?:数|量|率|次数)?|阅读(?:数|量|次数)?|次数)"
                      r"[\s\u3000\xa0]*[:：]?|^\d+$|^[\d\s:：./-]+$")
_PUNCT_ONLY = re.compile(r"^[\W_]+$")
# A counter widget run into the value of the label before it on one line:
# `来源：国土余杭分局&nbsp;点击率：1575` (www.yuhang.gov.cn).
_COUNTER_AFTER = re.compile(r"[\s\u3000\xa0|｜]*(?:访问量|浏览(?:次数|量)?|点击(?:数|量|率|次数)?"
                            r"|阅读(?:数|量|次数)?)[\s\u3000\xa0]*[:：].*$", re.S)


def plausible(field: str, value: str) -> bool:
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
    if field == "issuer" and not issuer_like(value):
        return False
    if field == "title" and _PUNCT_ONLY.match(value):
        return False
    return field == "title" or not SENTENCE.search(value)


def before_counter(value: str) -> str:
    """`value` without a trailing counter widget (`国土余杭分局 点击率：1575`)."""
    return _COUNTER_AFTER.sub("", value)


def issuer_like(value: str) -> bool:
    """An issuer is a name: never a counter, a date or another label."""
    value = collapse_ws(value)
    if _COUNTER.search(value) or parse_date(value) is not None:
        return False
    return not LABEL_AT.match(value)


def is_label(text: str) -> bool:
    """True when `text` is nothing but a label (and maybe its colon)."""
    return LABEL_ONLY.match(text) is not None


# A website naming itself as the source (`内乡县政府网站`, `…门户`, `…政府网`).
_SITE_NAME = re.compile(r"(?:网站|门户|政府网)$")


def site_name(value: str) -> bool:
    """True when a source value names a website, not an office."""
    return _SITE_NAME.search(collapse_ws(value)) is not None
