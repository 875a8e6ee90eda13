"""Highlighting: marked titles and snippets around the best matches.

Matching is done on folded text (so 「縣」 in a bulletin is marked for a query
縣 or 县) and mapped back to the original characters.  A highlight is a list
of (text, marked) segments; renderers turn it into HTML (`<mark>`, all else
escaped) or terminal bold.  Snippet windows are widened to whole marks, so a
snippet never cuts a mark or a highlighted word in half.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from html import escape

from .analysis import fold_with_offsets

SNIPPET_CHARS = 120
MAX_SNIPPETS = 2
SNIPPET_SCAN_CHARS = 30000
BOLD, RESET = "\x1b[1m", "\x1b[0m"

Segments = list[tuple[str, bool]]


def match_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Merged [start, end) spans of `text` where any folded term occurs."""
    terms = {t for t in terms if t}
    if not terms:                       # folding a long text for nothing
        return []
    folded, offsets = fold_with_offsets(text)
    spans = []
    for term in terms:
        start = folded.find(term)
        while start != -1:
            # End after the original character holding the term's last folded
            # character (one character may fold to several: ﬁ -> fi).
            spans.append((offsets[start], offsets[start + len(term) - 1] + 1))
            start = folded.find(term, start + 1)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _segments(text: str, spans: list[tuple[int, int]], lo: int, hi: int) -> Segments:
    out: Segments = []
    cursor = lo
    for start, end in spans:
        if end <= lo or start >= hi:
            continue
        if start > cursor:
            out.append((text[cursor:start], False))
        out.append((text[max(start, lo):min(end, hi)], True))
        cursor = min(end, hi)
    if cursor < hi:
        out.append((text[cursor:hi], False))
    return out


def highlight_all(text: str, terms: list[str]) -> Segments:
    """The whole text with every match marked (titles, document pages)."""
    return _segments(text, match_spans(text, terms), 0, len(text))


def snippets(text: str, terms: list[str], width: int = SNIPPET_CHARS,
             count: int = MAX_SNIPPETS) -> list[Segments]:
    """Up to `count` windows of about `width` characters around the matches
    covering the most distinct terms; the opening of the text if none match."""
    # Paragraphs flow into one line; a snippet is looked for in the first
    # SNIPPET_SCAN_CHARS only (a law can run to 100,000 characters).
    text = " ".join(text[:SNIPPET_SCAN_CHARS].split())
    spans = match_spans(text, terms)
    if not spans:
        return [[(text[:width] + ("…" if len(text) > width else ""), False)]] if text else []
    chosen: list[tuple[int, int]] = []
    starts, texts = [s for s, _ in spans], [text[s:e] for s, e in spans]
    for _ in range(count):
        window = _best_window(text, spans, width, chosen, starts, texts)
        if window is None:
            break
        chosen.append(window)
    chosen.sort()
    result = []
    for lo, hi in chosen:
        segs = _segments(text, spans, lo, hi)
        if lo > 0:
            segs.insert(0, ("…", False))
        if hi < len(text):
            segs.append(("…", False))
        result.append(segs)
    return result


MAX_WINDOW_STARTS = 200           # windows tried per snippet (a law may hold 1,000 matches)


def _best_window(text, spans, width, taken, starts=None, texts=None):
    """The window around a match holding the most distinct terms, then the
    most matches; spans are sorted and merged, so bisection finds a window's
    spans and its edges.  Linear in the matches, not quadratic.

    `starts` and `texts` (each span's start and text) may be passed in when
    several windows are chosen from the same spans: half of a page's
    highlighting time went to rebuilding them per window (bench mix)."""
    starts = starts if starts is not None else [s for s, _ in spans]
    texts = texts if texts is not None else [text[s:e] for s, e in spans]
    best, best_score = None, 0
    size = len(text)
    distinct = len(set(texts))
    for start, _ in spans[:MAX_WINDOW_STARTS]:
        if taken and any(lo <= start < hi for lo, hi in taken):
            continue
        lo = max(0, start - width // 3)
        hi = min(size, lo + width)
        first = bisect_right(starts, lo) - 1        # a span that holds `lo`?
        if first >= 0 and spans[first][0] < lo < spans[first][1]:
            lo = spans[first][0]                     # widen to whole marks
        last = bisect_left(starts, hi) - 1
        if last >= 0 and spans[last][0] < hi < spans[last][1]:
            hi = spans[last][1]
        if taken and any(lo < t_hi and t_lo < hi for t_lo, t_hi in taken):
            continue
        i, j = bisect_left(starts, lo), bisect_left(starts, hi)
        if j > i and spans[j - 1][1] > hi:          # spans never overlap: only the
            j -= 1                                   # last one can run past `hi`
        if min(j - i, distinct) * 100 + (j - i) <= best_score:
            continue                # cannot win: spare counting its distinct terms
        score = len(set(texts[i:j])) * 100 + (j - i)
        if score > best_score:
            best, best_score = (lo, hi), score
    return best


def to_html(segments: Segments) -> str:
    return "".join(f"<mark>{escape(t)}</mark>" if marked else escape(t)
                   for t, marked in segments)


_CONTROL = {c: None for c in range(32) if c not in (9, 10)} | {0x7F: None, 0x9B: None}


def terminal_safe(text: str) -> str:
    """Text safe to print on a terminal: control characters (escape
    sequences a hostile bulletin could carry) removed."""
    return text.translate(_CONTROL)


def to_terminal(segments: Segments, color: bool = True) -> str:
    if not color:
        return "".join(terminal_safe(t) for t, _ in segments)
    return "".join(f"{BOLD}{terminal_safe(t)}{RESET}" if marked else terminal_safe(t)
                   for t, marked in segments)
