"""TRL DPOTrainer, conversational preference: ``{"prompt", "chosen", "rejected", "tools"?}``.

Rules (https://huggingface.co/docs/trl/dataset_formats, "Preference"): ``prompt`` is the list of
messages up to the user's turn (an explicit prompt, as DPO recommends); ``chosen`` and
``rejected`` are the assistant's completions (text or ``tool_calls``); a ``tools`` column lists
the tools offered. The human's answer is chosen, the model's draft rejected; both must differ.
"""

from __future__ import annotations

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


class TrlDpo(ExportFormat):
    name = "trl-dpo"
    doc_url = "https://huggingface.co/docs/trl/dataset_formats"
    needs_change = True

    def not_applicable(self, record: ExportRecord) -> str | None:
        return "no_model_output" if record.draft is None else super().not_applicable(record)

    def rows(self, record: ExportRecord, options: ExportOptions) -> list[Row]:
        row = {"prompt": conversation(record), "chosen": [record.answer],
               "rejected": [record.draft_message]}
        return [with_tools(uniform(row, record, ("prompt", "chosen", "rejected")), record)]

    def validate(self, row: Row) -> None:
        p = "trl-dpo"
        keys = ("prompt", "chosen", "rejected")
        check_keys(row, "row", f"{p}.keys", required=keys, allowed=(*keys, "tools"))
        check_prompt(row["prompt"], "prompt", p)
        if "tools" in row:
            check_tools(row["tools"], "tools", p)
        chosen = check_single_assistant(row["chosen"], "chosen", p)
        rejected = check_single_assistant(row["rejected"], "rejected", p)
        if chosen == rejected:
            raise invalid(f"{p}.distinct", "rejected", "chosen and rejected are the same")
