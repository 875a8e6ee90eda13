"""`archive show`: one bulletin, its original, its citations, or a diff of versions.

The largest of the read commands, in its own module; `archive.cli`
registers it.  Everything beyond click is imported inside the functions.
"""
from __future__ import annotations

import json
import sys

import click

from .cli_common import Context, answer, fail
from .errors import EXIT_USAGE


@click.command()
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
        _write_original(answer(lambda: service.original_record(doc_id)), doc_id)
        return
    data = answer(lambda: service.show(doc_id))
    if data is None:
        fail(f"no bulletin #{doc_id}")
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
        fail(f"no bulletin #{doc_id}")
    try:
        result = service.version_diff(doc_id, from_v, to_v)
    except DiffError as exc:
        fail(str(exc), EXIT_USAGE)
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
        fail(f"no bulletin #{doc_id}")
    where = f"{found.path}, line {found.line}" if not found.whole else found.path
    if _stdout_is_terminal() and not _plain_text(found.data):
        fail(f"the original of #{doc_id} ({where}) is not plain UTF-8 text and this is a "
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
