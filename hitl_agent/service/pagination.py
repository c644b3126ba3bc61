"""Keyset pagination declared once: an opaque ``NextToken`` that names the last row returned.

Rows are ordered by (sort key, id); the token carries the last row's pair and the order it was
issued for, so rows inserted or deleted between pages never make a page repeat or skip a row.
Tokens are signed (HMAC-SHA256 with a key derived from the service secret, set by
``build_services`` through :func:`set_token_key`), so a forged or edited token is a 400 before
anything in it reaches a query; its values are type- and range-checked too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

from .errors import ValidationException

_KEY = [secrets.token_bytes(32)]  # replaced by the service secret's key at start
_MAX_INT = 2**63 - 1


def set_token_key(key: bytes) -> None:
    """Sign tokens with ``key`` (every process sharing a database must use the same one)."""
    _KEY[0] = key


def _mac(payload: str) -> str:
    digest = hmac.new(_KEY[0], payload.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _pack(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":"))
    payload = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    return f"{payload}.{_mac(payload)}"


def _unpack(token: str, field: str, what: str) -> dict[str, Any]:
    """The signed object in ``token``; a forged, edited or malformed one is a 400 naming
    ``field``."""
    bad = ValidationException(f"{what} is not valid", field=field)
    payload, _, mac = token.partition(".")
    if not mac or len(token) > 1024 or not hmac.compare_digest(
        mac.encode(), _mac(payload).encode()
    ):
        raise bad
    try:
        padded = payload + "=" * (-len(payload) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except ValueError as exc:
        raise bad from exc
    if not isinstance(data, dict):
        raise bad
    return data


def encode_token(key: Any, row_id: int, ascending: bool) -> str:
    return _pack({"k": key, "i": row_id, "a": ascending})


def decode_token(token: str, ascending: bool) -> tuple[Any, int]:
    bad = ValidationException("NextToken is not valid", field="NextToken")
    data = _unpack(token, "NextToken", "NextToken")
    try:
        key, row_id, asc = data["k"], data["i"], data["a"]
    except KeyError as exc:
        raise bad from exc
    valid_key = (isinstance(key, int) and not isinstance(key, bool) and abs(key) <= _MAX_INT) or (
        isinstance(key, str) and len(key) <= 256
    )
    if not valid_key or not isinstance(row_id, int) or not 0 <= row_id <= _MAX_INT:
        raise bad
    if not isinstance(asc, bool):
        raise bad
    if asc != ascending:
        raise ValidationException("NextToken was issued for the other SortOrder", field="NextToken")
    return key, row_id


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) <= _MAX_INT
    return isinstance(value, float) and math.isfinite(value)


def encode_position(order: str, keys: Sequence[float | int], start: int) -> str:
    """A page position for a multi-key order (the portal's queue): the last row's keys (its id
    last), the name of the order they belong to, and how many rows came before the next page."""
    return _pack({"o": order, "k": list(keys), "n": start})


def decode_position(token: str, order: str, *, field: str = "after") -> tuple[tuple[Any, ...], int]:
    """The keys and row count :func:`encode_position` put in ``token``, checked."""
    bad = ValidationException(f"{field} is not a valid position", field=field)
    data = _unpack(token, field, field)
    keys, start = data.get("k"), data.get("n")
    if data.get("o") != order:
        raise ValidationException(f"{field} was issued for another sort", field=field)
    if not isinstance(keys, list) or not 2 <= len(keys) <= 8 or not all(map(_is_number, keys)):
        raise bad
    if not isinstance(keys[-1], int) or not isinstance(start, int) or not 0 <= start <= _MAX_INT:
        raise bad
    return tuple(keys), start


def paginate(
    session: Session,
    stmt: Select[Any],
    sort_col: InstrumentedAttribute[Any],
    id_col: InstrumentedAttribute[int],
    *,
    ascending: bool,
    limit: int,
    token: str | None,
) -> tuple[list[Any], str | None]:
    """One page of ``stmt`` and the token for the next page (None on the last page)."""
    if token:
        key, last_id = decode_token(token, ascending)
        if ascending:
            stmt = stmt.where(or_(sort_col > key, and_(sort_col == key, id_col > last_id)))
        else:
            stmt = stmt.where(or_(sort_col < key, and_(sort_col == key, id_col < last_id)))
    if ascending:
        stmt = stmt.order_by(sort_col.asc(), id_col.asc())
    else:
        stmt = stmt.order_by(sort_col.desc(), id_col.desc())
    rows = list(session.scalars(stmt.limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_token(getattr(last, sort_col.key), getattr(last, id_col.key), ascending)
