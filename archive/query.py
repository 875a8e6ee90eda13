"""The query language: one parser for the library, the CLI, the web page and the API.

    乡村振兴 营商环境          words, AND by default
    人大 OR 政协               either
    -通知   NOT 通知           exclude
    "人大常委会第十次会议"      exact substring only
    (防汛 OR 抗旱) 应急         grouping
    标题:条例  机关:人民政府     fields (Chinese or English names)
    日期:2025  日期:2025-03  日期:2025-01..2025-06  日期:>=2024-07  日期:2025年3月
    发文时间:2025 成文日期:…   the issued date alone;  发布日期:2025  the published date
    沁政发[2025]12号           a 发文字号 in any bracket form (or none: 沁政发202512号)
    （防汛 或 抗旱） 非 视频    full-width operators and 或/且/非 as typed with a Chinese IME

`parse()` never fails: a query it cannot read as written is read again as
plain words, and `ParsedQuery.warnings` says so, naming the cause (an
unbalanced quote or parenthesis, an unknown field name, a reversed date
range).  Expensive shapes are capped
(`MAX_*` below) with a warning rather than run.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import doc_numbers
from .dates import code_range
from .fields import CITES_QUERY_NAMES, DATE_FIELDS, DATE_QUERY_NAMES, FIELDS

MAX_QUERY_CHARS = 500
# Longer input is refused, by the library (SearchRequest.validate) and so by
# the CLI, the web page and the API alike; between the two it is cut.
MAX_INPUT_CHARS = 2 * MAX_QUERY_CHARS
MAX_TERMS = 32
MAX_DISTINCT_WORDS = 16   # different words a query may look up (each once: search.py)
MAX_DEPTH = 8

# Field names users may type -> the canonical field (archive/fields.py).
FIELD_NAMES = {name: f.name for f in FIELDS for name in f.query_names}
FIELD_NAMES.update({name: "date" for name in DATE_QUERY_NAMES})
FIELD_NAMES.update({name: "cites" for name in CITES_QUERY_NAMES})

# Operators as a Chinese input method types them -> the ASCII ones (after
# 发文字号 are protected, so （2025） stays a year in brackets).
FULL_WIDTH_OPERATORS = str.maketrans({"（": "(", "）": ")", "＂": '"', "－": "-", "＋": "+",
                                      "：": ":", "｜": "|"})
OR_WORDS, AND_WORDS, NOT_WORDS = ("OR", "|", "或"), ("AND", "且"), ("NOT", "非")
# An unknown name before ':' that looks like a field name (warned about).
_FIELD_LIKE = re.compile(r"[A-Za-z_\u4e00-\u9fff]{1,8}")


@dataclass
class Word:
    text: str                    # as typed (unfolded)
    field: str | None = None     # canonical field name, None = any text field
    quoted: bool = False
    doc_no: bool = False         # looks like a 发文字号: bracket forms are equivalent


@dataclass
class And:
    items: list


@dataclass
class Or:
    items: list


@dataclass
class Not:
    item: object


@dataclass
class DateRange:
    """Inclusive YYYYMMDD bounds; None = open.  `field`: which date
    ("date" = issued, else published; or "issued" / "published" alone)."""
    start: int | None
    end: int | None
    field: str = "date"


@dataclass
class ParsedQuery:
    text: str
    root: object = None                        # Word / And / Or / Not / None (everything)
    dates: list[DateRange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def words(self, positive_only: bool = True) -> list[Word]:
        """The words of the query, those under a NOT left out by default."""
        out: list[Word] = []

        def walk(node, negated):
            if isinstance(node, Word):
                if not (positive_only and negated):
                    out.append(node)
            elif isinstance(node, (And, Or)):
                for item in node.items:
                    walk(item, negated)
            elif isinstance(node, Not):
                walk(node.item, not negated)

        walk(self.root, False)
        return out


# ------------------------------------------------------------------ dates --

def parse_date_range(text: str) -> DateRange | None:
    """`2025`, `2025-03`, `2025年3月`, `2025-01..2025-06`, `>=2024-07`, `<2025`."""
    text = text.strip()
    for op in (">=", "<=", ">", "<"):
        if text.startswith(op):
            bounds = code_range(text[len(op):])
            if bounds is None:
                return None
            first, last = bounds
            return {">=": DateRange(first, None), ">": DateRange(last + 1, None),
                    "<=": DateRange(None, last), "<": DateRange(None, first - 1)}[op]
    for sep in ("..", "至", "~", "～"):
        if sep in text:
            left, right = text.split(sep, 1)
            low = code_range(left) if left.strip() else (None, None)
            high = code_range(right) if right.strip() else (None, None)
            if low is None or high is None:
                return None
            if low[0] and high[1] and low[0] > high[1]:       # typed backwards
                return DateRange(high[0], low[1])
            return DateRange(low[0], high[1])
    bounds = code_range(text)
    return DateRange(*bounds) if bounds else None


def date_bound(text: str | None, end: bool) -> int | None:
    """A --from/--to value as an inclusive YYYYMMDD bound (None if empty)."""
    if not text:
        return None
    bounds = code_range(text)
    if bounds is None:
        raise ValueError(f"not a date: {text!r}")
    return bounds[1] if end else bounds[0]


# ------------------------------------------------------------------ lexer --

_TOKEN = re.compile(r'''
    (?P<space>\s+)
  | (?P<lparen>\((?=\S))
  | (?P<rparen>\))
  | (?P<quote>"[^"]*"?|“[^”]*”?)
  | (?P<word>[^\s()"“]+)
''', re.VERBOSE)


class _Malformed(Exception):
    pass


def _lex(text: str) -> list[tuple[str, str]]:
    tokens = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind != "space":
            tokens.append((kind, match.group()))
    return tokens


def _protect_doc_numbers(text: str) -> tuple[str, dict[str, str]]:
    """Swap 发文字号 for placeholders so their brackets aren't read as syntax."""
    found: dict[str, str] = {}

    def swap(match):
        key = f"\ue000{len(found)}\ue001"
        found[key] = match.group().replace(" ", "")
        return key

    return doc_numbers.QUERY_PATTERN.sub(swap, text), found


# ----------------------------------------------------------------- parser --

class _Parser:
    """Recursive descent:
    or := and ('OR' and)* ; and := unary+ ; unary := ('-'|NOT) unary | atom."""

    def __init__(self, tokens, doc_numbers, query: ParsedQuery):
        self.tokens = tokens
        self.pos = 0
        self.doc_numbers = doc_numbers
        self.query = query
        self.depth = 0
        self.terms = 0
        self.distinct: set[tuple] = set()

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None)

    def take(self):
        token = self.peek()
        self.pos += 1
        return token

    def parse(self):
        node = self.parse_or()
        if self.peek()[0] == "rparen":
            raise _Malformed("括号不成对：多了右括号“)”")
        if self.pos < len(self.tokens):
            raise _Malformed("无法识别“" + self.peek()[1] + "”")
        return node

    def parse_or(self):
        items = [self.parse_and()]
        while self.peek()[0] == "word" and self.peek()[1] in OR_WORDS:
            self.take()
            items.append(self.parse_and())
        items = [i for i in items if i is not None]
        if not items:
            return None
        return items[0] if len(items) == 1 else Or(items)

    def parse_and(self):
        items, consumed = [], False
        while True:
            kind, value = self.peek()
            if kind is None or kind == "rparen" or (kind == "word" and value in OR_WORDS):
                break
            if kind == "word" and value in AND_WORDS:
                self.take()
                continue
            consumed = True
            node = self.parse_unary()
            if node is not None:          # None: a date filter, or an empty word
                items.append(node)
        if not consumed:
            raise _Malformed("empty group")
        if not items:
            return None
        return items[0] if len(items) == 1 else And(items)

    def parse_unary(self):
        kind, value = self.peek()
        if kind == "word" and value in NOT_WORDS:
            self.take()
            return Not(self._operand())
        if kind == "word" and value.startswith("-") and len(value) > 1:
            self.tokens[self.pos] = ("word", value[1:])
            return Not(self._operand())
        if kind == "word" and value.startswith("+") and len(value) > 1:   # required = AND
            self.tokens[self.pos] = ("word", value[1:])
        return self.parse_atom()

    def _operand(self):
        node = self.parse_unary()
        if node is None:
            raise _Malformed("NOT/非 后面缺少词语")
        return node

    def parse_atom(self):
        kind, value = self.take()
        if kind == "lparen":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _TooComplex(f"括号嵌套超过 {MAX_DEPTH} 层")
            node = self.parse_or()
            if self.take()[0] != "rparen":
                raise _Malformed("括号不成对：缺少右括号“)”")
            self.depth -= 1
            return node
        if kind is None:
            raise _Malformed("结尾缺少词语")
        if kind == "rparen":
            raise _Malformed("括号不成对：多了右括号“)”")
        if kind == "quote":
            self.check_closed(value)
            return self.word(value.strip('"“”'), None, quoted=True)
        return self.field_or_word(value)

    def field_or_word(self, value: str):
        name, sep, rest = value.replace("：", ":").partition(":")
        fieldname = (FIELD_NAMES.get(name) or FIELD_NAMES.get(name.lower())) if sep else None
        if fieldname:
            quoted = False
            if not rest and self.peek()[0] == "quote":
                quote = self.take()[1]
                self.check_closed(quote)
                rest, quoted = quote.strip('"“”'), True
            rest = self.restore(rest)
            if fieldname in DATE_FIELDS:
                return self.date(rest, fieldname)
            return self.word(rest, fieldname, quoted)
        if sep and rest and _FIELD_LIKE.fullmatch(name):
            self.query.warnings.append(
                f"没有名为“{name}”的字段，已按普通词语检索“{self.restore(value)}”"
                f"（可用字段：{'、'.join(_SHOWN_FIELD_NAMES)}）")
        return self.word(self.restore(value), None)

    def check_closed(self, quote: str) -> None:
        closing = "”" if quote.startswith("“") else '"'
        if len(quote) < 2 or not quote.endswith(closing):
            self.query.warnings.append(f"引号不成对：{quote} 缺少后引号，已检索到结尾为止")

    def restore(self, text: str) -> str:
        for key, original in self.doc_numbers.items():
            text = text.replace(key, original)
        return text

    def date(self, text: str, fieldname: str = "date"):
        found = parse_date_range(text)
        if found is None:
            self.query.warnings.append(f"无法识别的日期“{text}”，已忽略")
            return None
        sep = next((s for s in ("..", "至", "~", "～") if s in text), None)
        if sep:
            left, right = (code_range(p) for p in text.split(sep, 1))
            if left and right and left[0] > right[1]:
                self.query.warnings.append(
                    f"日期范围“{text}”起止颠倒，已按 {text.split(sep, 1)[1].strip()} 至 "
                    f"{text.split(sep, 1)[0].strip()} 检索")
        found.field = fieldname
        self.query.dates.append(found)
        return None

    def word(self, text: str, fieldname: str | None, quoted: bool = False):
        text = self.restore(text).strip()
        stripped = text.strip("*?")
        if stripped != text and not quoted:
            self.query.warnings.append("通配符 * ? 不需要：检索词本身就按字串匹配")
            text = stripped
        if not text:
            return None
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise _TooComplex(f"检索词超过 {MAX_TERMS} 个")
        self.distinct.add((text, fieldname, quoted))
        if len(self.distinct) > MAX_DISTINCT_WORDS:
            raise _TooComplex(f"不同的检索词超过 {MAX_DISTINCT_WORDS} 个")
        is_doc_no = doc_numbers.has_bracketed_year(text) and fieldname in (None, "doc_no", "cites")
        bare = doc_numbers.unbracketed(text) if not quoted else None
        if bare and fieldname in (None, "doc_no"):
            text, is_doc_no = bare, True
        if is_doc_no:
            text = doc_numbers.canonical(text)
        return Word(text, fieldname, quoted, is_doc_no)


class _TooComplex(Exception):
    pass


# Field names listed in the unknown-field warning: the first Chinese name of each.
_SHOWN_FIELD_NAMES = [f.query_names[0] for f in FIELDS if f.query_names] + ["日期"]


def parse(text: str | None) -> ParsedQuery:
    """Read a query.  Never raises."""
    text = (text or "").strip()
    query = ParsedQuery(text)
    if len(text) > MAX_QUERY_CHARS:
        query.warnings.append(f"查询过长，只使用前 {MAX_QUERY_CHARS} 个字符")
        text = text[:MAX_QUERY_CHARS]
    if not text:
        return query
    protected, doc_numbers = _protect_doc_numbers(text)
    protected = protected.translate(FULL_WIDTH_OPERATORS)
    try:
        query.root = _Parser(_lex(protected), doc_numbers, query).parse()
        return query
    except _TooComplex as exc:
        query.warnings.append(f"查询过于复杂（{exc}），已按前面的词语做普通检索"
                              f"（最多 {MAX_TERMS} 个词、{MAX_DISTINCT_WORDS} 个不同的词）")
    except _Malformed as exc:
        query.warnings.append(f"查询语法有误（{exc}），已按普通词语检索")
    except RecursionError:
        query.warnings.append("查询语法有误，已按普通词语检索")
    except Exception:                  # parse() never fails: read it as words
        query.warnings.append("查询语法有误，已按普通词语检索")
    return _as_plain_words(query, protected, doc_numbers)


def _as_plain_words(query: ParsedQuery, protected: str, doc_numbers: dict) -> ParsedQuery:
    """The fallback reading: every token a word, AND-ed, operators dropped."""
    query.dates.clear()
    words = []
    parser = _Parser([], doc_numbers, query)
    for chunk in re.split(r'[\s()"“”]+', protected):
        if not chunk or chunk in OR_WORDS + AND_WORDS + NOT_WORDS:
            continue
        chunk = chunk.lstrip("-")
        if len(words) >= MAX_TERMS:
            break
        try:
            node = parser.field_or_word(chunk) if chunk else None
        except _TooComplex:
            break
        if node is not None:
            words.append(node)
    query.root = None if not words else words[0] if len(words) == 1 else And(words)
    return query
