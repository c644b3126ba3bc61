"""The one aggregation path: from several reviewers' answers to one verdict with its posterior.

Both sides use it. The review service, when a loop with ``TaskCount > 1`` completes, aggregates its
answers by the flow's method (``service/live_aggregation.py``) and writes the verdict into
``output.json`` as ``hitlAggregation`` beside A2I's ``humanAnswers``. The library
(:func:`combine_answers`, used by ``parse_output``) turns an output into a ``ReviewOutcome``: it
takes the service's verdict when there is one, and otherwise aggregates the answers itself by
majority (ties go to the first submission), so a loop answered on Amazon A2I is read the same way.

Answers are compared by :func:`answer_label`: the chosen label of a classifier, the one checked
option of a radio group, the sorted labels of a multi-select, or else the whole answer as
canonical JSON (free-text notes such as ``comment`` left out).
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Literal

from hitl_agent.canonical import canonical_json
from hitl_agent.errors import InvalidArgumentError, ValidationError
from hitl_agent.review.aggregate import DawidSkene, MajorityVote, Wawa
from hitl_agent.review.answers import interpret_answer
from hitl_agent.types import HumanAnswer, ReviewOutcome, ReviewSource

Method = Literal["majority", "wawa", "dawid-skene"]
METHODS: tuple[Method, ...] = ("majority", "wawa", "dawid-skene")
NOTE_KEYS = frozenset({"comment", "comments", "reason", "rationale", "note", "notes"})
OUTPUT_KEY = "hitlAggregation"


def answer_label(content: Mapping[str, Any]) -> str:
    """The label an answer stands for, as a string two equal answers share."""
    for key, value in content.items():
        if key in NOTE_KEYS or not isinstance(value, Mapping):
            continue
        if set(value) == {"label"}:
            return str(value["label"])
        if set(value) == {"labels"} and isinstance(value["labels"], list):
            return json.dumps(sorted(str(v) for v in value["labels"]))
    flags = [
        value
        for key, value in content.items()
        if key not in NOTE_KEYS
        and isinstance(value, Mapping)
        and value
        and all(isinstance(v, bool) for v in value.values())
    ]
    if len(flags) == 1:
        on = [str(k) for k, v in flags[0].items() if v]
        if len(on) == 1:
            return on[0]
    kept = {k: v for k, v in content.items() if k not in NOTE_KEYS}
    return json.dumps(kept, sort_keys=True, ensure_ascii=False, default=str)


def fit(
    method: Method,
    tasks: Sequence[Hashable],
    workers: Sequence[Hashable],
    labels: Sequence[Hashable],
    *,
    gold: Mapping[Hashable, Hashable] | None = None,
    worker_priors: Mapping[Any, Any] | None = None,
) -> MajorityVote | Wawa | DawidSkene:
    """Fit the named aggregator over parallel sequences (``gold`` clamps Dawid–Skene's tasks)."""
    if method == "majority":
        return MajorityVote(tie="prior", worker_priors=worker_priors).fit(tasks, workers, labels)
    if method == "wawa":
        return Wawa(worker_priors=worker_priors).fit(tasks, workers, labels)
    if method == "dawid-skene":
        return DawidSkene(worker_priors=worker_priors).fit(tasks, workers, labels, gold=gold)
    raise ValidationError(
        f"unknown aggregation method {method!r}", field="method", rule=" or ".join(METHODS)
    )


def combine_answers(
    answers: Sequence[HumanAnswer],
    model_output: Any,
    *,
    source: ReviewSource,
    review_id: str | None = None,
    tier: int = 0,
    aggregation: Mapping[str, Any] | None = None,
) -> ReviewOutcome:
    """The outcome of a loop's answers: the service's verdict (``aggregation``, the output's
    ``hitlAggregation``) when given, else the majority with ties to the first submission.

    ``agreement`` is the verdict's posterior probability (the share of answers for a majority).
    """
    if not answers:
        raise InvalidArgumentError("no answers to combine", field="answers")
    ordered = sorted(answers, key=lambda a: (a.submission_time is None, a.submission_time))
    chosen_at, agreement = _service_choice(ordered, aggregation)
    if chosen_at is None:
        verdicts = [interpret_answer(a.answer_content, model_output) for a in ordered]
        keys = [
            canonical_json(final) + f"|{action}"
            for action, final in verdicts
        ]
        vote = MajorityVote(tie="prior").fit(["loop"] * len(keys), range(len(keys)), keys)
        winner = vote.labels_["loop"]
        chosen_at = keys.index(str(winner))
        agreement = vote.posteriors_["loop"][winner]
    action, final = interpret_answer(ordered[chosen_at].answer_content, model_output)
    chosen = ordered[chosen_at].answer_content
    reason = chosen.get("reason") or chosen.get("comment")
    return ReviewOutcome(
        action=action,
        final_output=final,
        agreement=min(max(float(agreement or 0.0), 0.0), 1.0),
        answers=list(ordered),
        source=source,
        review_id=review_id,
        reviewer_tier=tier,
        rationale=reason if isinstance(reason, str) and reason else None,
    )


def _service_choice(
    ordered: Sequence[HumanAnswer], aggregation: Mapping[str, Any] | None
) -> tuple[int | None, float | None]:
    """The first answer carrying the service's label, and that label's posterior."""
    if not isinstance(aggregation, Mapping) or not isinstance(aggregation.get("label"), str):
        return None, None
    label = aggregation["label"]
    posterior = aggregation.get("posterior")
    p = posterior.get(label) if isinstance(posterior, Mapping) else None
    for i, answer in enumerate(ordered):
        if answer_label(answer.answer_content) == label:
            return i, float(p) if isinstance(p, int | float) else None
    return None, None
