"""Reading and checking request members, with AWS-style messages that name the member.

botocore checks only required members, types and minimums; everything else (maximums, patterns,
enums) is checked here, and a raw HTTP client gets the same checks for the rest.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from hitl_agent.errors import InvalidArgumentError

from .clock import parse_timestamp
from .errors import ValidationException

NAME = r"[a-z0-9](-*[a-z0-9])*"
LENIENT_LOOP_NAME = r"[a-zA-Z0-9](-*[a-zA-Z0-9])*"
FLOW_ARN = r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:flow-definition/.*"
WORKTEAM_ARN = r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:workteam/.*"
TASK_UI_ARN = r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]+:[0-9]{12}:human-task-ui/.*"
ROLE_ARN = r"arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"
WORKTEAM_NAME = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
KEYWORD = r"[A-Za-z0-9]+( [A-Za-z0-9]+)*"
SORT_ORDERS = ("Ascending", "Descending")
_compiled: dict[str, re.Pattern[str]] = {}


def _fullmatch(pattern: str, value: str) -> bool:
    rx = _compiled.get(pattern)
    if rx is None:
        rx = _compiled[pattern] = re.compile(pattern, re.DOTALL)
    return rx.fullmatch(value) is not None


def invalid(member: str, value: Any, constraint: str) -> ValidationException:
    shown = value if isinstance(value, str) and len(value) <= 80 else None
    where = f"Value '{shown}' at '{member}'" if shown is not None else f"Value at '{member}'"
    return ValidationException(
        f"1 validation error detected: {where} failed to satisfy constraint: {constraint}",
        field=member,
    )


MAX_JSON_DEPTH = 64
"""Deepest nesting of arrays and objects a JSON body or JSON member may have."""
MIN_TIMESTAMP_US = 0
MAX_TIMESTAMP_US = 253_402_300_799_000_000  # 9999-12-31T23:59:59Z


def _check_tree(data: Any, member: str) -> None:
    """Depth at most :data:`MAX_JSON_DEPTH`; every string (keys too) encodable as UTF-8, so
    that it can be stored and written out (a lone surrogate such as ``"\\ud800"`` cannot).
    Errors name the member (``HumanLoopConfig.TaskDescription``)."""
    top = "" if member == "body" else member
    stack: list[tuple[Any, int, str]] = [(data, 0, top)]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValidationException(
                    f"{path or member} contains a lone surrogate (\\ud800-\\udfff): text that "
                    "cannot be stored or encoded as UTF-8",
                    field=path or member,
                ) from None
        elif isinstance(value, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise ValidationException(
                    f"{path or member} is nested deeper than {MAX_JSON_DEPTH} levels",
                    field=path or member,
                )
            items = value.items() if isinstance(value, dict) else enumerate(value, 1)
            for k, v in items:
                child = f"{path}.{k}" if path else str(k)
                if isinstance(k, str):
                    stack.append((k, depth, child))
                stack.append((v, depth + 1, child))
        elif isinstance(value, float) and value != value:  # NaN: not JSON
            raise ValidationException(f"{path or member} is NaN, which is not JSON", field=member)


def _loads(raw: str | bytes, member: str) -> Any:
    try:
        return json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise ValidationException(
            f"{member} is nested deeper than {MAX_JSON_DEPTH} levels", field=member
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationException(f"{member} is not valid JSON: {exc}", field=member) from exc


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def check_json_text(text: str, member: str) -> Any:
    """Parse a member that holds JSON text (``InputContent``) with the body's rules."""
    data = _loads(text, member)
    _check_tree(data, member)
    return data


def parse_json_object(raw: bytes, what: str = "request body") -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise ValidationException(
            f"The {what} is nested deeper than {MAX_JSON_DEPTH} levels", field="body"
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationException(f"The {what} is not valid JSON: {exc}", field="body") from exc
    if not isinstance(data, dict):
        raise ValidationException(f"The {what} must be a JSON object", field="body")
    _check_tree(data, "body")
    return data


def parse_timestamp_bounded(value: Any) -> int:
    """:func:`parse_timestamp` limited to 1970…9999 (``1e300`` or ``inf`` is an
    :class:`InvalidArgumentError`, a ValueError)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidArgumentError("not a finite timestamp", rule="finite")
    try:
        us = parse_timestamp(value)
    except (OverflowError, ValueError) as exc:
        raise InvalidArgumentError(str(exc), rule="timestamp") from None
    if not MIN_TIMESTAMP_US <= us <= MAX_TIMESTAMP_US:
        raise InvalidArgumentError("timestamp out of range", rule="1970 to 9999")
    return us


def check_range(member: str, value: int, minimum: int | None, maximum: int | None) -> None:
    """``minimum <= value <= maximum`` (either bound may be None), AWS's wording otherwise."""
    if minimum is not None and value < minimum:
        raise invalid(
            member, str(value), f"Member must have value greater than or equal to {minimum}"
        )
    if maximum is not None and value > maximum:
        raise invalid(member, str(value), f"Member must have value less than or equal to {maximum}")


class Fields:
    """The members of one JSON object; each getter checks one member and names it on failure."""

    def __init__(self, data: Any, path: str = "") -> None:
        if not isinstance(data, dict):
            raise invalid(path or "body", None, "Member must be an object")
        self.data: dict[str, Any] = data
        self.path = path

    def _member(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def _get(self, name: str, required: bool) -> Any:
        value = self.data.get(name)
        if value is None and required:
            raise invalid(self._member(name), None, "Member must not be null")
        return value

    def string(
        self,
        name: str,
        *,
        required: bool = False,
        min_len: int = 0,
        max_len: int | None = None,
        pattern: str | None = None,
        enum: tuple[str, ...] | None = None,
    ) -> str | None:
        value = self._get(name, required)
        if value is None:
            return None
        member = self._member(name)
        if not isinstance(value, str):
            raise invalid(member, None, "Member must be a string")
        if len(value) < min_len:
            raise invalid(
                member, value, f"Member must have length greater than or equal to {min_len}"
            )
        if max_len is not None and len(value) > max_len:
            raise invalid(member, value, f"Member must have length less than or equal to {max_len}")
        if pattern is not None and not _fullmatch(pattern, value):
            raise invalid(
                member, value, f"Member must satisfy regular expression pattern: {pattern}"
            )
        if enum is not None and value not in enum:
            raise invalid(member, value, f"Member must satisfy enum value set: [{', '.join(enum)}]")
        return value

    def req_string(self, name: str, **kwargs: Any) -> str:
        value = self.string(name, required=True, **kwargs)
        if value is None:  # (string() raised already: required)
            raise invalid(self._member(name), None, "Member must not be null")
        return value

    def integer(
        self,
        name: str,
        *,
        required: bool = False,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = self._get(name, required)
        if value is None:
            return None
        member = self._member(name)
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value):
            value = int(value)  # querystring members arrive as text
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid(member, None, "Member must be an integer")
        check_range(member, value, minimum, maximum)
        return value

    def obj(self, name: str, *, required: bool = False) -> Fields | None:
        value = self._get(name, required)
        if value is None:
            return None
        return Fields(value, self._member(name))

    def req_obj(self, name: str) -> Fields:
        value = self.obj(name, required=True)
        if value is None:  # (obj() raised already: required)
            raise invalid(self._member(name), None, "Member must not be null")
        return value

    def items(
        self, name: str, *, required: bool = False, min_items: int = 0, max_items: int | None = None
    ) -> list[Any] | None:
        value = self._get(name, required)
        if value is None:
            return None
        member = self._member(name)
        if not isinstance(value, list):
            raise invalid(member, None, "Member must be a list")
        if len(value) < min_items:
            raise invalid(
                member, None, f"Member must have length greater than or equal to {min_items}"
            )
        if max_items is not None and len(value) > max_items:
            raise invalid(
                member, None, f"Member must have length less than or equal to {max_items}"
            )
        return value

    def timestamp(self, name: str) -> int | None:
        value = self._get(name, False)
        if value is None:
            return None
        try:
            return parse_timestamp_bounded(value)
        except ValueError:
            raise invalid(self._member(name), str(value), "Member must be a timestamp") from None

    def tags(self) -> list[dict[str, str]] | None:
        tags = self.items("Tags", max_items=50)
        if tags is None:
            return None
        out = []
        for i, tag in enumerate(tags):
            f = Fields(tag, f"Tags.{i + 1}")
            key = f.req_string("Key", min_len=1, max_len=128)
            val = f.req_string("Value", max_len=256)
            out.append({"Key": key, "Value": val})
        return out
