"""The review graph's nodes.

Each node does one thing. The rule the whole design rests on: ``await_review`` only calls
``interrupt()``, because LangGraph re-runs an interrupted node from its top on resume; the model
call, the ledger writes and the start of the human review happen in earlier nodes.

The state holds JSON (see :mod:`hitl_agent.graph.state`); nodes read it back into the typed
models of :mod:`hitl_agent.types` where they compute with it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from hitl_agent._lazy import lazy_exports
from hitl_agent.canonical import content_hash
from hitl_agent.errors import ConfigError, HitlError, ThreadInputConflict
from hitl_agent.graph.parts import predict_checked, recall_or_none, remember_or_warn
from hitl_agent.graph.resumer import decide_in_graph
from hitl_agent.graph.state import ReviewGraphConfig, ReviewGraphState
from hitl_agent.memory.signal import apply_memory_signal
from hitl_agent.models.context import model_context
from hitl_agent.review.decisions import check_outcome, resume_json_schema, resume_type
from hitl_agent.review.ids import correction_id, review_id
from hitl_agent.review.inbox import to_hitl_request, to_human_interrupt
from hitl_agent.types import (
    Correction,
    Prediction,
    ReviewOutcome,
    ReviewRequest,
    RoutingDecision,
    SimilarCorrection,
    Uncertainty,
    utcnow,
)

if TYPE_CHECKING:
    from hitl_agent.graph.parts import LoopParts

log = logging.getLogger(__name__)


def dump(value: Any) -> Any:
    """The JSON form the state keeps of a typed value."""
    return value.model_dump(mode="json") if hasattr(value, "model_dump") else value


def read(kind: Any, value: Any) -> Any:
    """A flat model (Prediction, Uncertainty, RoutingDecision) back from the state this graph
    wrote: no second validation on the hot path."""
    return value if isinstance(value, kind) else kind.model_construct(**value)


def next_item_id(ledger: Any, thread_id: str, task: str, input_value: Any) -> str:
    """The item a run of ``thread_id`` reviews ``input_value`` under.

    A thread's items are ``<thread>``, ``<thread>#2``, ``<thread>#3``, …: the latest one is
    this run's when it holds the same task and input (a re-run after a crash, or a retried call:
    exactly once), else the next id is new. Explicit ids (``item_id``) bypass this.
    """
    digest = content_hash(input_value)
    latest: str | None = None
    n = 1
    while True:
        candidate = thread_id if n == 1 else f"{thread_id}#{n}"
        record = ledger.get_item(candidate)
        if record is None:
            break
        latest, n = candidate, n + 1
        if n > 10_000:  # pragma: no cover - a guard, not a limit anyone should meet
            raise ConfigError(f"thread {thread_id!r} holds over 10000 items; pass item_id",
                              field="item_id")
    if latest is not None:
        record = ledger.get_item(latest)
        if record is not None and record.task == task and content_hash(record.input) == digest:
            return latest
    return thread_id if n == 1 else f"{thread_id}#{n}"


def thread_id_of(config: RunnableConfig) -> str:
    thread = (config.get("configurable") or {}).get("thread_id")
    if not thread:
        raise ConfigError(
            "the review graph needs a thread id: invoke it with "
            '{"configurable": {"thread_id": ...}}',
            field="configurable.thread_id",
        )
    return str(thread)


RUN_RESET: dict[str, Any] = {
    "similar": [], "prediction": None, "uncertainty": None, "decision": None, "tier": 0,
    "request": None, "outcome": None, "output": None, "output_source": None,
    "correction_id": None,
}
"""The state keys every run of the graph starts clean (``recall`` writes them first): a thread's
state outlives its runs."""


class ReviewNodes:
    def __init__(self, loop: LoopParts) -> None:
        self.p = loop

    def _item(self, state: ReviewGraphState, config: RunnableConfig,
              task: str) -> tuple[str, Any]:
        """The run's item id and what the ledger knows of it (one read for a new thread)."""
        given = state.get("item_id")
        if given:
            return given, self.p.ledger.check_item(given, state["input"])
        thread = thread_id_of(config)
        try:
            if self.p.ledger.check_item(thread, state["input"]) is None:
                return thread, None  # the thread's first item
        except ThreadInputConflict:
            pass  # the thread holds other items: find this run's
        item_id = next_item_id(self.p.ledger, thread, task, state["input"])
        return item_id, self.p.ledger.check_item(item_id, state["input"])

    # -- recall ------------------------------------------------------------------------------

    def recall(self, state: ReviewGraphState, config: RunnableConfig) -> Command[Any]:
        if "input" not in state:
            raise ConfigError("the review graph's input needs an 'input' key", field="input")
        task = state.get("task") or self.p.task
        item_id, record = self._item(state, config, task)
        # A thread's state outlives a run: start this item clean (and consume the input's
        # item_id, so that the thread's next run derives its own).
        base: dict[str, Any] = {**RUN_RESET, "item": item_id, "item_id": None, "task": task}
        if record is not None and record.prediction is not None:
            # A re-run after a crash: the journaled prediction, not a second model call.
            base["prediction"] = dump(record.prediction)
        if record is not None and record.status == "finished":
            # Same thread, same input, already done: answer from the ledger, start nothing new.
            return Command(
                goto="finish",
                update={**base, "output": record.final_output,
                        "output_source": record.final_source or "model"},
            )
        similar = []
        found = recall_or_none(self.p.memory, task, state["input"])
        if found is not None:
            similar = [dump(s) for s in found.similar]
            if found.reuse is not None:
                return Command(
                    goto="finish",
                    update={**base, "similar": similar, "output": found.reuse.final_output,
                            "output_source": "memory"},
                )
        return Command(goto="predict", update={**base, "similar": similar})

    # -- predict, score, route ---------------------------------------------------------------

    def predict(self, state: ReviewGraphState, config: RunnableConfig) -> dict[str, Any]:
        item_id = state["item"]
        if state.get("prediction") is not None:
            return {}  # journaled before a crash (see recall)
        try:
            examples = [SimilarCorrection.model_validate(s) for s in state.get("similar") or []]
            prediction = predict_checked(self.p.model, state["input"], examples)
            if (state["task"] == "classification" and self.p.labels is None
                    and not prediction.probabilities):
                raise ConfigError(
                    "a classification review needs its choices: pass labels=[...] to the "
                    "ReviewLoop (or build_review_graph), or have the model return "
                    "probabilities", field="labels", rule="required")
        except HitlError as exc:
            self._fail(state, config, exc)
            exc.context.setdefault("thread_id", item_id)
            raise
        return {"prediction": dump(prediction)}

    def _fail(self, state: ReviewGraphState, config: RunnableConfig,
              exc: BaseException) -> None:
        self.p.ledger.mark_failed(state["item"], state["task"], state["input"],
                                  f"{type(exc).__name__}: {exc}",
                                  thread_id=thread_id_of(config))

    def score(self, state: ReviewGraphState) -> dict[str, Any]:
        prediction = read(Prediction, state["prediction"])
        with_memory = getattr(self.p.scorer, "score_with_memory", None)
        if with_memory is not None and state.get("similar"):
            # a learned confidence reads the recalled corrections as signals of its own
            uncertainty = with_memory(
                prediction, [SimilarCorrection.model_validate(s) for s in state["similar"]])
        else:
            uncertainty = self.p.scorer(prediction)
        if self.p.memory_signal_weight > 0 and state.get("similar"):
            similar = [SimilarCorrection.model_validate(s) for s in state["similar"]]
            uncertainty = apply_memory_signal(uncertainty, prediction, similar,
                                              self.p.memory_signal_weight)
        return {"uncertainty": dump(uncertainty)}

    def route(self, state: ReviewGraphState, config: RunnableConfig) -> Command[Any]:
        prediction = read(Prediction, state["prediction"])
        uncertainty = read(Uncertainty, state["uncertainty"])
        decision = self.p.policy.decide(state["item"], uncertainty, prediction)
        journal = {"task": state["task"], "input_value": state["input"],
                   "prediction": prediction, "thread_id": thread_id_of(config),
                   "context": model_context(
                       self.p.model, state["input"],
                       [SimilarCorrection.model_validate(s) for s in state.get("similar") or []],
                       labels=self.p.labels)}
        if decision.action == "escalate":
            self.p.ledger.record_routing(state["item"], uncertainty, decision, **journal)
            return Command(goto="dispatch", update={"decision": dump(decision)})
        # Accepted: the item is finished in this one ledger write and the run ends here (an
        # accept and a finish node would only cost LangGraph two more steps per item).
        self.p.ledger.record_routing(state["item"], uncertainty, decision,
                                     final_output=prediction.output, final_source="model",
                                     **journal)
        return Command(goto=END, update={"decision": dump(decision),
                                         "output": prediction.output, "output_source": "model"})

    # -- the human review --------------------------------------------------------------------

    def dispatch(self, state: ReviewGraphState, config: RunnableConfig,
                 runtime: Runtime[ReviewGraphConfig]) -> Command[Any]:
        context: ReviewGraphConfig = runtime.context or {}  # type: ignore[assignment]
        tier = state.get("tier") or int(context.get("reviewer_tier", 0))
        if not 0 <= tier < len(self.p.tiers):
            raise ConfigError(f"reviewer_tier {tier} does not exist (tiers: 0.."
                              f"{len(self.p.tiers) - 1})", field="reviewer_tier")
        timeout = self.p.review_timeout
        if context.get("review_timeout_seconds"):
            timeout = timedelta(seconds=float(context["review_timeout_seconds"]))
        backend = self.p.tiers[tier]
        item_id = state["item"]
        thread = thread_id_of(config)
        prediction = Prediction.model_validate(state["prediction"])
        uncertainty = Uncertainty.model_validate(state["uncertainty"])
        request = ReviewRequest(
            review_id=review_id(item_id, tier),
            thread_id=thread,
            item_id=item_id if item_id != thread else None,
            task=state["task"],
            input=state["input"],
            model_output=prediction.output,
            uncertainty=uncertainty,
            decision=RoutingDecision.model_validate(state["decision"]),
            confidence=uncertainty.confidence,
            similar=[SimilarCorrection.model_validate(s) for s in state.get("similar", [])],
            labels=self._labels(state["task"], prediction, item_id),
            deadline=utcnow() + timeout,
            tier=tier,
            template=self.p.template,
            response_schema=resume_json_schema(),
        )
        request = request.model_copy(update={**to_human_interrupt(request),
                                             **to_hitl_request(request)})
        # The ledger row first: a crash after it and before the start leaves a pending row whose
        # re-run finds it (same id, same stored deadline) and starts the review then.
        record = self.p.ledger.open_review(request, backend.name)
        request = record.request
        if record.outcome is not None:
            return Command(goto="decide", update={"request": dump(request),
                                                  "outcome": dump(record.outcome), "tier": tier})
        backend.start(request)
        if backend.answers_synchronously:
            outcome = backend.result(request.review_id)
            if outcome is not None:
                outcome = check_outcome(request, outcome)  # a reviewer function's mistake
                outcome = decide_in_graph(self.p.ledger, request.review_id, outcome,
                                          decided_by="inline")
                return Command(goto="decide", update={"request": dump(request), "tier": tier,
                                                      "outcome": dump(outcome)})
        return Command(goto="await_review", update={"request": dump(request), "tier": tier})

    def _labels(self, task: str, prediction: Prediction, item_id: str) -> list[str] | None:
        """A classification review's choices: the loop's labels, else the model's classes."""
        if self.p.labels is not None:
            return list(self.p.labels)
        if prediction.probabilities:
            return list(prediction.probabilities)
        if task == "classification":
            raise ConfigError(
                "a classification review needs its choices: pass labels=[...] to the "
                "ReviewLoop (or build_review_graph), or have the model return probabilities",
                field="labels", rule="required", item_id=item_id)
        return None

    def await_review(self, state: ReviewGraphState) -> dict[str, Any]:
        # Nothing else here: this node re-runs from its top when the graph is resumed. A resume
        # value that does not fit the review is refused by LangGraph before anything is saved.
        request = ReviewRequest.model_validate(state["request"])
        outcome = interrupt(state["request"], response_schema=resume_type(request))
        return {"outcome": outcome}

    def decide(self, state: ReviewGraphState) -> Command[Any]:
        # A resume that bypassed the Resumer still lands in the ledger (the CAS is a no-op when
        # the Resumer or the inline answer decided the row first; the ledger's outcome wins).
        outcome = decide_in_graph(self.p.ledger, state["request"]["review_id"],
                                  ReviewOutcome.model_validate(state["outcome"]),
                                  decided_by="graph")
        prediction = state["prediction"]
        update: dict[str, Any] = {"outcome": dump(outcome)}
        if outcome.action == "timeout":
            return self._fallback(state, update)
        # accept keeps the model's output; edit and reject give the human's (None = abstain)
        output = prediction["output"] if outcome.action == "accept" else outcome.final_output
        update.update(output=output, output_source="human")
        return Command(goto="learn", update=update)

    def _fallback(self, state: ReviewGraphState, update: dict[str, Any]) -> Command[Any]:
        tier = state.get("tier", 0)
        choice = self.p.timeout_fallback
        if choice == "escalate":
            if tier + 1 < len(self.p.tiers):
                return Command(goto="dispatch", update={**update, "tier": tier + 1})
            choice = self.p.final_fallback
        output = state["prediction"]["output"] if choice == "accept" else None
        update.update(output=output, output_source="fallback")
        return Command(goto="finish", update=update)

    def learn(self, state: ReviewGraphState) -> dict[str, Any]:
        outcome = ReviewOutcome.model_validate(state["outcome"])
        request = ReviewRequest.model_validate(state["request"])
        prediction = Prediction.model_validate(state["prediction"])
        decision = RoutingDecision.model_validate(state["decision"])
        item_id = state["item"]
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
            confidence=request.uncertainty.confidence,
            policy_id=decision.policy_id,
            reason=decision.reason,
            propensity=decision.propensity,
            model_id=prediction.model_id,
            model_version=prediction.model_version,
            prompt_version=prediction.prompt_version,
            created_at=min(request.deadline - self.p.review_timeout, outcome.decided_at),
            decided_at=outcome.decided_at,
            split_group=item_id,
        )
        self.p.ledger.record_correction(correction)
        remember_or_warn(self.p.memory, correction)
        return {"correction_id": correction.id}

    def finish(self, state: ReviewGraphState, config: RunnableConfig) -> dict[str, Any]:
        self.p.ledger.finish_item(state["item"], state.get("output"),
                                  state.get("output_source", "model"), task=state["task"],
                                  input_value=state["input"], thread_id=thread_id_of(config))
        return {}


__getattr__, __dir__ = lazy_exports(globals(), deprecated={
    "ReviewLoopParts": "hitl_agent.graph.loop:ReviewLoop",
})
