"""A2I's built-in task types (Textract forms, Rekognition moderation) in the review loop, and the
answers of the AWS task templates read back as outcomes.

How a built-in review runs in the graph:

- **predict**: :class:`~hitl_agent.models.textract.TextractForms` or
  :class:`~hitl_agent.models.rekognition.RekognitionModeration` calls the AI service. On AWS
  (``human_loop=AwsHumanLoop(...)``) the service evaluates the flow's activation conditions and
  starts the human loop itself; the response's ``HumanLoopActivationOutput`` says whether it did.
- **route**: :class:`~hitl_agent.policy.builtin_loop.BuiltinLoopPolicy` escalates when AWS
  started a loop; with the project's review service it evaluates the flow's conditions itself
  and puts A2I's built-in input in ``decision.details["a2i_input"]``.
- **dispatch/await**: :class:`BuiltinReviews` starts the loop with that input (``aiServiceRequest``,
  ``aiServiceResponse``, ``humanTaskActivationConditionResults``, ``selectedAiServiceResponse``,
  lowerCamel keys) so A2I's built-in templates (``crowd-textract-analyze-document``,
  ``crowd-rekognition-detect-moderation-labels``) work unchanged; for a loop AWS started it only
  follows the loop AWS named.
- **decide**: :func:`parse_task_output` turns the built-in answers into a
  :class:`~hitl_agent.types.ReviewOutcome` whose ``final_output`` has the model output's shape:
  ``{"fields": {key: value}}`` for forms (the reviewed pairs replace the model's, pairs the
  reviewer removed are dropped, pairs they added are added) and ``{"moderationLabels": [...]}``
  for moderation (the labels the reviewer kept among those shown, plus the model's labels that
  were not shown). Entity annotations (``crowd-entity-annotation``) become ``{"entities": [...]}``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from hitl_agent._lazy import lazy_exports
from hitl_agent.errors import ConfigError, ReviewError
from hitl_agent.models.rekognition import moderation_labels
from hitl_agent.models.textract import field_names, form_fields
from hitl_agent.policy.activation import (
    REKOGNITION_SOURCE,
    REQUEST_SOURCES,
    TEXTRACT_SOURCE,
    parse_activation_conditions,
)
from hitl_agent.review.a2i import A2IReviews, default_task_input, parse_output, task_input_of
from hitl_agent.review.base import ReviewStatus
from hitl_agent.review.setup import PLACEHOLDER_ROLE
from hitl_agent.types import ReviewOutcome, ReviewRequest

__all__ = [
    "REKOGNITION_SOURCE",
    "TEXTRACT_SOURCE",
    "BuiltinReviews",
    "activation_conditions_of",
    "create_builtin_flow",
    "interpret_task_answer",
    "parse_task_output",
]

__getattr__, __dir__ = lazy_exports(globals(), deprecated={
    "BuiltinLoopPolicy": "hitl_agent.policy.builtin_loop",
    "builtin_input_content": "hitl_agent.policy.builtin_loop",
    "selected_response": "hitl_agent.policy.builtin_loop",
})


# --- the review backend -----------------------------------------------------------------------


class BuiltinReviews(A2IReviews):
    """:class:`~hitl_agent.review.a2i.A2IReviews` for built-in task types (and the AWS custom
    task templates of :mod:`hitl_agent.models`).

    ``start`` sends ``decision.details["a2i_input"]`` (A2I's built-in input, with
    ``aiServiceRequest.humanLoopConfig`` naming this flow and loop) when the policy put one there,
    else the ReviewRequest's JSON as every custom template expects. A loop AWS already started
    (``decision.details["human_loop"]``) is not started again: the review follows it under the
    name AWS has. ``aliases`` maps review ids to those names (a dict by default; a new process
    learns them again when the resumer restarts a "missing" review from its stored request).
    Results are read with :func:`parse_task_output`.
    """

    name = "a2i-builtin"

    def __init__(self, flow_definition_arn: str, *args: Any,
                 aliases: MutableMapping[str, str] | None = None, **kwargs: Any) -> None:
        """``A2IReviews``' arguments, and ``aliases``; the task input is always
        :meth:`input_content`."""
        super().__init__(flow_definition_arn, *args, **kwargs)
        self.task_input = self.input_content
        self.aliases: MutableMapping[str, str] = aliases if aliases is not None else {}

    def input_content(self, request: ReviewRequest) -> dict[str, Any]:
        prepared = request.decision.details.get("a2i_input")
        if not isinstance(prepared, Mapping):
            return default_task_input(request)
        content = copy.deepcopy(dict(prepared))
        ai_request = dict(content.get("aiServiceRequest") or {})
        ai_request["humanLoopConfig"] = {"flowDefinitionArn": self.flow_definition_arn,
                                         "humanLoopName": request.review_id}
        content["aiServiceRequest"] = ai_request
        return content

    def _name(self, review_id: str) -> str:
        return self.aliases.get(review_id, review_id)

    def start(self, request: ReviewRequest) -> str:
        loop = request.decision.details.get("human_loop")
        if isinstance(loop, Mapping) and loop.get("HumanLoopName"):
            self.aliases[request.review_id] = str(loop["HumanLoopName"])
            return request.review_id
        return super().start(request)

    def status(self, review_id: str) -> ReviewStatus:
        got = super().status(self._name(review_id))
        return ReviewStatus(review_id, got.state, got.failure_reason)

    def stop(self, review_id: str) -> None:
        super().stop(self._name(review_id))

    def result(self, review_id: str) -> ReviewOutcome | None:
        outcome = super().result(self._name(review_id))
        return None if outcome is None else outcome.model_copy(update={"review_id": review_id})

    def parse(self, output_json: Mapping[str, Any]) -> ReviewOutcome:
        return parse_task_output(output_json)


# --- reading the answers ----------------------------------------------------------------------


def builtin_model_output(source: str, input_content: Mapping[str, Any]) -> dict[str, Any]:
    """The model output a built-in loop reviewed, rebuilt from its ``aiServiceResponse``."""
    response = input_content.get("aiServiceResponse") or {}
    if source == REKOGNITION_SOURCE:
        return {"moderationLabels": moderation_labels(response.get("moderationLabels") or [])}
    fields = form_fields(response.get("blocks") or [])
    names = field_names(fields)
    return {"fields": {n: f.value for n, f in zip(names, fields, strict=True)}}


def _forms_final(answer: Mapping[str, Any], input_content: Mapping[str, Any]) -> dict[str, Any]:
    response_blocks = (input_content.get("aiServiceResponse") or {}).get("blocks") or []
    model = form_fields(response_blocks)
    names = field_names(model)
    name_by_id = {f.key_id: n for n, f in zip(names, model, strict=True) if f.key_id}
    key_by_id = {f.key_id: f.key for f in model if f.key_id}
    final = {n: f.value for n, f in zip(names, model, strict=True)}
    shown = form_fields((input_content.get("selectedAiServiceResponse") or {}).get("blocks")
                        or [])
    answered = [f for f in form_fields(answer.get("blocks") or []) if f.key]
    answered_ids = {f.key_id for f in answered}
    for f in shown:
        if f.key_id not in answered_ids and f.key_id in name_by_id:
            final.pop(name_by_id[f.key_id], None)  # the reviewer removed the pair
    for f in answered:
        old = name_by_id.get(f.key_id) if f.key_id else None
        if old is not None and key_by_id.get(f.key_id or "") != f.key:
            final.pop(old, None)  # the key itself was corrected
            old = None
        target = old or f.key
        if old is None and target in final:
            n = 2
            while f"{f.key} ({n})" in final:
                n += 1
            target = f"{f.key} ({n})"
        final[target] = f.value
    return {"fields": final}


def _moderation_final(answer: Mapping[str, Any],
                      input_content: Mapping[str, Any]) -> dict[str, Any]:
    model = moderation_labels(
        (input_content.get("aiServiceResponse") or {}).get("moderationLabels") or [])
    shown = {lab["name"] for lab in moderation_labels(
        (input_content.get("selectedAiServiceResponse") or {}).get("moderationLabels") or [])}
    kept = [lab for lab in model if lab["name"] not in shown]
    chosen = moderation_labels(answer.get("moderationLabels") or [])
    return {"moderationLabels": moderation_labels(kept + chosen)}


def _entities(value: Mapping[str, Any], text: str) -> dict[str, Any]:
    chars = list(text)
    out = []
    for e in value.get("entities") or []:
        if not isinstance(e, Mapping):
            continue
        start, end = int(e.get("startOffset", 0)), int(e.get("endOffset", 0))
        out.append({"text": "".join(chars[start:end]), "type": str(e.get("label", "")),
                    "beginOffset": start, "endOffset": end})
    out.sort(key=lambda e: (e["beginOffset"], e["endOffset"], e["type"]))
    return {"entities": out}


def interpret_task_answer(
    content: Mapping[str, Any], input_content: Mapping[str, Any]
) -> tuple[str, Any] | None:
    """``(action, final_output)`` for a built-in answer or an entity annotation, else None (the
    answer is one :mod:`hitl_agent.review.answers` reads)."""
    for source in (TEXTRACT_SOURCE, REKOGNITION_SOURCE):
        answer = content.get(source)
        if isinstance(answer, Mapping):
            model = builtin_model_output(source, input_content)
            final = (_forms_final(answer, input_content) if source == TEXTRACT_SOURCE
                     else _moderation_final(answer, input_content))
            return ("accept", model) if final == model else ("edit", final)
    for value in content.values():
        if isinstance(value, Mapping) and isinstance(value.get("entities"), list):
            text = input_content.get("input")
            if not isinstance(text, str):
                return None
            entities = _entities(value, text)
            expected = input_content.get("model_output")
            return ("accept", expected) if entities == expected else ("edit", entities)
    return None


def parse_task_output(output_json: Mapping[str, Any]) -> ReviewOutcome:
    """:func:`~hitl_agent.review.a2i.parse_output` that also reads built-in task answers
    (Textract forms, Rekognition moderation) and entity annotations."""
    original = parse_output(output_json)  # validates, keeps the raw answers in order
    content = task_input_of(output_json)
    source = output_json.get("awsManagedHumanLoopRequestSource")
    if source not in REQUEST_SOURCES:
        source = next((s for s in REQUEST_SOURCES if any(
            isinstance(a, Mapping) and s in (a.get("answerContent") or {})
            for a in output_json.get("humanAnswers") or [])), None)
    converted = []
    for raw in output_json.get("humanAnswers") or []:
        verdict = interpret_task_answer(raw["answerContent"], content)
        if verdict is not None:
            raw = {**raw, "answerContent": {"action": verdict[0], "final_output": verdict[1]}}
        converted.append(raw)
    model_output = (builtin_model_output(source, content) if source in REQUEST_SOURCES
                    else content.get("model_output"))
    outcome = parse_output({**output_json, "humanAnswers": converted,
                            "inputContent": {"model_output": model_output,
                                             "tier": content.get("tier", 0)}})
    return outcome.model_copy(update={"answers": original.answers})


# --- flow definitions -------------------------------------------------------------------------


def _flow_name(flow: str) -> str:
    return flow.rsplit("/", 1)[-1] if flow.startswith("arn:") else flow


def activation_conditions_of(sagemaker: Any, flow: str) -> dict[str, Any] | None:
    """A flow definition's activation conditions (``DescribeFlowDefinition``), parsed; None when
    it has none (then A2I sends every request to people)."""
    try:
        got = sagemaker.describe_flow_definition(FlowDefinitionName=_flow_name(flow))
    except ClientError as exc:
        raise ReviewError(f"flow definition {flow!r} cannot be read: {exc}", field="flow") \
            from exc
    raw = ((got.get("HumanLoopActivationConfig") or {})
           .get("HumanLoopActivationConditionsConfig") or {}).get("HumanLoopActivationConditions")
    if not raw:
        return None
    return parse_activation_conditions(raw)


def create_builtin_flow(
    sagemaker: Any,
    *,
    name: str,
    request_source: str,
    template: str | Path,
    output_path: str,
    workteam_arn: str,
    conditions: str | Mapping[str, Any] | None = None,
    role_arn: str = PLACEHOLDER_ROLE,
    task_count: int = 1,
    title: str = "Review the AI service's result",
    description: str = "Check the result and correct it if it is wrong.",
) -> str:
    """Create a human task UI and a flow definition of a built-in task type (with
    ``HumanLoopRequestSource`` and, when given, ``HumanLoopActivationConfig``); return the flow
    definition's ARN. Works on AWS and on the project's review service alike."""
    if request_source not in REQUEST_SOURCES:
        raise ConfigError(f"request_source must be one of {sorted(REQUEST_SOURCES)}",
                          field="request_source")
    source_text = Path(template).read_text(encoding="utf-8") if Path(str(template)).is_file() \
        else str(template)
    ui = sagemaker.create_human_task_ui(HumanTaskUiName=f"{name}-ui",
                                        UiTemplate={"Content": source_text})["HumanTaskUiArn"]
    params: dict[str, Any] = {
        "FlowDefinitionName": name,
        "HumanLoopRequestSource": {"AwsManagedHumanLoopRequestSource": request_source},
        "HumanLoopConfig": {
            "WorkteamArn": workteam_arn, "HumanTaskUiArn": ui, "TaskTitle": title,
            "TaskDescription": description, "TaskCount": task_count,
        },
        "OutputConfig": {"S3OutputPath": output_path},
        "RoleArn": role_arn,
    }
    if conditions is not None:
        doc = parse_activation_conditions(conditions, source=REQUEST_SOURCES[request_source])  # type: ignore[arg-type]
        params["HumanLoopActivationConfig"] = {"HumanLoopActivationConditionsConfig": {
            "HumanLoopActivationConditions": json.dumps(doc)}}
    return str(sagemaker.create_flow_definition(**params)["FlowDefinitionArn"])
