"""Request members checked against botocore's own service models, at the edge.

botocore's client validates only required members, types and minimums; AWS checks the rest on
its side. This module does what AWS does with the rules the models carry (``min``/``max`` lengths
and values, ``pattern``, ``enum``, list and map sizes, timestamps) for every operation of
``sagemaker-a2i-runtime`` and of ``sagemaker`` the service answers, and adds explicit limits where
the model has none (:data:`EXTRA_MAX`): ``TaskAvailabilityLifetimeInSeconds`` ≤ 864,000 (10 days)
and ``TaskTimeLimitInSeconds`` ≤ 28,800 (8 hours), A2I's documented ceilings. Members holding JSON
text (``InputContent``, ``Task.Input``, ``HumanLoopActivationConditions``) are parsed with the
same depth and text rules as bodies. Required members and the semantics of each operation are the
backends' job.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from typing import Any

from botocore.model import OperationModel, Shape, StructureShape

from .validation import (
    MAX_TIMESTAMP_US,
    check_json_text,
    check_range,
    invalid,
    parse_timestamp_bounded,
)

EXTRA_MAX = {"TaskAvailabilityLifetimeInSeconds": 864_000, "TaskTimeLimitInSeconds": 28_800}
JSON_TEXT_MEMBERS = frozenset({"InputContent", "HumanLoopActivationConditions"})
JSON_TEXT_PATHS = frozenset({"Task.Input"})
SKIP_PATTERN = frozenset({"S3OutputPath"})  # local folders too; the output-root rule decides
# The workforce backend applies these with one deliberate difference (http:// on a loopback host,
# for a provider on the same machine): see hitl_agent.service.workforces.OIDC_ENDPOINT.
OIDC_ENDPOINT_MEMBERS = frozenset({
    "Issuer", "AuthorizationEndpoint", "TokenEndpoint", "UserInfoEndpoint", "LogoutEndpoint",
    "JwksUri",
})
RUNTIME_ROUTES = {
    ("POST", "/human-loops"): "StartHumanLoop",
    ("POST", "/human-loops/stop"): "StopHumanLoop",
    ("GET", "/human-loops"): "ListHumanLoops",
}
_ = MAX_TIMESTAMP_US  # re-exported for callers that bound timestamps the same way


@functools.cache
def _service_model(name: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(name)


@functools.cache
def operation(service: str, name: str) -> OperationModel | None:
    model = _service_model(service)
    if name not in model.operation_names:
        return None
    return model.operation_model(name)


def warm_models(sagemaker_operations: Iterable[str] = ()) -> None:
    """Load the service models and compile the patterns of the runtime API's operations and of
    ``sagemaker_operations`` once, at start, instead of on the first request of each."""
    seen: set[str] = set()
    for name in sorted(set(RUNTIME_ROUTES.values())):
        _warm_shape(operation("sagemaker-a2i-runtime", name), seen)
    for name in sorted(set(sagemaker_operations)):
        _warm_shape(operation("sagemaker", name), seen)


def _warm_shape(op: OperationModel | None, seen: set[str]) -> None:
    stack = [op.input_shape] if op is not None and op.input_shape is not None else []
    while stack:
        shape = stack.pop()
        if shape.name in seen:
            continue
        seen.add(shape.name)
        pattern = shape.metadata.get("pattern")
        if pattern:
            _regex(pattern)
        if isinstance(shape, StructureShape):
            stack.extend(shape.members.values())
        for part in ("member", "key", "value"):
            child = getattr(shape, part, None)
            if isinstance(child, Shape):
                stack.append(child)


def runtime_operation(method: str, path: str) -> OperationModel | None:
    name = RUNTIME_ROUTES.get((method, path))
    return operation("sagemaker-a2i-runtime", name) if name else None


@functools.cache
def _regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error:  # a Java-only construct: AWS checks it, we leave it to the backend
        return None


class ModelChecker:
    """Checks one decoded request against an operation's input shape."""

    def __init__(self, *, lenient_loop_names: bool, max_task_count: int) -> None:
        self.lenient_loop_names = lenient_loop_names
        self.max_task_count = max_task_count

    def check_body(self, op: OperationModel, body: dict[str, Any]) -> None:
        shape = op.input_shape
        if shape is not None:
            self._structure(shape, body, "")

    def check_query(self, op: OperationModel, query: dict[str, str]) -> None:
        """Querystring members (rest-json): named by their ``location_name``."""
        shape = op.input_shape
        if not isinstance(shape, StructureShape):  # (every input shape is a structure)
            return
        for name, member in shape.members.items():
            if member.serialization.get("location") != "querystring":
                continue
            wire = member.serialization.get("name", name)
            if wire in query:
                self._value(member, query[wire], name, from_text=True)

    def _structure(self, shape: Shape, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise invalid(path or "body", None, "Member must be an object")
        if not isinstance(shape, StructureShape):
            raise invalid(path or "body", None, f"Member must be a {shape.type_name}")
        for name, member in shape.members.items():
            if member.serialization.get("location") in ("uri", "querystring", "header"):
                continue
            if name in value and value[name] is not None:
                self._value(member, value[name], f"{path}.{name}" if path else name)

    def _value(self, shape: Shape, value: Any, path: str, *, from_text: bool = False) -> None:
        kind, meta = shape.type_name, shape.metadata
        leaf = path.rsplit(".", 1)[-1]
        if kind == "structure":
            self._structure(shape, value, path)
        elif kind == "string":
            self._string(shape, value, path, leaf)
        elif kind in ("integer", "long"):
            if from_text and isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,19}", value):
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int):
                raise invalid(path, None, "Member must be an integer")
            high = EXTRA_MAX.get(leaf, meta.get("max"))
            if leaf == "TaskCount":
                high = self.max_task_count
            check_range(path, value, meta.get("min"), high)
        elif kind in ("float", "double"):
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                raise invalid(path, None, "Member must be a finite number")
        elif kind == "boolean":
            if not isinstance(value, bool) and not (from_text and value in ("true", "false")):
                raise invalid(path, None, "Member must be a boolean")
        elif kind == "timestamp":
            try:
                parse_timestamp_bounded(value)
            except ValueError:
                raise invalid(
                    path, str(value)[:80], "Member must be a timestamp between 1970 and 9999"
                ) from None
        elif kind == "list":
            if not isinstance(value, list):
                raise invalid(path, None, "Member must be a list")
            self._size(meta, len(value), path)
            for i, item in enumerate(value):
                if item is not None:
                    self._value(shape.member, item, f"{path}.{i + 1}")  # type: ignore[attr-defined]
        elif kind == "map":
            if not isinstance(value, dict):
                raise invalid(path, None, "Member must be a map")
            self._size(meta, len(value), path)
            for k, v in value.items():
                self._value(shape.key, k, f"{path}.key")  # type: ignore[attr-defined]
                if v is not None:
                    self._value(shape.value, v, f"{path}.{k}"[:200])  # type: ignore[attr-defined]

    @staticmethod
    def _size(meta: dict[str, Any], n: int, path: str) -> None:
        if meta.get("min") is not None and n < meta["min"]:
            raise invalid(
                path, None, f"Member must have length greater than or equal to {meta['min']}"
            )
        if meta.get("max") is not None and n > meta["max"]:
            raise invalid(
                path, None, f"Member must have length less than or equal to {meta['max']}"
            )

    def _string(self, shape: Shape, value: Any, path: str, leaf: str) -> None:
        if not isinstance(value, str):
            raise invalid(path, None, "Member must be a string")
        meta = shape.metadata
        if meta.get("min") is not None and len(value) < meta["min"]:
            raise invalid(
                path, value, f"Member must have length greater than or equal to {meta['min']}"
            )
        if meta.get("max") is not None and len(value) > meta["max"]:
            raise invalid(
                path, value, f"Member must have length less than or equal to {meta['max']}"
            )
        enum = shape.enum
        if enum and value not in enum:
            raise invalid(path, value, f"Member must satisfy enum value set: [{', '.join(enum)}]")
        pattern = meta.get("pattern")
        skip = (
            leaf in SKIP_PATTERN
            or (self.lenient_loop_names and leaf == "HumanLoopName")
            or (leaf in OIDC_ENDPOINT_MEMBERS and path.startswith("OidcConfig."))
        )
        if pattern and not skip:
            rx = _regex(pattern)
            if rx is not None and rx.fullmatch(value) is None:
                raise invalid(
                    path, value, f"Member must satisfy regular expression pattern: {pattern}"
                )
        if leaf in JSON_TEXT_MEMBERS or path in JSON_TEXT_PATHS or meta.get("jsonvalue"):
            check_json_text(value, path)
