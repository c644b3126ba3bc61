"""The options of an export: validated once at the boundary, then read as plain attributes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hitl_agent.errors import InvalidArgumentError

OnInvalid = Literal["fail", "skip"]


class ExportOptions(BaseModel):
    """What to export and how. Recorded in ``manifest.json`` so an export can be repeated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: str = Field(description="Target format name, e.g. 'openai-chat'.")
    task: str | None = Field(default=None, description="Only corrections of this task.")
    min_agreement: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Drop corrections whose agreement is lower."
    )
    val_fraction: float = Field(default=0.1, ge=0.0, lt=1.0)
    on_invalid: OnInvalid = "fail"
    include_accepts: bool = Field(
        default=True, description="Escalated reviews the reviewer accepted as they were."
    )
    include_audited_accepts: bool = Field(
        default=False,
        description="Accepts of items the policy routed to review only as a random audit sample.",
    )
    dedup: bool = Field(default=True, description="Drop exact duplicate inputs (keep the first).")
    near_dup: bool = Field(default=True, description="Drop near-duplicate text inputs too.")
    stratify: bool = Field(default=True, description="Stratify the split by label.")
    system: str | None = Field(
        default=None, description="System prompt for chat formats; None: the one the ledger "
        "recorded for the item (what the model was run with).")
    prompt_template: str | None = Field(
        default=None, description="User prompt template; '{input}' is replaced by the input."
    )
    keep_draft: bool = Field(
        default=False,
        description="openai-chat: keep the model's corrected draft in context with weight 0; "
        "trl-sft: keep it in the prompt of prompt-completion rows (trained on the answer only).",
    )
    draft_feedback: str = Field(
        default="That answer was corrected by a reviewer. Give the correct answer.",
        description="keep_draft: the user turn between the draft and the correction.",
    )
    label_attribute: str = Field(
        default="label", description="ground-truth-manifest: the label attribute name."
    )
    job_name: str | None = Field(
        default=None, description="ground-truth-manifest: job-name in the label metadata."
    )
    split_salt: str = Field(
        default="hitl-agent", description="Salt of the split hash; change it to re-draw the split."
    )

    @field_validator("prompt_template")
    @classmethod
    def _template_has_input(cls, v: str | None) -> str | None:
        if v is not None and "{input}" not in v:
            raise InvalidArgumentError("prompt_template must contain '{input}'",
                                       field="prompt_template")
        return v

    @field_validator("label_attribute")
    @classmethod
    def _label_attribute(cls, v: str) -> str:
        # Ground Truth: the attribute name must not contain '-metadata' and, for classification,
        # must not end in '-ref' (sms-data-output).
        if not v or "-metadata" in v or v.endswith("-ref") or v in ("source", "source-ref"):
            raise InvalidArgumentError(
                "label_attribute must be non-empty, must not contain '-metadata', end in '-ref' "
                "or be 'source'/'source-ref'", field="label_attribute"
            )
        return v

    def filters(self) -> dict[str, object]:
        """The options that decide which corrections are exported (for the manifest)."""
        return self.model_dump(mode="json")
