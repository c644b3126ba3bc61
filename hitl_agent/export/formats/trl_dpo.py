"""TRL DPOTrainer, conversational preference: ``{"prompt", "chosen", "rejected", "tools"?}``.

Rules (https://huggingface.co/docs/trl/dataset_formats, "Preference"): ``prompt`` is the list of
messages up to the user's turn (an explicit prompt, as DPO recommends); ``chosen`` and
``rejected`` are the assistant's completions (text or ``tool_calls``); a ``tools`` column lists
the tools offered. The human's answer is chosen, the model's draft rejected; both must differ.
"""

from __future__ import annotations

from hitl_agent.export.formats.base import Row, invalid
from hitl_agent.export.formats.trl_preference import TrlPreference
from hitl_agent.export.options import ExportOptions
from hitl_agent.export.records import ExportRecord


class TrlDpo(TrlPreference):
    name = "trl-dpo"
    needs_change = True
    completions = ("chosen", "rejected")

    def not_applicable(self, record: ExportRecord) -> str | None:
        return "no_model_output" if record.draft is None else super().not_applicable(record)

    def rows(self, record: ExportRecord, options: ExportOptions) -> list[Row]:
        return [self.prompt_row(record, chosen=[record.answer],
                                rejected=[record.draft_message])]

    def validate(self, row: Row) -> None:
        chosen, rejected = self.check_completions(row)
        if chosen == rejected:
            raise invalid(f"{self.name}.distinct", "rejected", "chosen and rejected are the same")
