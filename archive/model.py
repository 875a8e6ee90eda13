"""The record: one bulletin as parsed from a source file.

Parsers produce `Record`s; the store keeps them; the index derives from them.
Field values are the *derived* (normalised) forms; `raw` keeps the strings
exactly as the source showed them, so nothing a source said is lost.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass
class Record:
    title: str | None = None
    body: str | None = None
    index_no: str | None = None      # 索引号, NFKC, whitespace collapsed
    doc_no: str | None = None        # 发文字号, normalised to 〔YYYY〕
    issuer: str | None = None        # 发文机关 (or 来源 on news pages)
    topic: str | None = None         # 主题分类
    keywords: list[str] = field(default_factory=list)  # 主题词
    issued: str | None = None        # 发文时间 / 成文日期, ISO YYYY-MM-DD, YYYY-MM or YYYY
    published: str | None = None     # 发布日期, the same (stored forms: archive.dates)
    url: str | None = None           # 链接
    source_line: int | None = None   # 1-based line for JSONL records, else None
    raw: dict = field(default_factory=dict)  # label -> value exactly as found
    issued_from: str | None = None   # "落款" when `issued` was read from the closing lines
    attachments: list[dict] = field(default_factory=list)  # [{"name", "url"}]

    def to_dict(self) -> dict:
        # Not dataclasses.asdict: its recursive deep copy was the slowest
        # step of ingesting a large export (py-spy).
        data = {name: getattr(self, name) for name in _FIELD_NAMES}
        data["keywords"] = list(self.keywords or [])
        data["raw"] = dict(self.raw or {})
        # Left out when unset, so records stored before these fields existed
        # keep their content hash (a reindex does not see them as changed).
        for name in _OPTIONAL:
            if not data[name]:
                del data[name]
            elif name == "attachments":
                data[name] = [dict(a) for a in data[name]]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Record:
        known = {k: data.get(k) for k in cls.__dataclass_fields__ if k in data}
        record = cls(**known)
        record.keywords = list(record.keywords or [])
        record.raw = dict(record.raw or {})
        record.attachments = [dict(a) for a in record.attachments or [] if isinstance(a, dict)]
        return record


_FIELD_NAMES = tuple(f.name for f in fields(Record))
_OPTIONAL = ("issued_from", "attachments")


@dataclass
class ParseResult:
    """What a parser made of one file: its records and per-item problems.

    `errors` holds human-readable reasons (e.g. "line 17: invalid JSON: ...");
    `warnings` what was stored cut to a limit (`archive.limits`).
    A file with no records and at least one error failed as a whole.
    """
    format: str                      # "textpage" | "html" | "jsonl"
    records: list[Record] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    encoding: str | None = None
    warnings: list[str] = field(default_factory=list)   # values cut to their limits
