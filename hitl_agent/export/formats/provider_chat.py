"""What the cloud providers' chat formats share (Bedrock's Converse lines, Vertex's contents):
OpenAI-shaped turns recast as the provider's turns of one-key parts, and their checks."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from hitl_agent.export.formats.base import Row, check_keys, check_role_order, invalid

PartCheck = Callable[[Any, str], None]
"""Checks one part's value; given the value and where it stands (``messages[0].content[1]``)."""


def tool_arguments(call: Row) -> Any:
    """An OpenAI tool call's arguments (a JSON string) as the value they encode."""
    return json.loads(call["function"]["arguments"])


def provider_turns(
    messages: list[Row],
    *,
    assistant: str,
    parts_key: str,
    text: Callable[[str], Row],
    call: Callable[[Row], Row],
    result: Callable[[Row, str], Row],
) -> list[Row]:
    """OpenAI-shaped turns as ``{"role", parts_key: [...]}`` turns: the assistant's role named
    ``assistant``, every other ``user``; a tool's result (``result(message, tool name)``) joins
    the user's turn before it, as the providers want."""
    names: dict[str, str] = {}
    out: list[Row] = []
    for m in messages:
        parts: list[Row] = []
        role = assistant if m["role"] == "assistant" else "user"
        if m["role"] == "tool":
            parts.append(result(m, names.get(m["tool_call_id"], "tool")))
        else:
            if m.get("content"):
                parts.append(text(m["content"]))
            for c in m.get("tool_calls") or []:
                names[c["id"]] = c["function"]["name"]
                parts.append(call(c))
        if out and out[-1]["role"] == role and m["role"] == "tool":
            out[-1][parts_key].extend(parts)
        else:
            out.append({"role": role, parts_key: parts})
    return out


def check_parts(parts: Any, field: str, *, noun: str, rules: tuple[str, str],
                checks: Mapping[str, PartCheck]) -> None:
    """A non-empty list of one-key objects whose key is one of ``checks`` (each value checked
    by its check); ``rules``: the rule names of the list and of a part."""
    if not isinstance(parts, list) or not parts:
        raise invalid(rules[0], field, f"must be a non-empty list of {noun}")
    for j, part in enumerate(parts):
        where = f"{field}[{j}]"
        if not isinstance(part, dict) or len(part) != 1 or not set(checks).issuperset(part):
            raise invalid(rules[1], where, f"must be one of {sorted(checks)} {noun}")
        ((key, value),) = part.items()
        checks[key](value, f"{where}.{key}")


def check_turns(turns: Any, field: str, prefix: str, *, parts_key: str, keys_rule: str,
                assistant: str, check: Callable[[Any, str, str], None]) -> None:
    """A list of ``{"role", parts_key}`` turns, user first, alternating, the assistant's last;
    ``check(parts, where, role)`` checks each turn's parts."""
    if not isinstance(turns, list):
        raise invalid(f"{prefix}.{field}", field, "must be a list")
    for i, t in enumerate(turns):
        check_keys(t, f"{field}[{i}]", f"{prefix}.{keys_rule}", required=("role", parts_key),
                   allowed=("role", parts_key))
        check(t[parts_key], f"{field}[{i}].{parts_key}", t["role"])
    check_role_order([t["role"] for t in turns], field, prefix, allowed={"user", assistant},
                     first={"user"}, last=assistant)
