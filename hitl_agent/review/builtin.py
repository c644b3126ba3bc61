"""A2I's built-in task types (Textract forms, Rekognition moderation) in the review loop, and the
answers of the AWS task templates read back as outcomes.

How a built-in review runs in the graph:

- **predict**: :class:`~hitl_agent.models.textract.TextractForms` or
  :class:`~hitl_agent.models.rekognition.RekognitionModeration` calls the AI service. On AWS
  (``human_loop=AwsHumanLoop(...)``) the service evaluates the flow's activation conditions and
  starts the human loop itself; the response's ``HumanLoopActivationOutput`` says whether it did.
- **route**: :class:`BuiltinLoopPolicy` escalates when AWS started a loop; with the project's
  review service (which stores activation conditions but does not evaluate them) it evaluates the
  conditions here, with :mod:`hitl_agent.policy.activation`, and puts A2I's built-in input
  (:func:`builtin_input_content`) in ``decision.details["a2i_input"]``.
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
from collections.abc import Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from hitl_agent.errors import ConfigError, ReviewError
from hitl_agent.models.rekognition import REQUEST_SOURCE as REKOGNITION_SOURCE
from hitl_agent.models.rekognition import moderation_labels
from hitl_agent.models.textract import REQUEST_SOURCE as TEXTRACT_SOURCE
from hitl_agent.models.textract import field_names, form_fields
from hitl_agent.policy.activation import (
    ActivationConditionPolicy,
    evaluate_activation_conditions,
    parse_activation_conditions,
    prediction_fields,
)
from hitl_agent.policy.base import EscalationPolicy
from hitl_agent.review.a2i import A2IReviews, default_task_input, parse_output, task_input_of
from hitl_agent.review.base import ReviewStatus
from hitl_agent.review.setup import PLACEHOLDER_ROLE
from hitl_agent.types import Decision, Prediction, ReviewOutcome, ReviewRequest, Uncertainty

__all__ = [
    "REKOGNITION_SOURCE",
    "TEXTRACT_SOURCE",
    "BuiltinLoopPolicy",
    "BuiltinReviews",
    "activation_conditions_of",
    "builtin_input_content",
    "create_builtin_flow",
    "interpret_task_answer",
    "parse_task_output",
    "selected_response",
]

_SHORT = {TEXTRACT_SOURCE: "textract", REKOGNITION_SOURCE: "rekognition"}


# --- the built-in input shape -----------------------------------------------------------------


def _true_simple(node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if "ConditionType" in node:
        return [node] if node.get("EvaluationResult") else []
    return [n for child in node.get("Or", node.get("And", [])) for n in _true_simple(child)]


def _sampled_everything(results: Mapping[str, Any] | None, selected: Sequence[Any]) -> bool:
    """A2I selects the whole response when Sampling made the loop: a top-level Sampling
    condition that is true, or a true Sampling somewhere when no item was selected."""
    top = (results or {}).get("Conditions") or []
    if any(n.get("ConditionType") == "Sampling" and n.get("EvaluationResult") for n in top):
        return True
    true_types = {n.get("ConditionType") for node in top for n in _true_simple(node)}
    return not selected and "Sampling" in true_types


def selected_response(
    source: str,
    response: Mapping[str, Any],
    results: Mapping[str, Any] | None,
    selected: Sequence[Any],
) -> dict[str, Any]:
    """``selectedAiServiceResponse``: the part of the (lowerCamel) response the true conditions
    chose. Forms: each selected KEY block with its VALUE blocks and their WORD and selection
    children; moderation: the selected labels. Sampling selects everything; a loop made only by
    ``MissingImportantFormKey`` selects no pair (A2I sends the form with none)."""
    items = [s for s in selected if isinstance(s, Mapping)
             and not ("blocks" in s or "moderationLabels" in s)]
    if _sampled_everything(results, items):
        return copy.deepcopy(dict(response))
    if source == REKOGNITION_SOURCE:
        seen: list[Any] = []
        for label in items:
            if label not in seen:
                seen.append(label)
        out: dict[str, Any] = {"moderationLabels": copy.deepcopy(seen)}
        if "moderationModelVersion" in response:
            out["moderationModelVersion"] = response["moderationModelVersion"]
        return out
    blocks = [b for b in response.get("blocks") or [] if isinstance(b, Mapping)]
    by_id = {b.get("id"): b for b in blocks}

    def related(block: Mapping[str, Any], kind: str) -> list[str]:
        return [i for r in block.get("relationships") or [] if r.get("type") == kind
                for i in r.get("ids") or []]

    wanted: set[Any] = set()
    for key in items:
        kid = key.get("id")
        if kid not in by_id:
            continue
        wanted.add(kid)
        wanted.update(related(key, "CHILD"))
        for vid in related(key, "VALUE"):
            wanted.add(vid)
            if vid in by_id:
                wanted.update(related(by_id[vid], "CHILD"))
    return {"blocks": [copy.deepcopy(dict(b)) for b in blocks if b.get("id") in wanted]}


def _important_keys(conditions: Mapping[str, Any] | None) -> list[str]:
    keys: list[str] = []

    def walk(node: Mapping[str, Any]) -> None:
        if "ConditionType" in node:
            key = (node.get("ConditionParameters") or {}).get("ImportantFormKey")
            if isinstance(key, str) and key != "*" and key not in keys:
                keys.append(key)
            return
        for child in node.get("Or", node.get("And", [])):
            walk(child)

    for node in (conditions or {}).get("Conditions") or []:
        walk(node)
    return keys


def builtin_input_content(
    source: str,
    ai_service_request: Mapping[str, Any],
    ai_service_response: Mapping[str, Any],
    results: Mapping[str, Any] | None,
    selected: Mapping[str, Any],
    *,
    conditions: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A2I's ``InputContent`` of a built-in task type (lowerCamel, as A2I writes it)."""
    content: dict[str, Any] = {
        "aiServiceRequest": copy.deepcopy(dict(ai_service_request)),
        "aiServiceResponse": copy.deepcopy(dict(ai_service_response)),
        "humanTaskActivationConditionResults": copy.deepcopy(dict(results or {"Conditions": []})),
        "selectedAiServiceResponse": copy.deepcopy(dict(selected)),
    }
    if source == TEXTRACT_SOURCE:
        content["humanLoopContext"] = {"importantFormKeys": _important_keys(conditions)}
    return content


# --- routing ----------------------------------------------------------------------------------


def _sampling_rate(results: Mapping[str, Any] | None) -> float:
    rates = [float((n.get("ConditionParameters") or {}).get("RandomSamplingPercentage", 0)) / 100
             for node in (results or {}).get("Conditions") or [] for n in _walk(node)
             if n.get("ConditionType") == "Sampling"]
    return min(1.0, sum(rates))


def _walk(node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if "ConditionType" in node:
        return [node]
    return [n for child in node.get("Or", node.get("And", [])) for n in _walk(child)]


class BuiltinLoopPolicy:
    """Routes built-in task predictions as A2I does.

    - AWS evaluated the conditions (``prediction.metadata["human_loop"]`` from
      ``HumanLoopActivationOutput``): escalate exactly when AWS started a loop.
    - Otherwise, with ``conditions`` (an activation-conditions document, e.g. from
      :func:`activation_conditions_of`): evaluate them locally for the item; an escalation
      carries A2I's built-in input in ``decision.details["a2i_input"]``.
    - Without ``conditions``: every built-in prediction goes to people (A2I: "If
      HumanLoopActivationConfig is not given, then all requests go to humans").
    - A prediction that is not a built-in one goes to ``otherwise`` (a ConfigError without it).

    ``seed`` makes ``Sampling`` draws differ between deployments; a draw is a hash of
    ``(seed, item id)``, so one item always gets the same one.
    """

    def __init__(
        self,
        conditions: str | Mapping[str, Any] | None = None,
        *,
        seed: str = "",
        otherwise: EscalationPolicy | None = None,
        policy_id: str = "a2i-activation",
    ) -> None:
        self.conditions = (parse_activation_conditions(conditions)
                           if conditions is not None else None)
        self.seed = seed
        self.otherwise = otherwise
        self.policy_id = policy_id
        self._policies: dict[str, ActivationConditionPolicy] = {}

    def _policy(self, source: str) -> ActivationConditionPolicy:
        if source not in self._policies:
            assert self.conditions is not None
            self._policies[source] = ActivationConditionPolicy(
                self.conditions, seed=self.seed, source=_SHORT[source],  # type: ignore[arg-type]
                policy_id=self.policy_id)
        return self._policies[source]

    def decide(self, item_id: str, uncertainty: Uncertainty, prediction: Prediction) -> Decision:
        metadata = prediction.metadata
        loop = metadata.get("human_loop")
        if isinstance(loop, Mapping) and loop.get("evaluated_by") == "aws":
            return self._aws(loop)
        source = metadata.get("a2i_request_source")
        if source not in _SHORT:
            if self.otherwise is None:
                raise ConfigError("BuiltinLoopPolicy got a prediction of no built-in task type "
                                  "(no metadata['a2i_request_source']); pass otherwise=",
                                  field="otherwise")
            return self.otherwise.decide(item_id, uncertainty, prediction)
        request = metadata.get("ai_service_request") or {}
        response = metadata.get("ai_service_response") or {}
        if self.conditions is None:
            content = builtin_input_content(source, request, response, None, response)
            return Decision(action="escalate", reason="rule", propensity=1.0,
                            policy_id=self.policy_id,
                            details={"a2i_input": content, "evaluated_by": "local"})
        decision = self._policy(source).decide(item_id, uncertainty, prediction)
        if decision.action != "escalate":
            return decision
        result = evaluate_activation_conditions(
            self.conditions, input_id=item_id, response=response,
            fields=prediction_fields(uncertainty, prediction), seed=self.seed)
        selected = selected_response(source, response, result.results, result.selected)
        content = builtin_input_content(source, request, response, result.results, selected,
                                        conditions=self.conditions)
        details = {**decision.details, "a2i_input": content, "evaluated_by": "local"}
        return decision.model_copy(update={"details": details})

    def _aws(self, loop: Mapping[str, Any]) -> Decision:
        results = loop.get("humanTaskActivationConditionResults")
        results = results if isinstance(results, Mapping) else None
        rate = _sampling_rate(results)
        details = {"human_loop": {k: loop.get(k) for k in
                                  ("HumanLoopName", "HumanLoopArn", "FlowDefinitionArn")},
                   "HumanLoopActivationReasons": list(loop.get("HumanLoopActivationReasons")
                                                      or []),
                   "humanTaskActivationConditionResults": results, "evaluated_by": "aws"}
        if not loop.get("HumanLoopArn"):
            return Decision(action="accept", reason="confident", propensity=1.0 - rate,
                            policy_id=self.policy_id, details=details)
        true_types = {n.get("ConditionType") for node in (results or {}).get("Conditions") or []
                      for n in _true_simple(node)}
        audit = bool(true_types) and true_types == {"Sampling"}
        return Decision(action="escalate", reason="audit" if audit else "rule",
                        propensity=rate if audit and rate > 0 else 1.0,
                        policy_id=self.policy_id, details=details)


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

    def __init__(
        self,
        flow_definition_arn: str,
        runtime_client: Any | None = None,
        s3_client: Any | None = None,
        endpoint_url: str | None = None,
        *,
        name: str = "a2i-builtin",
        aliases: MutableMapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(flow_definition_arn, runtime_client, s3_client, endpoint_url,
                         task_input=self.input_content, name=name, **kwargs)
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
    if source not in _SHORT:
        source = next((s for s in _SHORT if any(
            isinstance(a, Mapping) and s in (a.get("answerContent") or {})
            for a in output_json.get("humanAnswers") or [])), None)
    converted = []
    for raw in output_json.get("humanAnswers") or []:
        verdict = interpret_task_answer(raw["answerContent"], content)
        if verdict is not None:
            raw = {**raw, "answerContent": {"action": verdict[0], "final_output": verdict[1]}}
        converted.append(raw)
    model_output = (builtin_model_output(source, content) if source in _SHORT
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
    if request_source not in _SHORT:
        raise ConfigError(f"request_source must be one of {sorted(_SHORT)}",
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
        doc = parse_activation_conditions(conditions, source=_SHORT[request_source])  # type: ignore[arg-type]
        params["HumanLoopActivationConfig"] = {"HumanLoopActivationConditionsConfig": {
            "HumanLoopActivationConditions": json.dumps(doc)}}
    return str(sagemaker.create_flow_definition(**params)["FlowDefinitionArn"])
