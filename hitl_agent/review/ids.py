"""Deterministic ids: the same thread and slot always give the same review and correction ids.

A re-run of a step after a crash derives the same id and so finds its earlier write (the review
backend answers a same-name start with the existing review; the ledger insert is a no-op).
"""

from __future__ import annotations

import hashlib

from hitl_agent.errors import InvalidArgumentError

# A2I's HumanLoopName: 1-63 characters, ^[a-z0-9](-*[a-z0-9])*$.
_MAX_NAME = 63


def _digest(*parts: str, length: int) -> str:
    h = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return h[:length]


def review_id(thread_id: str, tier: int = 0, *, prefix: str = "hitl") -> str:
    """The review (human loop) name for a thread's review at a tier: A2I-valid, at most 63 chars."""
    safe_prefix = "".join(ch for ch in prefix.lower() if ch.isalnum())[:20] or "hitl"
    name = f"{safe_prefix}-{_digest(thread_id, str(tier), length=32)}-t{tier}"
    if len(name) > _MAX_NAME:  # only a tier of 20 digits or more gets here
        raise InvalidArgumentError(f"review name {name!r} is longer than A2I's {_MAX_NAME} "
                                   "characters", field="tier")
    return name


def correction_id(thread_id: str, review: str) -> str:
    return f"corr-{_digest(thread_id, review, length=32)}"
