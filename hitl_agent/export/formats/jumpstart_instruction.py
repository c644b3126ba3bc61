"""SageMaker JumpStart instruction tuning: ``train.jsonl`` + ``template.json`` per channel.

Rules (JumpStart text-generation fine-tuning, "instruction-based" docs and the AWS sample
notebooks): the channel folder holds a JSON-lines file and, optionally, ``template.json`` with the
keys ``prompt`` and ``completion`` whose ``{placeholders}`` name the JSONL fields; without a
template each line must be ``{"prompt", "completion"}``. Validation data goes to its own channel.
Lines here are ``{"instruction", "context", "response"}`` (Dolly style, as in the samples): with
a system prompt the task's instruction is the system prompt and the input is the context.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterable

from hitl_agent.export.formats.base import ExportFormat, Row, check_keys, check_text, invalid
from hitl_agent.export.options import ExportOptions
from hitl_agent.export.records import ExportRecord

FIELDS = ("instruction", "context", "response")
TEMPLATE: dict[str, str] = {
    "prompt": (
        "Below is an instruction that describes a task, paired with an input that provides "
        "further context. Write a response that appropriately completes the request.\n\n"
        "### Instruction:\n{instruction}\n\n### Input:\n{context}\n\n"
    ),
    "completion": " {response}",
}


def template_fields(template: dict[str, str]) -> set[str]:
    return {
        name
        for text in template.values()
        for _, name, _, _ in string.Formatter().parse(text)
        if name
    }


class JumpStartInstruction(ExportFormat):
    name = "jumpstart-instruction"
    doc_url = "https://docs.aws.amazon.com/sagemaker/latest/dg/jumpstart-foundation-models-fine-tuning-instruction-based.html"
    task_types = frozenset({"classification", "generation", "extraction"})
    """No field for tool calls: tool-call corrections are refused (counted, with a warning)."""

    def paths(self) -> dict[str, str]:
        return {"train": "train/train.jsonl", "validation": "validation/validation.jsonl"}

    def rows(self, record: ExportRecord, options: ExportOptions) -> list[Row]:
        if record.system:
            instruction, context = record.system, record.prompt
        else:
            instruction, context = record.prompt, ""
        return [{"instruction": instruction, "context": context, "response": record.completion}]

    def validate(self, row: Row) -> None:
        p = "jumpstart-instruction"
        check_keys(row, "row", f"{p}.keys", required=FIELDS, allowed=FIELDS)
        missing = template_fields(TEMPLATE) - set(row)
        if missing:
            raise invalid(f"{p}.template_fields", "row", f"template.json needs {sorted(missing)}")
        check_text(row["instruction"], "instruction", f"{p}.non_empty_instruction")
        if not isinstance(row["context"], str):
            raise invalid(f"{p}.context_type", "context", "must be a string")
        check_text(row["response"], "response", f"{p}.non_empty_response")

    def extra_files(self, options: ExportOptions, splits: Iterable[str]) -> dict[str, bytes]:
        body = (json.dumps(TEMPLATE, indent=2) + "\n").encode("utf-8")
        return {f"{split}/template.json": body for split in splits}
