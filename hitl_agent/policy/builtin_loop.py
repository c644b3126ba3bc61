"""Routing the predictions of A2I's built-in task types (Textract forms, Rekognition
moderation) as A2I does, and the built-in input A2I's templates read.

- AWS evaluated the flow's activation conditions (``human_loop=AwsHumanLoop(...)`` on the
  model): :class:`BuiltinLoopPolicy` escalates exactly when AWS started a loop;
- with the project's review service (which stores activation conditions but does not evaluate
  them) it evaluates the conditions here, with :mod:`hitl_agent.policy.activation`, and puts
  A2I's built-in input (:func:`builtin_input_content`: ``aiServiceRequest``,
  ``aiServiceResponse``, ``humanTaskActivationConditionResults``, ``selectedAiServiceResponse``,
  lowerCamel keys) in ``decision.details["a2i_input"]`` for
  :class:`~hitl_agent.review.builtin.BuiltinReviews` to send.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from hitl_agent.errors import ConfigError
from hitl_agent.policy.activation import (
    REKOGNITION_SOURCE,
    REQUEST_SOURCES,
    TEXTRACT_SOURCE,
    ActivationConditionPolicy,
    evaluate_activation_conditions,
    parse_activation_conditions,
    prediction_fields,
)
from hitl_agent.policy.base import EscalationPolicy
from hitl_agent.types import Decision, Prediction, Uncertainty

__all__ = ["BuiltinLoopPolicy", "builtin_input_content", "selected_response"]


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

    def _policy(self, source: str, conditions: dict[str, Any]) -> ActivationConditionPolicy:
        if source not in self._policies:
            self._policies[source] = ActivationConditionPolicy(
                conditions, seed=self.seed, source=REQUEST_SOURCES[source],
                policy_id=self.policy_id)
        return self._policies[source]

    def decide(self, item_id: str, uncertainty: Uncertainty, prediction: Prediction) -> Decision:
        metadata = prediction.metadata
        loop = metadata.get("human_loop")
        if isinstance(loop, Mapping) and loop.get("evaluated_by") == "aws":
            return self._aws(loop)
        source = metadata.get("a2i_request_source")
        if source not in REQUEST_SOURCES:
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
        decision = self._policy(source, self.conditions).decide(item_id, uncertainty, prediction)
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
