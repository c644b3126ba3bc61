"""Simulated reviewers for demos and offline evaluations."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hitl_agent.errors import InvalidArgumentError
from hitl_agent.review.in_process import outcome_from_label
from hitl_agent.types import ReviewOutcome, ReviewRequest


def _unit(*parts: str) -> float:
    """A number in [0, 1) fixed by its parts: the same review gets the same draw on a re-run."""
    h = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


class SimulatedReviewer:
    """Answers from the gold label, wrong with probability ``error_rate``.

    - ``gold``: a mapping from thread id to the right answer, or a function of the request.
    - ``labels``: the choices a wrong answer is drawn from (default: the request's labels).
    - ``automation_bias``: the probability that, when the model is wrong, the reviewer accepts
      the model's answer anyway (people over-trust a confident-looking model).
    - ``latency_s``: seconds before the answer is ready (``None`` until then).
    - ``worker_id``: recorded in each answer. All draws are deterministic per review id and seed.
    """

    def __init__(
        self,
        gold: Mapping[str, Any] | Callable[[ReviewRequest], Any],
        *,
        error_rate: float = 0.0,
        automation_bias: float = 0.0,
        latency_s: float = 0.0,
        labels: Sequence[Any] | None = None,
        worker_id: str = "simulated-1",
        seed: int | str = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        for name, value in (("error_rate", error_rate), ("automation_bias", automation_bias)):
            if not 0.0 <= value <= 1.0:
                raise InvalidArgumentError(f"{name} must lie in [0, 1], got {value}", field=name)
        self.gold = gold
        self.error_rate = error_rate
        self.automation_bias = automation_bias
        self.latency_s = latency_s
        self.labels = list(labels) if labels is not None else None
        self.worker_id = worker_id
        self.seed = str(seed)
        self.clock = clock
        self._first_seen: dict[str, float] = {}
        self.answered = 0

    def __call__(self, request: ReviewRequest) -> ReviewOutcome | None:
        if self.latency_s > 0:
            first = self._first_seen.setdefault(request.review_id, self.clock())
            if self.clock() - first < self.latency_s:
                return None
        truth = self.gold(request) if callable(self.gold) else self.gold[request.item]
        key = (self.seed, self.worker_id, request.review_id)
        label = truth
        model_wrong = request.model_output != truth
        if model_wrong and _unit(*key, "bias") < self.automation_bias:
            label = request.model_output
        elif _unit(*key, "error") < self.error_rate:
            choices = [x for x in (self.labels or request.labels or []) if x != truth]
            if choices:
                label = choices[int(_unit(*key, "pick") * len(choices))]
        self.answered += 1
        return outcome_from_label(request, label, worker_id=self.worker_id)
