"""One canonical record per correction; every format renders its rows from it.

The pipeline reads the ledger's payload JSON straight into :class:`CorrectionData` (orjson and a
few type checks, about a tenth of what validating a pydantic ``Correction`` costs, which was 40%
of an export's time); any payload the fast path is not sure of goes through
``Correction.model_validate_json`` as before, so both paths give the same values.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

import orjson

from hitl_agent.canonical import canonical_json
from hitl_agent.errors import ArgumentTypeError, InvalidArgumentError, NotFoundError
from hitl_agent.export.conversation import build_conversation
from hitl_agent.export.options import ExportOptions
from hitl_agent.types import Correction, ReviewAction, ReviewSource, RoutingReason

_MAX_LABEL_CHARS = 64
_ACTIONS = frozenset(get_args(ReviewAction))
_FIELDS = frozenset(Correction.model_fields)
_SOURCES = frozenset(get_args(ReviewSource))
_REASONS = frozenset(get_args(RoutingReason)) | {None}


@dataclass(slots=True)
class AnswerData:
    """What the export reads of a ``HumanAnswer``."""

    worker_id: str | None


@dataclass(slots=True)
class CorrectionData:
    """The fields of a :class:`~hitl_agent.types.Correction` an export reads, without pydantic.

    Built by :meth:`from_payload` from the ledger's stored JSON; :meth:`to_correction` gives the
    full model back (with any redaction applied) where a caller needs one.
    """

    id: str
    task: str
    thread_id: str
    input: Any
    model_output: Any
    final_output: Any
    action: str
    agreement: float | None
    answers: list[AnswerData]
    source: str
    reason: str | None
    model_id: str | None
    model_version: str | None
    decided_at: datetime
    split_group: str
    payload: str
    redacted: bool = False

    @classmethod
    def from_payload(cls, payload: str) -> CorrectionData:
        try:
            return cls._from_dict(orjson.loads(payload), payload)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
            # NaN, huge ints, an unexpected shape: pydantic decides (and raises what it raised).
            return cls.from_correction(Correction.model_validate_json(payload), payload)

    @classmethod
    def _from_dict(cls, d: dict[str, Any], payload: str) -> CorrectionData:
        if not _FIELDS.issuperset(d):
            raise NotFoundError("unknown field")
        action, agreement, decided = d["action"], d.get("agreement"), d["decided_at"]
        source, reason = d.get("source", "manual"), d.get("reason")
        if action not in _ACTIONS or source not in _SOURCES or reason not in _REASONS:
            raise InvalidArgumentError(action)
        if type(decided) is not str:
            raise ArgumentTypeError("decided_at")
        if agreement is not None:
            if type(agreement) is not float and type(agreement) is not int:
                raise ArgumentTypeError("agreement")
            agreement = float(agreement)
        answers = []
        for a in d.get("answers") or ():
            worker = a.get("worker_id")
            if worker is not None and type(worker) is not str:
                raise ArgumentTypeError("worker_id")
            answers.append(AnswerData(worker))
        cid, task, group, thread = d["id"], d["task"], d["split_group"], d["thread_id"]
        if (type(cid) is not str or type(task) is not str or type(group) is not str
                or type(thread) is not str):
            raise ArgumentTypeError("id, task, thread_id or split_group")
        model_id, model_version = d.get("model_id"), d.get("model_version")
        if (model_id is not None and type(model_id) is not str) or (
            model_version is not None and type(model_version) is not str
        ):
            raise ArgumentTypeError("model_id or model_version")
        return cls(
            cid, task, thread, d["input"], d["model_output"], d["final_output"], action, agreement,
            answers, source, reason, model_id, model_version, datetime.fromisoformat(decided),
            group, payload,
        )

    @classmethod
    def from_correction(cls, c: Correction, payload: str | None = None) -> CorrectionData:
        return cls(
            id=c.id, task=c.task, thread_id=c.thread_id, input=c.input, model_output=c.model_output,
            final_output=c.final_output, action=c.action, agreement=c.agreement,
            answers=[AnswerData(a.worker_id) for a in c.answers], source=c.source,
            reason=c.reason, model_id=c.model_id, model_version=c.model_version,
            decided_at=c.decided_at, split_group=c.split_group,
            payload=c.model_dump_json() if payload is None else payload,
        )

    def with_values(self, input: Any, model_output: Any, final_output: Any) -> CorrectionData:
        """A copy with other input and outputs (the redaction hook's result)."""
        return dataclasses.replace(self, input=input, model_output=model_output,
                                   final_output=final_output, redacted=True)

    def to_correction(self) -> Correction:
        c = Correction.model_validate_json(self.payload)
        if self.redacted:
            c = c.model_copy(update={"input": self.input, "model_output": self.model_output,
                                     "final_output": self.final_output})
        return c


TaskKind = Literal["classification", "generation", "extraction", "tool_call"]
TASK_KINDS: tuple[TaskKind, ...] = ("classification", "generation", "extraction", "tool_call")
_SENTENCE_END = (".", "!", "?", ":", ";")
_MAX_LABEL_WORDS = 4


def render_text(value: Any) -> str | None:
    """A value as training text: strings as they are, anything else as canonical JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return canonical_json(value)


def label_of(value: Any) -> str | None:
    """The class label an output stands for, or None when it is a free text or an object.

    A label is a bool, an int, or a short one-line string: what classifiers emit.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and 0 < len(value) <= _MAX_LABEL_CHARS and "\n" not in value:
        return value
    return None


def is_feature_vector(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) > 0
        and all(isinstance(x, int | float) and not isinstance(x, bool) for x in value)
    )


def is_tool_call(value: Any) -> bool:
    """The model-output shape of a tool call: ``{"tool": name, "arguments": {...}}``."""
    return (isinstance(value, dict) and set(value) >= {"tool", "arguments"}
            and isinstance(value.get("tool"), str) and isinstance(value.get("arguments"), dict))


def _looks_like_label(value: str) -> bool:
    return (0 < len(value) <= _MAX_LABEL_CHARS and "\n" not in value
            and value.count(" ") < _MAX_LABEL_WORDS and not value.endswith(_SENTENCE_END))


def task_kind(c: Correction | CorrectionData, context: dict[str, Any] | None) -> TaskKind:
    """What a correction teaches: a class, a free text, a structured object or a tool call.

    The recorded context decides where it can: labels offered make a classification, a chat
    model without labels a generation. Without a context (a ledger from before contexts, a
    non-LLM model) bools and ints are classes, objects extractions, and a string is a class only
    when it looks like one (a few words, no sentence punctuation): free text is never a class.
    """
    final, draft = c.final_output, c.model_output
    kinds = (type(final), type(draft))  # JSON values: exact types are enough, and cheaper
    structured = dict in kinds or list in kinds
    if structured and (is_tool_call(draft) or is_tool_call(final)):
        return "tool_call"
    if context is not None and context.get("labels"):
        return "classification"
    if structured:
        return "extraction"
    if context is not None and context.get("messages"):
        return "generation"
    for v in (final, draft):
        if v is None or type(v) is bool or type(v) is int:
            continue
        if type(v) is not str or not _looks_like_label(v):
            return "generation"
    return "classification" if final is not None or draft is not None else "generation"


@dataclass(slots=True)  # not frozen: frozen dataclasses are slow to build, one per row
class ExportRecord:
    """A correction prepared for rendering.

    ``prompt`` is the user's text (the template applied to the input, or the last user turn the
    model saw), ``completion`` the human's final output as text (None when the reviewer gave
    none, e.g. a bare reject), ``draft`` the model's output as text. ``messages`` is the
    conversation before the answer in OpenAI's chat shape, without the system prompt (user,
    assistant and tool turns); ``answer`` and ``draft_message`` are the human's and the model's
    assistant messages (``tool_calls`` for a tool call); ``tools`` the tools offered.
    """

    seq: int
    correction: Correction | CorrectionData
    prompt: str
    system: str | None
    completion: str | None
    draft: str | None
    label: str | None
    kind: TaskKind = "generation"
    messages: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    answer: dict[str, Any] | None = None
    draft_message: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    labels: list[str] | None = None

    @property
    def id(self) -> str:
        return self.correction.id

    @property
    def changed(self) -> bool:
        """True when the human's output differs from the model's."""
        return self.completion is not None and self.completion != self.draft


def make_record(
    seq: int,
    correction: Correction | CorrectionData,
    options: ExportOptions,
    context: dict[str, Any] | None = None,
) -> ExportRecord:
    text = render_text(correction.input) or ""
    prompt = (
        options.prompt_template.replace("{input}", text)
        if options.prompt_template is not None
        else text
    )
    kind = task_kind(correction, context)
    record = ExportRecord(
        seq=seq,
        correction=correction,
        prompt=prompt,
        system=options.system if options.system is not None else (context or {}).get("system"),
        completion=render_text(correction.final_output),
        draft=render_text(correction.model_output),
        label=label_of(correction.final_output) if kind == "classification" else None,
        kind=kind,
    )
    build_conversation(record, context, options)
    return record
