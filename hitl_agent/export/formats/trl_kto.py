"""TRL KTOTrainer, conversational unpaired preference: ``{"prompt", "completion", "label"}``.

Rules (https://huggingface.co/docs/trl/dataset_formats, "Unpaired preference"): one completion
per line and a boolean ``label`` saying whether it is desirable. A correction gives the human's
answer as desirable and the model's draft as undesirable; an accept gives the draft as desirable;
a bare reject gives the draft as undesirable.
"""

from __future__ import annotations

from hitl_agent.export.formats.base import Row, invalid
from hitl_agent.export.formats.trl_preference import TrlPreference
from hitl_agent.export.options import ExportOptions
from hitl_agent.export.records import ExportRecord


class TrlKto(TrlPreference):
    name = "trl-kto"
    needs_completion = False
    completions = ("completion",)
    extra = ("label",)

    def not_applicable(self, record: ExportRecord) -> str | None:
        if record.completion is None and record.draft is None:
            return "no_output"
        return None

    def rows(self, record: ExportRecord, options: ExportOptions) -> list[Row]:
        def row(completion: Row | None, label: bool) -> Row:
            return self.prompt_row(record, completion=[completion], label=label)

        if record.answer is None:
            return [row(record.draft_message, False)]
        if not record.changed or record.draft_message is None:
            return [row(record.answer, True)]
        return [row(record.answer, True), row(record.draft_message, False)]

    def validate(self, row: Row) -> None:
        self.check_completions(row)
        if not isinstance(row["label"], bool):
            raise invalid(f"{self.name}.label_bool", "label", "must be true or false")
