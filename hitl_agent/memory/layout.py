"""How corrections are laid out in chromadb, and how ``where`` filters are applied.

Layout 3 (now): one collection per task and model (:mod:`hitl_agent.memory.index`), holding only
ids and vectors; everything a filter or a hit needs is read from the ledger by id. A filter that
pins the model (``{"model_id": "m2"}``, ``$eq``, ``$in``, inside a top-level ``$and``) picks the
collections and is not applied again (:func:`split_model_filter`); the rest of a filter is
applied to the nearest corrections' metadata, fetching more while too few match
(:func:`fetch_sizes`). chromadb is never asked to filter.

Layouts 1 and 2 (one collection per task, every correction's metadata in chromadb) are not
queried; ``hitl-agent memory rebuild`` replaces them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from hitl_agent.errors import ValidationError

OVERFETCH = 8


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


def _model_values(cond: Any) -> list[str] | None:
    if isinstance(cond, str):
        return [cond]
    if isinstance(cond, Mapping) and len(cond) == 1:
        (op, value), = cond.items()
        if op == "$eq" and isinstance(value, str):
            return [value]
        if op == "$in" and isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
    return None


def split_model_filter(where: Mapping[str, Any] | None
                       ) -> tuple[list[str] | None, dict[str, Any] | None]:
    """``(model ids the filter pins, the rest of the filter)``: ``(None, where)`` when it pins
    no model (every partition of the task is searched), ``(ids, None)`` when the model is all
    it asks."""
    if not where:
        return None, None
    clauses = list(where["$and"]) if set(where) == {"$and"} else [
        {k: v} for k, v in where.items()]
    models: list[str] | None = None
    rest = []
    for clause in clauses:
        pinned = _model_values(clause["model_id"]) if set(clause) == {"model_id"} else None
        if pinned is None:
            rest.append(dict(clause))
        else:
            models = pinned if models is None else [m for m in models if m in pinned]
    residual = None if not rest else rest[0] if len(rest) == 1 else {"$and": rest}
    return models, residual


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
