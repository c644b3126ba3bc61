"""OpenAI supervised fine-tuning: ``{"messages": [...], "tools"?: [...]}`` lines.

Rules (https://platform.openai.com/docs/guides/supervised-fine-tuning, the fine-tuning data
format article help.openai.com 6811186, and the function-calling section of the guide):
- each line is ``{"messages": [...]}`` with roles system, user, assistant and tool; a system
  message first if any; the example ends with the assistant's answer the model should learn;
- a tool call is an assistant message with ``tool_calls``
  (``[{"id", "type": "function", "function": {"name", "arguments": "<JSON string>"}}]``), its
  result a ``tool`` message with ``tool_call_id``, and the line lists the tools offered in
  ``tools`` (``[{"type": "function", "function": {"name", "description", "parameters"}}]``);
- ``weight`` (0 or 1) is allowed on assistant messages only: weight 0 keeps a message in the
  context without training on it. With ``keep_draft`` and for tool calls (whose conversation
  may hold earlier model turns) every assistant message carries one, so every line of the file
  has one shape: earlier turns and a corrected draft 0, the answer 1; otherwise none does;
- "The minimum number of examples you can provide for fine-tuning is 10".
"""

from __future__ import annotations

from hitl_agent.export.formats.base import (
    ExportFormat,
    Row,
    answer_of,
    check_keys,
    check_role_content_messages,
    check_tools,
    conversation,
    invalid,
)
from hitl_agent.export.options import ExportOptions
from hitl_agent.export.records import ExportRecord


def weighted(messages: list[Row], weight: int) -> list[Row]:
    return [{**m, "weight": weight} if m["role"] == "assistant" else m for m in messages]


class OpenAIChat(ExportFormat):
    name = "openai-chat"
    doc_url = "https://platform.openai.com/docs/guides/supervised-fine-tuning"
    min_examples = 10

    def rows(self, record: ExportRecord, options: ExportOptions) -> list[Row]:
        answer = answer_of(record, self.name)
        if not options.keep_draft and record.kind != "tool_call":
            # One assistant turn, trained: no weights at all (the file's one shape).
            return [{"messages": [*conversation(record), answer]}]
        messages = weighted(conversation(record), 0)
        if options.keep_draft and record.changed and record.draft_message is not None:
            messages += [
                {**record.draft_message, "weight": 0},
                {"role": "user", "content": options.draft_feedback},
            ]
        messages.append({**answer, "weight": 1})
        row: Row = {"messages": messages}
        if record.kind == "tool_call" and record.tools:
            row["tools"] = record.tools
        return [row]

    def validate(self, row: Row) -> None:
        check_keys(row, "row", "openai-chat.keys", required=("messages",),
                   allowed=("messages", "tools", "parallel_tool_calls"))
        messages = row["messages"]
        check_role_content_messages(messages, "messages", "openai-chat", last="assistant",
                                    extra_keys=("weight", "name"))
        if "tools" in row:
            check_tools(row["tools"], "tools", "openai-chat")
        for i, m in enumerate(messages):
            if "weight" not in m:
                continue
            if m["role"] != "assistant":
                raise invalid("openai-chat.weight_role", f"messages[{i}].weight",
                              "weight is allowed on assistant messages only")
            if isinstance(m["weight"], bool) or m["weight"] not in (0, 1):
                raise invalid("openai-chat.weight_value", f"messages[{i}].weight",
                              f"must be 0 or 1, got {m['weight']!r}")
        if messages[-1].get("weight", 1) != 1:
            raise invalid("openai-chat.trained_answer", "messages[-1].weight",
                          "the final assistant answer must be trained on (weight 1)")
        if any(m.get("tool_calls") for m in messages) and "tools" not in row:
            raise invalid("openai-chat.tools", "tools",
                          "a line with tool calls must list the tools offered")
