"""What changed between two versions of a bulletin.

The archive keeps every version of every bulletin (`Archive.versions`).  A
diff names the metadata fields whose values changed and compares the bodies
word by word: jieba words (the project's segmenter), so a changed date or
amount shows as one replaced word (8月15日 -> 8月25日) rather than as scattered
characters, and difflib's SequenceMatcher on the two word lists.

Versions are numbered 1 (the first ingested) to n (the current one); the
default compares n-1 with n.
"""
from __future__ import annotations

import difflib

from .fields import FIELDS


class DiffError(ValueError):
    """Versions that cannot be compared (one version only, a bad number)."""


def pick_versions(history: list[dict], from_v: int | None, to_v: int | None
                  ) -> tuple[int, int]:
    """Validated (from, to) version numbers for a history (newest first)."""
    count = len(history)
    if count < 2 and (from_v is None or to_v is None):
        raise DiffError(f"this bulletin has {count} version{'s' * (count != 1)}: "
                        "nothing to compare")
    to_v = count if to_v is None else to_v
    from_v = to_v - 1 if from_v is None else from_v
    for v in (from_v, to_v):
        if not 1 <= v <= count:
            raise DiffError(f"version {v} does not exist (versions 1 to {count})")
    return from_v, to_v


def record_of(history: list[dict], number: int) -> dict:
    """The record of version `number` (1 = oldest) of a newest-first history."""
    return history[len(history) - number]["record"]


def field_changes(old: dict, new: dict) -> dict[str, list]:
    """{field: [old, new]} for every metadata field that differs (not the body)."""
    out = {}
    for f in FIELDS:
        if f.kind == "body":
            continue
        a, b = old.get(f.name), new.get(f.name)
        if (a or None) != (b or None):
            out[f.name] = [a, b]
    return out


MAX_DIFF_CHARS = 20_000   # of the changed middle, compared word by word (see word_changes)
EDGE_CHARS = 16           # the shared prefix and suffix are cut this far from a change


def word_changes(old_text: str, new_text: str, segmenter) -> list[dict]:
    """[{op, old, new}] covering both texts in order; equal runs merged.

    Only the middle between the texts' common prefix and suffix is
    segmented and compared (a revision usually touches a few places).
    When that middle is longer than MAX_DIFF_CHARS on either side, its
    paragraphs are compared first and only changed blocks of at most
    MAX_DIFF_CHARS word by word (a longer block is one "replace"): word
    difflib is quadratic in the worst case, and two versions of a
    2,000,000-character body kept a document page busy for minutes."""
    old_text, new_text = old_text or "", new_text or ""
    head = max(0, _common_prefix(old_text, new_text) - EDGE_CHARS)
    room = min(len(old_text), len(new_text)) - head
    tail = max(0, _common_prefix(old_text[::-1][:room], new_text[::-1][:room]) - EDGE_CHARS)
    a_mid, b_mid = old_text[head:len(old_text) - tail], new_text[head:len(new_text) - tail]
    out = [{"op": "equal", "old": old_text[:head], "new": old_text[:head]}] if head else []
    if max(len(a_mid), len(b_mid)) <= MAX_DIFF_CHARS:
        out += _by_words(a_mid, b_mid, segmenter)
    else:                         # paragraphs first, words inside small changed blocks
        a, b = a_mid.splitlines(keepends=True), b_mid.splitlines(keepends=True)
        # autojunk: a paragraph repeated thousands of times anchors nothing
        # (without it, 24,000 copies of one line are quadratic here too).
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=True)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            old, new = "".join(a[i1:i2]), "".join(b[j1:j2])
            if op != "replace" or max(len(old), len(new)) > MAX_DIFF_CHARS:
                out.append({"op": op, "old": old, "new": new})
            else:
                out += _by_words(old, new, segmenter)
    if tail:
        out.append({"op": "equal", "old": old_text[-tail:], "new": old_text[-tail:]})
    return _merged(out)


def _by_words(old: str, new: str, segmenter) -> list[dict]:
    a, b = segmenter.cut(old), segmenter.cut(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return [{"op": op, "old": "".join(a[i1:i2]), "new": "".join(b[j1:j2])}
            for op, i1, i2, j1, j2 in matcher.get_opcodes()]


def _common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix, by bisection on slices (each
    comparison a C-level memcmp: 21 of them for 2,000,000 characters)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _merged(changes: list[dict]) -> list[dict]:
    """Adjacent equal runs joined (the edges cut around the middle)."""
    out: list[dict] = []
    for change in changes:
        if out and change["op"] == "equal" and out[-1]["op"] == "equal":
            joined = out[-1]["old"] + change["old"]
            out[-1] = {"op": "equal", "old": joined, "new": joined}
        else:
            out.append(change)
    return out


def diff(doc_id: int, history: list[dict], segmenter, from_v: int | None = None,
         to_v: int | None = None) -> dict:
    """The public JSON of `archive show ID --diff --json`."""
    from_v, to_v = pick_versions(history, from_v, to_v)
    old, new = record_of(history, from_v), record_of(history, to_v)
    return {"id": doc_id, "from_version": from_v, "to_version": to_v,
            "fields": field_changes(old, new),
            "changes": word_changes(old.get("body") or "", new.get("body") or "", segmenter)}


def changed_only(changes: list[dict]) -> bool:
    return any(c["op"] != "equal" for c in changes)


def as_text(result: dict, context: int = 12) -> str:
    """A diff for the terminal: [-old-]{+new+} markers, long equal runs cut."""
    from .fields import label_of

    lines = [f"#{result['id']}: version {result['from_version']} -> {result['to_version']}"]
    for name, (a, b) in result["fields"].items():
        lines.append(f"  {label_of(name)}: {_plain(a)} -> {_plain(b)}")
    if not changed_only(result["changes"]):
        lines.append("  正文: 无变化")
        return "\n".join(lines)
    parts = []
    for change in result["changes"]:
        if change["op"] == "equal":
            text = change["old"]
            parts.append(text if len(text) <= 2 * context
                         else f"{text[:context]} … {text[-context:]}")
        else:
            if change["old"]:
                parts.append(f"[-{change['old']}-]")
            if change["new"]:
                parts.append(f"{{+{change['new']}+}}")
    lines.append("  正文: " + "".join(parts))
    return "\n".join(lines)


def _plain(value) -> str:
    if value is None or value == [] or value == "":
        return "（空）"
    return "；".join(value) if isinstance(value, list) else str(value)
