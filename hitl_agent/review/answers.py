"""From reviewers' ``answerContent`` to a :class:`ReviewOutcome`.

Each template in ``templates/`` documents the answer it produces (``templates/README.md``); this
module reads those shapes back. Several answers (A2I's TaskCount 2-3) are combined by majority over
the final outputs, with the share that agrees as ``agreement``; a tie is broken by the first
submission, and the agreement below 1 keeps it visible for export filters.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hitl_agent._lazy import lazy_exports
from hitl_agent.types import ReviewAction

__getattr__, __dir__ = lazy_exports(globals(), deprecated={
    "combine_answers": "hitl_agent.review.consensus",  # the one consensus path
})


def interpret_answer(content: Mapping[str, Any], model_output: Any) -> tuple[ReviewAction, Any]:
    """The action and final output one answer stands for."""
    decision = content.get("decision")
    if isinstance(decision, Mapping) and any(k in decision for k in ("approve", "edit", "reject")):
        if decision.get("reject"):
            return "reject", None
        if decision.get("edit"):
            return "edit", _parse_json_text(content.get("arguments"), model_output)
        return "accept", model_output
    if "action" in content and content["action"] in ("accept", "edit", "reject"):
        action = content["action"]
        final = content.get("final_output", model_output if action == "accept" else None)
        return action, final
    if isinstance(content.get("unusable"), Mapping) and content["unusable"].get("on"):
        return "reject", None
    if "corrected_text" in content:
        text = content["corrected_text"]
        return ("accept", model_output) if text == model_output else ("edit", text)
    label = _label_of(content)
    if label is not None:
        return ("accept", model_output) if label == model_output else ("edit", label)
    fields = {k[len("field:"):]: v for k, v in content.items() if k.startswith("field:")}
    if fields and isinstance(model_output, Mapping):
        final = {name: _typed_like(model_output.get(name), fields.get(name))
                 for name in model_output}
        return ("accept", model_output) if final == dict(model_output) else ("edit", final)
    # Built-in task types and unknown templates: the answer itself is the corrected output.
    return "edit", dict(content)


def _label_of(content: Mapping[str, Any]) -> Any:
    for value in content.values():
        if isinstance(value, Mapping) and "label" in value and len(value) == 1:
            return value["label"]
    return None


def _parse_json_text(text: Any, fallback: Any) -> Any:
    if not isinstance(text, str):
        return text if text is not None else fallback
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _typed_like(model_value: Any, answer: Any) -> Any:
    """Answers come back as strings; give them the type of the model's value where they fit."""
    if answer is None or not isinstance(answer, str):
        return answer
    if isinstance(model_value, bool):
        return answer.strip().lower() in ("true", "yes", "1", "on")
    if isinstance(model_value, int):
        try:
            return int(answer)
        except ValueError:
            return answer
    if isinstance(model_value, float):
        try:
            return float(answer)
        except ValueError:
            return answer
    if isinstance(model_value, (dict, list)):
        return _parse_json_text(answer, answer)
    return answer
