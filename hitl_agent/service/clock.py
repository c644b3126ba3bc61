"""Time helpers: the service stores integer microseconds and speaks ISO 8601 ``…Z``."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from hitl_agent.errors import InvalidArgumentError

Clock = Callable[[], int]
"""A function returning the current time in microseconds since the epoch."""


def now_us() -> int:
    return time.time_ns() // 1000


def to_datetime(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1_000_000, tz=UTC)


def iso_ms(us: int) -> str:
    """``2020-02-24T23:21:45.123Z``: the format of A2I's timestamps."""
    dt = to_datetime(us)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def iso_s(us: int) -> str:
    return to_datetime(us).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_s(us: int) -> float:
    return us / 1_000_000


def parse_timestamp(value: object) -> int:
    """ISO 8601 (``Z`` or offset, optional fraction) or epoch seconds → microseconds.

    Raises :class:`~hitl_agent.errors.InvalidArgumentError` (a ``ValueError``) for anything else,
    infinities and NaN included.
    """
    try:
        return _parse_timestamp(value)
    except (OverflowError, ValueError) as exc:
        raise InvalidArgumentError(f"not a timestamp: {str(value)[:64]!r}",
                                   field="timestamp") from exc


def _parse_timestamp(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str) or value == "":
        raise ValueError("not a timestamp")  # parse_timestamp turns it into its own error
    if isinstance(value, int | float):
        return int(round(float(value) * 1_000_000))
    try:
        return int(round(float(value) * 1_000_000))
    except ValueError:
        pass
    dt = datetime.fromisoformat(value.replace("z", "Z"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    delta = dt - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
