"""TRL KTOTrainer, conversational unpaired preference: ``{"prompt", "completion", "label"}``.

Rules (https://huggingface.co/docs/trl/dataset_formats, "Unpaired preference"): one completion
per line and a boolean ``label`` saying whether it is desirable. A correction gives the human's
answer as desirable and the model's draft as undesirable; an accept gives the draft as desirable;
a bare reject gives the draft as undesirable.
"""

from __future__ import annotations

from typing import Any

from hitl_agent.export.formats.base import (
    ExportFormat,
    Row,
    check_keys,
    check_tools,
    conversation,
    invalid,
)
from hitl_agent.export.formats.openai_preference import (
    check_prompt,
    check_single_assistant,
    uniform,
    with_tools,
)
from hitl_agent.export.options import ExportOptions
from hitl_agent.export.records import ExportRecord


def _row(record: ExportRecord, completion: dict[str, Any] | None, label: bool) -> Row:
    row = {"prompt": conversation(record), "completion": [completion], "label": label}
    return with_tools(uniform(row, record, ("prompt", "completion")), record)


class TrlKto(ExportFormat):
    name = "trl-kto"
    doc_url = "https://huggingface.co/docs/trl/dataset_formats"
    needs_completion = False

    def not_applicable(self, record: ExportRecord) -> str | None:
        if record.completion is None and record.draft is None:
            return "no_output"
        return None

    def rows(self, record: ExportRecord, options: ExportOptions) -> list[Row]:
        if record.answer is None:
            return [_row(record, record.draft_message, False)]
        if not record.changed or record.draft_message is None:
            return [_row(record, record.answer, True)]
        return [_row(record, record.answer, True), _row(record, record.draft_message, False)]

    def validate(self, row: Row) -> None:
        p = "trl-kto"
        keys = ("prompt", "completion", "label")
        check_keys(row, "row", f"{p}.keys", required=keys, allowed=(*keys, "tools"))
        check_prompt(row["prompt"], "prompt", p)
        if "tools" in row:
            check_tools(row["tools"], "tools", p)
        check_single_assistant(row["completion"], "completion", p)
        if not isinstance(row["label"], bool):
            raise invalid(f"{p}.label_bool", "label", "must be true or false")
