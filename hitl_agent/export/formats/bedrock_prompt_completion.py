"""Amazon Bedrock text-to-text fine-tuning: ``{"prompt", "completion"}`` lines.

Rules (https://docs.aws.amazon.com/bedrock/latest/userguide/model-customization-prepare.html):
"Each JSON line is a sample containing both a prompt and completion field"; UTF-8 JSONL. Record
length limits are per model (quotas), so only the shape and non-empty fields are checked here.
A system prompt, having no field of its own, is put before the prompt.
"""

from __future__ import annotations

from hitl_agent.export.formats.base import ExportFormat, Row, check_keys, check_text
from hitl_agent.export.options import ExportOptions
from hitl_agent.export.records import ExportRecord


class BedrockPromptCompletion(ExportFormat):
    name = "bedrock-prompt-completion"
    doc_url = "https://docs.aws.amazon.com/bedrock/latest/userguide/model-customization-prepare.html"
    task_types = frozenset({"classification", "generation", "extraction"})
    """No field for tool calls: tool-call corrections are refused (counted, with a warning)."""

    def rows(self, record: ExportRecord, options: ExportOptions) -> list[Row]:
        prompt = f"{record.system}\n\n{record.prompt}" if record.system else record.prompt
        return [{"prompt": prompt, "completion": record.completion}]

    def validate(self, row: Row) -> None:
        p = "bedrock-prompt-completion"
        check_keys(row, "row", f"{p}.keys", required=("prompt", "completion"),
                   allowed=("prompt", "completion"))
        check_text(row["prompt"], "prompt", f"{p}.non_empty_prompt")
        check_text(row["completion"], "completion", f"{p}.non_empty_completion")
