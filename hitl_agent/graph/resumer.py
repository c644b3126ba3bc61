"""The Resumer: continues waiting graphs when their reviews end, exactly once.

Every resume goes through the ledger's compare-and-set (``pending → decided``); only the winner
calls ``Command(resume={interrupt_id: outcome})``. A resumer that dies between the two leaves a
``decided`` row whose lease runs out; :meth:`Resumer.recover` takes it over.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from hitl_agent.errors import AlreadyDecided, ReviewError, ReviewNotFound, ValidationError
from hitl_agent.graph.parts import loop_of
from hitl_agent.memory.ledger import ITEM_STATUSES, Ledger, ReviewRecord
from hitl_agent.review.base import ReviewBackend, ReviewChangeFeed
from hitl_agent.review.decisions import check_outcome, outcome_from_answer
from hitl_agent.types import ReviewOutcome, utcnow

log = logging.getLogger(__name__)

UNFINISHED_STATUSES = tuple(s for s in ITEM_STATUSES if s not in ("finished", "failed"))


@dataclass
class ResumeReport:
    resumed: list[str] = field(default_factory=list)
    timed_out: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    still_pending: int = 0

    def merge(self, other: ResumeReport) -> None:
        self.resumed += other.resumed
        self.timed_out += other.timed_out
        self.failed += other.failed
        self.still_pending += other.still_pending


def decide_in_graph(ledger: Ledger, review_id: str, outcome: ReviewOutcome, *,
                    decided_by: str) -> ReviewOutcome:
    """A running graph holds an answer (an inline backend's, a resume value): the ledger's
    compare-and-set ``pending → decided``, then ``resumed`` (the graph has it). Returns the
    outcome the ledger keeps: this one, or the one decided first by someone else."""
    won = ledger.decide_review(review_id, outcome, decided_by=decided_by)
    ledger.mark_resumed(review_id, None)
    if won:
        return outcome
    stored = ledger.get_review(review_id)
    return stored.outcome if stored is not None and stored.outcome is not None else outcome


class Resumer:
    """Polls review backends, sweeps overdue reviews, and resumes the graphs they belong to.

    ``graph`` is the graph to resume: the review graph itself, or the user's graph that contains
    it as a subgraph (interrupts of subgraphs surface in the parent's state). ``backends`` maps a
    backend name (as stored in the ledger) to the backend.
    """

    def __init__(
        self,
        graph: CompiledStateGraph[Any, Any, Any, Any],
        ledger: Ledger,
        backends: Mapping[str, ReviewBackend] | Sequence[ReviewBackend],
        *,
        worker_id: str | None = None,
        lease_seconds: float = 300.0,
        poll_limit: int = 1000,
    ) -> None:
        if poll_limit < 2:
            raise ValidationError("poll_limit must be at least 2", field="poll_limit",
                                  rule="minimum")
        self.graph = graph
        self.ledger = ledger
        if isinstance(backends, Mapping):
            self.backends = dict(backends)
        else:
            self.backends = {b.name: b for b in backends}
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self.lease_seconds = lease_seconds
        self.poll_limit = poll_limit
        self._cursors: dict[str, str] = {}
        self._rotation: tuple[datetime, str] | None = None  # where the next page starts

    @classmethod
    def for_graph(cls, graph: CompiledStateGraph[Any, Any, Any, Any], **kwargs: Any) -> Resumer:
        """A resumer for a graph made by :meth:`ReviewLoop.compile` or ``build_review_graph``
        (same as ``loop.resumer(graph)``)."""
        loop = loop_of(graph)
        if loop is None:
            raise ReviewError("graph was not made by a ReviewLoop; use loop.resumer(graph) or "
                              "pass ledger and backends to Resumer()", field="graph")
        return cls(graph, loop.ledger, list(loop.tiers), **kwargs)

    # -- one pass ----------------------------------------------------------------------------

    def run_once(self, now: datetime | None = None) -> ResumeReport:
        """Recover stalled resumes, sweep overdue reviews, then poll every pending one."""
        report = self.recover(now)
        report.merge(self.sweep(now))
        report.merge(self.poll(now))
        return report

    def poll(self, now: datetime | None = None) -> ResumeReport:
        """Poll pending reviews, at most ``poll_limit`` a pass: the half with the earliest
        deadlines every pass, and a page of the others in turn, so that every pending review is
        polled within a few passes however many there are.

        A backend that can say what changed (``ReviewChangeFeed``) is asked about the reviews
        that changed since the last pass only; the first pass of this resumer polls its reviews
        with the others', since it cannot know what changed before it started (a review of it
        left out of that pass and answered before then is resumed at the latest when its
        deadline comes: the sweep takes a late answer over the timeout)."""
        report = ResumeReport()
        told: list[str] = []
        for name, backend in self.backends.items():
            if not isinstance(backend, ReviewChangeFeed):
                continue
            known = self._cursors.get(name)
            feed = backend.changed_reviews(known)
            if feed is None:
                continue
            changed, self._cursors[name] = feed
            if known is None:
                continue  # catch up with the poll below; the feed from now on
            told.append(name)
            for review_id in changed:
                report.merge(self.poll_review(review_id))
        report.merge(self._poll(self._due(told)))
        return report

    def _due(self, told: list[str]) -> list[ReviewRecord]:
        """This pass's reviews to poll (of the backends not in ``told``)."""
        half = self.poll_limit // 2
        urgent = self.ledger.pending_reviews(exclude_backends=told, limit=half)
        if len(urgent) < half:
            self._rotation = None
            return urgent  # every pending review is among them
        start = (urgent[-1].deadline, urgent[-1].id)
        room = self.poll_limit - len(urgent)
        after = self._rotation if self._rotation is not None and self._rotation > start else start
        page = self.ledger.pending_reviews(exclude_backends=told, limit=room, after=after)
        if len(page) == room:
            self._rotation = (page[-1].deadline, page[-1].id)
            return urgent + page
        # The turn came to its end; the next one starts in this pass, right after the urgent.
        taken = {r.id for r in page}
        again = [] if after == start else [
            r for r in self.ledger.pending_reviews(
                exclude_backends=told, limit=room - len(page), after=start)
            if r.id not in taken]
        self._rotation = (again[-1].deadline, again[-1].id) if again else None
        return urgent + page + again

    def poll_review(self, review_id: str) -> ResumeReport:
        """Check one review now (a status-change event named it)."""
        review = self.ledger.get_review(review_id)
        if review is None:
            return ResumeReport()
        if review.state == "decided":
            return self._recover_one(review)
        if review.state != "pending":
            return ResumeReport()
        return self._poll([review])

    def _poll(self, pending: list[ReviewRecord]) -> ResumeReport:
        report = ResumeReport()
        for review in pending:
            backend = self.backends.get(review.backend)
            if backend is None:
                log.warning("review %s belongs to unknown backend %r", review.id, review.backend)
                report.still_pending += 1
                continue
            try:
                status = backend.status(review.id)
                if status.state == "completed":
                    outcome = backend.result(review.id)
                    if outcome is None:
                        report.still_pending += 1
                        continue
                elif status.state in ("failed", "expired", "stopped"):
                    outcome = ReviewOutcome(
                        action="timeout", source="sweeper", review_id=review.id,
                        reviewer_tier=review.tier,
                        rationale=f"review {status.state}: {status.failure_reason or ''}".strip(),
                    )
                elif status.state == "missing":
                    # The dispatch crashed before starting the review: start it again.
                    backend.start(review.request)
                    report.still_pending += 1
                    continue
                else:
                    report.still_pending += 1
                    continue
            except ReviewError as exc:
                log.warning("polling review %s failed: %s", review.id, exc)
                report.failed.append(review.id)
                continue
            try:
                outcome = check_outcome(review.request, outcome)
            except ValidationError as exc:
                # The backend's answer does not fit the review: it stays pending (and is
                # reported), never resumed with an answer the graph would refuse.
                log.warning("review %s: the backend's answer is refused: %s", review.id, exc)
                report.failed.append(review.id)
                continue
            result = self._decide_and_resume(review, outcome)
            if result == "resumed":
                (report.timed_out if outcome.action == "timeout" else report.resumed).append(
                    review.id)
            elif result == "deferred":
                report.still_pending += 1
        return report

    def sweep(self, now: datetime | None = None) -> ResumeReport:
        """Resume every review past its deadline with a ``timeout`` outcome."""
        report = ResumeReport()
        now = now or utcnow()
        for review in self.ledger.overdue_reviews(now):
            backend = self.backends.get(review.backend)
            if backend is not None:
                # A late answer that already arrived wins over the timeout.
                try:
                    late = backend.result(review.id)
                except ReviewError:
                    late = None
                if late is not None:
                    result = self._decide_and_resume(review, late)
                    if result == "resumed":
                        report.resumed.append(review.id)
                    elif result == "deferred":
                        report.still_pending += 1
                    continue
                try:
                    backend.stop(review.id)
                except ReviewError as exc:
                    log.info("could not stop overdue review %s: %s", review.id, exc)
            outcome = ReviewOutcome(
                action="timeout", source="sweeper", review_id=review.id,
                reviewer_tier=review.tier,
                rationale=f"deadline {review.deadline.isoformat()} passed",
            )
            result = self._decide_and_resume(review, outcome)
            if result == "resumed":
                report.timed_out.append(review.id)
            elif result == "deferred":
                report.still_pending += 1
        return report

    def recover(self, now: datetime | None = None) -> ResumeReport:
        """Resume reviews that were decided but whose resumer died before resuming them."""
        report = ResumeReport()
        for review in self.ledger.unresumed_reviews(now):
            report.merge(self._recover_one(review))
        return report

    def _recover_one(self, review: ReviewRecord) -> ResumeReport:
        report = ResumeReport()
        if not self.ledger.claim_resume(review.id, by=self.worker_id,
                                        lease_seconds=self.lease_seconds):
            return report
        if review.outcome is None:  # pragma: no cover - decided rows carry their outcome
            raise ReviewError(f"review {review.id} is decided without an outcome",
                              review_id=review.id)
        if self._resume(review, review.outcome):
            report.resumed.append(review.id)
        else:
            self.ledger.release_resume(review.id)
            report.still_pending += 1
        return report

    def recover_stalled(self, *, stale_after: float = 300.0) -> list[str]:
        """Continue items whose process died mid-run (not waiting for a review, not finished).

        Only items untouched for ``stale_after`` seconds count as stalled: a younger one may be
        running in another process right now. An item with a checkpoint continues from it; one
        that died before its first checkpoint is started again from the input the ledger holds.
        Every step is idempotent, so a step that had written before the crash finds its write.
        """
        continued: list[str] = []
        cutoff = utcnow() - timedelta(seconds=stale_after)
        for status in UNFINISHED_STATUSES:
            for item in self.ledger.iter_items(status=status):
                if item.updated_at > cutoff:
                    continue
                config: RunnableConfig = {"configurable": {"thread_id": item.thread_id}}
                state = self.graph.get_state(config)
                if state.interrupts:
                    continue  # waiting for a person: poll/sweep handle it
                if state.next:
                    self.graph.invoke(None, config)
                elif not state.values:
                    start: dict[str, Any] = {"input": item.input, "task": item.task}
                    if item.id != item.thread_id:
                        start["item_id"] = item.id
                    self.graph.invoke(start, config)
                else:
                    continue
                continued.append(item.id)
        return continued

    def answer(self, review_id: str, answer: Any, *,
               worker_id: str | None = None) -> ReviewOutcome:
        """Decide a review directly (a console, an inbox UI): CAS, then resume; returns the
        outcome used.

        ``answer`` is anything a review is resumed with (LangChain's ``{"decisions": [...]}``
        or one decision, Agent Inbox's ``[HumanResponse]``, a :class:`ReviewOutcome` or its
        dict). Raises :class:`~hitl_agent.errors.ValidationError` (naming the field and the rule)
        when it does not fit the review, which stays pending, and :class:`AlreadyDecided` when
        someone else decided it first.
        """
        review = self.ledger.get_review(review_id)
        if review is None:
            raise ReviewNotFound(f"no review {review_id!r} in the ledger", review_id=review_id)
        if review.state != "pending":
            raise AlreadyDecided(f"review {review_id!r} is {review.state}, no longer pending",
                                 review_id=review_id, state=review.state)
        outcome = outcome_from_answer(review.request, answer, worker_id=worker_id)
        if self._decide_and_resume(review, outcome) == "lost":
            raise AlreadyDecided(f"review {review_id!r} was decided already",
                                 review_id=review_id, state=review.state)
        return outcome

    # -- internals ---------------------------------------------------------------------------

    def _decide_and_resume(
        self, review: ReviewRecord, outcome: ReviewOutcome
    ) -> Literal["resumed", "deferred", "lost"]:
        """CAS ``pending → decided``, then resume: ``lost`` when another worker decided first,
        ``deferred`` when the graph is not waiting yet (the next recovery pass resumes it)."""
        outcome = outcome.model_copy(update={"review_id": review.id,
                                             "reviewer_tier": review.tier})
        if not self.ledger.decide_review(review.id, outcome, decided_by=self.worker_id,
                                         lease_seconds=self.lease_seconds):
            return "lost"
        if self._resume(review, outcome):
            return "resumed"
        self.ledger.release_resume(review.id)
        return "deferred"

    def _resume(self, review: ReviewRecord, outcome: ReviewOutcome) -> bool:
        """Resume the graph waiting on ``review``; False when it is not waiting (yet).

        A graph that is not at this review's interrupt may be running right now in another
        process (with ``durability="exit"`` nothing of a run is visible until it ends), so it is
        never invoked from here: the review stays ``decided`` and :meth:`recover` retries once its
        lease has run out, and :meth:`recover_stalled` continues graphs that really stopped.
        """
        config: RunnableConfig = {"configurable": {"thread_id": review.thread_id}}
        state = self.graph.get_state(config, subgraphs=True)
        found = _find_interrupt(state, review.id)
        if found is None:
            if _went_past(state, review):
                self.ledger.mark_resumed(review.id, None)
                return True
            return False
        interrupt_id, value = found
        batch = value.get("review_ids") if isinstance(value, dict) else None
        if isinstance(batch, list) and len(batch) > 1:
            # One interrupt for several reviews (batched tool approval): resumed once every
            # one of them is decided, with all their outcomes.
            outcomes: dict[str, Any] = {}
            for rid in batch:
                other = outcome if rid == review.id else self._decided(rid)
                if other is None:
                    return False
                outcomes[rid] = other.model_dump(mode="json")
            self.graph.invoke(Command(resume={interrupt_id: {"outcomes": outcomes}}), config)
            for rid in batch:
                self.ledger.mark_resumed(rid, interrupt_id)
            return True
        self.graph.invoke(Command(resume={interrupt_id: outcome.model_dump(mode="json")}),
                          config)
        self.ledger.mark_resumed(review.id, interrupt_id)
        return True

    def _decided(self, review_id: str) -> ReviewOutcome | None:
        record = self.ledger.get_review(review_id)
        if record is None or record.state not in ("decided", "resumed"):
            return None
        return record.outcome


def _went_past(state: Any, review: ReviewRecord) -> bool:
    """The graph is idle and its last run got beyond this review (decided inline, or resumed
    before a crash)."""
    if state.next or state.interrupts or not state.values:
        return False
    request = state.values.get("request")
    rid = getattr(request, "review_id", None)
    if rid is None and isinstance(request, dict):
        rid = request.get("review_id")
    return rid is None or rid == review.id or state.values.get("tier", 0) > review.tier


def _find_interrupt(state: Any, review_id: str) -> tuple[str, Any] | None:
    """``(interrupt id, value)`` of the interrupt waiting on ``review_id``."""
    for intr in getattr(state, "interrupts", ()) or ():
        value = intr.value
        rid = getattr(value, "review_id", None)
        if rid is None and isinstance(value, dict):
            rid = value.get("review_id")
            if review_id in (value.get("review_ids") or ()):
                rid = review_id
        if rid == review_id:
            return str(intr.id), value
    for task in getattr(state, "tasks", ()) or ():
        sub = getattr(task, "state", None)
        if sub is not None and hasattr(sub, "interrupts"):
            found = _find_interrupt(sub, review_id)
            if found:
                return found
    return None
