"""Snippet windows: archive.highlight against a straightforward reference."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st


# ------------------------------------------------- snippet windows (oracle) --

def _best_window_reference(text, spans, width, taken):
    """The straightforward window search archive.highlight optimises."""
    from bisect import bisect_left, bisect_right

    starts = [s for s, _ in spans]
    best, best_score = None, 0
    for start, _end in spans[:200]:
        if any(lo <= start < hi for lo, hi in taken):
            continue
        lo = max(0, start - width // 3)
        hi = min(len(text), lo + width)
        first = bisect_right(starts, lo) - 1
        if first >= 0 and spans[first][0] < lo < spans[first][1]:
            lo = spans[first][0]
        last = bisect_left(starts, hi) - 1
        if last >= 0 and spans[last][0] < hi < spans[last][1]:
            hi = spans[last][1]
        if any(lo < t_hi and t_lo < hi for t_lo, t_hi in taken):
            continue
        inside = spans[bisect_left(starts, lo):bisect_left(starts, hi)]
        inside = [(s, e) for s, e in inside if e <= hi]
        score = len({text[s:e] for s, e in inside}) * 100 + len(inside)
        if score > best_score:
            best, best_score = (lo, hi), score
    return best


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="甲乙丙丁戊 ", max_size=400),
       terms=st.lists(st.text(alphabet="甲乙丙丁戊", min_size=1, max_size=3), min_size=1,
                      max_size=4),
       width=st.integers(4, 60))
def test_best_window_equals_the_reference(text, terms, width):
    """Both ways of measuring windows (lists for few spans, arrays for many)
    choose the reference's windows, whatever the number of spans."""
    from archive.highlight import _ArrayWindows, _candidate_windows, _ListWindows, match_spans

    spans = match_spans(text, terms)
    taken: list = []
    measured = [_ListWindows(text, spans, width), _ArrayWindows(text, spans, width)]
    for _ in range(3):
        want = _best_window_reference(text, spans, width, taken)
        assert _candidate_windows(text, spans, width).best(taken) == want
        assert [windows.best(taken) for windows in measured] == [want, want]
        if want is None:
            break
        taken.append(want)


# ------------------------------------------------------ marks (oracle) --

def _spans_reference(text, terms):
    """The runs of original characters covered by an occurrence of a folded
    term in the text folded character by character (a character covered
    when one of its folded characters is)."""
    from archive.folding import fold

    folded, owner = "", []
    for i, char in enumerate(text):
        piece = fold(char)
        folded += piece
        owner += [i] * len(piece)
    covered = {owner[k] for t in set(terms) if t for s in range(len(folded))
               if folded.startswith(t, s) for k in range(s, s + len(t))}
    return [(i, next(j for j in range(i, len(text) + 1) if j not in covered))
            for i in sorted(covered) if i - 1 not in covered]


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet="甲乙縣…ﬁAa. ", max_size=600),
       terms=st.lists(st.sampled_from(["甲", "乙县", "...", "fi", "a.", "县甲", "..甲"]),
                      min_size=1, max_size=3))
def test_marks_map_back_through_folding(text, terms):
    """Marks over text whose characters fold to several (…… -> ......,
    ﬁ -> fi) or to others (縣 -> 县, A -> a), short texts and long ones
    (folded by the array lookup from 200 characters), equal the reference."""
    from archive.highlight import match_spans

    assert match_spans(text, terms) == _spans_reference(text, terms)
