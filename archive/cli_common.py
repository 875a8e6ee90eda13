"""What the `archive` commands share: the context, options, errors to exit codes.

Split from `archive.cli` so that command groups can live in sibling modules
(`archive.cli_show`) without importing the click group back.  Light on
purpose: a cold `archive search` imports it (click and the stdlib only; the
library is imported inside the functions).
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .errors import EXIT_FAILED, ArchiveError


class Context:
    def __init__(self, home: Path):
        self.home = home

    def service(self):
        return search_api().SearchService(self.home)


def search_api():
    """archive.search, for a read command: loaded without what that command
    never uses (archive.lean_imports)."""
    from .lean_imports import prepare_read_process

    prepare_read_process()
    from . import search

    return search


wait_option = click.option("--wait", type=float, default=0, show_default=True,
                           help="Seconds to wait for another writer to finish.")


def fail(message: str, code: int = EXIT_FAILED):
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def search_options(func):
    """The filters shared by `search` and `export` (same names as the web API)."""
    options = [
        # Several words are one query (`archive search 防汛 抗旱`); a word
        # starting with '-' is an exclusion, not an option (`search -视频`).
        click.argument("query", nargs=-1),
        click.option("--issuer", "issuers", multiple=True, help="发文机关 (repeatable)."),
        click.option("--topic", "topics", multiple=True, help="主题分类 (repeatable)."),
        click.option("--year", type=int),
        click.option("--month", type=click.IntRange(1, 12)),
        click.option("--from", "date_from", metavar="DATE", help="From date (2025, 2025-03, …)."),
        click.option("--to", "date_to", metavar="DATE", help="To date, inclusive."),
        click.option("--sort", type=click.Choice(["relevance", "date", "-date"]),
                     default=None, help="Default: relevance, or -date (newest) with no query."),
        click.option("--withdrawn", "include_withdrawn", is_flag=True,
                     help="Include withdrawn bulletins."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def build_request(query, issuers, topics, year, month, date_from, date_to, sort,
             include_withdrawn, **extra):
    SearchRequest = search_api().SearchRequest

    if isinstance(query, tuple):
        unknown = [w for w in query if w.startswith("--") and len(w) > 2]
        if unknown:
            raise click.UsageError(f"no such option: {unknown[0]} (a query word starting "
                                   "with '-' may follow `--`: archive search -- -通知)")
        query = " ".join(query)
    return SearchRequest(q=query or "", issuers=list(issuers), topics=list(topics), year=year,
                         month=month, date_from=date_from, date_to=date_to,
                         sort=sort or ("relevance" if (query or "").strip() else "-date"),
                         include_withdrawn=include_withdrawn, **extra)


def answer(call):
    """Run a library call, turning its typed errors into messages and exit codes."""
    try:
        return call()
    except ArchiveError as exc:
        fail(str(exc), exc.exit_code)
    except OSError as exc:
        fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
