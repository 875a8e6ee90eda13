"""Index generations: where a generation lives, which one is live, and the
atomic switch between them.

A generation is a directory ``<home>/index/gen-NNNN`` (its parts are listed
in `archive.index`); ``<home>/index/CURRENT`` names the live one.  Readers
(`archive.searcher`, `archive.service`, `archive.live_watch`) need only this
module — the path arithmetic and the pointer — not the schema and writing
machinery of `archive.index`, which the build side uses.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from . import vocabulary
from .whoosh_compat import toc_generation

INDEX_DIR = "index"
CURRENT = "CURRENT"


@dataclass
class Generation:
    path: Path

    @property
    def whoosh_dir(self) -> Path:
        return self.path / "whoosh"

    @property
    def grams_dir(self) -> Path:
        return self.path / "grams"

    @property
    def state_path(self) -> Path:
        return self.path / "state.json"

    def state(self) -> dict:
        try:
            return json.loads(self.state_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"seq": 0}

    def write_state(self, state: dict) -> None:
        atomic_write(self.state_path, json.dumps(state, ensure_ascii=False, indent=1))

    @property
    def words_path(self) -> Path:
        """The dictionary snapshot queries are segmented with (see WordTable)."""
        return self.path / "words.sqlite"

    @property
    def vocab_path(self) -> Path:
        """The corpus vocabulary "did you mean" proposes from (archive.vocabulary)."""
        return self.path / vocabulary.FILE_NAME

    def open_whoosh(self):
        from whoosh import index as windex

        return windex.open_dir(str(self.whoosh_dir))

    def docmap_path(self, whoosh_generation: int) -> Path:
        return self.path / f"docmap-{whoosh_generation}.npz"


def index_root(home: Path) -> Path:
    return Path(home) / INDEX_DIR


def current_generation(home: Path) -> Generation | None:
    pointer = index_root(home) / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    path = index_root(home) / name
    return Generation(path) if (path / "whoosh").is_dir() else None


def live_version(home: Path) -> tuple[str, int] | None:
    """(generation name, Whoosh commit number) of the live index — cheap
    enough to check before every search."""
    try:
        name = (index_root(home) / CURRENT).read_text(encoding="utf-8").strip()
        number = toc_generation(index_root(home) / name / "whoosh")
    except (FileNotFoundError, NotADirectoryError):
        return None
    return (name, number) if number is not None else None


def atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def switch_to(home: Path, generation: Generation) -> None:
    """Make `generation` live, atomically; drop generations older than the last."""
    root = index_root(home)
    previous = current_generation(home)
    atomic_write(root / CURRENT, generation.path.name)
    fd = os.open(root, os.O_RDONLY)          # make the rename itself durable
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    keep = {generation.path.name, previous.path.name if previous else None}
    for path in root.glob("gen-*"):
        if path.name not in keep and path.is_dir():
            # Readers that still have an older generation open keep their
            # file handles; one generation back is kept for them.
            shutil.rmtree(path, ignore_errors=True)
