"""Streaming a suite's items through the real review graph, once per policy.

Each run has its own ledger in the work folder; an item whose ledger row is ``finished`` is not
run again, so an interrupted eval continues where it stopped. Items go through in blocks, in
stream order; between blocks the runner may retrain the model (every ``retrain_every``
corrections) and refit the policy, so a run is the same whatever ``workers`` is and whether or not
it was interrupted.
"""

from __future__ import annotations

import hashlib
import math
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from hitl_agent.errors import EvalError, InvalidStateError
from hitl_agent.evals.data import Dataset, Item, load_data
from hitl_agent.evals.parts import (
    PanelReviewer,
    ReplayModel,
    SwappableModel,
    chat_adapter,
    check,
    fit_estimator,
    make_scorer,
    sklearn_adapter,
)
from hitl_agent.evals.suite import (
    BudgetPolicySpec,
    PolicySpec,
    RiskControlledPolicySpec,
    SklearnModel,
    Suite,
    ThresholdPolicySpec,
)
from hitl_agent.graph.build import build_review_graph
from hitl_agent.memory.ledger import Ledger
from hitl_agent.policy.active import TeachingReviews
from hitl_agent.policy.budget import BudgetPolicy
from hitl_agent.policy.recalibrate import CertifiedThresholdPolicy
from hitl_agent.policy.risk import RiskControlledThreshold
from hitl_agent.policy.threshold import ThresholdPolicy
from hitl_agent.review.in_process import InProcessReviews
from hitl_agent.types import Decision, Prediction, RoutingDecision, Uncertainty
from hitl_agent.uncertainty.base import Scorer

BLOCK = 25
"""Items per block: retraining and refitting happen only between blocks."""


@dataclass(frozen=True)
class Progress:
    run: str
    done: int
    total: int


ProgressFn = Callable[[Progress], None]


@dataclass
class ItemResult:
    """One stream item as the run left it."""

    id: str
    gold: Any
    output: Any
    confidence: float
    scores: dict[str, float]
    action: str
    reason: str
    final_output: Any
    final_source: str
    reviews: int
    model_version: str | None
    calibration: bool
    propensity: float = 1.0

    @property
    def correct(self) -> bool:
        return bool(self.output == self.gold)

    @property
    def final_correct(self) -> bool:
        return bool(self.final_output == self.gold)


@dataclass
class RunResult:
    name: str
    policy: str
    feedback: bool
    items: list[ItemResult]
    seconds: float
    ran: int
    skipped: int
    retrains: list[dict[str, Any]] = field(default_factory=list)
    fits: list[dict[str, Any]] = field(default_factory=list)

    @property
    def items_per_second(self) -> float:
        return self.ran / self.seconds if self.seconds > 0 else 0.0


@dataclass
class EvalRun:
    suite: Suite
    dataset: Dataset
    labels: list[str] | None
    runs: list[RunResult]
    seconds: float
    timings: dict[str, float]
    notes: list[str] = field(default_factory=list)


# -- policies the runner drives ----------------------------------------------------------------


class _EscalateAll:
    """Every item to people: how a certified policy gets its calibration verdicts."""

    def __init__(self, policy_id: str) -> None:
        self.policy_id = policy_id

    def decide(self, item_id: str, uncertainty: Uncertainty, prediction: Prediction) -> Decision:
        return Decision(action="escalate", reason="audit", propensity=1.0,
                        policy_id=self.policy_id, details={"calibration": True,
                                                           "confidence": uncertainty.confidence})


class _SwitchPolicy:
    """Delegates to the policy of the moment (the runner refits it between blocks)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.policy_id: str = str(inner.policy_id)

    def decide(self, item_id: str, uncertainty: Uncertainty, prediction: Prediction) -> Decision:
        decision: Decision = self.inner.decide(item_id, uncertainty, prediction)
        return decision


# -- one run -----------------------------------------------------------------------------------


class _Run:
    def __init__(self, ctx: _Context, spec: PolicySpec, *, feedback: bool, name: str) -> None:
        self.ctx = ctx
        self.spec = spec
        self.feedback = feedback
        self.name = name
        suite = ctx.suite
        self.ledger = Ledger(ctx.work / f"{_slug(name)}.ledger.db")
        self.version = 0
        self.estimator = ctx.estimator
        self.model = SwappableModel(ctx.adapter(self.estimator, "v0"), ctx.model_id)
        self.fits: list[dict[str, Any]] = []
        self.retrains: list[dict[str, Any]] = []
        self._states: dict[str, dict[str, Any]] = {}
        self._next = 0  # the stream position the next block starts at
        self._done: set[str] = {r.id for r in self.ledger.iter_items(status="finished")}
        self.policy = _SwitchPolicy(self._initial_policy())
        memory = self._memory() if feedback and suite.feedback.memory else None
        reviewers = suite.reviewers
        panel = PanelReviewer(ctx.gold, task_count=reviewers.task_count,
                              error_rate=reviewers.error_rate,
                              automation_bias=reviewers.automation_bias, labels=ctx.labels,
                              seed=suite.seed)
        self.graph = build_review_graph(
            model=self.model, scorer=ctx.scorers[0], policy=self.policy,
            reviews=InProcessReviews(panel, answers_synchronously=True), ledger=self.ledger,
            checkpointer=ctx.checkpointer(name), memory=memory, task=suite.task_name,
            labels=ctx.labels,
        )

    def _memory(self) -> Any:
        try:
            from hitl_agent.memory.correction_memory import CorrectionMemory
            from hitl_agent.memory.index import ChromaIndex

            return CorrectionMemory(self.ledger,
                                    index=ChromaIndex(self.ctx.work / f"{_slug(self.name)}.mem"))
        except Exception as exc:  # noqa: BLE001 - an optional part that may be missing
            raise EvalError(f"feedback.memory needs a working CorrectionMemory: {exc}",
                            field="feedback.memory") from exc

    def _initial_policy(self) -> Any:
        spec, seed = self.spec, str(self.ctx.suite.seed)
        if isinstance(spec, ThresholdPolicySpec):
            audit = 0.0 if spec.teach is not None else spec.audit_rate
            return self._teaching(ThresholdPolicy(spec.threshold, audit_rate=audit, seed=seed,
                                                  policy_id=spec.name), spec.threshold)
        if isinstance(spec, RiskControlledPolicySpec):
            return _EscalateAll(spec.name)
        return self._budget()

    def _teaching(self, base: Any, threshold: float) -> Any:
        """``base`` with part of the budget spent on what teaches (``teach:`` of the policy);
        ``ū`` comes from the current model's confidences on the next window (no labels)."""
        teach = getattr(self.spec, "teach", None)
        if teach is None:
            return base
        policy = TeachingReviews(base, rate=teach.rate, floor=teach.floor,
                                 utility=teach.utility, seed=str(self.ctx.suite.seed),
                                 policy_id=self.spec.name)
        window = self.ctx.suite.feedback.window
        reference = self.ctx.dataset.stream[self._next: self._next + window] \
            or self.ctx.dataset.stream[:window]
        return policy.fit_confidences(self._score(reference), threshold)

    def _budget(self) -> BudgetPolicy:
        spec = self.spec
        if not isinstance(spec, BudgetPolicySpec):
            raise InvalidStateError(f"policy {spec.name!r} is not a budget policy")
        reference = self.ctx.dataset.stream[: spec.per]
        confidences = self._score(reference)
        policy = BudgetPolicy(spec.reviews, audit_rate=spec.audit_rate,
                              seed=str(self.ctx.suite.seed), policy_id=spec.name)
        policy.fit(confidences, volume=spec.per)
        self.fits.append({"model_version": f"v{self.version}", "threshold": policy.threshold_})
        return policy

    def _score(self, items: Sequence[Item]) -> list[float]:
        """Routing confidences of the current model for ``items`` (no labels used)."""
        scorer = self.ctx.scorers[0]
        if self.estimator is not None:
            adapter = self.ctx.adapter(self.estimator, f"v{self.version}")
            predictions = adapter.predict_batch([i.input for i in items])
        else:
            predictions = [i.prediction if i.prediction is not None
                           else self.model.predict(i.input) for i in items]
        return [scorer(p).confidence for p in predictions]

    def _certify(self, calibration: list[ItemResult]) -> None:
        spec = self.spec
        if not isinstance(spec, RiskControlledPolicySpec):
            raise InvalidStateError(f"policy {spec.name!r} is not a risk-controlled policy")
        by_id = {i.id: i for i in self.ctx.dataset.stream}
        if self.version == 0:
            confidences = [r.confidence for r in calibration]
            outputs = [r.output for r in calibration]
        else:
            items = [by_id[r.id] for r in calibration]
            confidences = self._score(items)
            adapter = self.ctx.adapter(self.estimator, f"v{self.version}")
            outputs = [p.output for p in adapter.predict_batch([i.input for i in items])]
        # the verdicts people gave, not the gold labels: what a deployment would have
        correct = [o == r.final_output for o, r in zip(outputs, calibration, strict=True)]
        fitted = RiskControlledThreshold(spec.alpha, spec.delta, method=spec.method,
                                         on_uncertifiable="escalate_all").fit(confidences,
                                                                              correct)
        self.fits.append({
            "model_version": f"v{self.version}", "n_calibration": len(calibration),
            "certified": bool(fitted.certified_), "threshold": fitted.threshold_,
            "risk_bound": fitted.risk_bound_, "calibration_coverage": fitted.coverage_,
            "calibration_risk": fitted.empirical_risk_,
            "refusal": getattr(fitted, "refusal_", None),
        })
        audit = 0.0 if spec.teach is not None else spec.audit_rate
        self.policy.inner = self._teaching(
            CertifiedThresholdPolicy(fitted, audit_rate=audit, seed=str(self.ctx.suite.seed),
                                     policy_id=spec.name), fitted.threshold_)

    def _retrain(self, corrected: list[ItemResult]) -> None:
        from sklearn.base import clone

        by_id = {i.id: i for i in self.ctx.dataset.stream}
        x = list(self.ctx.dataset.train_x) + [by_id[r.id].input for r in corrected]
        y = list(self.ctx.dataset.train_y) + [r.final_output for r in corrected]
        start = time.perf_counter()
        estimator = clone(self.ctx.estimator).fit(x, y)
        self.version += 1
        self.estimator = estimator
        self.model.swap(self.ctx.adapter(estimator, f"v{self.version}"))
        self.retrains.append({"model_version": f"v{self.version}", "after_items": None,
                              "train_size": len(x), "corrections": len(corrected),
                              "seconds": round(time.perf_counter() - start, 4)})

    def run(self, progress: ProgressFn | None, workers: int) -> RunResult:
        suite, stream = self.ctx.suite, self.ctx.dataset.stream
        n = len(stream)
        calib_n = (self.spec.calibration_size
                   if isinstance(self.spec, RiskControlledPolicySpec) else 0)
        if calib_n >= n:
            raise EvalError(f"policy {self.spec.name!r}: calibration_size {calib_n} leaves no "
                            f"items to stream ({n})", field="policies.calibration_size")
        cuts = sorted({*range(0, n, BLOCK), calib_n, n} - {0})
        results: list[ItemResult] = []
        retrain_every = suite.feedback.retrain_every if self.feedback else None
        last_retrain = 0
        ran = skipped = 0
        seconds = 0.0
        start_block = 0
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            for cut in cuts:
                block = stream[start_block:cut]
                todo = [i for i in block if not self._finished(i.id)]
                skipped += len(block) - len(todo)
                t0 = time.perf_counter()
                self._invoke(pool, todo, workers, progress,
                             done_before=start_block + len(block) - len(todo), total=n)
                seconds += time.perf_counter() - t0
                ran += len(todo)
                results.extend(self._collect(block, calib_n, len(results)))
                start_block = self._next = cut
                if calib_n and cut == calib_n:
                    self._certify(results[:calib_n])
                corrected = [r for r in results if r.action == "escalate" and not r.calibration
                             and r.final_source == "human" and r.final_output is not None]
                if retrain_every and len(corrected) - last_retrain >= retrain_every \
                        and cut < n:
                    last_retrain = len(corrected)
                    self._retrain(corrected)
                    self.retrains[-1]["after_items"] = cut
                    if calib_n and cut >= calib_n:
                        self._certify(results[:calib_n])
                    elif isinstance(self.spec, BudgetPolicySpec):
                        self.policy.inner = self._budget()
                    elif isinstance(self.spec, ThresholdPolicySpec):
                        self.policy.inner = self._initial_policy()
        return RunResult(self.name, self.spec.name, self.feedback, results, seconds, ran,
                         skipped, self.retrains, self.fits)

    def _finished(self, item_id: str) -> bool:
        return item_id in self._done

    def _invoke(self, pool: ThreadPoolExecutor, items: list[Item], workers: int,
                progress: ProgressFn | None, *, done_before: int, total: int) -> None:
        def one(item: Item) -> None:
            state = self.graph.invoke({"input": item.input},
                                      {"configurable": {"thread_id": item.id}})
            self._states[item.id] = state

        done = done_before
        if workers <= 1:
            for item in items:
                one(item)
                done += 1
                if progress is not None:
                    progress(Progress(self.name, done, total))
            return
        futures: list[Future[None]] = [pool.submit(one, item) for item in items]
        try:
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
                for f in finished:
                    f.result()
                    done += 1
                    if progress is not None:
                        progress(Progress(self.name, done, total))
        except BaseException:
            for f in futures:
                f.cancel()
            wait(futures)
            raise

    def _collect(self, block: list[Item], calib_n: int, offset: int) -> list[ItemResult]:
        out = []
        task_count = self.ctx.suite.reviewers.task_count
        for k, item in enumerate(block):
            # the state the graph returned; the ledger for items a previous run finished
            state = self._states.pop(item.id, None) or {}
            # the graph's state is JSON: read it back into the typed models
            prediction = _typed(Prediction, state.get("prediction"))
            uncertainty = _typed(Uncertainty, state.get("uncertainty"))
            decision = _typed(RoutingDecision, state.get("decision"))
            final_output, final_source = state.get("output"), state.get("output_source")
            if prediction is None or uncertainty is None or decision is None:
                record = self.ledger.get_item(item.id)
                if record is None or record.prediction is None or record.decision is None \
                        or record.uncertainty is None:
                    raise EvalError(f"item {item.id} did not finish in run {self.name!r}",
                                    item=item.id)
                prediction, uncertainty, decision = (record.prediction, record.uncertainty,
                                                     record.decision)
                final_output, final_source = record.final_output, record.final_source
            escalated = decision.action == "escalate"
            out.append(ItemResult(
                id=item.id, gold=item.gold, output=prediction.output,
                confidence=uncertainty.confidence,
                scores=self.ctx.extra_scores(prediction),
                action=decision.action, reason=decision.reason,
                final_output=final_output, final_source=final_source or "model",
                reviews=task_count if escalated else 0,
                model_version=prediction.model_version,
                calibration=offset + k < calib_n, propensity=decision.propensity,
            ))
        return out


def _typed(kind: Any, value: Any) -> Any:
    return kind.model_validate(value) if isinstance(value, dict) else value


# -- the whole suite ---------------------------------------------------------------------------


@dataclass
class _Context:
    suite: Suite
    dataset: Dataset
    labels: list[str] | None
    scorers: list[Scorer]
    estimator: Any
    model_id: str
    fixed_adapter: Any
    work: Path
    checkpoints: Literal["memory", "sqlite"]
    gold: dict[str, Any]

    def adapter(self, estimator: Any, version: str) -> Any:
        if estimator is None:
            return self.fixed_adapter
        return sklearn_adapter(estimator, version, self.model_id)

    def extra_scores(self, prediction: Prediction) -> dict[str, float]:
        return {s.name: s(prediction).confidence for s in self.scorers}

    def checkpointer(self, name: str) -> Any:
        if self.checkpoints == "sqlite":
            return self.work / f"{_slug(name)}.checkpoints.db"
        from langgraph.checkpoint.memory import InMemorySaver

        return InMemorySaver()


def _slug(name: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return f"{safe}-{hashlib.sha256(name.encode()).hexdigest()[:6]}"


def fingerprint(suite: Suite) -> str:
    return hashlib.sha256(suite.model_dump_json().encode()).hexdigest()[:16]


@contextmanager
def _work_folder(work_dir: Path | None, suite: Suite, notes: list[str]) -> Iterator[Path]:
    if work_dir is None:
        tmp = Path(tempfile.mkdtemp(prefix=f"hitl-eval-{suite.name}-"))
        try:
            yield tmp
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return
    marker = work_dir / "suite.fingerprint"
    if work_dir.exists() and marker.exists() and marker.read_text().strip() != fingerprint(suite):
        notes.append(f"work folder {work_dir} held a run of another version of the suite: "
                     "started over")
        shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text(fingerprint(suite) + "\n")
    yield work_dir


def prepare(suite: Suite) -> tuple[Dataset, Any, list[str] | None]:
    """Load and check everything a run needs; raises EvalError before any item runs."""
    dataset = load_data(suite)
    estimator = None
    model_labels: list[str] | None = None
    if isinstance(suite.model, SklearnModel):
        estimator = fit_estimator(suite.model, dataset.train_x, dataset.train_y)
        model_labels = [str(c) for c in estimator.classes_]
    checked = check(suite, dataset, model_labels)
    return dataset, estimator, checked.labels


def run_suite(
    suite: Suite,
    *,
    work_dir: Path | None = None,
    workers: int = 1,
    progress: ProgressFn | None = None,
    checkpoints: Literal["memory", "sqlite"] = "memory",
) -> EvalRun:
    """Run every policy of ``suite`` over its stream; see the module docstring."""
    start = time.perf_counter()
    dataset, estimator, labels = prepare(suite)
    notes: list[str] = []
    scorers = [make_scorer(s) for s in suite.scorer_specs]
    model = suite.model
    fixed: Any = None
    if model.kind == "replay":
        fixed = ReplayModel(dataset)
    elif model.kind == "chat":
        fixed = chat_adapter(model, labels)
    model_id = (model.estimator.rsplit(".", 1)[-1] if isinstance(model, SklearnModel)
                else getattr(fixed, "model_id", model.kind))
    prepared = time.perf_counter() - start
    runs: list[RunResult] = []
    with _work_folder(work_dir, suite, notes) as work:
        ctx = _Context(suite, dataset, labels, scorers, estimator, model_id, fixed, work,
                       checkpoints, {i.id: i.gold for i in dataset.stream})
        figure = suite.feedback.figure_policy or suite.policies[0].name
        for spec in suite.policies:
            on = suite.feedback.on
            runs.append(_Run(ctx, spec, feedback=on, name=spec.name).run(progress, workers))
            if on and suite.feedback.compare_without and spec.name == figure:
                runs.append(_Run(ctx, spec, feedback=False, name=f"{spec.name} (no feedback)")
                            .run(progress, workers))
    graph_s = sum(r.seconds for r in runs)
    timings = {"prepare_s": prepared, "graph_s": graph_s,
               "retrain_s": sum(x["seconds"] for r in runs for x in r.retrains)}
    total = time.perf_counter() - start
    timings["other_s"] = max(0.0, total - prepared - graph_s)
    if not math.isfinite(total):  # pragma: no cover - defensive
        total = 0.0
    return EvalRun(suite, dataset, labels, runs, total, timings, notes)
