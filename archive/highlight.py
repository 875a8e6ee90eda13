"""Highlighting: marked titles and snippets around the best matches.

Matching is done on folded text (so 「縣」 in a bulletin is marked for a query
縣 or 县) and mapped back to the original characters.  A highlight is a list
of (text, marked) segments; renderers turn it into HTML (`<mark>`, all else
escaped) or terminal bold.  Snippet windows are widened to whole marks, so a
snippet never cuts a mark or a highlighted word in half.
"""
from __future__ import annotations

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
    most matches, the earliest on a tie; spans are sorted and merged, so
    bisection finds a window's spans and its edges.

    Every candidate window's edges and match count come from array
    bisections at once; distinct terms are counted only for windows whose
    bound (count, capped by the distinct terms there are) can still win,
    best bounds first.  A page of ten laws with hundreds of matches each
    spent ~18 ms here when each window was measured in Python.

    `starts` and `texts` (each span's start and text) may be passed in when
    several windows are chosen from the same spans."""
    import numpy as np

    starts = starts if starts is not None else [s for s, _ in spans]
    texts = texts if texts is not None else [text[s:e] for s, e in spans]
    n = min(len(spans), MAX_WINDOW_STARTS)
    if not n:
        return None
    lo, hi, first, last = _windows(np.asarray(starts), np.asarray([e for _, e in spans]),
                                   n, width, len(text))
    keep = np.ones(n, dtype=bool)
    at = np.asarray(starts[:n])
    for t_lo, t_hi in taken or ():
        keep &= ~((t_lo <= at) & (at < t_hi)) & ~((lo < t_hi) & (t_lo < hi))
    count = last - first
    bound = np.minimum(count, len(set(texts))) * 100 + count
    best, best_score, best_at = None, 0, n
    for k in np.argsort(-bound, kind="stable").tolist():
        if bound[k] < best_score:
            break                                  # nothing after can win
        if not keep[k] or (bound[k] == best_score and k > best_at):
            continue
        score = len(set(texts[first[k]:last[k]])) * 100 + int(count[k])
        if score > best_score or (score == best_score and score and k < best_at):
            best, best_score, best_at = (int(lo[k]), int(hi[k])), score, k
    return best


def _windows(span_starts, span_ends, n: int, width: int, size: int):
    """Edges (widened to whole marks) and first / past-last span of the
    windows placed a third of `width` before each of the first `n` spans."""
    import numpy as np

    lo = np.maximum(0, span_starts[:n] - width // 3)
    hi = np.minimum(size, lo + width)
    inside = np.searchsorted(span_starts, lo, "right") - 1        # a span that holds lo?
    held = np.maximum(inside, 0)
    lo = np.where((inside >= 0) & (span_starts[held] < lo) & (lo < span_ends[held]),
                  span_starts[held], lo)
    inside = np.searchsorted(span_starts, hi, "left") - 1
    held = np.maximum(inside, 0)
    hi = np.where((inside >= 0) & (span_starts[held] < hi) & (hi < span_ends[held]),
                  span_ends[held], hi)
    first = np.searchsorted(span_starts, lo, "left")
    last = np.searchsorted(span_starts, hi, "left")
    # Spans never overlap: only the last one can run past `hi`.
    last = last - ((last > first) & (span_ends[np.maximum(last - 1, 0)] > hi))
    return lo, hi, first, last


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
