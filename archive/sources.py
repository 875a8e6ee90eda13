"""Reading source files: finding them, telling their format, decoding, parsing.

API
---
- `iter_source_files(paths)` yields the files under the given files/folders,
  sorted, hidden files and folders skipped, never leaving a root
  (`archive.walk.SourceWalk`, which also reports unreadable folders).
- `parse_bytes(path, data)` parses bytes already in memory: what ingest uses,
  because the archive keeps every original byte for byte, so every file,
  JSON Lines included, is read whole (README "Ingest limits").
- `parse_file(path)` opens and parses one file (tools, tests).
- `parse_stream(path, fileobj)` parses an open binary file. JSON Lines (plain or
  gzip) are parsed line by line from the stream; other formats are read
  whole, up to `MAX_FILE_BYTES`.
- `iter_stream_records(path, fileobj)` is the streaming form for JSONL: it
  yields (line, Record | None, error | None) without collecting a list.
- `detect_format(path, data)` and `decode_bytes(data, declared)` are the
  building blocks, exposed for tests and tools.

None of the parse functions raises: every failure becomes a ParseResult with
no records and a readable reason in `errors` ("empty file", "not a bulletin:
binary data", "unrecognised format", "file too large: ...").

A record whose body is over `MAX_BODY_CHARS` is refused with a reason
("line 3: body too long: ...") rather than stored: no bulletin is that long,
and indexing, highlighting and showing one would cost every later search
that hits it.  (The largest in the development corpus is ~110,000.)  Every
other field is cut to its `max_chars` with the cut reported, and a page's
parsing has a time budget: the per-file limits are listed in `archive.limits`.
"""
from __future__ import annotations

import codecs
import gzip
import io
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from archive import limits
from archive.model import ParseResult, Record
from archive.walk import SourceWalk
from archive.parsers import htmlpage, jsonl, textpage

MAX_FILE_BYTES = 64 * 1024 * 1024   # html / text pages (JSONL: MAX_JSONL_BYTES)
MAX_BODY_CHARS = limits.MAX_BODY_CHARS  # a longer body is refused (see above)
MAX_JSONL_BYTES = 1024 * 1024 * 1024  # a JSONL file, decompressed (a gzip bomb stops here)
_SNIFF_BYTES = 64 * 1024
SNIFF_BYTES = _SNIFF_BYTES          # what detect_format needs of a file's head
_GZIP_MAGIC = b"\x1f\x8b"
UNKNOWN = "unknown"                 # ParseResult.format when no parser applies


# ---------------------------------------------------------------- files

def iter_source_files(paths: Iterable[str | os.PathLike]) -> Iterator[Path]:
    """Files named in `paths`, and every file below named folders, sorted,
    without leaving each named root (see `archive.walk` for the rules)."""
    for path in paths:
        yield from SourceWalk(path)


# ---------------------------------------------------------------- decoding

_WIDE_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
              (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# UTF-32-LE's BOM starts with UTF-16-LE's, so the longer ones are tried first.
_BOMS = _WIDE_BOMS[:2] + ((codecs.BOM_UTF8, "utf-8-sig"),) + _WIDE_BOMS[2:]
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)"""
    rb"""|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.I)
# GB2312 and GBK are subsets of GB18030; pages labelled with them often use
# characters outside the subset, which only GB18030 decodes.
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "gb_2312", "gb_2312-80", "x-gbk", "cp936",
              "euc-cn", "csgb2312", "chinese", "936", "ms936"}


def declared_encoding(data: bytes) -> str | None:
    """The charset an HTML/XML head declares, as a Python codec name, or None."""
    m = _META_CHARSET.search(data[:4096])
    if not m:
        return None
    return _codec_name((m.group(1) or m.group(2)).decode("ascii", "replace"))


def _codec_name(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().lower()
    if name in _GB_FAMILY:
        return "gb18030"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _utf8_truncated(data: bytes) -> str | None:
    """UTF-8 that is valid except for a sequence cut off at the very end."""
    try:
        data.decode("utf-8")
        return None
    except UnicodeDecodeError as exc:
        if exc.start < len(data) - 3:
            return None
        head = _strict(data[:exc.start], "utf-8")
        return None if head is None else head + "\ufffd"


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """(text, encoding used) for page bytes.

    Order: a BOM; valid UTF-8 (a GBK page is practically never valid UTF-8, so
    this also rescues UTF-8 pages labelled GBK); the declared charset (argument,
    else the page's meta/XML declaration) if it decodes strictly; GB18030;
    charset-normalizer; finally UTF-8 with replacement characters.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = _strict(data, encoding)
            if text is not None:
                return text.lstrip("\ufeff"), encoding
    text = _strict(data, "utf-8")
    if text is not None:
        return text, "utf-8"
    text = _utf8_truncated(data)
    if text is not None:
        return text, "utf-8"
    encoding = _codec_name(declared) or declared_encoding(data)
    if encoding and encoding != "utf-8":
        text = _strict(data, encoding)
        if text is not None:
            return text, encoding
    text = _strict(data, "gb18030")
    if text is not None:
        return text, "gb18030"
    return _detect(data)


def _detect(data: bytes) -> tuple[str, str]:
    from charset_normalizer import from_bytes  # only for the odd page: slow to import

    best = from_bytes(data[:_SNIFF_BYTES * 4]).best()
    encoding = _codec_name(best.encoding) if best else None
    if encoding:
        return data.decode(encoding, "replace"), encoding
    return data.decode("utf-8", "replace"), "utf-8"


# ---------------------------------------------------------------- formats

_HTML_HINT = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|meta|title|div|table|p|span|article|br)[\s>/]", re.I)


def _looks_binary(head: bytes) -> bool:
    if not head:
        return False
    if any(head.startswith(bom) for bom, _ in _WIDE_BOMS):
        return False  # UTF-16/32 text has NULs by design
    if b"\x00" in head:
        return True
    controls = sum(b < 32 and b not in (9, 10, 12, 13, 27) for b in head)
    return controls > len(head) // 20


def _gunzip_head(data: bytes) -> bytes:
    try:
        return zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(data[:_SNIFF_BYTES], _SNIFF_BYTES)
    except zlib.error:
        return b""


def _looks_jsonl(head: bytes) -> bool:
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return first.startswith(b"{") and b'"' in first[:200]


def detect_format(path: str | os.PathLike | None, data: bytes) -> str | None:
    """"jsonl", "html", "textpage" or None, from the content first.

    gzip data counts as JSONL when its content is JSONL. The extension only
    decides between formats the content leaves open.
    """
    head = data[:_SNIFF_BYTES]
    if head.startswith(_GZIP_MAGIC):
        return "jsonl" if _looks_jsonl(_gunzip_head(data)) else None
    if not head.strip() or (_looks_binary(head) and not _looks_jsonl(head)):
        return None      # (JSONL with a line of binary junk is JSONL: its other lines count)
    wide = next((enc for bom, enc in _WIDE_BOMS if head.startswith(bom)), None)
    if wide:  # the markers below are ASCII: look at UTF-16/32 pages as UTF-8
        head = head.decode(wide, "replace").encode("utf-8")
    if _looks_jsonl(head):
        return "jsonl"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and _HTML_HINT.search(head):
        return "html"        # markup must open the file: a README quoting <div> is not a page
    text, _ = decode_bytes(head)
    if textpage.is_textpage(text):
        return "textpage"
    suffix = Path(str(path or "")).suffix.lower()
    if suffix in (".html", ".htm", ".shtml", ".xhtml"):
        return "html"
    return None


# ---------------------------------------------------------------- parsing

def _failure(reason: str, fmt: str = UNKNOWN) -> ParseResult:
    return ParseResult(fmt, errors=[reason])


def bounded(record: Record) -> tuple[Record | None, list[str]]:
    """(`record` with over-long fields cut, or None if refused; the messages)."""
    reason = limits.body_too_long(record)
    if reason:
        return None, [reason]
    return record, limits.clip_fields(record)


def _bounded(result: ParseResult) -> ParseResult:
    """`result` within the per-record limits, each cut or refusal in `errors`."""
    kept, errors = [], limits.ErrorLog(result.errors)
    warnings = limits.ErrorLog(result.warnings)
    for record in result.records:
        record, messages = bounded(record)
        for message in messages:
            (warnings if isinstance(message, limits.Cut) else errors).append(message)
        if record is not None:
            kept.append(record)
    result.records, result.errors, result.warnings = kept, errors, warnings
    return result


def parse_bytes(path: str | os.PathLike | None, data: bytes) -> ParseResult:
    """Parse one file's bytes; never raises."""
    try:
        return _bounded(_parse_bytes(path, data))
    except limits.ParseTimeout as exc:
        return _failure(str(exc), detect_format(path, data) or UNKNOWN)
    except Exception as exc:  # noqa: BLE001 - the contract is "never raises"
        return _failure(f"parser failed: {type(exc).__name__}: {exc}")


def _parse_bytes(path, data: bytes) -> ParseResult:
    if not data.strip():
        return _failure("empty file")
    fmt = detect_format(path, data)
    if fmt is None:
        head = data[:_SNIFF_BYTES]
        if head.startswith(_GZIP_MAGIC) or _looks_binary(head):
            return _failure("not a bulletin: binary data")
        return _failure("unrecognised format")
    if fmt == "jsonl":
        return collect_stream(path, io.BytesIO(data))
    if len(data) > MAX_FILE_BYTES:
        return _failure(f"file too large: {len(data)} bytes (limit {MAX_FILE_BYTES})", fmt)
    with limits.time_budget():
        text, encoding = decode_bytes(data)
        if fmt == "html":
            return htmlpage.parse(text, encoding)
        return textpage.parse(text, encoding)


class FileTooLarge(limits.FileRefused):
    """A JSONL stream past MAX_JSONL_BYTES (decompressed)."""


def _jsonl_lines(fileobj: BinaryIO) -> Iterator[bytes]:
    """Lines of a JSONL stream, gunzipped when it starts with the gzip magic.

    Bounded: a line is cut after `jsonl.MAX_LINE_BYTES` + 1 bytes (the rest
    skipped unread, so the parser reports it as too long), and the stream
    ends with FileTooLarge past MAX_JSONL_BYTES: a gzip bomb of zeros or of
    endless records cannot fill the memory.
    """
    buffered = fileobj if hasattr(fileobj, "peek") else io.BufferedReader(fileobj)
    compressed = buffered.peek(2)[:2] == _GZIP_MAGIC
    if compressed:
        buffered = io.BufferedReader(gzip.GzipFile(fileobj=buffered), 1 << 20)
    return _bounded_lines(buffered, compressed)


def _bounded_lines(stream, compressed: bool) -> Iterator[bytes]:
    limit, total = jsonl.MAX_LINE_BYTES, 0
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        total += len(line)
        if len(line) > limit and not line.endswith(b"\n"):
            while True:                      # skip the rest of the over-long line
                chunk = stream.readline(1 << 20)
                total += len(chunk)
                if not chunk or chunk.endswith(b"\n") or total > MAX_JSONL_BYTES:
                    break
        if total > MAX_JSONL_BYTES:
            raise FileTooLarge(f"file too large: over {MAX_JSONL_BYTES} bytes of JSON Lines"
                               + (" once decompressed" if compressed else ""))
        yield line


def jsonl_line(data: bytes, number: int) -> bytes | None:
    """Line `number` (1-based, as ingest counts them) of a stored JSON Lines
    original, gunzipped when it is compressed: one record's own line, so
    下载原件 of a bulletin from a 200 MB export is that bulletin, not the
    export.  None when the file has no such line or cannot be read."""
    try:
        for n, line in enumerate(_jsonl_lines(io.BytesIO(data)), 1):
            if n == number:
                return line.lstrip(b"\xef\xbb\xbf") if n == 1 else line
    except (FileTooLarge, OSError, EOFError, zlib.error):
        return None
    return None


def iter_stream_records(path, fileobj: BinaryIO) -> Iterator[tuple[int, Record | None, str | None]]:
    """Stream a JSONL (or JSONL.gz) file: (line, record, None) or (line, None, error).

    Records come within the per-record limits (`bounded`; a cut is an extra
    (line, None, limits.Cut) item after its record: a warning, not an error).  A corrupt gzip stream
    ends the iteration with one error item; a file past a whole-file bound
    (`limits.FileRefused`: too large decompressed, too many records) raises,
    so that the caller refuses the file whole.
    """
    count = 0
    try:
        for line, record, error in jsonl.iter_lines(_jsonl_lines(fileobj)):
            if record is None:
                yield line, None, error
                continue
            record, messages = bounded(record)
            if record is not None:
                count += 1
                if count > limits.MAX_RECORDS_PER_FILE:
                    raise limits.FileRefused(
                        f"more than {limits.MAX_RECORDS_PER_FILE} records in one file "
                        "(limit MAX_RECORDS_PER_FILE): the file is refused")
                yield line, record, None
            for message in messages:
                yield line, None, message
    except (OSError, EOFError, zlib.error) as exc:
        yield 0, None, f"unreadable stream: {exc}"


def collect_stream(path, fileobj: BinaryIO) -> ParseResult:
    """A JSONL stream's records in a ParseResult (errors counted past the limit)."""
    result = ParseResult("jsonl", encoding="utf-8", errors=limits.ErrorLog(),
                         warnings=limits.ErrorLog())
    try:
        for _, record, error in iter_stream_records(path, fileobj):
            if record is not None:
                result.records.append(record)
            else:
                (result.warnings if isinstance(error, limits.Cut) else result.errors).append(error)
    except limits.FileRefused as exc:
        return _failure(str(exc), "jsonl")
    return result


def parse_stream(path: str | os.PathLike | None, fileobj: BinaryIO) -> ParseResult:
    """Parse an open binary file; JSONL is streamed, the rest read whole. Never raises."""
    try:
        buffered = fileobj if hasattr(fileobj, "peek") else io.BufferedReader(fileobj)
        head = buffered.peek(_SNIFF_BYTES)[:_SNIFF_BYTES]
        if detect_format(path, head) == "jsonl":
            return collect_stream(path, buffered)
        data = buffered.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            return _failure(f"file too large: over {MAX_FILE_BYTES} bytes",
                            detect_format(path, data) or UNKNOWN)
        return parse_bytes(path, data)
    except Exception as exc:  # noqa: BLE001
        return _failure(f"cannot read: {type(exc).__name__}: {exc}")


def parse_file(path: str | os.PathLike) -> ParseResult:
    """Open and parse one file. Never raises."""
    try:
        with open(path, "rb") as fileobj:
            return parse_stream(path, fileobj)
    except OSError as exc:
        return _failure(f"cannot read: {exc}")
