"""Jobs that write: ingest files, sync sources, rebuild the index.

Every job holds the data home's writer lock (`archive.writer_lock`, one
writer at a time), records itself in the archive's `jobs` table (start, end, outcome,
counts, per-file errors) and brings the index up to date before it ends.
The archive is always written first; the index is derived from it, so a job
killed at any moment leaves the index behind the archive at worst, and the
next job's `index.sync` catches up.  A job row a killed job left 'running'
is marked 'killed' by the next job (it holds the lock, so nobody else runs).

Counts: added / updated / withdrawn are bulletins; files / unchanged /
failed are files; records_failed are records no file could yield.

Exit codes (the CLI uses them; cron can rely on them):
  0 all good · 3 finished, some files failed · 75 another writer holds the
  lock · 1 failed.

Testing hook: `archive.pause.pause_point` (ARCHIVE_TEST_PAUSE_AT=NAME), so
a test can kill a writer at a named point.
"""
from __future__ import annotations

import errno
import fnmatch
import hashlib
import logging
import logging.handlers
import os
import sqlite3
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import index, limits, walk
from .config import Source
# EXIT_* and Locked are re-exported: callers name them from here.
from .errors import (EXIT_FAILED, EXIT_LOCKED, EXIT_OK, EXIT_PARTIAL,  # noqa: F401
                     EXIT_USAGE, ArchiveError, Locked, NotFound)
from .pause import pause_point
from .store import Archive, NoRecords
from .writer_lock import WriterLock

# An original is kept whole in one SQLite blob, whose size SQLite caps at
# 1,000,000,000 bytes by default.
MAX_ORIGINAL_BYTES = 999_000_000
# Problems kept in one job record (each file keeps its own in `ingests` too).
MAX_JOB_PROBLEMS = 5000
# Records of a stream stored between two feeds of a first index build
# (one batch of the index pipeline).
FEED_RECORDS = 200

log = logging.getLogger("archive.jobs")
logging.getLogger("archive").addHandler(logging.NullHandler())   # silent unless open_log


def open_log(path: Path | None) -> None:
    """Append job summaries to `path`.  WatchedFileHandler reopens the file
    when logrotate moves it away, so plain `create` rotation works."""
    if path is None:
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.WatchedFileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(process)d] %(message)s"))
    root = logging.getLogger("archive")
    for old in [h for h in root.handlers if isinstance(h, logging.handlers.WatchedFileHandler)]:
        root.removeHandler(old)              # one log per process, the latest asked for
        old.close()
    root.addHandler(handler)
    root.setLevel(logging.INFO)


@dataclass
class JobReport:
    """What a job did: counts, per-file errors, and how it ended."""
    kind: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    failed: int = 0
    records_failed: int = 0
    files: int = 0
    duplicates: int = 0
    failures: list[dict] = field(default_factory=list)   # {"path", "reason"}
    warnings: list[dict] = field(default_factory=list)   # record errors, conflicts
    indexed: int = 0
    seconds: float = 0.0
    outcome: str = "ok"
    job_id: int | None = None

    @property
    def counts(self) -> dict:
        return {k: getattr(self, k) for k in ("files", "added", "updated", "unchanged",
                                              "withdrawn", "duplicates", "failed",
                                              "records_failed", "indexed")}

    def fail(self, path: str | None, reason: str) -> None:
        """One file (or folder) failed; the others go on."""
        self.failed += 1
        self.failures.append({"path": path, "reason": reason})

    def note(self, path: str, errors, warnings) -> None:
        """A stored file's per-record problems (failed records) and cuts."""
        total = getattr(errors, "total", len(errors))
        self.records_failed += total
        messages = errors.summary() if hasattr(errors, "summary") else list(errors)
        messages += warnings.summary() if hasattr(warnings, "summary") else list(warnings)
        self.warnings += [{"path": path, "message": m} for m in messages]

    def count(self, outcome) -> None:
        self.added += outcome.added
        self.updated += outcome.updated
        self.withdrawn += outcome.withdrawn
        self.duplicates += outcome.duplicates
        if outcome.status == "unchanged":
            self.unchanged += 1
        self.warnings += [{"path": outcome.path, "message": m} for m in outcome.conflicts]

    @property
    def exit_code(self) -> int:
        """0 ok · 3 some files failed · 1 the job failed, or something failed
        and nothing else was done: no file stored, unchanged or a duplicate,
        no bulletin withdrawn (cron must see that as a failure)."""
        done = (self.added or self.updated or self.unchanged or self.withdrawn
                or self.duplicates)
        if self.failed and not done:
            return EXIT_FAILED
        return {"ok": EXIT_OK, "partial": EXIT_PARTIAL}.get(self.outcome, EXIT_FAILED)

    def to_json(self) -> dict:
        return {"job": self.job_id, "kind": self.kind, "outcome": self.outcome,
                **self.counts, "seconds": round(self.seconds, 2),
                "failures": self.failures, "warnings": self.warnings}


def _matches(path: Path, root: Path, include: list[str], exclude: list[str]) -> bool:
    rel = str(path.relative_to(root)) if path.is_relative_to(root) else path.name
    if include and not any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(path.name, g)
                           for g in include):
        return False
    return not any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(path.name, g) for g in exclude)


@dataclass
class Walked:
    """What `FileIngest.files` saw: file keys found, folders it could not read."""
    seen: set[str] = field(default_factory=set)
    unreadable: list[str] = field(default_factory=list)

    def may_withdraw(self, key: str, row) -> bool:
        """A known file not found by the walk is withdrawn only when the walk
        could have seen it: not below a folder that could not be listed, and
        not a path the file system cannot answer for (permissions)."""
        if key in self.seen or row["status"] == "withdrawn":
            return False
        if any(key == u or key.startswith(u + os.sep) for u in self.unreadable):
            return False
        return not walk.unknown(bytes(row["raw_path"]) if row["raw_path"] else key)


@dataclass
class FileIngest:
    """A job's storing of files into `archive`, counted in `report`.

    `feed()` is called after each file and every FEED_RECORDS records of a
    stream: a home's first index is built meanwhile (`archive.build_stream`,
    whose poll it is; a no-op otherwise).  Kept here, not handed down
    through each step of storing a file."""
    archive: Archive
    report: JobReport
    feed: Callable[[], None] = lambda: None

    def files(self, paths, progress=None, include: list[str] | None = None,
              exclude: list[str] | None = None, quick: bool = True,
              follow_links: bool = True) -> Walked:
        """Ingest every file under `paths`; returns what the walk saw.

        With `quick`, a file whose size and mtime match the archive is taken
        as unchanged without being read; otherwise its hash decides, and only
        a file whose content changed is parsed.  One file never decides the
        fate of another: each file's problem is that file's failure."""
        known = self.archive.known_files()
        walked, report = Walked(), self.report
        for root in paths:
            root = Path(root)
            if not os.path.lexists(root):
                report.fail(walk.path_key(root), "no such file or folder")
                continue
            source = walk.SourceWalk(root, follow_links)
            for path in source:
                if not _matches(path, source.top, include or [], exclude or []):
                    continue
                key = walk.path_key(path)
                if key in walked.seen:       # reached again through a link inside the root
                    continue
                walked.seen.add(key)
                report.files += 1
                self._one(path, key, known.get(key), quick)
                self.feed()
                pause_point("ingest-file")
                if progress:
                    progress(path)
            for key, reason, is_failure in source.problems:
                (report.fail(key, reason) if is_failure
                 else report.warnings.append({"path": key, "message": reason}))
            walked.unreadable += source.unreadable
        return walked

    def _one(self, path: Path, key: str, row, quick: bool) -> None:
        try:
            with walk.open_regular(path) as handle:
                stat = os.fstat(handle.fileno())
                if (quick and row is not None and row["status"] == "active"
                        and row["size"] == stat.st_size and row["mtime"] == stat.st_mtime):
                    self.report.unchanged += 1
                    return
                self._open(handle, stat, key, walk.raw_path(path), row, quick)
        except OSError as exc:
            if _is_disk_full(exc):
                raise
            self.report.fail(key, f"cannot read: {exc.strerror or exc}")

    def _open(self, handle, stat, key: str, raw: bytes | None, row, quick: bool) -> None:
        archive, report = self.archive, self.report
        if stat.st_size > MAX_ORIGINAL_BYTES:
            report.fail(key, f"file too large: {stat.st_size} bytes (limit {MAX_ORIGINAL_BYTES})")
            return
        sha = hashlib.file_digest(handle, "sha256").hexdigest()
        if (quick and row is not None and row["status"] == "active"
                and row["sha256"] == sha):                    # touched, not changed
            archive.touch_file(key, stat.st_size, stat.st_mtime)
            report.unchanged += 1
            return
        # The parsers (lxml, ~200 regular expressions: 0.5 s) only for a file
        # that changed: a reindex that finds nothing new never loads them.
        from . import sources

        handle.seek(0)
        head = handle.read(sources.SNIFF_BYTES)
        handle.seek(0)
        where = (key, stat.st_size, stat.st_mtime)
        if sources.detect_format(key, head) == "jsonl":
            outcome = self._stream(handle, where, sha, raw)
        elif stat.st_size > sources.MAX_FILE_BYTES:
            self._refuse(where, (handle, stat.st_size), sha, raw,
                         f"file too large: {stat.st_size} bytes (limit {sources.MAX_FILE_BYTES})")
            return
        else:
            data = handle.read()
            result = sources.parse_bytes(key, data)
            if not result.records:
                self._refuse(where, data, sha, raw,
                             "; ".join(list(result.errors)[:3]) or "no bulletin found")
                return
            outcome = archive.store_file(*where, data, result.format, result.encoding,
                                         result.records, result.errors, sha=sha, raw_path=raw)
            report.note(key, result.errors, result.warnings)
        if outcome is not None:
            report.count(outcome)

    def _stream(self, handle, where, sha: str, raw):
        """A JSON Lines file streamed into the archive: records are read and
        stored one at a time inside the file's transaction (the peak memory is
        one record, whatever the file's size); a file past a whole-file limit
        is refused whole.  `feed()` runs every `FEED_RECORDS` records, between two."""
        from . import sources

        errors, warnings = limits.ErrorLog(), limits.ErrorLog()

        def records():
            count = 0
            for _, record, error in sources.iter_stream_records(where[0], handle):
                if record is not None:
                    count += 1
                    if count % FEED_RECORDS == 0:
                        self.feed()                # the records before this one are stored
                    yield record
                else:
                    (warnings if isinstance(error, limits.Cut) else errors).append(error)

        try:
            original = (walk.PositionalReader(handle), where[1])
            outcome = self.archive.store_file(*where, original, "jsonl", "utf-8", records(),
                                              errors, sha=sha, raw_path=raw)
        except (limits.FileRefused, NoRecords) as exc:
            handle.seek(0)
            self._refuse(where, (handle, where[1]), sha, raw, str(exc))
            return None
        self.report.note(where[0], errors, warnings)
        return outcome

    def _refuse(self, where, data, sha: str, raw, reason: str) -> None:
        self.archive.record_failure(*where, data, reason, sha=sha, raw_path=raw)
        self.report.fail(where[0], reason)


def _finish(archive: Archive, home: Path, report: JobReport, started: float,
            sync_index: bool = True) -> JobReport:
    if sync_index:
        stats = index.sync(archive, home)
        report.indexed += stats.indexed           # a full rebuild counted its own
    report.seconds = time.monotonic() - started
    if report.outcome == "ok" and (report.failed or report.records_failed):
        report.outcome = "partial"
    return report


def run_job(home: Path, kind: str, body, wait: float = 0.0, detail: dict | None = None
            ) -> JobReport:
    """Run `body(archive, report)` under the writer lock, recording the job.

    An error ends the job with outcome 'failed' and the reason in its report
    (exit code 1) rather than an exception: what was committed before stays
    committed and consistent, and the next run continues from there.
    """
    home = Path(home)
    report = JobReport(kind)
    started = time.monotonic()
    with WriterLock(home, wait):
        archive = Archive(home)
        try:
            killed = archive.mark_stale_jobs()
            if killed:
                report.warnings.append({"path": None, "message": f"{killed} earlier job(s) "
                                        "were killed while running; this run completes them"})
            report.job_id = archive.start_job(kind, detail)
            log.info("job #%s %s started %s", report.job_id, kind, detail or "")
            body(archive, report)
            _finish(archive, home, report, started)
        except BaseException as exc:
            report.outcome = "failed"
            report.failures.append({"path": None, "reason": _describe(exc)})
            if not isinstance(exc, Exception):    # Ctrl-C, SystemExit: record, then go on
                _record(archive, report, started)
                raise
            log.exception("job #%s %s failed", report.job_id, kind)
        _record(archive, report, started)
    return report


def _record(archive: Archive, report: JobReport, started: float) -> None:
    """Store the job's end.  On a full disk this may fail too: then the row
    stays 'running' and the next job marks it 'killed'; the report (and the
    exit code) still tell."""
    report.seconds = time.monotonic() - started
    problems = report.failures + report.warnings
    if len(problems) > MAX_JOB_PROBLEMS:       # the record must fit, whatever came in
        more = len(problems) - MAX_JOB_PROBLEMS
        problems = problems[:MAX_JOB_PROBLEMS] + [
            {"path": None, "message": f"… and {more} more problems (not kept)"}]
    try:
        if report.job_id is not None:
            archive.finish_job(report.job_id, report.outcome, report.counts, problems)
    except (OSError, sqlite3.Error) as exc:
        log.error("could not record the end of job #%s: %s", report.job_id, exc)
        report.failures.append({"path": None, "reason": "job record not saved: "
                                + _describe(exc)})
    finally:
        archive.close()
    level = logging.INFO if report.outcome == "ok" else logging.WARNING
    log.log(level, "job #%s %s %s in %.1f s: %s", report.job_id, report.kind,
            report.outcome, report.seconds,
            " ".join(f"{k}={v}" for k, v in report.counts.items()))
    for failure in report.failures[:200]:
        log.log(level, "  failed: %s: %s", walk.printable(failure["path"]),
                walk.printable(failure["reason"]))
    for warning in report.warnings[:50]:      # the job record keeps more
        log.info("  warning: %s: %s", walk.printable(warning["path"]),
                 walk.printable(warning["message"]))


def _is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return (isinstance(exc, sqlite3.Error)
            and (getattr(exc, "sqlite_errorcode", None) == 13     # SQLITE_FULL
                 or "disk is full" in str(exc)))


def _describe(exc: BaseException) -> str:
    if _is_disk_full(exc):
        return ("disk full: the job stopped; files stored before it are kept, nothing "
                "half-written was published; free space and run it again")
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if isinstance(exc, ArchiveError):           # a message written for the reader
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


@contextmanager
def _ingest_building_first_index(archive: Archive, home: Path, report: JobReport):
    """Yields the job's `FileIngest`; when the home has no index yet, its
    feed builds the first one while the files are stored
    (`archive.build_stream`), else the job's sync updates the index after."""
    from . import build_stream

    stream = build_stream.start(archive, home)
    if stream is None:
        yield FileIngest(archive, report)
        return
    try:
        yield FileIngest(archive, report, stream.poll)
    except BaseException:
        stream.cancel()
        raise
    if stream.finish():
        report.indexed += stream.build.count


def ingest(home: Path, paths, wait: float = 0.0, progress=None) -> JobReport:
    """`archive ingest PATH...`: add or update the files, then sync the index."""
    def body(archive, report):
        with _ingest_building_first_index(archive, home, report) as run:
            run.files(paths, progress, quick=False)
    return run_job(home, "ingest", body, wait, {"paths": [str(p) for p in paths]})


def set_status(home: Path, doc_id: int, status: str, wait: float = 0.0) -> JobReport:
    """`archive withdraw ID` / `archive restore ID`: hide a bulletin from
    search or show it again (kept either way), then sync the index."""
    def body(archive, report):
        if not archive.set_doc_status(doc_id, status):
            raise NotFound(f"no bulletin #{doc_id}", doc_id=doc_id)
        if status == "withdrawn":
            report.withdrawn += 1
        else:
            report.updated += 1
    kind = "withdraw" if status == "withdrawn" else "restore"
    return run_job(home, kind, body, wait, {"doc": doc_id})


def reindex(home: Path, sources: list[Source], full: bool = False, wait: float = 0.0,
            progress=None) -> JobReport:
    """Sync every source (new, changed, removed files), then update the index;
    with `full`, rebuild the index from the archive into a fresh generation."""
    def sync_sources(run: FileIngest):
        for source in sources:
            root = Path(source.path)
            walked = run.files([root], progress, source.include, source.exclude, quick=True,
                               follow_links=source.follow_links)
            if root.is_dir():
                prefix = walk.path_key(root.resolve()) + os.sep
                for key, row in run.archive.known_files().items():
                    if key.startswith(prefix) and walked.may_withdraw(key, row):
                        run.report.withdrawn += run.archive.withdraw_file(key)

    def body(archive, report):
        if not full:
            with _ingest_building_first_index(archive, home, report) as run:
                sync_sources(run)
            return
        sync_sources(FileIngest(archive, report))
        # The live index is left alone (no in-place sync) until the new
        # generation, built from the archive alone, is verified and switched.
        generation = index.rebuild(archive, home)
        report.indexed = generation.state()["documents"]
    kind = "reindex-full" if full else "reindex"
    return run_job(home, kind, body, wait, {"sources": [str(s.path) for s in sources]})
