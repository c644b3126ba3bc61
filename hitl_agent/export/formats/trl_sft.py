"""TRL SFTTrainer, conversational: ``{"messages": [...], "tools"?}`` lines.

Rules (https://huggingface.co/docs/trl/dataset_formats): conversational datasets hold
role/content messages (system, user, assistant, tool); tool calls are assistant ``tool_calls``
and a ``tools`` column lists the tools offered (the chat template renders both). SFT trains on
the assistant turns. In a tool-call file every message has the same keys (``tool_calls`` and
``tool_call_id`` null where unused), so ``datasets`` types the column.

With ``keep_draft`` every line is conversational prompt-completion instead
(``{"prompt": [...], "completion": [answer]}``): the corrected draft and the reviewer's note sit
in the prompt, which SFTTrainer does not train on, since TRL has no per-message weight and would
otherwise train the wrong draft as an ordinary assistant turn.
"""

from __future__ import annotations

from hitl_agent.export.formats.base import (
    ExportFormat,
    Row,
    chat_messages,
    check_keys,
    check_role_content_messages,
    check_tools,
    conversation,
)
from hitl_agent.export.formats.openai_preference import (
    check_prompt,
    check_single_assistant,
    uniform,
    with_tools,
)
from hitl_agent.export.options import ExportOptions
from hitl_agent.export.records import ExportRecord


class TrlSft(ExportFormat):
    name = "trl-sft"
    doc_url = "https://huggingface.co/docs/trl/dataset_formats"

    def rows(self, record: ExportRecord, options: ExportOptions) -> list[Row]:
        if not options.keep_draft:
            row = {"messages": chat_messages(record, assistant=record.answer)}
            return [with_tools(uniform(row, record, ("messages",)), record)]
        prompt = conversation(record)
        if record.changed and record.draft_message is not None:
            prompt += [record.draft_message, {"role": "user", "content": options.draft_feedback}]
        row = uniform({"prompt": prompt, "completion": [record.answer]}, record,
                      ("prompt", "completion"))
        return [with_tools(row, record)]

    def validate(self, row: Row) -> None:
        p = "trl-sft"
        if "prompt" in row:
            check_keys(row, "row", f"{p}.keys", required=("prompt", "completion"),
                       allowed=("prompt", "completion", "tools"))
            check_prompt(row["prompt"], "prompt", p)
            check_single_assistant(row["completion"], "completion", p)
        else:
            check_keys(row, "row", f"{p}.keys", required=("messages",),
                       allowed=("messages", "tools"))
            check_role_content_messages(row["messages"], "messages", p, last="assistant")
        if "tools" in row:
            check_tools(row["tools"], "tools", p)
