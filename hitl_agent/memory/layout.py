"""How a correction's metadata is laid out in chromadb, and how filters are applied to it.

chromadb stores every metadata key as its own indexed row, and indexes every document for full
text search: with the thirty fields of a correction that, not the vectors, was most of the cost
of an insert. So the index stores two keys per correction (layout 2):

- ``input_key``, the one chromadb itself filters on (the exact-match lookup for reuse);
- ``hitl``, everything else (:func:`~hitl_agent.memory.documents.correction_metadata` and the
  document text) as one JSON string.

A query therefore never asks chromadb to filter: it asks for the nearest corrections and applies
the ``where`` filter (chromadb's grammar: equality, ``$eq``, ``$ne``, ``$gt``, ``$gte``, ``$lt``,
``$lte``, ``$in``, ``$nin``, ``$and``, ``$or``) to what comes back, fetching more while too few
match (:func:`fetch_sizes`). Indexes written with layout 1 (every field a key, the text a
document) are read as they are.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from hitl_agent.errors import ValidationError
from hitl_agent.memory.documents import Metadata

LAYOUT = 2
PACKED_KEY = "hitl"
DOCUMENT_FIELD = "document"
OVERFETCH = 8


def pack(metadata: Metadata, document: str) -> dict[str, Any]:
    """The stored metadata (layout 2) of a correction's full metadata and document."""
    return {"input_key": metadata["input_key"],
            PACKED_KEY: json.dumps({**metadata, DOCUMENT_FIELD: document}, ensure_ascii=False)}


def unpack(stored: Mapping[str, Any] | None, document: str | None) -> tuple[dict[str, Any],
                                                                           str | None]:
    """The full metadata and the document of a stored row, whatever its layout."""
    stored = stored or {}
    packed = stored.get(PACKED_KEY)
    if packed is None:
        return dict(stored), document
    meta = json.loads(str(packed))
    return meta, meta.pop(DOCUMENT_FIELD, document)


_COMPARE = {
    "$eq": lambda a, b: a == b,
    "$ne": lambda a, b: a != b,
    "$gt": lambda a, b: a is not None and a > b,
    "$gte": lambda a, b: a is not None and a >= b,
    "$lt": lambda a, b: a is not None and a < b,
    "$lte": lambda a, b: a is not None and a <= b,
    "$in": lambda a, b: a in b,
    "$nin": lambda a, b: a not in b,
}


def matches(meta: Mapping[str, Any], where: Mapping[str, Any] | None) -> bool:
    """Whether metadata satisfies a chromadb-style ``where`` filter."""
    if not where:
        return True
    for key, cond in where.items():
        if key == "$and":
            if not all(matches(meta, c) for c in cond):
                return False
        elif key == "$or":
            if not any(matches(meta, c) for c in cond):
                return False
        elif key.startswith("$"):
            raise ValidationError(f"where: unknown operator {key!r}", field="where",
                                  rule="operator")
        elif isinstance(cond, Mapping):
            for op, wanted in cond.items():
                test = _COMPARE.get(op)
                if test is None:
                    raise ValidationError(f"where: unknown operator {op!r} on {key!r}",
                                          field="where", rule="operator")
                try:
                    if not test(meta.get(key), wanted):
                        return False
                except TypeError:  # comparing across types: no match, as in chromadb
                    return False
        elif meta.get(key) != cond:
            return False
    return True


def fetch_sizes(k: int, filtered: bool) -> Iterator[int]:
    """How many neighbours to ask for, in turn, until ``k`` match the filter: ``k`` when
    nothing is filtered; else ``OVERFETCH * k``, then four times more each time. The caller
    stops when enough match or the index returned fewer than it asked for (it has no more)."""
    if not filtered:
        yield k
        return
    size = max(k * OVERFETCH, 32)
    while True:
        yield size
        size *= 4
