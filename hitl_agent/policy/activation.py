"""Amazon A2I's human-loop activation conditions, parsed, validated and evaluated locally.

Grammar (SageMaker Developer Guide, "JSON Schema for Human Loop Activation Conditions in Amazon
Augmented AI", a2i-human-fallback-conditions-json-schema): ``{"Conditions": [C, ...]}`` where each
``C`` is exactly one of a simple condition ``{"ConditionType": ..., "ConditionParameters": {...}}``,
``{"Or": [C, C, ...]}`` or ``{"And": [C, C, ...]}`` (at least two items; at most two levels of
nesting). Members of ``Conditions`` are OR-ed; every condition is evaluated, even after one is
true, and the result tree mirrors the document with ``"EvaluationResult"`` on every node, as A2I's
``humanTaskActivationConditionResults``.

Condition types: ``ModerationLabelConfidenceCheck`` (Rekognition DetectModerationLabels),
``ImportantFormKeyConfidenceCheck`` and ``MissingImportantFormKey`` (Textract AnalyzeDocument),
``Sampling`` (both), and this project's ``PredictionConfidenceCheck`` on any numeric field of a
:class:`~hitl_agent.types.Prediction` or its :class:`~hitl_agent.types.Uncertainty`.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from hitl_agent.errors import ValidationError
from hitl_agent.policy._hashing import unit_hash
from hitl_agent.types import Decision, Prediction, Uncertainty

MAX_DOCUMENT_CHARS = 10_240
MAX_NESTING = 2
Source = Literal["rekognition", "textract", "prediction"]

TEXTRACT_SOURCE = "AWS/Textract/AnalyzeDocument/Forms/V1"
REKOGNITION_SOURCE = "AWS/Rekognition/DetectModerationLabels/Image/V3"
REQUEST_SOURCES: dict[str, Source] = {TEXTRACT_SOURCE: "textract",
                                      REKOGNITION_SOURCE: "rekognition"}
"""A2I's ``AwsManagedHumanLoopRequestSource`` of each built-in task type, and the conditions'
source it takes."""

_OPS: dict[str, Callable[[float, float], bool]] = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "LessThanEquals": operator.le,
    "GreaterThan": operator.gt,
    "GreaterThanEquals": operator.ge,
}


def _comparisons(prefix: str) -> set[str]:
    return {prefix + op for op in _OPS}


_PARAMETERS: dict[str, tuple[set[str], set[str]]] = {
    # ConditionType: (required, optional)
    "ModerationLabelConfidenceCheck": ({"ModerationLabelName"}, _comparisons("Confidence")),
    "ImportantFormKeyConfidenceCheck": (
        {"ImportantFormKey"},
        {"ImportantFormKeyAliases"}
        | _comparisons("KeyValueBlockConfidence")
        | _comparisons("WordBlockConfidence"),
    ),
    "MissingImportantFormKey": ({"ImportantFormKey"}, {"ImportantFormKeyAliases"}),
    "Sampling": ({"RandomSamplingPercentage"}, set()),
    "PredictionConfidenceCheck": ({"Field"}, _comparisons("Confidence") | {"IfMissing"}),
}

SOURCE_TYPES: dict[Source, set[str]] = {
    "rekognition": {"ModerationLabelConfidenceCheck", "Sampling"},
    "textract": {"ImportantFormKeyConfidenceCheck", "MissingImportantFormKey", "Sampling"},
    "prediction": {"PredictionConfidenceCheck", "Sampling"},
}


def _refuse(path: str, rule: str, message: str) -> ValidationError:
    return ValidationError(f"{path}: {message}", field=path, rule=rule)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_simple(node: Mapping[str, Any], path: str, allowed: set[str] | None) -> None:
    extra = set(node) - {"ConditionType", "ConditionParameters"}
    if extra:
        raise _refuse(path, "known keys", f"unexpected keys {sorted(extra)}")
    ctype = node["ConditionType"]
    if ctype not in _PARAMETERS:
        raise _refuse(
            f"{path}.ConditionType", "known ConditionType", f"unknown ConditionType {ctype!r}"
        )
    if allowed is not None and ctype not in allowed:
        raise _refuse(
            f"{path}.ConditionType",
            "ConditionType valid for the request source",
            f"{ctype} is not valid here (allowed: {sorted(allowed)})",
        )
    params = node.get("ConditionParameters")
    if not isinstance(params, Mapping):
        raise _refuse(
            f"{path}.ConditionParameters",
            "required object",
            "ConditionParameters must be an object",
        )
    required, optional = _PARAMETERS[ctype]
    for key in sorted(required - set(params)):
        raise _refuse(f"{path}.ConditionParameters.{key}", "required", f"{key} is required")
    for key in sorted(set(params) - required - optional):
        raise _refuse(
            f"{path}.ConditionParameters.{key}", "known parameter", f"{ctype} takes no {key}"
        )
    ppath = f"{path}.ConditionParameters"
    if ctype == "Sampling":
        pct = params["RandomSamplingPercentage"]
        if not _number(pct) or not 0.01 <= pct <= 100:
            raise _refuse(
                f"{ppath}.RandomSamplingPercentage",
                "number from 0.01 to 100",
                f"RandomSamplingPercentage is {pct!r}",
            )
        return
    for key in ("ImportantFormKey", "ModerationLabelName", "Field"):
        if key in params and (not isinstance(params[key], str) or not params[key]):
            raise _refuse(f"{ppath}.{key}", "non-empty string", f"{key} must be a string")
    aliases = params.get("ImportantFormKeyAliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise _refuse(
            f"{ppath}.ImportantFormKeyAliases", "array of strings", "aliases must be strings"
        )
    if "IfMissing" in params and not isinstance(params["IfMissing"], bool):
        raise _refuse(f"{ppath}.IfMissing", "boolean", "IfMissing must be true or false")
    scale = 1.0 if ctype == "PredictionConfidenceCheck" else 100.0
    for key, value in params.items():
        if key.endswith(tuple(_OPS)) and not (_number(value) and 0 <= value <= scale):
            raise _refuse(
                f"{ppath}.{key}", f"number from 0 to {scale:g}", f"{key} is {value!r}"
            )


def _check_node(node: Any, path: str, depth: int, allowed: set[str] | None) -> None:
    if not isinstance(node, Mapping):
        raise _refuse(path, "object", "a condition must be a JSON object")
    forms = [k for k in ("ConditionType", "Or", "And") if k in node]
    if len(forms) != 1:
        raise _refuse(
            path,
            "exactly one of ConditionType, Or, And",
            f"a condition has exactly one of ConditionType, Or, And; found {forms or 'none'}",
        )
    form = forms[0]
    if form == "ConditionType":
        _check_simple(node, path, allowed)
        return
    if set(node) != {form}:
        raise _refuse(path, "known keys", f"unexpected keys beside {form}")
    if depth + 1 > MAX_NESTING:
        raise _refuse(
            f"{path}.{form}",
            "at most two levels of nesting",
            "And/Or may be nested at most two levels deep",
        )
    items = node[form]
    if not isinstance(items, list) or len(items) < 2:
        raise _refuse(f"{path}.{form}", "minItems 2", f"{form} needs at least two conditions")
    for i, child in enumerate(items):
        _check_node(child, f"{path}.{form}[{i}]", depth + 1, allowed)


def parse_activation_conditions(
    document: str | Mapping[str, Any], *, source: Source | None = None
) -> dict[str, Any]:
    """Validate an activation-conditions document (a JSON string or a dict) and return it.

    ``source`` limits the condition types to those A2I allows for that request source
    (``"rekognition"``, ``"textract"``) or to this project's Prediction checks. Invalid documents
    raise :class:`~hitl_agent.errors.ValidationError` whose ``field`` is the path of the bad node
    and whose ``rule`` is the rule it breaks.
    """
    if isinstance(document, str):
        if len(document) > MAX_DOCUMENT_CHARS:
            raise _refuse(
                "HumanLoopActivationConditions",
                f"at most {MAX_DOCUMENT_CHARS} characters",
                f"the document has {len(document)} characters",
            )
        try:
            parsed = json.loads(document)
        except json.JSONDecodeError as exc:
            raise _refuse("HumanLoopActivationConditions", "valid JSON", str(exc)) from exc
    else:
        parsed = document
    if not isinstance(parsed, Mapping) or "Conditions" not in parsed:
        raise _refuse(
            "Conditions",
            "top-level Conditions array",
            'the document must be {"Conditions": [...]}',
        )
    if set(parsed) != {"Conditions"}:
        raise _refuse("Conditions", "known keys", "only Conditions is allowed at the top level")
    conditions = parsed["Conditions"]
    if not isinstance(conditions, list) or not conditions:
        raise _refuse("Conditions", "non-empty array", "Conditions must be a non-empty array")
    allowed = SOURCE_TYPES[source] if source is not None else None
    for i, node in enumerate(conditions):
        _check_node(node, f"Conditions[{i}]", 0, allowed)
    return json.loads(json.dumps(parsed))


# --- evaluation -------------------------------------------------------------------------------


def _get(obj: Mapping[str, Any], name: str, default: Any = None) -> Any:
    """Read a key in PascalCase (service APIs) or lowerCamel (A2I's output files)."""
    if name in obj:
        return obj[name]
    camel = name[0].lower() + name[1:]
    return obj.get(camel, default)


def _compare(params: Mapping[str, Any], prefix: str, value: float) -> bool:
    return all(
        fn(value, float(params[prefix + op])) for op, fn in _OPS.items() if prefix + op in params
    )


def _has_comparison(params: Mapping[str, Any], prefix: str) -> bool:
    return any(prefix + op in params for op in _OPS)


def _norm_key(text: str) -> str:
    return " ".join(text.lower().replace(":", " ").split())


@dataclass
class _Context:
    response: Mapping[str, Any]
    input_id: str
    seed: str
    fields: Mapping[str, Any]
    selected: list[Any] = field(default_factory=list)
    draw: float | None = None

    def sample(self) -> float:
        return unit_hash(self.seed, self.input_id) if self.draw is None else self.draw


def _textract_pairs(response: Mapping[str, Any]) -> list[tuple[str, Any, list[Any]]]:
    """(key text, KEY block, word blocks of key and value) for every key in a Textract response."""
    blocks = _get(response, "Blocks", []) or []
    by_id = {_get(b, "Id"): b for b in blocks}

    def related(block: Mapping[str, Any], kind: str) -> list[Any]:
        ids = [
            i
            for rel in _get(block, "Relationships", []) or []
            if _get(rel, "Type") == kind
            for i in _get(rel, "Ids", []) or []
        ]
        return [by_id[i] for i in ids if i in by_id]

    pairs = []
    for block in blocks:
        if _get(block, "BlockType") != "KEY_VALUE_SET" or "KEY" not in (
            _get(block, "EntityTypes", []) or []
        ):
            continue
        key_words = [w for w in related(block, "CHILD") if _get(w, "BlockType") == "WORD"]
        value_words = [
            w
            for value in related(block, "VALUE")
            for w in related(value, "CHILD")
            if _get(w, "BlockType") == "WORD"
        ]
        text = " ".join(str(_get(w, "Text", "")) for w in key_words)
        pairs.append((text, block, key_words + value_words))
    return pairs


def _key_matches(params: Mapping[str, Any], text: str) -> bool:
    key = params["ImportantFormKey"]
    if key == "*":
        return True
    names = {_norm_key(key)} | {_norm_key(a) for a in params.get("ImportantFormKeyAliases", [])}
    return _norm_key(text) in names


def _evaluate_simple(node: Mapping[str, Any], ctx: _Context) -> bool:
    ctype, params = node["ConditionType"], node["ConditionParameters"]
    if ctype == "Sampling":
        return ctx.sample() * 100.0 < float(params["RandomSamplingPercentage"])
    if ctype == "ModerationLabelConfidenceCheck":
        name = params["ModerationLabelName"]
        hits = [
            label
            for label in _get(ctx.response, "ModerationLabels", []) or []
            if (name == "*" or _get(label, "Name") == name)
            and _compare(params, "Confidence", float(_get(label, "Confidence", 0.0)))
        ]
        ctx.selected.extend(hits)
        return bool(hits)
    if ctype == "ImportantFormKeyConfidenceCheck":
        hit = False
        for text, key_block, words in _textract_pairs(ctx.response):
            if not _key_matches(params, text):
                continue
            key_confidence = float(_get(key_block, "Confidence", 0.0))
            ok = _compare(params, "KeyValueBlockConfidence", key_confidence)
            if ok and _has_comparison(params, "WordBlockConfidence"):
                # our reading: one word of the key or value that meets the comparison suffices
                ok = any(
                    _compare(params, "WordBlockConfidence", float(_get(w, "Confidence", 0)))
                    for w in words
                )
            if ok:
                ctx.selected.append(key_block)
                hit = True
        return hit
    if ctype == "MissingImportantFormKey":
        return not any(_key_matches(params, t) for t, _, _ in _textract_pairs(ctx.response))
    if ctype == "PredictionConfidenceCheck":
        value = ctx.fields.get(params["Field"])
        if not isinstance(value, int | float) or isinstance(value, bool):
            return bool(params.get("IfMissing", True))
        return _compare(params, "Confidence", float(value))
    raise _refuse("ConditionType", "known ConditionType", f"unknown ConditionType {ctype!r}")


def _evaluate(node: Mapping[str, Any], ctx: _Context) -> dict[str, Any]:
    if "ConditionType" in node:
        return {**node, "EvaluationResult": _evaluate_simple(node, ctx)}
    form = "Or" if "Or" in node else "And"
    children = [_evaluate(child, ctx) for child in node[form]]  # all, even after one is true
    results = [c["EvaluationResult"] for c in children]
    return {form: children, "EvaluationResult": any(results) if form == "Or" else all(results)}


@dataclass(frozen=True)
class ActivationResult:
    """Whether a human loop starts, the evaluated tree, and the part of the response selected."""

    activated: bool
    results: dict[str, Any]
    selected: list[Any]


def evaluate_activation_conditions(
    conditions: str | Mapping[str, Any],
    *,
    input_id: str,
    response: Mapping[str, Any] | None = None,
    fields: Mapping[str, Any] | None = None,
    seed: str = "",
) -> ActivationResult:
    """Evaluate ``conditions`` for one input.

    ``response`` is the AI service's response (Rekognition ``ModerationLabels`` or Textract
    ``Blocks``, PascalCase or lowerCamel); ``fields`` the numbers ``PredictionConfidenceCheck``
    reads. ``Sampling`` hashes ``(seed, input_id)``, so the same input always gets the same draw.
    ``results`` has A2I's ``humanTaskActivationConditionResults`` shape.
    """
    doc = parse_activation_conditions(conditions)
    ctx = _Context(response or {}, input_id, seed, fields or {})
    tree = [_evaluate(node, ctx) for node in doc["Conditions"]]
    activated = any(node["EvaluationResult"] for node in tree)
    only_sampling = activated and not ctx.selected
    selected = list(ctx.selected) if not only_sampling else [dict(ctx.response)]
    return ActivationResult(activated, {"Conditions": tree}, selected if activated else [])


def _sampling_rates(node: Mapping[str, Any]) -> list[float]:
    if "ConditionType" in node:
        if node["ConditionType"] == "Sampling":
            return [float(node["ConditionParameters"]["RandomSamplingPercentage"]) / 100.0]
        return []
    children = node.get("Or", node.get("And", []))
    return [rate for child in children for rate in _sampling_rates(child)]


def prediction_fields(uncertainty: Uncertainty, prediction: Prediction) -> dict[str, float]:
    """The numbers ``PredictionConfidenceCheck`` can read, by ``Field`` name.

    ``confidence``; ``components.<name>``; ``probabilities.<label>``; ``max_probability``;
    ``latency_ms``; ``metadata.<key>`` for numeric metadata.
    """
    fields: dict[str, float] = {"confidence": uncertainty.confidence}
    fields.update({f"components.{k}": v for k, v in uncertainty.components.items()})
    if prediction.probabilities:
        fields.update({f"probabilities.{k}": v for k, v in prediction.probabilities.items()})
        fields["max_probability"] = max(prediction.probabilities.values())
    if prediction.latency_ms is not None:
        fields["latency_ms"] = prediction.latency_ms
    for key, value in prediction.metadata.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            fields[f"metadata.{key}"] = float(value)
    return fields


class ActivationConditionPolicy:
    """An :class:`EscalationPolicy` driven by an A2I activation-conditions document.

    The AI service response for Rekognition/Textract checks is ``prediction.output`` when it is
    an object (or ``prediction.metadata[response_key]``). The decision escalates when the document
    activates; ``details["humanTaskActivationConditionResults"]`` holds the evaluated tree.
    The reason is ``"audit"`` when only ``Sampling`` conditions made it true, else ``"rule"``.
    ``propensity`` is exact: the share of sampling draws that give the same decision.
    """

    def __init__(
        self,
        conditions: str | Mapping[str, Any],
        *,
        seed: str = "",
        source: Source | None = None,
        response_key: str = "ai_service_response",
        policy_id: str | None = None,
    ) -> None:
        self.conditions = parse_activation_conditions(conditions, source=source)
        self.seed = seed
        self.response_key = response_key
        self.policy_id = policy_id or "activation-conditions"
        rates = sorted({r for node in self.conditions["Conditions"] for r in _sampling_rates(node)})
        self._cuts = [0.0, *[r for r in rates if 0.0 < r < 1.0], 1.0]

    def _response(self, prediction: Prediction) -> Mapping[str, Any]:
        if self.response_key in prediction.metadata and isinstance(
            prediction.metadata[self.response_key], Mapping
        ):
            return prediction.metadata[self.response_key]
        return prediction.output if isinstance(prediction.output, Mapping) else {}

    def _activated(self, ctx: _Context) -> bool:
        return any(_evaluate(n, ctx)["EvaluationResult"] for n in self.conditions["Conditions"])

    def decide(self, item_id: str, uncertainty: Uncertainty, prediction: Prediction) -> Decision:
        response = self._response(prediction)
        fields = prediction_fields(uncertainty, prediction)
        result = evaluate_activation_conditions(
            self.conditions, input_id=item_id, response=response, fields=fields, seed=self.seed
        )
        # which sampling draws give this same decision: evaluate once per interval of draws
        same = 0.0
        for lo, hi in zip(self._cuts, self._cuts[1:], strict=False):
            ctx = _Context(response, item_id, self.seed, fields, draw=(lo + hi) / 2)
            if self._activated(ctx) == result.activated:
                same += hi - lo
        no_sampling = _Context(response, item_id, self.seed, fields, draw=1.0)
        by_rule = self._activated(no_sampling)
        details = {"humanTaskActivationConditionResults": result.results}
        if result.activated:
            return Decision(
                action="escalate",
                reason="rule" if by_rule else "audit",
                propensity=min(1.0, same),
                policy_id=self.policy_id,
                details=details,
            )
        return Decision(
            action="accept",
            reason="confident",
            propensity=min(1.0, same),
            policy_id=self.policy_id,
            details=details,
        )
