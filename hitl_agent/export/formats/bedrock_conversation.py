"""Amazon Bedrock ``bedrock-conversation-2024`` lines (Nova fine-tuning, distillation).

Rules (https://docs.aws.amazon.com/nova/latest/userguide/fine-tune-prepare-data-understanding.html,
https://docs.aws.amazon.com/bedrock/latest/userguide/nova-2-sft-data-prep.html):
- ``schemaVersion`` "bedrock-conversation-2024" (Nova accepts any string; distillation names this
  value, so we emit and check the canonical one), an optional ``system`` list of ``{"text"}``
  blocks and ``messages``;
- roles ``user`` and ``assistant`` only; the first turn is the user's, the last the assistant's;
  turns alternate; content is a list of blocks: ``text``, and for tool calls the Converse API's
  ``toolUse`` (``{"toolUseId", "name", "input"}``) in the assistant's turn, ``toolResult`` in the
  user's, with the tools offered in ``toolConfig`` (``{"tools": [{"toolSpec": {"name",
  "description", "inputSchema": {"json": ...}}}]}``). Nova 2.0 SFT documents that it does not
  train on tool sections yet: an export holding tool calls says so in its warnings;
- ``User:``, ``Bot:``, ``Assistant:``, ``System:``, ``<image>``, ``<video>`` and ``[EOS]`` are
  reserved keywords: a user or system prompt must not start with one;
- at least 100 samples per task are recommended (not a hard minimum).
"""

from __future__ import annotations

import json
from typing import Any

from hitl_agent.export.formats.base import (
    ExportFormat,
    Row,
    check_keys,
    check_role_order,
    check_text,
    invalid,
)
from hitl_agent.export.options import ExportOptions
from hitl_agent.export.records import ExportRecord

Blocks = list[dict[str, Any]]

SCHEMA_VERSION = "bedrock-conversation-2024"
RESERVED_PREFIXES = ("User:", "Bot:", "Assistant:", "System:", "<image>", "<video>", "[EOS]")


def _args(call: dict[str, Any]) -> Any:
    return json.loads(call["function"]["arguments"])


def converse_messages(messages: list[Row]) -> list[Row]:
    """OpenAI-shaped turns as Converse messages; tool results join into the user's turn."""
    out: list[Row] = []
    for m in messages:
        blocks: Blocks = []
        role = "assistant" if m["role"] == "assistant" else "user"
        if m["role"] == "tool":
            blocks.append({"toolResult": {"toolUseId": m["tool_call_id"],
                                          "content": [{"text": m["content"]}]}})
        else:
            if m.get("content"):
                blocks.append({"text": m["content"]})
            for call in m.get("tool_calls") or []:
                blocks.append({"toolUse": {"toolUseId": call["id"],
                                           "name": call["function"]["name"],
                                           "input": _args(call)}})
        if out and out[-1]["role"] == role and m["role"] == "tool":
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})
    return out


def tool_config(tools: list[Row]) -> Row:
    specs = []
    for t in tools:
        fn = t["function"]
        spec: Row = {"name": fn["name"]}
        if fn.get("description"):
            spec["description"] = fn["description"]
        spec["inputSchema"] = {"json": fn.get("parameters") or {"type": "object"}}
        specs.append({"toolSpec": spec})
    return {"tools": specs}


_BLOCK_KEYS = {"text", "toolUse", "toolResult"}


def _check_blocks(blocks: Any, field: str, p: str, *, prompt: bool) -> None:
    if not isinstance(blocks, list) or not blocks:
        raise invalid(f"{p}.content", field, "must be a non-empty list of content blocks")
    for j, block in enumerate(blocks):
        where = f"{field}[{j}]"
        if not isinstance(block, dict) or len(block) != 1 or not _BLOCK_KEYS.issuperset(block):
            raise invalid(f"{p}.block", where,
                          f"must be one of {sorted(_BLOCK_KEYS)} content blocks")
        if "toolUse" in block:
            check_keys(block["toolUse"], f"{where}.toolUse", f"{p}.tool_use",
                       required=("toolUseId", "name", "input"),
                       allowed=("toolUseId", "name", "input"))
            if not isinstance(block["toolUse"]["input"], dict):
                raise invalid(f"{p}.tool_use_input", f"{where}.toolUse.input",
                              "must be a JSON object")
            continue
        if "toolResult" in block:
            check_keys(block["toolResult"], f"{where}.toolResult", f"{p}.tool_result",
                       required=("toolUseId", "content"),
                       allowed=("toolUseId", "content", "status"))
            continue
        check_text(block["text"], f"{where}.text", f"{p}.non_empty_text")
        if prompt and block["text"].lstrip().startswith(RESERVED_PREFIXES):
            raise invalid(f"{p}.reserved_keyword", f"{where}.text",
                          f"must not start with a reserved keyword {RESERVED_PREFIXES}")


class BedrockConversation(ExportFormat):
    name = "bedrock-conversation"
    doc_url = "https://docs.aws.amazon.com/nova/latest/userguide/fine-tune-prepare-data-understanding.html"
    recommended_examples = 100

    def rows(self, record: ExportRecord, options: ExportOptions) -> list[Row]:
        assert record.answer is not None
        row: Row = {"schemaVersion": SCHEMA_VERSION}
        if record.system:
            row["system"] = [{"text": record.system}]
        if record.kind == "tool_call" and record.tools:
            row["toolConfig"] = tool_config(record.tools)
        row["messages"] = converse_messages([*record.messages, record.answer])
        return [row]

    def validate(self, row: Row) -> None:
        p = "bedrock-conversation"
        check_keys(row, "row", f"{p}.keys", required=("schemaVersion", "messages"),
                   allowed=("schemaVersion", "system", "messages", "toolConfig"))
        if row["schemaVersion"] != SCHEMA_VERSION:
            raise invalid(f"{p}.schema_version", "schemaVersion", f"must be {SCHEMA_VERSION!r}")
        if "system" in row:
            _check_blocks(row["system"], "system", p, prompt=True)
        messages = row["messages"]
        if not isinstance(messages, list):
            raise invalid(f"{p}.messages", "messages", "must be a list")
        for i, m in enumerate(messages):
            check_keys(m, f"messages[{i}]", f"{p}.message_keys", required=("role", "content"),
                       allowed=("role", "content"))
            _check_blocks(m["content"], f"messages[{i}].content", p, prompt=m["role"] == "user")
        check_role_order([m["role"] for m in messages], "messages", p,
                         allowed={"user", "assistant"}, first={"user"}, last="assistant")
        uses = any("toolUse" in b for m in messages for b in m["content"])
        if uses and "toolConfig" not in row:
            raise invalid(f"{p}.tool_config", "toolConfig",
                          "a line with toolUse blocks must list its tools in toolConfig")
