"""The `archive` command: a thin click layer over the library.

Exit codes, the same for every command that processes files:
  0 all good · 3 finished but some files failed (the summary names them) ·
  1 nothing could be done · 2 usage error · 75 the data home is locked by
  another writer (`--wait` to wait for it).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import config as cfg
from .errors import EXIT_FAILED, EXIT_USAGE, ArchiveError

# Heavy modules (whoosh, numpy, jieba) are imported inside the commands that
# need them: `archive --help` and a cold `archive search` stay fast.


class Context:
    def __init__(self, home: Path):
        self.home = home

    def service(self):
        return _search_api().SearchService(self.home)


def _search_api():
    """archive.search, for a read command: loaded without what that command
    never uses (archive.lean_imports)."""
    from .lean_imports import prepare_read_process

    prepare_read_process()
    from . import search

    return search


wait_option = click.option("--wait", type=float, default=0, show_default=True,
                           help="Seconds to wait for another writer to finish.")


def _fail(message: str, code: int = EXIT_FAILED):
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), envvar="ARCHIVE_HOME",
              help="Data home (default ./index_data, or $ARCHIVE_HOME).")
@click.version_option(package_name="gov-bulletin-archive", prog_name="archive")
@click.pass_context
def main(ctx, home):
    """Searchable archive of government bulletins (政府信息公开).

    Ingest saved portal pages, text renderings and JSON Lines exports, then
    search them from here, from scripts (--json) or in the browser (serve).
    """
    ctx.obj = Context(cfg.resolve_home(home))


# ------------------------------------------------------------------ writing --

def _progress(enabled: bool):
    """A file counter on a terminal; nothing in scripts and cron."""
    if not enabled or not sys.stderr.isatty():
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(unit=" files", desc="ingest", file=sys.stderr, leave=False)
    return (lambda _path: bar.update(1)), bar.close


def _run_job(job, as_json: bool):
    report = _answer(job)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=1))
    else:
        _print_report(report)
    sys.exit(report.exit_code)


def _print_report(report) -> None:
    from .walk import printable      # file names may carry terminal escapes

    c = report.counts
    duplicates = f" · duplicates {c['duplicates']}" if c.get("duplicates") else ""
    click.echo(f"{report.kind}: {c['files']} files · added {c['added']} · updated {c['updated']}"
               f" · unchanged {c['unchanged']} · withdrawn {c['withdrawn']}{duplicates}"
               f" · failed {c['failed']} · indexed {c['indexed']} · {report.seconds:.1f} s")
    for failure in report.failures:
        where = f"{printable(failure['path'])}: " if failure["path"] else ""
        click.echo(f"  failed: {where}{printable(failure['reason'])}", err=True)
    shown = report.warnings[:20]
    for warning in shown:
        where = f"{printable(warning['path'])}: " if warning["path"] else ""
        click.echo(f"  warning: {where}{printable(warning['message'])}", err=True)
    if len(report.warnings) > len(shown):
        click.echo(f"  … and {len(report.warnings) - len(shown)} more warnings "
                   f"(`archive jobs --json` lists them all)", err=True)


@main.command()
@click.pass_obj
def init(obj: Context):
    """Create the data home with a commented archive.toml."""
    path = cfg.write_example(obj.home)
    click.echo(f"wrote {path}" if path else f"{obj.home / cfg.CONFIG_NAME} already exists")


@main.command()
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@wait_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Append a summary of the run here (default: archive.toml [log] file).")
@click.pass_obj
def ingest(obj: Context, paths, wait, as_json, log_file):
    """Add or update the bulletins in PATHS (files or folders, recursively)."""
    from . import jobs

    _open_log(obj, log_file)
    progress, close = _progress(not as_json)
    try:
        _run_job(lambda: jobs.ingest(obj.home, list(paths), wait, progress), as_json)
    finally:
        close()


@main.command()
@click.option("--source", "sources", multiple=True,
              type=click.Path(exists=True, path_type=Path),
              help="Source folder (repeatable); overrides archive.toml.")
@click.option("--full", is_flag=True, help="Rebuild the index from the archive and switch.")
@wait_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Append a summary of the run here (default: archive.toml [log] file).")
@click.pass_obj
def reindex(obj: Context, sources, full, wait, as_json, log_file):
    """Sync the configured sources and bring the index up to date.

    New files are added, changed ones updated (history kept), files gone
    from a source folder are withdrawn (kept, hidden, restored if they come
    back).  --full then rebuilds the index into a new generation, verifies
    it and switches; searches keep working throughout.  For cron: exit 0 ok,
    3 some files failed, 75 another writer holds the lock, 1 failed.
    """
    from . import jobs

    config = _open_log(obj, log_file)
    chosen = [cfg.Source(Path(s)) for s in sources] if sources else config.sources
    if not chosen and not full:
        _fail(f"no sources: give --source DIR or add [[source]] to "
              f"{obj.home / cfg.CONFIG_NAME}", EXIT_USAGE)
    progress, close = _progress(not as_json)
    try:
        _run_job(lambda: jobs.reindex(obj.home, chosen, full, wait, progress), as_json)
    finally:
        close()


def _open_log(obj: Context, log_file: Path | None) -> cfg.Config:
    """Load archive.toml and start the run log (--log-file, else [log] file)."""
    from . import jobs

    config = _answer(lambda: cfg.load(obj.home))
    try:
        jobs.open_log(log_file or config.log_file)
    except OSError as exc:
        _fail(f"cannot open the log file: {exc}", EXIT_USAGE)
    return config


@main.command(name="jobs")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def jobs_command(obj: Context, limit, as_json):
    """List recent ingest and reindex runs."""
    from .store import Archive

    rows = _answer(lambda: Archive(obj.home, readonly=True).jobs(limit))
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for job in rows:
        counts = " ".join(f"{k}={v}" for k, v in job["counts"].items() if v)
        click.echo(f"#{job['id']} {job['kind']:<13} {job['outcome']:<8} {job['started_at']}"
                   f" → {job['finished_at'] or '…'}  {counts}")


def _status_command(name: str, status: str, summary: str):
    """`withdraw` and `restore`: the same command with another target status."""
    @main.command(name=name, help=summary)
    @click.argument("doc_id", type=int)
    @wait_option
    @click.pass_obj
    def command(obj: Context, doc_id, wait):
        from . import jobs

        report = _answer(lambda: jobs.set_status(obj.home, doc_id, status, wait))
        if report.outcome != "ok":
            _print_report(report)
        else:
            click.echo(f"#{doc_id} {status}")
        sys.exit(report.exit_code)
    return command


withdraw = _status_command("withdraw", "withdrawn",
                           "Hide a bulletin from search (kept in the archive; see restore).")
restore = _status_command("restore", "active", "Make a withdrawn bulletin searchable again.")


# ------------------------------------------------------------------ reading --

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


def _request(query, issuers, topics, year, month, date_from, date_to, sort,
             include_withdrawn, **extra):
    SearchRequest = _search_api().SearchRequest

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


def _answer(call):
    """Run a library call, turning its typed errors into messages and exit codes."""
    try:
        return call()
    except ArchiveError as exc:
        _fail(str(exc), exc.exit_code)
    except OSError as exc:
        _fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))


@main.command(context_settings={"ignore_unknown_options": True})
@search_options
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True,
              help="Hits per page.")
@click.option("--page", type=click.IntRange(1, 1000), default=1, show_default=True)
@click.option("--all", "all_hits", is_flag=True, help="Every hit, no paging.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--color/--no-color", default=None, help="Bold matches (default: on a terminal).")
@click.option("--collapse", is_flag=True, help="One hit per group of reprints and copies.")
@click.pass_obj
def search(obj: Context, limit, page, all_hits, as_json, color, collapse, **filters):
    """Search the archive. An empty QUERY lists everything, newest first."""
    request = _request(**filters, page=page, size=limit, all=all_hits, collapse=collapse)
    result = _answer(lambda: obj.service().search(request))
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=1))
        return
    _print_result(result, sys.stdout.isatty() if color is None else color)


def _print_result(result, color: bool) -> None:
    for warning in result.warnings:
        click.echo(f"注意: {warning}", err=True)
    shown = len(result.hits)
    first = (result.request.page - 1) * result.request.size + 1 if shown else 0
    click.echo(f"{result.total} 条结果 ({result.took_ms:.0f} ms)"
               + (f"，第 {first}-{first + shown - 1} 条" if shown else ""))
    if result.suggestion:
        click.echo(f"您是不是要找：{result.suggestion}（{result.suggestion_total} 条）")
    _print_hits(result.hits, color)
    if result.partial:
        click.echo(f"\n相近结果（{result.partial_total} 条：检索词中的词语相距很近，"
                   f"但没有完整出现）")
        _print_hits(result.partial, color)


def _print_hits(hits, color: bool) -> None:
    from .highlight import terminal_safe, to_terminal
    from .public import summary_values

    for hit in hits:
        f = hit.fields
        title = (to_terminal(hit.title_segments, color) if hit.title_segments
                 else terminal_safe(f["title"] or ""))
        click.echo(f"\n[{f['id']}] {title}")
        meta = terminal_safe(" · ".join(summary_values(f)))
        if meta:
            click.echo(f"    {meta}")
        if f.get("group_size", 1) > 1:
            click.echo(f"    另有 {f['group_size'] - 1} 篇相同或相近（组 {f['group']}）")
        for segments in hit.snippet_segments:
            click.echo(f"    {to_terminal(segments, color)}")


@main.command()
@click.argument("doc_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.option("--original", is_flag=True,
              help="Write the original to stdout: a JSON Lines record's own line, else the file.")
@click.option("--versions", is_flag=True, help="List earlier versions too.")
@click.option("--diff", "as_diff", is_flag=True,
              help="What changed between two versions (default: the two latest).")
@click.option("--from", "from_v", type=int, metavar="V",
              help="With --diff: older version (1 = first).")
@click.option("--to", "to_v", type=int, metavar="V", help="With --diff: newer version.")
@click.pass_obj
def show(obj: Context, doc_id, as_json, original, versions, as_diff, from_v, to_v):
    """Show one bulletin, its citations, or (--diff) what changed between versions."""
    service = obj.service()
    if as_diff or from_v or to_v:
        _show_diff(service, doc_id, from_v, to_v, as_json)
        return
    if original:
        _write_original(_answer(lambda: service.original_record(doc_id)), doc_id)
        return
    data = _answer(lambda: service.show(doc_id))
    if data is None:
        _fail(f"no bulletin #{doc_id}")
    if versions:
        data["history"] = service.versions(doc_id)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    from .fields import TABLE_FIELDS
    from .highlight import terminal_safe
    from .public import table_rows

    click.echo(terminal_safe(data["title"] or "(无标题)"))
    for label, value in table_rows(data, TABLE_FIELDS + ("url", "source_path")):
        if value:
            click.echo(f"  {label}: {terminal_safe(value)}")
    if data["status"] != "active":
        click.echo("  状态: 已撤回 (withdrawn)")
    click.echo("")
    click.echo(terminal_safe(data["body"] or ""))
    for version in data.get("history", [])[1:]:
        click.echo(f"\n(earlier version {version['vid']}, {version['created_at']}, "
                   f"{version['source_path']})")
    _print_citations(data)


def _print_citations(data: dict) -> None:
    from .highlight import terminal_safe as plain

    def line(item):
        name = " ".join(v for v in (item.get("doc_no"), item.get("title") and
                                    f"《{item['title']}》") if v)
        where = f"[{item['id']}]" if item.get("id") else "(不在档案中)"
        return plain(f"  {where} {name}")

    if data.get("cites"):
        click.echo(f"\n本文引用 ({len(data['cites'])}):")
        for item in data["cites"]:
            click.echo(line(item) + ("  ← 转发" if item.get("kind") == "reprint" else ""))
    if data.get("cited_by"):
        click.echo(f"\n被引用 ({len(data['cited_by'])}):")
        for item in data["cited_by"]:
            click.echo(line(item))


def _show_diff(service, doc_id: int, from_v, to_v, as_json: bool) -> None:
    from .versions_diff import DiffError, as_text

    if service.archive.get(doc_id) is None:
        _fail(f"no bulletin #{doc_id}")
    try:
        result = service.version_diff(doc_id, from_v, to_v)
    except DiffError as exc:
        _fail(str(exc), EXIT_USAGE)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        from .highlight import terminal_safe as plain

        click.echo(plain(as_text(result)))


def _write_original(found, doc_id: int) -> None:
    """The original's bytes to stdout: a JSONL record's own line, else the
    file.  Never binary (a gzip, a GB18030 page) or control characters onto
    a terminal, where they garble the screen or drive it: redirect instead."""
    if found is None:
        _fail(f"no bulletin #{doc_id}")
    where = f"{found.path}, line {found.line}" if not found.whole else found.path
    if _stdout_is_terminal() and not _plain_text(found.data):
        _fail(f"the original of #{doc_id} ({where}) is not plain UTF-8 text and this is a "
              f"terminal: redirect it to a file, e.g. `archive show {doc_id} --original > "
              "original.bin`", EXIT_USAGE)
    click.echo(f"original: {where}", err=True)
    sys.stdout.buffer.write(found.data)
    sys.stdout.buffer.flush()


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def _plain_text(data: bytes) -> bool:
    """UTF-8 text that `highlight.plain` leaves alone (no control characters;
    CRLF line ends allowed)."""
    from .highlight import terminal_safe as plain

    try:
        text = data.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError:
        return False
    return plain(text) == text


@main.command(context_settings={"ignore_unknown_options": True})
@search_options
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "opensearch"]),
              default="jsonl", show_default=True)
@click.option("--headers", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="CSV header row: field keys (en) or Chinese labels (zh: 索引号, 标题, …).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here instead of stdout.")
@click.option("--index-name", default="bulletins", show_default=True,
              help="opensearch: the index the bulk file and template name.")
@click.pass_obj
def export(obj: Context, fmt, output, index_name, headers, **filters):
    """Export every matching bulletin (full records) as JSON Lines or CSV, or as
    an OpenSearch bulk file (-o FILE) with its index template (FILE.template.json)."""
    from .export import lines

    request = _request(**filters)
    records = _answer(lambda: obj.service().export(request))
    if fmt == "opensearch":
        _export_opensearch(obj, records, output, index_name)
        return
    stream = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        for chunk in _answer(lambda: lines(records, fmt, headers)):
            stream.write(chunk)
    finally:
        if output:
            stream.close()
    if output:
        click.echo(f"wrote {output}", err=True)


def _export_opensearch(obj: Context, records, output: Path | None, index: str) -> None:
    """Bulk NDJSON (jieba words segmented now, folded grams) and the template."""
    from .analysis import segmenter_for
    from .opensearch.mapping import bulk_lines, index_template

    if output is None:
        _fail("--format opensearch writes two files: give -o FILE.ndjson", EXIT_USAGE)
    segment = segmenter_for(obj.home).cut
    count = 0
    with open(output, "w", encoding="utf-8") as stream:
        for n, line in enumerate(bulk_lines(records, segment, index)):
            stream.write(line)
            count += n % 2
    template = output.with_name(output.stem + ".template.json")
    template.write_text(json.dumps(index_template(index), ensure_ascii=False, indent=1),
                        encoding="utf-8")
    click.echo(f"wrote {output} ({count} documents) and {template}", err=True)


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def stats(obj: Context, as_json):
    """Counts, index size and the last job."""
    data = _answer(lambda: obj.service().stats())
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    click.echo(f"data home: {data['home']}")
    click.echo(f"bulletins: {data['documents']} (withdrawn {data['withdrawn']}, "
               f"versions {data['versions']})")
    click.echo(f"files: {data['files']} (failed {data['failed_files']}), "
               f"originals {data['original_bytes'] / 1e6:.1f} MB")
    index = data.get("index")
    if index:
        click.echo(f"index: {index['generation']}, {index['documents']} documents, "
                   f"{index['size_bytes'] / 1e6:.1f} MB, built {index['built_at']}")
    job = data.get("last_job")
    if job:
        click.echo(f"last job: #{job['id']} {job['kind']} {job['outcome']} {job['finished_at']}")


@main.command()
@click.option("--host", default=None, help="Default 127.0.0.1 (or archive.toml [serve]).")
@click.option("--port", type=int, default=None, help="Default 8080.")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Processes answering requests (default 2; one per core is right).")
@click.option("--threads", type=click.IntRange(1, 64), default=None,
              help="Threads per process (default 4).")
@click.option("--dev", is_flag=True, help="Flask's development server with reload (loopback only).")
@click.pass_obj
def serve(obj: Context, host, port, workers, threads, dev):
    """Serve the web app and JSON API."""
    try:
        from web.server import serve as run
    except ImportError as exc:
        _fail(f"the web app is not installed: {exc}")
    options = _answer(lambda: cfg.load(obj.home)).serve
    run(obj.home, host=host or options.get("host", "127.0.0.1"),
        port=port or int(options.get("port", 8080)),
        workers=workers or int(options.get("workers", 2)),
        threads=threads or int(options.get("threads", 4)), dev=dev)


if __name__ == "__main__":
    main()
