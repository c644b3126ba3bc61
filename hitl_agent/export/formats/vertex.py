"""Vertex AI (Gemini) supervised tuning: ``{"systemInstruction"?, "contents": [...]}``.

Rules (https://cloud.google.com/vertex-ai/generative-ai/docs/models/gemini-supervised-tuning-prepare):
- ``contents`` is a list of ``Content``: ``role`` ``user`` or ``model`` and ``parts``, each part
  one of ``text``, ``fileData``, ``functionCall`` (``{"name", "args"}``, the model's tool call)
  or ``functionResponse`` (``{"name", "response"}``, the tool's result, in the user's turn);
  the tools offered go in ``tools`` (``[{"functionDeclarations": [{"name", "description",
  "parameters"}]}]``);
- ``systemInstruction`` is optional; its role is ignored;
- start with about 100 examples (recommended); a validation set holds at most 5,000 examples
  (Gemini 2.5 limits).
"""

from __future__ import annotations

from typing import Any

from hitl_agent.export.formats.base import Row, check_keys, check_text
from hitl_agent.export.formats.provider_chat import (
    PartCheck,
    ProviderChatFormat,
    check_parts,
    provider_turns,
    tool_arguments,
)


def _check_parts(parts: Any, field: str, p: str) -> None:
    def named(key: str, value_key: str) -> PartCheck:
        return lambda value, where: check_keys(value, where, f"{p}.{key}",
                                               required=("name", value_key),
                                               allowed=("name", value_key))

    check_parts(parts, field, noun="parts", rules=(f"{p}.parts", f"{p}.part"), checks={
        "text": lambda value, where: check_text(value, where, f"{p}.non_empty_text"),
        "functionCall": named("function_call", "args"),
        "functionResponse": named("function_response", "response")})


def vertex_contents(messages: list[Row]) -> list[Row]:
    """OpenAI-shaped turns as Gemini contents; tool results join into the user's turn."""
    return provider_turns(
        messages, assistant="model", parts_key="parts",
        text=lambda t: {"text": t},
        call=lambda c: {"functionCall": {"name": c["function"]["name"],
                                         "args": tool_arguments(c)}},
        result=lambda m, name: {"functionResponse": {"name": name,
                                                     "response": {"content": m["content"]}}})


class Vertex(ProviderChatFormat):
    name = "vertex"
    doc_url = "https://cloud.google.com/vertex-ai/generative-ai/docs/models/gemini-supervised-tuning-prepare"
    recommended_examples = 100
    max_validation_examples = 5000
    turns_key, parts_key, assistant, keys_rule = "contents", "parts", "model", "content_keys"
    call_part, tools_key, tools_rule = "functionCall", "tools", "tools"
    tools_message = "a line with function calls must declare its tools"

    def turns(self, messages: list[Row]) -> list[Row]:
        return vertex_contents(messages)

    def line(self, system: str | None, turns: list[Row], tools: list[Row] | None) -> Row:
        row: Row = {}
        if system:
            row["systemInstruction"] = {"role": "system", "parts": [{"text": system}]}
        row["contents"] = turns
        if tools:
            row["tools"] = [{"functionDeclarations": [
                {k: v for k, v in t["function"].items() if k in ("name", "description",
                                                                  "parameters")}
                for t in tools]}]
        return row

    def check_line(self, row: Row) -> None:
        p = self.name
        check_keys(row, "row", f"{p}.keys", required=("contents",),
                   allowed=("systemInstruction", "contents", "tools"))
        if "systemInstruction" in row:
            check_keys(row["systemInstruction"], "systemInstruction", f"{p}.system_keys",
                       required=("parts",), allowed=("role", "parts"))
            _check_parts(row["systemInstruction"]["parts"], "systemInstruction.parts", p)

    def check_turn_parts(self, parts: Any, where: str, role: str) -> None:
        _check_parts(parts, where, self.name)
