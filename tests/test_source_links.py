"""Symbolic links in a source: `follow_links` in archive.toml (issue 12, item 4).

A link whose target lies inside the source root is followed by default and
skipped with ``follow_links = false``; a link out of the root is never
followed, even when following is on; link loops end.  The layout used is
a snapshot store: the files live in a dot folder (never walked by itself)
and a ``current`` link points at the latest snapshot, so only the link
makes them reachable.
"""
from __future__ import annotations

import os

import pytest

from archive import config, jobs
from archive.errors import ConfigError
from archive.search import SearchRequest, SearchService
from jobtools import title_of, write_file


def found(home, n) -> int:
    result = SearchService(home).search(SearchRequest(q=f'"{title_of(n)}"', highlight=False))
    return result.total


def snapshot_source(tmp_path):
    """src/.snapshots/s2/feed.jsonl (bulletin 11) reached by src/current -> .snapshots/s2;
    src/own.jsonl (bulletin 10) directly; elsewhere/leak.jsonl (bulletin 12) out of the root."""
    src, outside = tmp_path / "src", tmp_path / "elsewhere"
    write_file(src, "own.jsonl", [10])
    write_file(src / ".snapshots" / "s2", "feed.jsonl", [11])
    write_file(outside, "leak.jsonl", [12])
    (src / "current").symlink_to(src / ".snapshots" / "s2", target_is_directory=True)
    (src / "to-leak.jsonl").symlink_to(outside / "leak.jsonl")
    (src / "to-outside").symlink_to(outside, target_is_directory=True)
    return src


def write_config(home, src, follow: str | None) -> list[config.Source]:
    home.mkdir(parents=True, exist_ok=True)
    line = f"follow_links = {follow}\n" if follow is not None else ""
    (home / "archive.toml").write_text(f'[[source]]\npath = "{src}"\n{line}', encoding="utf-8")
    return config.load(home).sources


def test_links_inside_the_root_are_followed_by_default(tmp_path):
    src, home = snapshot_source(tmp_path), tmp_path / "home"
    sources = write_config(home, src, None)
    assert sources[0].follow_links is True
    report = jobs.reindex(home, sources)
    assert (report.added, report.files) == (2, 2)
    assert (found(home, 10), found(home, 11), found(home, 12)) == (1, 1, 0)
    warned = sorted(os.path.basename(w["path"]) for w in report.warnings)
    assert warned == ["to-leak.jsonl", "to-outside"]          # out of the root: said


def test_follow_links_false_skips_links_inside_the_root(tmp_path):
    src, home = snapshot_source(tmp_path), tmp_path / "home"
    sources = write_config(home, src, "false")
    assert sources[0].follow_links is False
    report = jobs.reindex(home, sources)
    assert (report.added, report.files) == (1, 1)
    assert (found(home, 10), found(home, 11), found(home, 12)) == (1, 0, 0)
    warned = sorted(os.path.basename(w["path"]) for w in report.warnings)
    assert warned == ["to-leak.jsonl", "to-outside"]          # still said, still refused


def test_turning_following_off_withdraws_what_only_a_link_reached(tmp_path):
    src, home = snapshot_source(tmp_path), tmp_path / "home"
    assert jobs.reindex(home, write_config(home, src, "true")).added == 2
    report = jobs.reindex(home, write_config(home, src, "false"))
    assert (report.added, report.withdrawn) == (0, 1)
    assert (found(home, 10), found(home, 11)) == (1, 0)


def test_links_out_of_the_root_are_never_followed_even_when_enabled(tmp_path):
    """A chain of links that leaves the root (inside -> inside -> /elsewhere)
    is refused as well: the final target decides."""
    src, home = snapshot_source(tmp_path), tmp_path / "home"
    (src / "hop").symlink_to(src / "to-leak.jsonl")           # a link to a link that leaves
    report = jobs.reindex(home, write_config(home, src, "true"))
    assert found(home, 12) == 0
    assert "hop" in {os.path.basename(w["path"]) for w in report.warnings}


def test_link_loops_terminate(tmp_path):
    """A folder linking to its own parent, two links pointing at each other
    and a link to itself: the walk ends, each file ingested once."""
    home, src = tmp_path / "home", tmp_path / "src"
    write_file(src / "a" / "b", "deep.jsonl", [20])
    (src / "a" / "b" / "up").symlink_to(src / "a", target_is_directory=True)
    (src / "a" / "root-again").symlink_to(src, target_is_directory=True)
    (src / "ping").symlink_to(src / "pong")
    (src / "pong").symlink_to(src / "ping")
    (src / "self").symlink_to(src / "self")
    report = jobs.reindex(home, write_config(home, src, "true"))
    assert (report.added, report.files) == (1, 1)
    assert found(home, 20) == 1
    broken = sorted(os.path.basename(w["path"]) for w in report.warnings)
    assert broken == ["ping", "pong", "self"]


@pytest.mark.parametrize("value", ['"yes"', "1"])
def test_follow_links_must_be_a_boolean(tmp_path, value):
    home = tmp_path / "home"
    with pytest.raises(ConfigError, match="follow_links must be true or false"):
        write_config(home, tmp_path, value)
