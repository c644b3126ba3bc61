"""How a correction becomes an index document, and back.

- The document is the input's text: a string as it is, anything else as canonical JSON (sorted
  keys), cut to ``max_chars`` with ``input_truncated`` recorded. Nothing here ever fails on an
  input's size or shape.
- ``input_key`` is a hash of the *whole* normalised text (Unicode NFKC, case-folded, whitespace
  collapsed), so an exact-match lookup stays exact even when the document was truncated.
- Metadata values must be scalars in chromadb: structured values are JSON-encoded strings.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hitl_agent.canonical import canonical_json
from hitl_agent.errors import ValidationError
from hitl_agent.memory.ledger.schema import input_key as input_key  # its home: the ledger
from hitl_agent.memory.ledger.schema import input_text, normalise_text
from hitl_agent.types import Correction, SimilarCorrection

SCHEMA_VERSION = 1
DEFAULT_MAX_CHARS = 8000

Scalar = str | int | float | bool
Metadata = dict[str, Scalar]


@dataclass(frozen=True)
class PreparedInput:
    text: str
    """What is embedded and stored as the document (cut to ``max_chars``)."""
    key: str
    chars: int
    truncated: bool
    empty: bool
    is_text: bool


def prepare_input(value: Any, max_chars: int = DEFAULT_MAX_CHARS) -> PreparedInput:
    full = input_text(value)
    normalised = normalise_text(full)
    return PreparedInput(
        text=full[:max_chars],
        key=hashlib.sha256(normalised.encode("utf-8")).hexdigest(),
        chars=len(full),
        truncated=len(full) > max_chars,
        empty=not normalised or value is None,
        is_text=isinstance(value, str),
    )


def _label(value: Any) -> str | None:
    """A scalar output as a string, for metadata filters such as ``{"final_label": "spam"}``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def correction_metadata(correction: Correction, prepared: PreparedInput) -> Metadata:
    """The index metadata of a correction. ``None`` fields are left out (chromadb drops them)."""
    c = correction
    reviewers = [a.worker_id for a in c.answers if a.worker_id]
    meta: dict[str, Scalar | None] = {
        "hitl_v": SCHEMA_VERSION,
        "correction_id": c.id,
        "task": c.task,
        "thread_id": c.thread_id,
        "review_id": c.review_id,
        "action": c.action,
        "source": c.source,
        "split_group": c.split_group,
        "agreement": c.agreement,
        "confidence": c.confidence,
        "policy_id": c.policy_id,
        "reason": c.reason,
        "propensity": c.propensity,
        "model_id": c.model_id,
        "model_version": c.model_version,
        "prompt_version": c.prompt_version,
        "created_at": c.created_at.isoformat(),
        "decided_at": c.decided_at.isoformat(),
        "created_ts": c.created_at.timestamp(),
        "decided_ts": c.decided_at.timestamp(),
        "reviewers": json.dumps(reviewers, ensure_ascii=False),
        "n_reviewers": len(c.answers),
        "model_output": canonical_json(c.model_output),
        "final_output": canonical_json(c.final_output),
        "model_label": _label(c.model_output),
        "final_label": _label(c.final_output),
        "corrected": c.final_output != c.model_output,
        "input_key": prepared.key,
        "input_chars": prepared.chars,
        "input_truncated": prepared.truncated,
        "input_empty": prepared.empty,
        "input_is_text": prepared.is_text,
    }
    if not prepared.is_text and not prepared.truncated:
        meta["input_json"] = prepared.text
    return {k: v for k, v in meta.items() if v is not None}


def input_from_document(document: str | None, metadata: Mapping[str, Any]) -> tuple[Any, bool]:
    """The original input from a stored document, and whether it is complete (not truncated)."""
    if metadata.get("input_truncated"):
        return document, False
    if metadata.get("input_is_text", True):
        return document or "", True
    raw = metadata.get("input_json")
    if isinstance(raw, str):
        return json.loads(raw), True
    return document, False


def similar_from_metadata(
    correction_id: str, document: str | None, metadata: Mapping[str, Any], similarity: float | None
) -> SimilarCorrection:
    value, _complete = input_from_document(document, metadata)
    return SimilarCorrection(
        correction_id=correction_id,
        input=value,
        model_output=json.loads(str(metadata.get("model_output", "null"))),
        final_output=json.loads(str(metadata.get("final_output", "null"))),
        action=metadata.get("action", "edit"),
        similarity=similarity,
    )


# -- forget --where ------------------------------------------------------------------------------

WHERE_ALIASES = {"reviewer": "answers.worker_id", "worker_id": "answers.worker_id"}


def _values_at(value: Any, path: list[str]) -> list[Any]:
    if not path:
        return [value]
    if isinstance(value, list):
        return [v for item in value for v in _values_at(item, path)]
    if isinstance(value, dict) and path[0] in value:
        return _values_at(value[path[0]], path[1:])
    return []


def _same(found: Any, wanted: Any) -> bool:
    if found == wanted:
        return True
    # Values typed on a command line are strings: "42" matches 42, "true" matches True.
    return isinstance(wanted, str) and not isinstance(found, str) and (
        canonical_json(found) == wanted
    )


def check_where(where: Mapping[str, Any]) -> dict[str, Any]:
    """Resolve aliases and refuse unknown fields: a typo must not silently forget nothing."""
    resolved: dict[str, Any] = {}
    for key, wanted in where.items():
        path = WHERE_ALIASES.get(key, key)
        if path.split(".")[0] not in Correction.model_fields:
            raise ValidationError(
                f"forget --where {key!r}: not a correction field (use one of "
                f"{', '.join(sorted(Correction.model_fields))}, a dotted path such as "
                f"input.user_id, or reviewer)",
                field="where",
                rule="known-field",
            )
        resolved[path] = wanted
    return resolved


def correction_matches(correction: Correction, where: Mapping[str, Any]) -> bool:
    """All ``where`` entries match: ``{dotted.path: value}`` over the correction's JSON form;
    a path through a list matches if any element matches; ``"42"`` matches ``42``."""
    data = correction.model_dump(mode="json")
    return all(
        any(_same(found, wanted) for found in _values_at(data, path.split(".")))
        for path, wanted in where.items()
    )
