"""The review graph's nodes.

Each node does one thing. The rule the whole design rests on: ``await_review`` only calls
``interrupt()``, because LangGraph re-runs an interrupted node from its top on resume; the model
call, the ledger writes and the start of the human review happen in earlier nodes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langgraph.errors import GraphBubbleUp
from langgraph.types import Command, interrupt
from pydantic import BaseModel

from hitl_agent.errors import ConfigError, HitlError, ModelError
from hitl_agent.graph.state import ReviewGraphState, ReviewResume
from hitl_agent.memory.base import CorrectionRecall
from hitl_agent.memory.ledger import Ledger
from hitl_agent.memory.signal import apply_memory_signal
from hitl_agent.models.base import ModelAdapter
from hitl_agent.models.callable import is_empty_output
from hitl_agent.models.context import model_context
from hitl_agent.policy.base import EscalationPolicy
from hitl_agent.review.base import ReviewBackend
from hitl_agent.review.ids import correction_id, review_id
from hitl_agent.review.inbox import outcome_from_human_response, to_human_interrupt
from hitl_agent.types import (
    Correction,
    Prediction,
    ReviewOutcome,
    ReviewRequest,
    TimeoutFallback,
    utcnow,
)
from hitl_agent.uncertainty.base import Scorer

log = logging.getLogger(__name__)


@dataclass
class ReviewLoopParts:
    """Everything the nodes call. The graph owns no I/O beyond what these parts do."""

    model: ModelAdapter
    scorer: Scorer
    policy: EscalationPolicy
    tiers: Sequence[ReviewBackend]
    ledger: Ledger
    task: str = "classification"
    labels: Sequence[str] | None = None
    memory: CorrectionRecall | None = None
    review_timeout: timedelta = timedelta(days=3)
    timeout_fallback: TimeoutFallback = "accept"
    """What an overdue review becomes: keep the model's output, reject it (abstain), or send it to
    the next reviewer tier (then ``final_fallback`` once the last tier has timed out too)."""
    final_fallback: Literal["accept", "reject"] = "accept"
    template: str | None = None
    memory_signal_weight: float = 0.0


def thread_id_of(config: RunnableConfig) -> str:
    thread = (config.get("configurable") or {}).get("thread_id")
    if not thread:
        raise ConfigError(
            "the review graph needs a thread id: invoke it with "
            '{"configurable": {"thread_id": ...}}',
            field="configurable.thread_id",
        )
    return str(thread)


class ReviewNodes:
    def __init__(self, parts: ReviewLoopParts) -> None:
        self.p = parts

    def _item_id(self, state: ReviewGraphState, config: RunnableConfig) -> str:
        return state.get("item_id") or thread_id_of(config)

    # -- recall ------------------------------------------------------------------------------

    def recall(self, state: ReviewGraphState, config: RunnableConfig) -> Command[Any]:
        if "input" not in state:
            raise ConfigError("the review graph's input needs an 'input' key", field="input")
        item_id = self._item_id(state, config)
        task = state.get("task") or self.p.task
        record = self.p.ledger.check_item(item_id, state["input"])
        base: dict[str, Any] = {"item_id": item_id, "task": task, "tier": 0}
        if record is not None and record.prediction is not None:
            # A re-run after a crash: the journaled prediction, not a second model call.
            base["prediction"] = record.prediction
        if record is not None and record.status == "finished":
            # Same thread, same input, already done: answer from the ledger, start nothing new.
            return Command(
                goto="finish",
                update={**base, "output": record.final_output,
                        "output_source": record.final_source or "model"},
            )
        similar = []
        if self.p.memory is not None:
            try:
                found = self.p.memory.recall(task, state["input"])
            except Exception as exc:  # noqa: BLE001 - the index is optional; the ledger is truth
                log.warning("correction memory unavailable, continuing without recall: %s", exc)
            else:
                similar = list(found.similar)
                if found.reuse is not None:
                    return Command(
                        goto="finish",
                        update={**base, "similar": similar, "output": found.reuse.final_output,
                                "output_source": "memory"},
                    )
        return Command(goto="predict", update={**base, "similar": similar})

    # -- predict, score, route ---------------------------------------------------------------

    def predict(self, state: ReviewGraphState, config: RunnableConfig) -> dict[str, Any]:
        item_id = state["item_id"]
        if state.get("prediction") is not None:
            return {}  # journaled before a crash (see recall)
        try:
            prediction = self.p.model.predict(state["input"], examples=state.get("similar", []))
            if not isinstance(prediction, Prediction):
                raise ModelError(f"model adapter returned {type(prediction).__name__}, "
                                 "not a Prediction", field="prediction")
            if is_empty_output(prediction.output):
                raise ModelError("model returned an empty output", field="output",
                                 rule="non-empty")
        except GraphBubbleUp:
            raise
        except HitlError as exc:
            self._fail(state, config, exc)
            exc.context.setdefault("thread_id", item_id)
            raise
        except Exception as exc:
            self._fail(state, config, exc)
            raise ModelError(f"model {getattr(self.p.model, 'model_id', '?')!r} raised "
                             f"{type(exc).__name__}: {exc}", thread_id=item_id) from exc
        return {"prediction": prediction}

    def _fail(self, state: ReviewGraphState, config: RunnableConfig,
              exc: BaseException) -> None:
        self.p.ledger.mark_failed(state["item_id"], state["task"], state["input"],
                                  f"{type(exc).__name__}: {exc}",
                                  thread_id=thread_id_of(config))

    def score(self, state: ReviewGraphState) -> dict[str, Any]:
        with_memory = getattr(self.p.scorer, "score_with_memory", None)
        if with_memory is not None and state.get("similar"):
            # a learned confidence reads the recalled corrections as signals of its own
            uncertainty = with_memory(state["prediction"], state["similar"])
        else:
            uncertainty = self.p.scorer(state["prediction"])
        if self.p.memory_signal_weight > 0 and state.get("similar"):
            uncertainty = apply_memory_signal(
                uncertainty, state["prediction"], state["similar"], self.p.memory_signal_weight
            )
        return {"uncertainty": uncertainty}

    def route(self, state: ReviewGraphState, config: RunnableConfig) -> Command[Any]:
        decision = self.p.policy.decide(state["item_id"], state["uncertainty"],
                                        state["prediction"])
        journal = {"task": state["task"], "input_value": state["input"],
                   "prediction": state["prediction"], "thread_id": thread_id_of(config),
                   "context": model_context(self.p.model, state["input"],
                                            state.get("similar", []), labels=self.p.labels)}
        if decision.action == "escalate":
            self.p.ledger.record_routing(state["item_id"], state["uncertainty"], decision,
                                         **journal)
            return Command(goto="dispatch", update={"decision": decision})
        output = state["prediction"].output
        self.p.ledger.record_routing(state["item_id"], state["uncertainty"], decision,
                                     final_output=output, final_source="model", **journal)
        return Command(goto="accept", update={"decision": decision})

    def accept(self, state: ReviewGraphState) -> dict[str, Any]:
        # The route node already finished the item in the ledger (one write on this path).
        return {"output": state["prediction"].output, "output_source": "model"}

    # -- the human review --------------------------------------------------------------------

    def dispatch(self, state: ReviewGraphState, config: RunnableConfig) -> Command[Any]:
        tier = state.get("tier", 0)
        backend = self.p.tiers[tier]
        item_id = state["item_id"]
        request = ReviewRequest(
            review_id=review_id(item_id, tier),
            thread_id=thread_id_of(config),
            item_id=item_id if item_id != thread_id_of(config) else None,
            task=state["task"],
            input=state["input"],
            model_output=state["prediction"].output,
            uncertainty=state["uncertainty"],
            decision=state["decision"],
            similar=state.get("similar", []),
            labels=list(self.p.labels) if self.p.labels is not None else None,
            deadline=utcnow() + self.p.review_timeout,
            tier=tier,
            template=self.p.template,
        )
        request = request.model_copy(update=dict(to_human_interrupt(request)))
        # The ledger row first: a crash after it and before the start leaves a pending row whose
        # re-run finds it (same id, same stored deadline) and starts the review then.
        record = self.p.ledger.open_review(request, backend.name)
        request = record.request
        if record.outcome is not None:
            return Command(goto="decide", update={"request": request, "outcome": record.outcome})
        backend.start(request)
        if backend.answers_synchronously:
            outcome = backend.result(request.review_id)
            if outcome is not None:
                if self.p.ledger.decide_review(request.review_id, outcome, decided_by="inline"):
                    self.p.ledger.mark_resumed(request.review_id, None)
                stored = self.p.ledger.get_review(request.review_id)
                assert stored is not None and stored.outcome is not None
                return Command(goto="decide", update={"request": request,
                                                      "outcome": stored.outcome})
        return Command(goto="await_review", update={"request": request})

    def await_review(self, state: ReviewGraphState) -> dict[str, Any]:
        # Nothing else here: this node re-runs from its top when the graph is resumed.
        outcome = interrupt(state["request"], response_schema=ReviewResume)  # type: ignore[call-overload]
        return {"outcome": outcome}

    def decide(self, state: ReviewGraphState) -> Command[Any]:  # noqa: C901
        outcome: Any = state["outcome"]
        request = state["request"]
        if isinstance(outcome, list):
            try:
                outcome = outcome_from_human_response(
                    request, [r.model_dump() if isinstance(r, BaseModel) else r for r in outcome])
            except HitlError as exc:
                # An inbox answer that does not fit the review (a label that is not one of the
                # choices, an empty reply): ask again, saying why, instead of failing the item.
                note = f"**Your last answer was refused:** {exc}\n\n"
                retry = request.model_copy(update={
                    "description": note + (request.description or "").split("\n\n", 1)[-1]})
                return Command(goto="await_review", update={"request": retry})
        elif isinstance(outcome, dict):
            outcome = ReviewOutcome.model_validate(outcome)
        # A resume that bypassed the Resumer still lands in the ledger (the CAS is a no-op if the
        # Resumer already moved the row).
        self.p.ledger.decide_review(request.review_id, outcome, decided_by="graph")
        self.p.ledger.mark_resumed(request.review_id, None)  # the graph has the outcome now
        prediction = state["prediction"]
        update: dict[str, Any] = {"outcome": outcome}
        if outcome.action == "timeout":
            return self._fallback(state, update)
        # accept keeps the model's output; edit and reject give the human's (None = abstain)
        output = prediction.output if outcome.action == "accept" else outcome.final_output
        update.update(output=output, output_source="human")
        return Command(goto="learn", update=update)

    def _fallback(self, state: ReviewGraphState, update: dict[str, Any]) -> Command[Any]:
        tier = state.get("tier", 0)
        choice = self.p.timeout_fallback
        if choice == "escalate":
            if tier + 1 < len(self.p.tiers):
                return Command(goto="dispatch", update={**update, "tier": tier + 1})
            choice = self.p.final_fallback
        output = state["prediction"].output if choice == "accept" else None
        update.update(output=output, output_source="fallback")
        return Command(goto="finish", update=update)

    def learn(self, state: ReviewGraphState) -> dict[str, Any]:
        outcome = state["outcome"]
        assert isinstance(outcome, ReviewOutcome)  # decide turned inbox answers into one
        request = state["request"]
        prediction = state["prediction"]
        decision = state["decision"]
        item_id = state["item_id"]
        correction = Correction(
            id=correction_id(item_id, request.review_id),
            task=state["task"],
            thread_id=item_id,
            review_id=request.review_id,
            input=state["input"],
            model_output=prediction.output,
            final_output=state.get("output"),
            action=outcome.action,
            agreement=outcome.agreement,
            answers=outcome.answers,
            source=outcome.source,
            confidence=state["uncertainty"].confidence,
            policy_id=decision.policy_id,
            reason=decision.reason,
            propensity=decision.propensity,
            model_id=prediction.model_id,
            model_version=prediction.model_version,
            prompt_version=prediction.prompt_version,
            created_at=request.deadline - self.p.review_timeout,
            decided_at=outcome.decided_at,
            split_group=item_id,
        )
        self.p.ledger.record_correction(correction)
        if self.p.memory is not None:
            try:
                self.p.memory.remember(correction)
            except Exception as exc:  # noqa: BLE001 - the ledger has it; `memory rebuild` repairs
                log.warning("correction %s not indexed (rebuild the index): %s",
                            correction.id, exc)
        return {"correction_id": correction.id}

    def finish(self, state: ReviewGraphState, config: RunnableConfig) -> dict[str, Any]:
        if state.get("output_source") == "model" and state.get("decision") is not None:
            return {}  # written by route
        self.p.ledger.finish_item(state["item_id"], state.get("output"),
                                  state.get("output_source", "model"), task=state["task"],
                                  input_value=state["input"], thread_id=thread_id_of(config))
        return {}
