"""The shape every export format has, and the checks several of them share."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from hitl_agent.errors import ValidationError
from hitl_agent.export.options import ExportOptions
from hitl_agent.export.records import TASK_KINDS, ExportRecord, TaskKind

Row = dict[str, Any]

try:
    import orjson

    def dumps_line(row: Row) -> bytes:
        return orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE)

except ImportError:  # pragma: no cover - orjson comes with langgraph; json is the fallback

    def dumps_line(row: Row) -> bytes:
        return (json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
SPLITS = ("train", "validation")


def invalid(rule: str, field: str, message: str) -> ValidationError:
    return ValidationError(f"{field}: {message}", field=field, rule=rule)


def answer_of(record: ExportRecord, fmt: str) -> Row:
    """The human's answer message of a record the format renders (``not_applicable`` leaves
    out the ones without); a row without one is invalid, never a crash."""
    if record.answer is None:
        raise invalid(f"{fmt}.answer", "final_output", "has no answer to train on")
    return record.answer


def check_text(value: Any, field: str, rule: str) -> None:
    if not isinstance(value, str):
        raise invalid(rule, field, f"must be a string, got {type(value).__name__}")
    if not value.strip():
        raise invalid(rule, field, "must not be empty")


def check_keys(
    obj: Any, field: str, rule: str, *, required: Sequence[str], allowed: Sequence[str]
) -> None:
    if not isinstance(obj, Mapping):
        raise invalid(rule, field, f"must be an object, got {type(obj).__name__}")
    n_required = 0
    for k in required:
        if k not in obj:
            raise invalid(rule, field, f"missing key(s) {[k for k in required if k not in obj]}")
        n_required += 1
    if len(obj) > n_required:  # only then can there be a key that is not allowed
        extra = sorted(k for k in obj if k not in allowed)
        if extra:
            raise invalid(rule, field, f"unexpected key(s) {extra}")


def check_role_order(
    roles: Sequence[str],
    field: str,
    prefix: str,
    *,
    allowed: set[str],
    first: set[str],
    last: str | set[str] | None,
    system_role: str | None = None,
) -> None:
    """Roles allowed, the first and last role, a leading system turn only, strict alternation."""
    if not roles:
        raise invalid(f"{prefix}.non_empty", field, "must hold at least one message")
    for i, role in enumerate(roles):
        if role not in allowed:
            raise invalid(f"{prefix}.role", f"{field}[{i}].role", f"{role!r} is not one of "
                          f"{sorted(allowed)}")
        if system_role is not None and role == system_role and i != 0:
            raise invalid(f"{prefix}.system_first", f"{field}[{i}].role",
                          "a system message may only come first")
    turns = list(roles[1:] if system_role is not None and roles[0] == system_role else roles)
    if not turns:
        raise invalid(f"{prefix}.non_empty", field, "holds only a system message")
    if turns[0] not in first:
        raise invalid(f"{prefix}.first_role", field, f"must start with {sorted(first)}, "
                      f"starts with {turns[0]!r}")
    if last is not None and turns[-1] not in ({last} if isinstance(last, str) else last):
        raise invalid(f"{prefix}.last_role", field, f"must end with {last!r}, ends with "
                      f"{turns[-1]!r}")
    for i in range(1, len(turns)):
        if turns[i] == turns[i - 1]:
            raise invalid(f"{prefix}.alternation", field,
                          f"roles must alternate; two {turns[i]!r} turns in a row")


def conversation(record: ExportRecord) -> list[Row]:
    """[system?, *turns before the answer] as OpenAI/TRL conversational messages."""
    messages: list[Row] = []
    if record.system:
        messages.append({"role": "system", "content": record.system})
    messages.extend(record.messages)
    return messages


def chat_messages(record: ExportRecord, *, assistant: Row | None) -> list[Row]:
    """The conversation and, when given, the assistant's answer after it."""
    messages = conversation(record)
    if assistant is not None:
        messages.append(dict(assistant))
    return messages


TOOL_MESSAGE_KEYS = ("tool_calls", "tool_call_id")
_CHAT_ROLES = {"system", "user", "assistant", "tool"}
_FIRST = {"user"}
PROMPT_END = {"user", "tool"}
"""A prompt ends with the user's turn, or with a tool's result the model answers next."""


def check_tool_calls(calls: Any, field: str, prefix: str) -> None:
    """OpenAI's tool-call shape: ``[{"id", "type": "function", "function": {"name",
    "arguments": "<JSON object as a string>"}}]``."""
    if not isinstance(calls, list) or not calls:
        raise invalid(f"{prefix}.tool_calls", field, "must be a non-empty list")
    for j, call in enumerate(calls):
        where = f"{field}[{j}]"
        check_keys(call, where, f"{prefix}.tool_call_keys", required=("id", "type", "function"),
                   allowed=("id", "type", "function"))
        check_text(call["id"], f"{where}.id", f"{prefix}.tool_call_id")
        if call["type"] != "function":
            raise invalid(f"{prefix}.tool_call_type", f"{where}.type", "must be 'function'")
        fn = call["function"]
        check_keys(fn, f"{where}.function", f"{prefix}.function_keys",
                   required=("name", "arguments"), allowed=("name", "arguments"))
        check_text(fn["name"], f"{where}.function.name", f"{prefix}.function_name")
        if not isinstance(fn["arguments"], str):
            raise invalid(f"{prefix}.arguments_json", f"{where}.function.arguments",
                          "must be a JSON object encoded as a string")
        try:
            parsed = json.loads(fn["arguments"])
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise invalid(f"{prefix}.arguments_json", f"{where}.function.arguments",
                          "must be a JSON object encoded as a string")


def check_tools(tools: Any, field: str, prefix: str) -> None:
    if not isinstance(tools, list) or not tools:
        raise invalid(f"{prefix}.tools", field, "must be a non-empty list of tools")
    for j, tool in enumerate(tools):
        check_keys(tool, f"{field}[{j}]", f"{prefix}.tool_keys", required=("type", "function"),
                   allowed=("type", "function"))
        if tool["type"] != "function":
            raise invalid(f"{prefix}.tool_type", f"{field}[{j}].type", "must be 'function'")
        check_keys(tool["function"], f"{field}[{j}].function", f"{prefix}.tool_function_keys",
                   required=("name",), allowed=("name", "description", "parameters", "strict"))
        check_text(tool["function"]["name"], f"{field}[{j}].function.name", f"{prefix}.tool_name")


def check_role_content_messages(
    messages: Any, field: str, prefix: str, *, last: str | set[str] | None,
    extra_keys: Iterable[str] = (),
) -> None:
    """Role/content messages; with tool calls, assistant ``tool_calls`` and ``tool`` turns."""
    if not isinstance(messages, list):
        raise invalid(f"{prefix}.type", field, "must be a list of messages")
    allowed = ("role", "content", *extra_keys, *TOOL_MESSAGE_KEYS)
    for i, m in enumerate(messages):
        check_keys(m, f"{field}[{i}]", f"{prefix}.message_keys", required=("role", "content"),
                   allowed=allowed)
        if m.get("tool_calls") is not None:
            if m["role"] != "assistant":
                raise invalid(f"{prefix}.tool_calls_role", f"{field}[{i}].tool_calls",
                              "only assistant messages make tool calls")
            check_tool_calls(m["tool_calls"], f"{field}[{i}].tool_calls", prefix)
            if not isinstance(m["content"], str):
                raise invalid(f"{prefix}.content_type", f"{field}[{i}].content", "must be a string")
            continue
        if m["role"] == "tool":
            check_text(m.get("tool_call_id"), f"{field}[{i}].tool_call_id",
                       f"{prefix}.tool_call_id")
        check_text(m["content"], f"{field}[{i}].content", f"{prefix}.non_empty_content")
    roles = [m["role"] for m in messages]
    if "tool" in roles:  # parallel calls: their results follow one another
        roles = [r for i, r in enumerate(roles)
                 if not (r == "tool" and i and roles[i - 1] == "tool")]
    check_role_order(roles, field, prefix, allowed=_CHAT_ROLES, first=_FIRST, last=last,
                     system_role="system")


class ExportFormat:
    """A target: how a record becomes rows, which rules a row must keep, how files are laid out.

    Subclasses set the class attributes and implement :meth:`rows` and :meth:`validate`.
    """

    name: ClassVar[str]
    doc_url: ClassVar[str]
    extension: ClassVar[str] = "jsonl"
    min_examples: ClassVar[int] = 1
    """The target's documented minimum number of training examples (a hard failure below)."""
    recommended_examples: ClassVar[int | None] = None
    """A documented recommendation: below it the export succeeds with a warning."""
    max_validation_examples: ClassVar[int | None] = None
    needs_completion: ClassVar[bool] = True
    """Records without a human output (a bare reject) cannot become rows of this format."""
    needs_change: ClassVar[bool] = False
    """Preference formats: only records whose human output differs from the model's."""
    task_types: ClassVar[frozenset[TaskKind]] = frozenset(TASK_KINDS)
    """What the format can carry faithfully; records of other kinds are skipped and counted
    (``unsupported_<kind>`` in the manifest)."""

    def paths(self) -> dict[str, str]:
        return {split: f"{split}.{self.extension}" for split in SPLITS}

    def not_applicable(self, record: ExportRecord) -> str | None:
        """Why this record has nothing to give this format (not an error), or None."""
        if self.needs_completion and record.completion is None:
            return "no_human_output"
        if self.needs_change and not record.changed:
            return "no_preference"
        return None

    def rows(self, record: ExportRecord, options: ExportOptions) -> list[Row]:
        raise NotImplementedError

    def validate(self, row: Row) -> None:
        """Raise :class:`~hitl_agent.errors.ValidationError` naming the rule the row breaks."""
        raise NotImplementedError

    def header(self) -> bytes | None:
        return None

    def encode(self, row: Row) -> bytes:
        """One UTF-8 line: compact JSON (orjson when installed; the bytes are the same)."""
        return dumps_line(row)

    def extra_files(self, options: ExportOptions, splits: Iterable[str]) -> dict[str, bytes]:
        """Files written beside the data (e.g. JumpStart's template.json), by relative path."""
        return {}
