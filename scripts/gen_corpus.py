#!/usr/bin/env python3
"""Make N distinct, realistic bulletins from the development corpus.

    scripts/gen_corpus.py 200000 /tmp/c200k.jsonl.gz [--corpus DIR] [--seed 1]

The first pass over the corpus is the corpus itself (so N up to 53,000 are
the real records, in sorted file order, as `scripts/bench` reads them).
Every later pass makes a *variant* of each record:

* re-dated: 发文时间 and 发布日期 moved by the same random number of days
  (up to ±6 years), written in the record's own date format;
* re-numbered: the serial of 索引号 becomes a number no other record has, the
  year in it and in the 发文字号 follows the new date, the 发文字号 gets a new
  number;
* recombined: about a third of the body's paragraphs are replaced by
  paragraphs of other bulletins of the same 主题分类 (or issuer), the rest
  keep their order;
* retitled: the title's years follow the new date, and some titles get the
  variations portals use (关于…的通知, 转发, （修订）, 补充通知, 第N期).

Deterministic: the same corpus, N and seed give the same file, byte for
byte.  Distinct: no two records share title and body (a variant that would
repeat one is retitled).  Streaming: records are written as they are made;
memory holds the corpus's paragraphs once (~0.5 GB for 53k records) and
16 bytes a generated record for the distinctness check.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import re
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))          # scripts/: benchlib
from benchlib.corpus import DEFAULT_CORPUS, ZH_KEYS, corpus_lines, english  # noqa: E402

MAX_SHIFT_DAYS = 6 * 365
REPLACED_SHARE = 0.35

_DATE = re.compile(r"((?:19|20)\d\d)(\s*[-/.年]\s*)(\d{1,2})(?:(\s*[-/.月]\s*)(\d{1,2}))?")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_DOC_NO = re.compile(
    r"([\[【(（〔［﹝〖{]\s*)((?:19|20)\d\d)(\s*[\]】)）〕］﹞〗}]\s*)(\d+)(\s*号)")
_DIGITS = re.compile(r"\d+")


def corpus_records(corpus: Path):
    """(raw dict, its JSON line) of every corpus record, in sorted file order."""
    for line in corpus_lines(corpus, required=False):
        yield json.loads(line), line


def keys_of(obj: dict) -> dict[str, str]:
    """English key -> the key the record itself uses."""
    return {ZH_KEYS.get(k, k): k for k in obj}


# ------------------------------------------------------------- transforms --

def shift_dates(text, days: int):
    """Every date in `text` moved by `days`, in its own format."""
    if not isinstance(text, str):
        return text

    def move(m):
        year, sep1, month, sep2, day = m.groups()
        try:
            when = date(int(year), int(month), int(day or 1)) + timedelta(days=days)
        except ValueError:
            return m.group(0)
        out = f"{when.year}{sep1}{when.month:0{len(month)}d}"
        return out + (f"{sep2}{when.day:0{len(day)}d}" if day else "")

    moved = _DATE.sub(move, text)
    if moved == text and _YEAR.fullmatch(text.strip()):        # a bare year
        return str(int(text.strip()) + round(days / 365))
    return moved


EARLIEST, LATEST = date(1990, 1, 1), date(2025, 12, 31)


def first_date(rec: dict) -> date | None:
    for key in ("issued", "published"):
        m = _DATE.search(rec.get(key) or "") if isinstance(rec.get(key), str) else None
        if m:
            try:
                return date(int(m.group(1)), int(m.group(3)), int(m.group(5) or 1))
            except ValueError:
                continue
    return None


def shift_for(rec: dict, rng: random.Random) -> int:
    """Days to move the record by: up to ±6 years, staying within 1990-2025."""
    base = first_date(rec)
    low, high = -MAX_SHIFT_DAYS, MAX_SHIFT_DAYS
    if base:
        low, high = max(low, (EARLIEST - base).days), min(high, (LATEST - base).days)
    return rng.randint(low, high) if low < high else 0


def year_of(value) -> int | None:
    m = _YEAR.search(value) if isinstance(value, str) else None
    return int(m.group(1)) if m else None


def renumber_index_no(value, serial: int, year: int | None):
    """The last digit run becomes `serial` (unique), a year run the new year."""
    if not isinstance(value, str) or not _DIGITS.search(value):
        return value
    runs = list(_DIGITS.finditer(value))
    last = runs[-1]
    width = max(len(last.group(0)), len(str(serial)))
    out = value[:last.start()] + f"{serial:0{width}d}" + value[last.end():]
    if year and len(runs) > 1:
        out = _YEAR.sub(str(year), out, count=1)
    return out


def renumber_doc_no(value, rng: random.Random, year: int | None):
    if not isinstance(value, str):
        return value
    return _DOC_NO.sub(lambda m: f"{m.group(1)}{year or m.group(2)}{m.group(3)}"
                                 f"{rng.randint(1, 300)}{m.group(5)}", value)


TITLE_FORMS = (
    lambda t, rng: t,
    lambda t, rng: t,
    lambda t, rng: t if t.startswith("关于") else f"关于{t}的通知",
    lambda t, rng: f"转发{t}",
    lambda t, rng: f"{t}（修订）",
    lambda t, rng: f"关于{t}的补充通知",
    lambda t, rng: f"{t}（第{rng.randint(2, 60)}期）",
)


def vary_title(title, rng: random.Random, old_year: int | None, new_year: int | None):
    if not isinstance(title, str) or not title:
        return title
    if old_year and new_year:
        title = title.replace(str(old_year), str(new_year))
    return rng.choice(TITLE_FORMS)(title, rng)


class ParagraphPool:
    """The corpus's paragraphs by group (主题分类, else issuer)."""

    def __init__(self):
        self.groups: dict[str, list[str]] = {}

    @staticmethod
    def group_of(rec: dict) -> str:
        return rec.get("topic") or rec.get("issuer") or ""

    def add(self, rec: dict) -> None:
        paragraphs = [p for p in (rec.get("body") or "").split("\n") if p.strip()]
        self.groups.setdefault(self.group_of(rec), []).extend(paragraphs)

    def recombine(self, rec: dict, rng: random.Random) -> str:
        body = rec.get("body") or ""
        paragraphs = body.split("\n")
        pool = self.groups.get(self.group_of(rec)) or []
        if len(pool) < 2:
            return body
        # The opening paragraph (lead, 央视网消息…) stays; a third of the rest,
        # and at least one, come from other bulletins of the group.
        rest = [i for i, p in enumerate(paragraphs) if i and p.strip()]
        chosen = {i for i in rest if rng.random() < REPLACED_SHARE}
        if rest and not chosen:
            chosen.add(rng.choice(rest))
        out = [pool[rng.randrange(len(pool))] if i in chosen else p
               for i, p in enumerate(paragraphs)]
        if not rest:                              # one paragraph: add one from the group
            out.append(pool[rng.randrange(len(pool))])
        return "\n".join(out)


def variant(obj: dict, serial: int, pool: ParagraphPool, seed: int, attempt: int = 0) -> dict:
    """A variant of corpus record `obj`; `serial` (unique) numbers it."""
    rng = random.Random(f"{seed}:{serial}:{attempt}")
    rec = english(obj)
    days = shift_for(rec, rng)
    old_year = year_of(rec.get("issued")) or year_of(rec.get("published"))
    issued = shift_dates(rec.get("issued"), days)
    published = shift_dates(rec.get("published"), days)
    new_year = year_of(issued) or year_of(published)
    new = dict(rec)
    new.update(issued=issued, published=published,
               index_no=renumber_index_no(rec.get("index_no"), serial, new_year),
               doc_no=renumber_doc_no(rec.get("doc_no"), rng, new_year),
               title=vary_title(rec.get("title"), rng, old_year, new_year),
               body=pool.recombine(rec, rng))
    if attempt:
        new["title"] = f"{new.get('title') or ''}（{attempt + 1}）"
    keys = keys_of(obj)
    return {keys.get(k, k): v for k, v in new.items() if k in keys or v is not None}


def _digest(obj: dict) -> bytes:
    rec = english(obj)
    text = f"{rec.get('title') or ''}\x1f{rec.get('body') or ''}"
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def generate(corpus: Path, n: int, seed: int = 1):
    """Yield N JSON lines: the corpus first, then variants, all distinct."""
    originals: list[dict] = []
    pool = ParagraphPool()
    seen: set[bytes] = set()
    count = 0
    for obj, line in corpus_records(corpus):
        if count < n:
            digest = _digest(obj)
            if digest not in seen:
                seen.add(digest)
                count += 1
                yield line
        if count >= n:
            return
        originals.append(obj)
        pool.add(english(obj))
    if not originals:
        raise SystemExit(f"gen_corpus: no *.jsonl / *.jsonl.gz records in {corpus}")
    serial = len(originals)
    while count < n:
        obj = originals[serial % len(originals)]
        for attempt in range(100):
            made = variant(obj, serial, pool, seed, attempt)
            digest = _digest(made)
            if digest not in seen:
                break
        seen.add(digest)
        serial += 1
        count += 1
        yield json.dumps(made, ensure_ascii=False)


def write(lines, out: Path) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(out, "wb") as raw:
        # No name and mtime 0 in the gzip header: the same records give the same bytes.
        sink = (gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)
                if out.name.endswith(".gz") else raw)
        for line in lines:
            sink.write(line.encode("utf-8") + b"\n")
            count += 1
        if sink is not raw:
            sink.close()
    return count


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("n", type=int, help="how many records")
    p.add_argument("out", type=Path, help="output .jsonl or .jsonl.gz")
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    if args.n < 1:
        p.error("n must be at least 1")
    count = write(generate(args.corpus.resolve(), args.n, args.seed), args.out)
    print(f"wrote {count} records to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
