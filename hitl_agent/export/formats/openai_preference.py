"""OpenAI direct preference optimization (DPO) lines.

Rules (https://platform.openai.com/docs/guides/direct-preference-optimization):
- three top-level fields: ``input`` (``messages``, optional ``tools``/``parallel_tool_calls``),
  ``preferred_output`` and ``non_preferred_output``;
- "we only train on one-turn conversations for each example, where the preferred and
  non-preferred messages need to be the last assistant message": each output is one assistant
  message (text, or ``tool_calls`` as in supervised fine-tuning); the input ends with the
  user's turn (or a tool's result);
- the human's answer is preferred, the model's draft is not; both must differ to teach anything;
- fine-tuning files need at least 10 examples (the SFT guide's minimum applies to every method).
"""

from __future__ import annotations

from typing import Any

from hitl_agent.canonical import canonical_json
from hitl_agent.export.formats.base import (
    PROMPT_END,
    TOOL_MESSAGE_KEYS,
    ExportFormat,
    Row,
    check_keys,
    check_role_content_messages,
    check_text,
    check_tool_calls,
    check_tools,
    conversation,
    invalid,
)
from hitl_agent.export.options import ExportOptions
from hitl_agent.export.records import ExportRecord


def check_single_assistant(value: Any, field: str, prefix: str) -> str:
    """One assistant message (text or tool calls); its canonical JSON, to compare answers."""
    if not isinstance(value, list) or len(value) != 1:
        raise invalid(f"{prefix}.one_turn", field, "must be a list of exactly one message")
    m = value[0]
    check_keys(m, f"{field}[0]", f"{prefix}.message_keys", required=("role", "content"),
               allowed=("role", "content", *TOOL_MESSAGE_KEYS))
    if m["role"] != "assistant":
        raise invalid(f"{prefix}.assistant_role", f"{field}[0].role", "must be 'assistant'")
    if m.get("tool_calls") is not None:
        check_tool_calls(m["tool_calls"], f"{field}[0].tool_calls", prefix)
        if not isinstance(m["content"], str):
            raise invalid(f"{prefix}.content_type", f"{field}[0].content", "must be a string")
    else:
        check_text(m["content"], f"{field}[0].content", f"{prefix}.non_empty_content")
    if not m.get("tool_calls"):
        return str(m["content"])
    return canonical_json([m["content"], [c["function"] for c in m["tool_calls"]]])


def check_prompt(messages: Any, field: str, prefix: str) -> None:
    # A prompt is checked as a conversation whose next turn is the assistant's.
    if not isinstance(messages, list):
        raise invalid(f"{prefix}.type", field, "must be a list of messages")
    check_role_content_messages(messages, field, prefix, last=PROMPT_END)


def with_tools(row: Row, record: ExportRecord) -> Row:
    if record.kind == "tool_call" and record.tools:
        row["tools"] = record.tools
    return row


def uniform(row: Row, record: ExportRecord, columns: tuple[str, ...]) -> Row:
    """Every message of the row's message lists with the same keys (None where a message has
    no such field): Hugging Face ``datasets`` types a list of unlike objects as untyped JSON.
    """
    if record.kind != "tool_call":
        return row
    keys = ("role", "content", *TOOL_MESSAGE_KEYS)
    for column in columns:
        row[column] = [{k: m.get(k) for k in keys} for m in row[column]]
    return row


class OpenAIPreference(ExportFormat):
    name = "openai-preference"
    doc_url = "https://platform.openai.com/docs/guides/direct-preference-optimization"
    min_examples = 10
    needs_change = True

    def not_applicable(self, record: ExportRecord) -> str | None:
        return "no_model_output" if record.draft is None else super().not_applicable(record)

    def rows(self, record: ExportRecord, options: ExportOptions) -> list[Row]:
        return [{
            "input": with_tools({"messages": conversation(record)}, record),
            "preferred_output": [record.answer],
            "non_preferred_output": [record.draft_message],
        }]

    def validate(self, row: Row) -> None:
        p = "openai-preference"
        check_keys(row, "row", f"{p}.keys",
                   required=("input", "preferred_output", "non_preferred_output"),
                   allowed=("input", "preferred_output", "non_preferred_output"))
        check_keys(row["input"], "input", f"{p}.input_keys", required=("messages",),
                   allowed=("messages", "tools", "parallel_tool_calls"))
        check_prompt(row["input"]["messages"], "input.messages", p)
        if "tools" in row["input"]:
            check_tools(row["input"]["tools"], "input.tools", p)
        good = check_single_assistant(row["preferred_output"], "preferred_output", p)
        bad = check_single_assistant(row["non_preferred_output"], "non_preferred_output", p)
        if good == bad:
            raise invalid(f"{p}.distinct", "non_preferred_output",
                          "preferred and non-preferred outputs are the same")
