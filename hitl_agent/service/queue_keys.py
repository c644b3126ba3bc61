"""What a task input says about its place in the queue: its priority and its model's confidence.

A task's *priority* is its input's ``priority`` (a number) or else its ``tier`` (escalated reviews
first), 0 when it has neither; its *confidence* is ``uncertainty.confidence`` or else
``confidence``. The portal shows both (:mod:`.portal_queue`), and the priority-sorted queue orders
by them (highest priority, then least confident, then earliest deadline). Each loop stores its
sort keys when it is started (``HumanLoop.priority_key``, ``confidence_key``: the column defaults
below compute them from ``input_content``), so the queue is read in index order instead of
parsing every open loop's input per request.
"""

from __future__ import annotations

import json
import math
from typing import Any

UNKNOWN_CONFIDENCE = 1.0
"""Where a task without a confidence sorts among equal priorities: with the surest ones."""


def number(value: Any) -> float | None:
    """A finite JSON number as a float; anything else (bools, text, NaN, ±Infinity) is None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    result = float(value)
    return result if math.isfinite(result) else None


def priority_of(content: Any) -> float:
    if not isinstance(content, dict):
        return 0.0
    priority = number(content.get("priority"))
    if priority is None:
        priority = number(content.get("tier"))
    return priority or 0.0


def confidence_of(content: Any) -> float | None:
    if not isinstance(content, dict):
        return None
    uncertainty = content.get("uncertainty")
    confidence = number(uncertainty.get("confidence")) if isinstance(uncertainty, dict) else None
    return confidence if confidence is not None else number(content.get("confidence"))


def sort_keys(input_content: str | None) -> tuple[float, float]:
    """``(priority_key, confidence_key)`` of a loop's input: both sort ascending, so the
    priority key is the priority negated."""
    try:
        content = json.loads(input_content) if input_content else None
    except ValueError:
        content = None
    return keys_of(content)


def keys_of(content: Any) -> tuple[float, float]:
    """:func:`sort_keys` of an input already decoded (StartHumanLoop decodes it to check it)."""
    confidence = confidence_of(content)
    return (
        -priority_of(content) + 0.0,  # + 0.0: no negative zero
        UNKNOWN_CONFIDENCE if confidence is None else confidence,
    )


def _content(context: Any) -> str | None:
    params = context.get_current_parameters() if context is not None else {}
    value = params.get("input_content")
    return value if isinstance(value, str) else None


def priority_default(context: Any) -> float:
    """Column default of ``HumanLoop.priority_key`` (SQLAlchemy passes the insert's context)."""
    return sort_keys(_content(context))[0]


def confidence_default(context: Any) -> float:
    """Column default of ``HumanLoop.confidence_key``."""
    return sort_keys(_content(context))[1]
