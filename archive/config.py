"""The data home and its settings file, ``archive.toml``.

The data home is ``--home DIR``, else ``$ARCHIVE_HOME``, else ``./index_data``.
It holds the archive (``archive.sqlite``), the index (``index/``), the
writer lock, the user dictionary (``dict.txt``), the user synonyms
(``synonyms.txt``) and ``archive.toml``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError

CONFIG_NAME = "archive.toml"
DEFAULT_HOME = "index_data"

EXAMPLE = '''\
# archive.toml — settings of this data home.  Every key is optional.
# Paths are relative to this file's folder unless absolute.

# Folders (or files) that `archive reindex` keeps in sync, in order.
# New files are added, changed files updated (history kept), files that
# disappear are marked withdrawn (kept, hidden from search, restorable).
# [[source]]
# path = "/srv/bulletins/portal-export"
# include = ["*.html", "*.htm", "*.txt", "*.jsonl", "*.jsonl.gz"]
# exclude = ["drafts/*"]
# Symbolic links whose target lies inside `path` are followed (the target
# is ingested once); false skips them.  A link out of `path` is never
# followed, whatever this says.
# follow_links = true

# [analysis]
# Words jieba must keep whole (place and official names), one per line:
# "word [frequency]".  After changing it run `archive reindex --full`.
# dictionary = "dict.txt"
# Synonyms and abbreviations applied at query time, "a = b = c" per line;
# no reindex needed.
# synonyms = "synonyms.txt"

# [serve]
# host = "127.0.0.1"
# port = 8080
# workers = 4

# [log]
# file = "logs/archive.log"     # append-only, safe for logrotate (copytruncate)
'''


@dataclass
class Source:
    """A folder `archive reindex` keeps in step with (archive.toml [[source]])."""
    path: Path
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    follow_links: bool = True         # links inside `path` (never out of it)


@dataclass
class Config:
    home: Path
    sources: list[Source] = field(default_factory=list)
    dictionary: Path | None = None
    synonyms: Path | None = None
    serve: dict = field(default_factory=dict)
    log_file: Path | None = None


def resolve_home(home: str | os.PathLike | None = None) -> Path:
    return Path(home or os.environ.get("ARCHIVE_HOME") or DEFAULT_HOME).absolute()


def load(home: Path) -> Config:
    """Read ``<home>/archive.toml`` (absent = defaults)."""
    home = Path(home)
    config = Config(home, dictionary=home / "dict.txt", synonyms=home / "synonyms.txt")
    path = home / CONFIG_NAME
    if not path.exists():
        return config
    import tomllib      # 16 ms: only for a home that has the file (every command reads it)

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None

    def rel(value) -> Path:
        value = Path(str(value)).expanduser()
        return value if value.is_absolute() else (home / value)

    for item in data.get("source", []):
        if "path" not in item:
            raise ConfigError(f"{path}: every [[source]] needs a path")
        follow = item.get("follow_links", True)
        if not isinstance(follow, bool):
            raise ConfigError(f"{path}: follow_links must be true or false, not {follow!r}")
        config.sources.append(Source(rel(item["path"]), list(item.get("include", [])),
                                     list(item.get("exclude", [])), follow))
    analysis = data.get("analysis", {})
    if "dictionary" in analysis:
        config.dictionary = rel(analysis["dictionary"])
    if "synonyms" in analysis:
        config.synonyms = rel(analysis["synonyms"])
    config.serve = dict(data.get("serve", {}))
    if "file" in data.get("log", {}):
        config.log_file = rel(data["log"]["file"])
    return config


def write_example(home: Path) -> Path | None:
    """Write a commented ``archive.toml`` unless one exists; returns its path."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / CONFIG_NAME
    if path.exists():
        return None
    path.write_text(EXAMPLE, encoding="utf-8")
    return path
