"""What the loop learns after each round: a recalibrated threshold with its guarantee, a model
retrained on the corrections, and the corrections exported as a dataset.

The verdicts are split in two, by the same hash that picks audits: items whose hash falls below
``audit_rate`` were reviewed whatever their confidence (audited when confident, escalated
otherwise), so they are a uniform sample of the stream. They calibrate the threshold and are
never trained on; every other correction trains the next model. Calibrating on items the model
was trained on, or only on the escalated ones, would void the guarantee.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import Any

import numpy as np

from hitl_agent.data_folder import DataFolder
from hitl_agent.demo.config import DemoConfig
from hitl_agent.demo.stream import DemoStream
from hitl_agent.errors import ExportError
from hitl_agent.memory.ledger import Ledger
from hitl_agent.policy._hashing import unit_hash
from hitl_agent.types import Correction

TASK = "digits"
EXPORT_FORMAT = "ground-truth-manifest"


@dataclass(frozen=True)
class Guarantee:
    """The threshold in force and what it promises."""

    threshold: float | None
    certified: bool
    alpha: float | None = None
    delta: float | None = None
    risk_bound: float | None = None
    calibration_items: int = 0
    needed_reviews: int | None = None

    @classmethod
    def starting_guess(cls, threshold: float) -> Guarantee:
        return cls(threshold=threshold, certified=False)

    def label(self) -> str:
        if self.certified and self.alpha is not None and self.delta is not None:
            return f"≤{100 * self.alpha:g}%"
        return "guess"

    def to_dict(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "certified": self.certified, "alpha": self.alpha,
                "delta": self.delta, "risk_bound": self.risk_bound,
                "calibration_items": self.calibration_items,
                "needed_reviews": self.needed_reviews}


def is_calibration(cfg: DemoConfig, thread_id: str) -> bool:
    """The audit draw of the round's policy (same seed, same hash, same rate): reviewed
    whatever its confidence."""
    round_no = int(thread_id.rsplit("-r", 1)[1].split("-", 1)[0])
    return unit_hash(str(cfg.seed), thread_id) < cfg.audit_rate_of(round_no)


def verdicts(ledger: Ledger, stream: DemoStream, upto: int) -> dict[str, Correction]:
    """The people's verdicts on this run's items of rounds 1..upto, by thread id."""
    mine = {tid for r in stream.rounds[:upto] for tid in r.thread_ids}
    found: dict[str, Correction] = {}
    for record in ledger.iter_corrections(task=TASK):
        c = record.correction
        if c.thread_id in mine and c.final_output is not None:
            found[c.thread_id] = c
    return found


@dataclass(frozen=True)
class Retrained:
    estimator: Any
    accuracy_before: float
    accuracy_after: float
    trained_on: int


def retrain(estimator: Any, stream: DemoStream, ledger: Ledger, cfg: DemoConfig, *, upto: int
            ) -> Retrained:
    """Refit on the first training set plus every correction outside the calibration sample;
    score the model before and after on the held-out digits."""
    from hitl_agent.export.retrain import retrain_sklearn

    training = [c for tid, c in verdicts(ledger, stream, upto).items()
                if not is_calibration(cfg, tid)]
    report = retrain_sklearn(estimator, stream.x_train, stream.y_train, training,
                             stream.x_test, stream.y_test)
    return Retrained(report.estimator, report.accuracy_before, report.accuracy_after,
                     report.n_corrections)


def recalibrate(estimator: Any, stream: DemoStream, ledger: Ledger, cfg: DemoConfig, *,
                upto: int) -> tuple[Any, Guarantee]:
    """Fit the threshold of ``estimator`` on the calibration verdicts. While they are too few
    to certify the target, the starting guess stays (a threshold certified for an earlier model
    says nothing about this one)."""
    from hitl_agent.policy.recalibrate import CertifiedThresholdPolicy
    from hitl_agent.policy.risk import RiskControlledThreshold
    from hitl_agent.policy.threshold import ThresholdPolicy

    guess = ThresholdPolicy(cfg.start_threshold, audit_rate=cfg.audit_rate, seed=str(cfg.seed))

    found = verdicts(ledger, stream, upto)
    trained = {_key(c.input) for tid, c in found.items() if not is_calibration(cfg, tid)}
    sample = [c for tid, c in found.items()
              if is_calibration(cfg, tid) and _key(c.input) not in trained]
    if not sample:
        return guess, Guarantee.starting_guess(cfg.start_threshold)
    x = np.asarray([c.input for c in sample], dtype=float)
    proba = estimator.predict_proba(x)
    predicted = estimator.classes_[proba.argmax(axis=1)].astype(str)
    correct = predicted == np.asarray([str(c.final_output) for c in sample])
    # Learn-then-Test with fixed-sequence testing (thresholds from high to low, each at level
    # delta): the most powerful of the certified fits on a calibration set this small.
    fitted = RiskControlledThreshold(cfg.alpha, cfg.delta, method="ltt", fwer="fixed_sequence",
                                     on_uncertifiable="escalate_all"
                                     ).fit(proba.max(axis=1), correct)
    if not fitted.certified_:
        return guess, Guarantee(cfg.start_threshold, False, calibration_items=len(sample),
                                needed_reviews=fitted.needed_reviews_)
    policy = CertifiedThresholdPolicy(fitted, audit_rate=cfg.audit_rate, seed=str(cfg.seed))
    return policy, Guarantee(float(fitted.threshold_), True, cfg.alpha, cfg.delta,
                             float(fitted.risk_bound_), len(sample), 0)


def _key(value: Any) -> tuple[float, ...]:
    return tuple(float(v) for v in value)


@dataclass(frozen=True)
class ExportedRound:
    path: str | None
    rows: int


def export_round(ledger: Ledger, folder: DataFolder, number: int,
                 previous: ExportedRound | None) -> ExportedRound:
    """The round's new corrections as a SageMaker Ground Truth manifest (train/validation
    split, manifest.json, dataset card), continuing the previous round's export."""
    from hitl_agent.export.manifest import load_manifest
    from hitl_agent.export.options import ExportOptions
    from hitl_agent.export.pipeline import export_dataset

    out = folder.exports / f"round-{number}"
    if (out / "manifest.json").exists():  # a re-run keeps the round's export as it was
        return ExportedRound(str(out), _rows(load_manifest(out).counts))
    if out.exists():  # an export that died half-way
        shutil.rmtree(out)
    options = ExportOptions(format=EXPORT_FORMAT, task=TASK, include_audited_accepts=True)
    try:
        result = export_dataset(ledger, out, options,
                                since=previous.path if previous is not None else None)
    except ExportError as exc:
        if exc.context.get("rule", "").endswith("min_examples"):
            # Too few new rows for the format this round: the next export picks them up.
            return ExportedRound(previous.path if previous else None, 0)
        raise
    return ExportedRound(str(out), _rows(result.counts))


def _rows(counts: dict[str, int]) -> int:
    return counts.get("rows_train", 0) + counts.get("rows_validation", 0)
