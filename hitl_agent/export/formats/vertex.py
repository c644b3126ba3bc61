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

_PART_KEYS = {"text", "functionCall", "functionResponse"}


def _check_parts(parts: Any, field: str, p: str) -> None:
    if not isinstance(parts, list) or not parts:
        raise invalid(f"{p}.parts", field, "must be a non-empty list of parts")
    for j, part in enumerate(parts):
        where = f"{field}[{j}]"
        if not isinstance(part, dict) or len(part) != 1 or not _PART_KEYS.issuperset(part):
            raise invalid(f"{p}.part", where, f"must be one of {sorted(_PART_KEYS)} parts")
        if "functionCall" in part:
            check_keys(part["functionCall"], f"{where}.functionCall", f"{p}.function_call",
                       required=("name", "args"), allowed=("name", "args"))
        elif "functionResponse" in part:
            check_keys(part["functionResponse"], f"{where}.functionResponse",
                       f"{p}.function_response", required=("name", "response"),
                       allowed=("name", "response"))
        else:
            check_text(part["text"], f"{where}.text", f"{p}.non_empty_text")


def vertex_contents(messages: list[Row]) -> list[Row]:
    names: dict[str, str] = {}
    out: list[Row] = []
    for m in messages:
        parts: list[Row] = []
        role = "model" if m["role"] == "assistant" else "user"
        if m["role"] == "tool":
            parts.append({"functionResponse": {"name": names.get(m["tool_call_id"], "tool"),
                                               "response": {"content": m["content"]}}})
        else:
            if m.get("content"):
                parts.append({"text": m["content"]})
            for call in m.get("tool_calls") or []:
                names[call["id"]] = call["function"]["name"]
                parts.append({"functionCall": {"name": call["function"]["name"],
                                               "args": json.loads(call["function"]["arguments"])}})
        if out and out[-1]["role"] == role and m["role"] == "tool":
            out[-1]["parts"].extend(parts)
        else:
            out.append({"role": role, "parts": parts})
    return out


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
        if not isinstance(contents, list):
            raise invalid(f"{p}.contents", "contents", "must be a list")
        for i, c in enumerate(contents):
            check_keys(c, f"contents[{i}]", f"{p}.content_keys", required=("role", "parts"),
                       allowed=("role", "parts"))
            _check_parts(c["parts"], f"contents[{i}].parts", p)
        check_role_order([c["role"] for c in contents], "contents", p,
                         allowed={"user", "model"}, first={"user"}, last="model")
        calls = any("functionCall" in part for c in contents for part in c["parts"])
        if calls and "tools" not in row:
            raise invalid(f"{p}.tools", "tools",
                          "a line with function calls must declare its tools")
