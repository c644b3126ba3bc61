"""What the cloud providers' chat formats share (Bedrock's Converse lines, Vertex's contents):
OpenAI-shaped turns recast as the provider's turns of one-key parts, and their checks."""

from __future__ import annotations

import json
from abc import abstractmethod
from collections.abc import Callable, Mapping
from typing import Any

from hitl_agent.export.formats.base import (
    ExportFormat,
    Row,
    answer_of,
    check_keys,
    check_role_order,
    invalid,
)
from hitl_agent.export.options import ExportOptions
from hitl_agent.export.records import ExportRecord

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


class ProviderChatFormat(ExportFormat):
    """A provider's chat format: one line per record, an optional system prompt, the turns
    (``turns_key``, each ``{"role", parts_key}``, the assistant's role named ``assistant``), and
    the tools offered, which a line that calls one (a ``call_part`` part) must declare
    (``tools_key``)."""

    turns_key: str
    parts_key: str
    assistant: str
    keys_rule: str
    call_part: str
    tools_key: str
    tools_rule: str
    tools_message: str

    def rows(self, record: ExportRecord, options: ExportOptions) -> list[Row]:
        answer = answer_of(record, self.name)
        tools = record.tools if record.kind == "tool_call" and record.tools else None
        return [self.line(record.system, self.turns([*record.messages, answer]), tools)]

    @abstractmethod
    def turns(self, messages: list[Row]) -> list[Row]:
        """OpenAI-shaped turns (the answer last) as this provider's turns."""

    @abstractmethod
    def line(self, system: str | None, turns: list[Row], tools: list[Row] | None) -> Row:
        """The line of a record: its system prompt, turns and tools (when it calls one)."""

    @abstractmethod
    def check_line(self, row: Row) -> None:
        """The line's own keys and its system prompt."""

    @abstractmethod
    def check_turn_parts(self, parts: Any, where: str, role: str) -> None:
        """One turn's parts."""

    def validate(self, row: Row) -> None:
        self.check_line(row)
        turns = row[self.turns_key]
        check_turns(turns, self.turns_key, self.name, parts_key=self.parts_key,
                    keys_rule=self.keys_rule, assistant=self.assistant,
                    check=self.check_turn_parts)
        calls = any(self.call_part in part for t in turns for part in t[self.parts_key])
        if calls and self.tools_key not in row:
            raise invalid(f"{self.name}.{self.tools_rule}", self.tools_key, self.tools_message)
