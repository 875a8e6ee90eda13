"""The forms of a bulletin the index is built from.

One archive row becomes folded text per searchable field (the layout of the
substring index, `archive.grams`) and a Whoosh document (words, facet and
date columns, the small stored record of result lists).  Pure functions:
the index build calls them in its worker processes, a sync in its own.
"""
from __future__ import annotations

from .folding import fold_long
from .dates import date_code, filed_date
from .fields import META_FIELDS, SEARCH_FIELDS


def display_fields(doc_id: int, record: dict) -> dict:
    """The small record kept in Whoosh for result lists (no body, no url;
    stored forms: `Hit.to_json` gives the public ones)."""
    return {"id": doc_id, **{name: record.get(name) for name in META_FIELDS},
            "keywords": record.get("keywords") or []}


def folded_fields(record: dict) -> dict[str, str]:
    """Folded searchable text per field, the layout of the gram index.

    Attachment names are searched as body text (an attachment-only bulletin
    already has them as its body)."""
    body = record.get("body") or ""
    names = [a.get("name") or "" for a in record.get("attachments") or []]
    values = dict(record, keywords=" ".join(record.get("keywords") or []),
                  body="\n".join([body] + [n for n in names if n and n not in body]))
    return {name: fold_long(values.get(name) or "") for name in SEARCH_FIELDS}


# Searchable fields that are neither title nor body: Whoosh's `meta` field.
_META_SEARCH = tuple(name for name in SEARCH_FIELDS if name not in ("title", "body"))


def whoosh_document(doc_id: int, vid: int, status: str, record: dict,
                    folded: dict[str, str]) -> dict:
    meta = " ".join(folded[name] for name in _META_SEARCH)
    return {
        "id": str(doc_id), "vid": vid, "doc": doc_id,
        "title": folded["title"], "body": folded["body"],
        "meta": meta, "issuer": record.get("issuer") or "", "topic": record.get("topic") or "",
        "status": status, "date": date_code(filed_date(record)),
        "issued": date_code(record.get("issued")),
        "published": date_code(record.get("published")),
        "hit": display_fields(doc_id, record),
    }
