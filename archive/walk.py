"""Finding the files of a source without leaving it, and naming any path.

Why a module of its own: what a folder *holds* decides what is withdrawn, so
the walk must tell "this file is gone" from "this folder could not be read"
(an unreadable folder withdrew every bulletin in it once, and re-reading it
later duplicated them all), and it must never wander out of the source: a
symbolic link to ``/etc/passwd`` in a source folder became a searchable
bulletin.  Rules:

* a symbolic link is followed only when its target lies inside the source
  root (then the target is the file ingested, once); a link out of the root,
  or a dangling one, is skipped with a warning.  Following links inside the
  root is the default (mirrors of portal exports link shared folders); a
  source with ``follow_links = false`` in ``archive.toml`` skips every link
  (quietly when it points inside, with the same warning when out);
* a link loop ends: a folder already walked (by its resolved path) is not
  walked again;
* a folder that cannot be listed is a failure of that folder (the job ends
  "partial", exit 3), and nothing under it is withdrawn;
* names starting with a dot are skipped below folders;
* a file is opened without following a link in its last component and only
  if it is a regular file (a FIFO or device never blocks the job).

Paths are whatever bytes the file system holds.  `path_key` is the text the
archive stores: the name itself when it is valid UTF-8, else its bytes with
the invalid ones written ``\\xNN`` (the raw bytes go to the archive too, see
`raw_path`); `printable` is the form for logs and terminals.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from collections.abc import Iterator
from typing import BinaryIO


def path_key(path: str | os.PathLike) -> str:
    """The archive's text for `path`: valid UTF-8 always, one per name."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def raw_path(path: str | os.PathLike) -> bytes | None:
    """The path's bytes when `path_key` had to escape some, else None."""
    data = os.fsencode(path)
    try:
        data.decode("utf-8")
        return None
    except UnicodeDecodeError:
        return data


_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(32), 0x7F, *range(0x80, 0xA0))}


def printable(text: str | None) -> str:
    """`text` safe for a log line or a terminal: control characters (escape
    sequences a hostile file name can carry) written as ``\\xNN``."""
    return (text or "").translate(_CONTROLS)


class SourceWalk:
    """The files under one root (a folder or a single file), sorted.

    Iterating yields resolved paths inside the root; afterwards `problems`
    holds (path key, reason, is_failure) for folders that could not be
    listed (failures) and links that were not followed (warnings), and
    `unreadable` the keys of folders whose content is unknown.
    """

    def __init__(self, root: str | os.PathLike, follow_links: bool = True):
        self.root = Path(root)
        self.follow_links = follow_links
        self.problems: list[tuple[str, str, bool]] = []
        self.unreadable: list[str] = []
        self._visited: set[str] = set()

    def __iter__(self) -> Iterator[Path]:
        root = self.root
        try:
            resolved = root.resolve(strict=True)
        except (OSError, RuntimeError) as exc:
            self._fail(root, f"cannot open: {_reason(exc)}")
            return
        self.top = resolved
        if resolved.is_dir():
            yield from self._walk(resolved)
        elif resolved.is_file():
            yield resolved

    def inside(self, path: Path) -> bool:
        return path == self.top or path.is_relative_to(self.top)

    def _fail(self, path: Path, reason: str) -> None:
        self.problems.append((path_key(path), reason, True))
        self.unreadable.append(path_key(path))

    def _walk(self, folder: Path) -> Iterator[Path]:
        if str(folder) in self._visited:         # a link loop inside the root
            return
        self._visited.add(str(folder))
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            self._fail(folder, f"cannot list folder: {_reason(exc)}")
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                if entry.is_symlink():
                    path = self._follow(path)
                    if path is None:
                        continue
                if path.is_dir():
                    yield from self._walk(path)
                elif path.is_file():
                    yield path
            except OSError as exc:
                self._fail(path, f"cannot read: {_reason(exc)}")

    def _follow(self, link: Path) -> Path | None:
        try:
            target = link.resolve(strict=True)
        except (OSError, RuntimeError):
            self.problems.append((path_key(link), "broken symbolic link: skipped", False))
            return None
        if not self.inside(target):
            self.problems.append((path_key(link), "symbolic link out of the source folder "
                                  f"(to {path_key(target)}): not followed", False))
            return None
        return target if self.follow_links else None


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc)


def open_regular(path: Path) -> BinaryIO:
    """Open `path` for reading if it is a regular file, not through a link.

    O_NOFOLLOW: a file swapped for a link after the walk is refused (ELOOP);
    O_NONBLOCK: a FIFO put in its place does not hang the job.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"not a regular file: {path_key(path)}")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def unknown(path: str | os.PathLike) -> bool:
    """True when the file system cannot say whether `path` exists (an error
    other than ENOENT/ENOTDIR, e.g. a parent folder without permission):
    such a file is never withdrawn."""
    try:
        os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return True
    return False


class PositionalReader:
    """A second, independent reader of an open file (`os.pread`): the
    original is copied into the archive while the same file is parsed."""

    def __init__(self, handle: BinaryIO):
        self.fd, self.offset = handle.fileno(), 0

    def seek(self, offset: int) -> None:
        self.offset = offset

    def read(self, size: int) -> bytes:
        data = os.pread(self.fd, size, self.offset)
        self.offset += len(data)
        return data
