"""The feedback loop in rounds, the same for every review backend.

Each round: the stream's items go through the review graph as one batch (recall → predict →
score → route for all of them, the sure ones accepted in one ledger transaction, the rest
through the graph: people → learn); the round waits until every review is answered and
resumed; the round's corrections are indexed in the correction memory at once; then the loop
learns: the threshold is recalibrated on the people's verdicts, the model is retrained on their
corrections, and the corrections are exported as a dataset.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from hitl_agent.canonical import content_hash
from hitl_agent.data_folder import DataFolder
from hitl_agent.demo.config import DemoConfig
from hitl_agent.demo.figures import DemoResult, RoundFigures, round_figures
from hitl_agent.demo.learn import Guarantee, export_round, recalibrate, retrain
from hitl_agent.demo.stream import DemoStream, RoundItems, fit_first_model, prepare_stream
from hitl_agent.errors import ReviewError
from hitl_agent.memory.base import Recall
from hitl_agent.memory.ledger import Ledger
from hitl_agent.review.base import ReviewBackend
from hitl_agent.types import Correction

if TYPE_CHECKING:
    from hitl_agent.memory.correction_memory import CorrectionMemory

TASK = "digits"
MODEL_ID = "digits-logreg"

BATCH = 80
"""Items per batch through the graph: a round of 240 in three (the progress bar moves thrice)."""

Progress = Callable[[int, int], None]
"""Called with (round number, items done in it) as items pass through the graph."""


class RoundMemory:
    """The correction memory as the round's graph sees it.

    - ``remember`` leaves the index to :meth:`index_new`, which indexes every correction the
      ledger gained since it last ran in one batch (one embedding call, one chromadb ``add``),
      not one by one. The ledger records each correction as the graph learns it, so nothing is
      lost: a run that stops mid-round leaves the index behind the ledger, and the next run's
      first :meth:`index_new` catches up (the memory's writes are upserts by id).
    - ``recall``: the index does not change during a round, so an input's nearest corrections
      are looked up once per round (the batch routes an item, then the graph recalls it again
      when it escalates); the exact-match answer, which the ledger gives and which a correction
      of this round may add, is looked up every time.
    """

    def __init__(self, memory: CorrectionMemory, ledger: Ledger) -> None:
        self.memory, self.ledger = memory, ledger
        # An index in sync holds every correction so far; any other is caught up in full.
        self.after_seq = ledger.last_correction_seq() if memory.stats()["in_sync"] else 0
        self._nearest: dict[tuple[str, str], Recall] = {}

    def recall(self, task: str, input: Any) -> Recall:
        key = (task, content_hash(input))
        known = self._nearest.get(key)
        if known is None:
            found = self.memory.recall(task, input)
            if found.reuse is None:
                self._nearest[key] = found
            return found
        exact = self.memory.recall(task, input, k=0)  # the ledger's exact match only
        return exact if exact.reuse is not None else known

    def remember(self, correction: Correction) -> None:
        """Nothing yet: the ledger has the correction, :meth:`index_new` indexes it."""

    def index_new(self) -> int:
        """Index the ledger's corrections since the last call; how many."""
        self._nearest.clear()
        records = list(self.ledger.iter_corrections(after_seq=self.after_seq))
        if not records:
            return 0
        self.memory.remember_many(r.correction for r in records)
        self.after_seq = records[-1].seq
        return len(records)


@dataclass
class ReviewSession:
    """What a review mode provides to the loop: the backend the graph dispatches to, the task
    template reviewers see, and figures only that mode knows (read after the run)."""

    reviews: ReviewBackend
    template: str | None = None
    extra: Callable[[], dict[str, Any]] = field(default=lambda: {})


class ReviewMode(Protocol):
    def __call__(self, cfg: DemoConfig, stream: DemoStream, folder: DataFolder
                 ) -> AbstractContextManager[ReviewSession]: ...


@contextmanager
def in_process_reviews(cfg: DemoConfig, stream: DemoStream, folder: DataFolder
                       ) -> Iterator[ReviewSession]:
    """Simulated people answering in this process, as soon as a review starts."""
    from hitl_agent.review.in_process import InProcessReviews
    from hitl_agent.review.simulated import SimulatedReviewer

    reviewer = SimulatedReviewer(stream.gold, error_rate=cfg.reviewer_error_rate,
                                 labels=stream.labels, seed=cfg.seed)
    yield ReviewSession(InProcessReviews(reviewer))


def run_demo(cfg: DemoConfig, *, mode: ReviewMode | None = None,
             progress: Progress | None = None) -> DemoResult:
    """Run every round of the loop in ``cfg.data`` and return the figures of each.

    BLAS runs on one thread: the demo's matrices are small (a few hundred digits of 64
    pixels), and on a busy machine threads that wait for each other cost ten times the work.
    """
    import sklearn.linear_model  # noqa: F401 - loads scipy's BLAS: a limit reaches loaded ones
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _run_demo(cfg, mode or in_process_reviews, progress)


def _run_demo(cfg: DemoConfig, mode: ReviewMode, progress: Progress | None) -> DemoResult:
    from hitl_agent.graph.build import build_review_graph
    from hitl_agent.memory.correction_memory import CorrectionMemory
    from hitl_agent.memory.index import ChromaIndex
    from hitl_agent.models.sklearn import SklearnClassifier
    from hitl_agent.policy.threshold import ThresholdPolicy
    from hitl_agent.uncertainty.scorers import MaxProbabilityScorer

    start = time.perf_counter()
    stream = prepare_stream(cfg, "demo" if cfg.review == "in-process" else "demo-svc")
    folder = DataFolder(cfg.data).create()
    ledger = Ledger(folder.ledger)
    memory = CorrectionMemory(ledger, index=ChromaIndex(folder.memory))
    round_memory = RoundMemory(memory, ledger)
    estimator = fit_first_model(stream)
    policy: Any = ThresholdPolicy(cfg.start_threshold, audit_rate=cfg.audit_rate_of(1),
                                  seed=str(cfg.seed))
    guarantee = Guarantee.starting_guess(cfg.start_threshold)
    rounds: list[RoundFigures] = []
    previous_export = None
    with mode(cfg, stream, folder) as session:
        for items in stream.rounds:
            version = f"v{items.number}"
            graph = build_review_graph(
                model=SklearnClassifier(estimator, model_id=MODEL_ID, model_version=version),
                scorer=MaxProbabilityScorer(), policy=policy, reviews=session.reviews,
                ledger=ledger, checkpointer=folder.checkpoints, memory=round_memory,
                labels=stream.labels, task=TASK, template=session.template,
            )
            round_start = time.perf_counter()
            run_round(graph, items, ledger, progress)
            round_memory.index_new()
            figures = round_figures(ledger, items, stream.gold, version, guarantee)
            learned = retrain(estimator, stream, ledger, cfg, upto=items.number)
            figures.model_accuracy = learned.accuracy_before
            estimator = learned.estimator
            policy, guarantee = recalibrate(estimator, stream, ledger, cfg, upto=items.number)
            previous_export = export_round(ledger, folder, items.number, previous_export)
            figures.rows_exported = previous_export.rows
            figures.index_size = int(memory.stats()["documents"])
            figures.seconds = round(time.perf_counter() - round_start, 2)
            rounds.append(figures)
        extra = session.extra()
    memory.close()
    return DemoResult(
        rounds=rounds, final_model_accuracy=learned.accuracy_after,
        final_model_version=f"v{len(rounds) + 1}", held_out_items=len(stream.y_test),
        next_threshold=guarantee.to_dict(), seconds=round(time.perf_counter() - start, 2),
        data=str(folder.root), extra=extra,
    )


def run_round(graph: Any, items: RoundItems, ledger: Ledger, progress: Progress | None,
              *, wait_s: float = 600.0, poll_s: float = 0.1) -> None:
    """Run the round's items through the graph in batches (:func:`~hitl_agent.graph.batch.ingest`:
    the items the model answers surely are accepted in one ledger transaction, the others are
    invoked one by one), then resume every paused one as its review is answered (at once for
    in-process reviews; by polling for reviews answered elsewhere)."""
    from hitl_agent.graph.batch import BatchItem, ingest
    from hitl_agent.graph.resumer import Resumer

    # One item per thread, under the thread's id: the graph reads it in one ledger call.
    work = (BatchItem(tid, value, item_id=tid)
            for tid, value in zip(items.thread_ids, items.inputs, strict=True))
    for done, _result in enumerate(ingest(graph, work, batch_size=BATCH), 1):
        if progress is not None:
            progress(items.number, done)
    resumer = Resumer.for_graph(graph)
    deadline = time.monotonic() + wait_s
    while True:
        report = resumer.run_once()
        if report.still_pending == 0 and not ledger.pending_reviews(limit=1):
            return
        if time.monotonic() > deadline:
            raise ReviewError(f"round {items.number}: reviews still unanswered after "
                              f"{wait_s:.0f}s", field="reviews")
        time.sleep(poll_s)
