"""The conversation a correction was about, rebuilt from what the model saw.

The ledger keeps each item's context (:mod:`hitl_agent.models.context`): the system prompt, the
tools offered and the messages, in OpenAI's chat shape. From it a record gets the turns before
the answer, and its answers as assistant messages: text, or a native tool call
(``{"tool_calls": [{"id", "type": "function", "function": {"name", "arguments": "<JSON>"}}]}``)
when the model called a tool. Without a context (ledgers from before contexts, models that do
not say) the input is the user's turn, as before.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from hitl_agent.canonical import canonical_json
from hitl_agent.export.options import ExportOptions
from hitl_agent.export.redact import Redactor, redact_value

Message = dict[str, Any]


class ConversationRecord(Protocol):
    """What :func:`build_conversation` reads and fills: an
    :class:`~hitl_agent.export.records.ExportRecord` (named here by its shape, so that this
    module, which records use, does not import them)."""

    prompt: str
    messages: list[Message]
    answer: Message | None
    draft_message: Message | None
    tools: list[Message] | None
    labels: list[str] | None

    @property
    def correction(self) -> Any: ...
    @property
    def kind(self) -> str: ...
    @property
    def completion(self) -> str | None: ...
    @property
    def draft(self) -> str | None: ...


def call_message(output: Any, call_id: str, content: str | None = None) -> Message | None:
    """An output of the tool-call shape (``{"tool", "arguments"}``) as an assistant message."""
    if not isinstance(output, dict) or "tool" not in output:
        return None
    return {
        "role": "assistant",
        "content": content or "",
        "tool_calls": [{
            "id": call_id,
            "type": "function",
            "function": {"name": str(output["tool"]),
                         "arguments": canonical_json(output.get("arguments") or {})},
        }],
    }


def _arguments(call: dict[str, Any]) -> Any:
    raw = (call.get("function") or {}).get("arguments")
    try:
        return json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return raw


def _find_call(messages: list[Message], output: Any) -> tuple[int, str, str | None] | None:
    """The last assistant turn that made the call ``output``: (index, call id, its text)."""
    if not isinstance(output, dict):
        return None
    for i in range(len(messages) - 1, -1, -1):
        m = messages[i]
        if m.get("role") != "assistant":
            continue
        for call in m.get("tool_calls") or []:
            fn = call.get("function") or {}
            if fn.get("name") == output.get("tool") and _arguments(call) == output.get(
                    "arguments"):
                content = m.get("content")
                return i, str(call.get("id") or f"call_{i}"), \
                    content if isinstance(content, str) and content.strip() else None
    return None


def _user_text(value: Any, fallback: str) -> str:
    # The tool-approval middleware's default review input: {"request": ..., "assistant": ...}.
    if isinstance(value, dict) and isinstance(value.get("request"), str) and value["request"]:
        return str(value["request"])
    return fallback


def _tools_for(*outputs: Any) -> list[dict[str, Any]]:
    """A minimal tool list naming the called tools, when none was recorded."""
    seen: dict[str, dict[str, Any]] = {}
    for out in outputs:
        if isinstance(out, dict) and isinstance(out.get("tool"), str):
            props = seen.setdefault(out["tool"], {})
            props.update({k: {} for k in (out.get("arguments") or {})})
    return [{"type": "function", "function": {
        "name": name, "parameters": {"type": "object", "properties": props}}}
        for name, props in seen.items()]


def _last_user(messages: list[Message], fallback: str) -> str:
    for m in reversed(messages):
        if m.get("role") == "user" and isinstance(m.get("content"), str):
            return str(m["content"])
    return fallback


def build_conversation(
    record: ConversationRecord, context: dict[str, Any] | None, options: ExportOptions
) -> None:
    """Fill ``messages``, ``answer``, ``draft_message``, ``tools`` and ``labels`` of a record."""
    c = record.correction
    if not context and record.kind != "tool_call":  # the common case of older ledgers: fast
        record.messages = [{"role": "user", "content": record.prompt}]
        _text_answers(record)
        return
    context = context or {}
    recorded: list[Message] = [m for m in context.get("messages") or [] if isinstance(m, dict)]
    tools = context.get("tools")
    record.tools = [t for t in tools if isinstance(t, dict)] if isinstance(tools, list) else None
    labels = context.get("labels")
    record.labels = [str(x) for x in labels] if isinstance(labels, list) and labels else None
    if record.kind == "tool_call":
        found = _find_call(recorded, c.model_output)
        if found is not None:
            index, call_id, said = found
            record.messages = recorded[:index]
        else:
            call_id, said = f"call_{c.id[-24:]}", None
            record.messages = [{"role": "user", "content": _user_text(c.input, record.prompt)}]
        record.prompt = _last_user(record.messages, record.prompt)
        record.answer = call_message(c.final_output, call_id, said)
        record.draft_message = call_message(c.model_output, call_id, said)
        if not record.tools:
            record.tools = _tools_for(c.model_output, c.final_output)
        return
    if recorded and options.prompt_template is None:
        # The turns the model saw, up to the last user turn (a trailing answer is not context).
        while recorded and recorded[-1].get("role") == "assistant":
            recorded = recorded[:-1]
        record.messages = recorded
        record.prompt = _last_user(recorded, record.prompt)
    else:
        record.messages = [{"role": "user", "content": record.prompt}]
    _text_answers(record)


def _text_answers(record: ConversationRecord) -> None:
    if record.completion is not None:
        record.answer = {"role": "assistant", "content": record.completion}
    if record.draft is not None:
        record.draft_message = {"role": "assistant", "content": record.draft}


def redact_context(context: dict[str, Any], redactor: Redactor) -> dict[str, Any]:
    """The context with the redactor applied to every message text and tool-call argument."""
    out = dict(context)
    if isinstance(context.get("system"), str):
        out["system"] = redactor(context["system"])
    messages = []
    for m in context.get("messages") or []:
        if not isinstance(m, dict):
            continue
        m = dict(m)
        if "content" in m:
            m["content"] = redact_value(m["content"], redactor)
        if m.get("tool_calls"):
            calls = []
            for call in m["tool_calls"]:
                call = dict(call)
                fn = dict(call.get("function") or {})
                fn["arguments"] = canonical_json(redact_value(_arguments(call), redactor))
                call["function"] = fn
                calls.append(call)
            m["tool_calls"] = calls
        messages.append(m)
    out["messages"] = messages
    return out
