"""Canonical JSON: the one text form the package compares, deduplicates and hashes values by.

Contract: keys sorted, no whitespace (``","`` and ``":"``), non-ASCII characters written as UTF-8
(``ensure_ascii=False``, as RFC 8785's JSON Canonicalization Scheme does), values JSON cannot
hold written with ``str()`` (datetimes, UUIDs, paths). Equal values give equal text, and so equal
hashes.

Why ``ensure_ascii=False``: the text is what a person sees in an export or a review (``"café"``,
not ``"caf\\u00e9"``), it is shorter for non-Latin scripts, and it is the form the ledger has
always hashed inputs with (``items.input_hash``): hashes already stored keep matching.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["canonical_json", "content_hash"]


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: equal values give equal text (and hashes).

    >>> canonical_json({"b": 1, "a": ["é", None]})
    '{"a":["é",null],"b":1}'
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def content_hash(value: Any) -> str:
    """SHA-256 (hex) of the UTF-8 bytes of :func:`canonical_json`."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()
