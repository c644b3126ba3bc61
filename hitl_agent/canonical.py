"""Canonical JSON: the one text form the package compares, deduplicates and hashes values by.

Contract: keys sorted, no whitespace (``","`` and ``":"``), non-ASCII characters written as UTF-8
(``ensure_ascii=False``, as RFC 8785's JSON Canonicalization Scheme does), values JSON cannot
hold written with ``str()`` (datetimes, UUIDs, paths). Equal values give equal text, and so equal
hashes.

Why ``ensure_ascii=False``: the text is what a person sees in an export or a review (``"café"``,
not ``"caf\\u00e9"``), it is shorter for non-Latin scripts, and it is the form the ledger has
always hashed inputs with (``items.input_hash``): hashes already stored keep matching.

``ensure_ascii=True`` is the one exception, kept so that ids already minted stay valid: the
A2I ``InputContent`` a review backend sends (the review service keys a loop's idempotent restart
on its SHA-256) and the AWS adapters' default human-loop names
(:func:`hitl_agent.models.aws.default_loop_name`, a hash of it) have always been written with
non-ASCII characters escaped; a re-run after an upgrade must give the same text and so find its
loop. For ASCII-only values the two forms are the same text.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["canonical_json", "content_hash", "text_hash"]


def canonical_json(value: Any, *, ensure_ascii: bool = False) -> str:
    """JSON with sorted keys and no spaces: equal values give equal text (and hashes).
    ``ensure_ascii=True``: non-ASCII characters escaped (``\\u00e9``), the form of the ids named
    in the module docstring.

    >>> canonical_json({"b": 1, "a": ["é", None]})
    '{"a":["é",null],"b":1}'
    >>> canonical_json({"a": "é"}, ensure_ascii=True)
    '{"a":"\\\\u00e9"}'
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=ensure_ascii,
                      default=str)


def content_hash(value: Any) -> str:
    """SHA-256 (hex) of the UTF-8 bytes of :func:`canonical_json`."""
    return text_hash(canonical_json(value))


def text_hash(text: str) -> str:
    """:func:`content_hash` of a value whose canonical JSON is ``text`` (already written)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
