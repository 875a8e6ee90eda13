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

from .folding import fold_with_offset_array

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
    folded, offsets = fold_with_offset_array(text)
    starts, lasts = [], []
    for term in terms:
        start = folded.find(term)
        while start != -1:
            starts.append(start)
            lasts.append(start + len(term) - 1)
            start = folded.find(term, start + 1)
    if offsets is not None and starts:         # folded positions -> original ones
        starts, lasts = offsets[starts].tolist(), offsets[lasts].tolist()
    # A span ends after the original character holding the term's last
    # folded character (one character may fold to several: ﬁ -> fi).
    spans = sorted((start, last + 1) for start, last in zip(starts, lasts))
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
    windows = _candidate_windows(text, spans, width)
    chosen: list[tuple[int, int]] = []
    for _ in range(count):
        window = windows.best(chosen)
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
# Up to this many spans the windows are measured in Python: the array version
# pays ~20 numpy calls of a few µs each per snippet, and a result page's
# bodies hold a median of 3 spans (the bench mix: 2,058 highlighted hits,
# mean 11, 1% over 200).  Snippets of the mix's pages: 3.1 ms of CPU a page
# with arrays for every text, 0.8 ms so.
ARRAY_WINDOWS_FROM = 40


def _candidate_windows(text, spans, width):
    """The candidate windows of `spans`, measured once for all the
    snippets taken from them.  `.best(taken)` is the window around one of
    the first MAX_WINDOW_STARTS spans that overlaps no window of `taken`
    and holds the most distinct terms, then the most matches, the earliest
    on a tie; None when none is left.  Windows start a third of `width`
    before their span and are widened to whole marks (spans are sorted and
    merged, so bisection finds a window's spans and its edges)."""
    if min(len(spans), MAX_WINDOW_STARTS) < ARRAY_WINDOWS_FROM:
        return _ListWindows(text, spans, width)
    return _ArrayWindows(text, spans, width)


class _ListWindows:
    """Candidate windows in plain lists, each scored exactly (few spans)."""

    def __init__(self, text, spans, width):
        starts = [s for s, _ in spans]
        ends = [e for _, e in spans]
        texts = [text[s:e] for s, e in spans]
        n, size, before = min(len(spans), MAX_WINDOW_STARTS), len(text), width // 3
        self.windows = []                 # (span start, lo, hi, score)
        for start in starts[:n]:
            lo = max(0, start - before)
            hi = min(size, lo + width)
            held = bisect_right(starts, lo) - 1           # a span that holds lo?
            if held >= 0 and starts[held] < lo < ends[held]:
                lo = starts[held]
            held = bisect_left(starts, hi) - 1
            if held >= 0 and starts[held] < hi < ends[held]:
                hi = ends[held]
            first, last = bisect_left(starts, lo), bisect_left(starts, hi)
            if last > first and ends[last - 1] > hi:     # only the last can run past hi
                last -= 1
            score = len(set(texts[first:last])) * 100 + last - first
            self.windows.append((start, lo, hi, score))

    def best(self, taken):
        best, best_score = None, 0
        for start, lo, hi, score in self.windows:
            if score > best_score and not any(t_lo <= start < t_hi or (lo < t_hi and t_lo < hi)
                                              for t_lo, t_hi in taken):
                best, best_score = (lo, hi), score
        return best


class _ArrayWindows:
    """Candidate windows as arrays (many spans).

    Every candidate window's edges and match count come from array
    bisections at once; distinct terms are counted only for windows whose
    bound (count, capped by the distinct terms there are) can still win,
    best bounds first.  A page of ten laws with hundreds of matches each
    spent ~18 ms here when each window was measured in Python."""

    def __init__(self, text, spans, width):
        import numpy as np

        self.texts = [text[s:e] for s, e in spans]
        n = self.n = min(len(spans), MAX_WINDOW_STARTS)
        self.at = np.asarray([s for s, _ in spans[:n]])
        self.lo, self.hi, self.first, self.last = _windows(
            np.asarray([s for s, _ in spans]), np.asarray([e for _, e in spans]),
            n, width, len(text))
        self.count = self.last - self.first
        self.bound = np.minimum(self.count, len(set(self.texts))) * 100 + self.count
        self.order = np.argsort(-self.bound, kind="stable").tolist()

    def best(self, taken):
        import numpy as np

        lo, hi, first, last, count, bound = (self.lo, self.hi, self.first, self.last,
                                             self.count, self.bound)
        keep = np.ones(self.n, dtype=bool)
        for t_lo, t_hi in taken or ():
            keep &= ~((t_lo <= self.at) & (self.at < t_hi)) & ~((lo < t_hi) & (t_lo < hi))
        best, best_score, best_at = None, 0, self.n
        for k in self.order:
            if bound[k] < best_score:
                break                                  # nothing after can win
            if not keep[k] or (bound[k] == best_score and k > best_at):
                continue
            score = len(set(self.texts[first[k]:last[k]])) * 100 + int(count[k])
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
