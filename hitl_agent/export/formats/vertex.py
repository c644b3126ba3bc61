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

from collections.abc import Callable
from typing import Any

from hitl_agent.export.formats.base import ExportFormat, Row, check_keys, check_text, invalid
from hitl_agent.export.formats.provider_chat import (
    check_parts,
    check_turns,
    provider_turns,
    tool_arguments,
)
from hitl_agent.export.options import ExportOptions
from hitl_agent.export.records import ExportRecord


def _check_parts(parts: Any, field: str, p: str) -> None:
    def named(key: str, value_key: str) -> Callable[[Any, str], None]:
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


class Vertex(ExportFormat):
    name = "vertex"
    doc_url = "https://cloud.google.com/vertex-ai/generative-ai/docs/models/gemini-supervised-tuning-prepare"
    recommended_examples = 100
    max_validation_examples = 5000

    def rows(self, record: ExportRecord, options: ExportOptions) -> list[Row]:
        assert record.answer is not None
        row: Row = {}
        if record.system:
            row["systemInstruction"] = {"role": "system", "parts": [{"text": record.system}]}
        row["contents"] = vertex_contents([*record.messages, record.answer])
        if record.kind == "tool_call" and record.tools:
            row["tools"] = [{"functionDeclarations": [
                {k: v for k, v in t["function"].items() if k in ("name", "description",
                                                                  "parameters")}
                for t in record.tools]}]
        return [row]

    def validate(self, row: Row) -> None:
        p = "vertex"
        check_keys(row, "row", f"{p}.keys", required=("contents",),
                   allowed=("systemInstruction", "contents", "tools"))
        if "systemInstruction" in row:
            check_keys(row["systemInstruction"], "systemInstruction", f"{p}.system_keys",
                       required=("parts",), allowed=("role", "parts"))
            _check_parts(row["systemInstruction"]["parts"], "systemInstruction.parts", p)
        contents = row["contents"]
        check_turns(contents, "contents", p, parts_key="parts", keys_rule="content_keys",
                    assistant="model",
                    check=lambda parts, where, _role: _check_parts(parts, where, p))
        calls = any("functionCall" in part for c in contents for part in c["parts"])
        if calls and "tools" not in row:
            raise invalid(f"{p}.tools", "tools",
                          "a line with function calls must declare its tools")
