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

from typing import Any

from hitl_agent.export.formats.base import Row, check_keys, check_text, invalid
from hitl_agent.export.formats.provider_chat import (
    ProviderChatFormat,
    check_parts,
    provider_turns,
    tool_arguments,
)

SCHEMA_VERSION = "bedrock-conversation-2024"
RESERVED_PREFIXES = ("User:", "Bot:", "Assistant:", "System:", "<image>", "<video>", "[EOS]")


def converse_messages(messages: list[Row]) -> list[Row]:
    """OpenAI-shaped turns as Converse messages; tool results join into the user's turn."""
    return provider_turns(
        messages, assistant="assistant", parts_key="content",
        text=lambda t: {"text": t},
        call=lambda c: {"toolUse": {"toolUseId": c["id"], "name": c["function"]["name"],
                                    "input": tool_arguments(c)}},
        result=lambda m, _name: {"toolResult": {"toolUseId": m["tool_call_id"],
                                                "content": [{"text": m["content"]}]}})


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


def _check_blocks(blocks: Any, field: str, p: str, *, prompt: bool) -> None:
    def tool_use(value: Any, where: str) -> None:
        check_keys(value, where, f"{p}.tool_use", required=("toolUseId", "name", "input"),
                   allowed=("toolUseId", "name", "input"))
        if not isinstance(value["input"], dict):
            raise invalid(f"{p}.tool_use_input", f"{where}.input", "must be a JSON object")

    def tool_result(value: Any, where: str) -> None:
        check_keys(value, where, f"{p}.tool_result", required=("toolUseId", "content"),
                   allowed=("toolUseId", "content", "status"))

    def text(value: Any, where: str) -> None:
        check_text(value, where, f"{p}.non_empty_text")
        if prompt and value.lstrip().startswith(RESERVED_PREFIXES):
            raise invalid(f"{p}.reserved_keyword", where,
                          f"must not start with a reserved keyword {RESERVED_PREFIXES}")

    check_parts(blocks, field, noun="content blocks", rules=(f"{p}.content", f"{p}.block"),
                checks={"text": text, "toolUse": tool_use, "toolResult": tool_result})


class BedrockConversation(ProviderChatFormat):
    name = "bedrock-conversation"
    doc_url = "https://docs.aws.amazon.com/nova/latest/userguide/fine-tune-prepare-data-understanding.html"
    recommended_examples = 100
    turns_key, parts_key, assistant, keys_rule = "messages", "content", "assistant", "message_keys"
    call_part, tools_key, tools_rule = "toolUse", "toolConfig", "tool_config"
    tools_message = "a line with toolUse blocks must list its tools in toolConfig"

    def turns(self, messages: list[Row]) -> list[Row]:
        return converse_messages(messages)

    def line(self, system: str | None, turns: list[Row], tools: list[Row] | None) -> Row:
        row: Row = {"schemaVersion": SCHEMA_VERSION}
        if system:
            row["system"] = [{"text": system}]
        if tools:
            row["toolConfig"] = tool_config(tools)
        row["messages"] = turns
        return row

    def check_line(self, row: Row) -> None:
        p = self.name
        check_keys(row, "row", f"{p}.keys", required=("schemaVersion", "messages"),
                   allowed=("schemaVersion", "system", "messages", "toolConfig"))
        if row["schemaVersion"] != SCHEMA_VERSION:
            raise invalid(f"{p}.schema_version", "schemaVersion", f"must be {SCHEMA_VERSION!r}")
        if "system" in row:
            _check_blocks(row["system"], "system", p, prompt=True)

    def check_turn_parts(self, parts: Any, where: str, role: str) -> None:
        _check_blocks(parts, where, self.name, prompt=role == "user")
