"""What TRL's conversational preference formats share (DPO's paired and KTO's unpaired rows).

Rules (https://huggingface.co/docs/trl/dataset_formats): an explicit ``prompt`` (the messages up
to the user's turn), completions as one-message assistant lists (text or ``tool_calls``), and a
``tools`` column listing the tools offered to a tool call.
"""

from __future__ import annotations

from typing import Any

from hitl_agent.export.formats.base import ExportFormat, Row, check_keys, check_tools, conversation
from hitl_agent.export.formats.openai_preference import (
    check_prompt,
    check_single_assistant,
    uniform,
    with_tools,
)
from hitl_agent.export.records import ExportRecord


class TrlPreference(ExportFormat):
    """A TRL conversational preference format: ``prompt``, its ``completions`` columns (one
    assistant message each) and the ``extra`` columns a subclass checks itself."""

    doc_url = "https://huggingface.co/docs/trl/dataset_formats"
    completions: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()

    def prompt_row(self, record: ExportRecord, **columns: Any) -> Row:
        """A row of ``record``'s prompt and the given columns, messages with uniform keys, and
        its tools."""
        row = {"prompt": conversation(record), **columns}
        return with_tools(uniform(row, record, ("prompt", *self.completions)), record)

    def check_completions(self, row: Row) -> list[str]:
        """Check the keys, the prompt, the tools and each completion; the completions'
        canonical forms, in column order."""
        p = self.name
        keys = ("prompt", *self.completions, *self.extra)
        check_keys(row, "row", f"{p}.keys", required=keys, allowed=(*keys, "tools"))
        check_prompt(row["prompt"], "prompt", p)
        if "tools" in row:
            check_tools(row["tools"], "tools", p)
        return [check_single_assistant(row[c], c, p) for c in self.completions]
