"""From the runs to every figure of the report (``results.json``)."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from hitl_agent.evals import metrics as m
from hitl_agent.evals.runner import EvalRun, RunResult, fingerprint
from hitl_agent.evals.suite import RiskControlledPolicySpec, Suite
from hitl_agent.policy.active import ipw_error


def _arrays(items: list[Any]) -> dict[str, np.ndarray]:
    return {
        "accepted": np.array([i.action == "accept" for i in items]),
        "correct": np.array([i.correct for i in items]),
        "final_correct": np.array([i.final_correct for i in items]),
        "reviews": np.array([i.reviews for i in items]),
        "confidence": np.array([i.confidence for i in items]),
    }


def reference_run(runs: list[RunResult]) -> RunResult:
    """The run whose scores describe the model as trained: the first without feedback."""
    return next((r for r in runs if not r.feedback), runs[0])


def _policy(suite: Suite, run: RunResult) -> dict[str, Any]:
    spec = next(p for p in suite.policies if p.name == run.policy)
    a = _arrays(run.items)
    reviewers = suite.reviewers
    out: dict[str, Any] = {
        "policy": run.policy, "kind": spec.kind, "feedback": run.feedback,
        **m.policy_metrics(a["accepted"], a["correct"], a["final_correct"], a["reviews"],
                           cost_per_review=reviewers.cost_per_review,
                           resamples=suite.metrics.bootstrap,
                           level=suite.metrics.confidence_level, seed=suite.seed),
        "reviewer_hours": float(a["reviews"].sum() * reviewers.latency_s / 3600),
        "items_per_second": run.items_per_second, "seconds": run.seconds,
        "ran": run.ran, "skipped": run.skipped,
        "retrains": run.retrains, "fits": run.fits,
    }
    # a certified policy reviews its whole calibration prefix once: its windows start after it
    skip = spec.calibration_size if isinstance(spec, RiskControlledPolicySpec) else 0
    curve = m.learning_curve(~a["accepted"][skip:], a["correct"][skip:],
                             a["final_correct"][skip:], window=suite.feedback.window, offset=skip)
    out["learning_curve"] = curve
    out["windows"] = _windows(curve, skip)
    out["accepted_error_ipw"] = _ipw(run)
    if isinstance(spec, RiskControlledPolicySpec):
        out["guarantee"] = _guarantee(suite, spec, run)
    return out


def _windows(curve: list[dict[str, Any]], calibration: int) -> dict[str, Any]:
    """Reviews per 100 items by window, first and last, and their ratio."""
    reviews = [w["reviews_per_100"] for w in curve]
    first, last = (reviews[0], reviews[-1]) if reviews else (math.nan, math.nan)
    return {"calibration_reviews": calibration, "reviews_per_100": reviews,
            "accepted_error": [w["accepted_error"] for w in curve],
            "first": first, "last": last,
            "last_over_first": last / first if first else math.nan}


def _ipw(run: RunResult) -> dict[str, Any]:
    """The error among accepted items as a deployment sees it: from the reviewed items alone,
    each audited item weighted by the inverse of its chance of review (Horvitz–Thompson)."""
    region = [i for i in run.items if not i.calibration
              and (i.action == "accept" or i.reason == "audit")]
    audited = [i for i in region if i.action == "escalate" and i.propensity > 0]
    if not audited:
        return {"value": None, "audited": 0, "population": len(region)}
    wrong = [not i.correct for i in audited]
    value = ipw_error(wrong, [i.propensity for i in audited], population=len(region))
    return {"value": value, "audited": len(audited), "population": len(region)}


def _guarantee(suite: Suite, spec: RiskControlledPolicySpec, run: RunResult) -> dict[str, Any]:
    after = [i for i in run.items if not i.calibration]
    accepted = [i for i in after if i.action == "accept"]
    wrong = sum(not i.correct for i in accepted)
    fit = run.fits[0] if run.fits else {}
    pool = [i for i in run.items if i.model_version in (None, "v0")]
    resampling = m.calibration_resampling(
        [i.confidence for i in pool], [i.correct for i in pool], alpha=spec.alpha,
        delta=spec.delta, n_calibration=spec.calibration_size, method=spec.method,
        resamples=suite.metrics.calibration_resamples, seed=suite.seed)
    return {
        "alpha": spec.alpha, "delta": spec.delta, "method": spec.method,
        "certified": fit.get("certified"), "threshold": fit.get("threshold"),
        "certified_bound": fit.get("risk_bound"),
        "realised_error": wrong / len(accepted) if accepted else math.nan,
        "realised_accepted": len(accepted), "stream_after_calibration": len(after),
        "violated": bool(accepted) and wrong / len(accepted) > spec.alpha,
        "resampled_calibration": resampling,
    }


def _feedback_figure(suite: Suite, runs: list[RunResult],
                     policies: dict[str, Any]) -> dict[str, Any] | None:
    if not suite.feedback.on:
        return None
    name = suite.feedback.figure_policy or suite.policies[0].name
    on = next((r for r in runs if r.policy == name and r.feedback), None)
    off = next((r for r in runs if r.policy == name and not r.feedback), None)
    if on is None:
        return None

    def side(run: RunResult) -> dict[str, Any]:
        p = policies[run.name]
        curve = p["learning_curve"]
        first, last = curve[0]["reviews_per_100"], curve[-1]["reviews_per_100"]
        return {"run": run.name, "first_window": first, "last_window": last,
                "last_over_first": last / first if first else math.nan,
                "final_accuracy": p["final_accuracy"]["value"],
                "reviews_per_100": [w["reviews_per_100"] for w in curve],
                "model_error": [w["model_error"] for w in curve],
                "retrains": len(run.retrains)}

    out: dict[str, Any] = {"policy": name, "window": suite.feedback.window,
                           "retrain_every": suite.feedback.retrain_every,
                           "feedback_on": side(on)}
    if off is not None:
        out["feedback_off"] = side(off)
        on_s, off_s = out["feedback_on"], out["feedback_off"]
        out["last_window_on_over_off"] = (on_s["last_window"] / off_s["last_window"]
                                          if off_s["last_window"] else math.nan)
        out["both_at_least_99"] = bool(min(on_s["final_accuracy"],
                                           off_s["final_accuracy"]) >= 0.99)
    return out


def summarise(ev: EvalRun) -> dict[str, Any]:
    """Every figure of the eval as JSON-ready data."""
    start = time.perf_counter()
    suite = ev.suite
    policies = {run.name: _policy(suite, run) for run in ev.runs}
    ref = reference_run(ev.runs)
    correct = np.array([i.correct for i in ref.items])
    scores = {}
    for name in ref.items[0].scores if ref.items else []:
        conf = np.array([i.scores[name] for i in ref.items])
        scores[name] = m.score_metrics(conf, correct, n_bins=suite.metrics.ece_bins)
        def auroc_of(idx: np.ndarray, c: np.ndarray = conf) -> np.ndarray:
            return np.array([m.error_detection_auroc(c[r], correct[r]) for r in idx])

        low, high = m.bootstrap(
            auroc_of, len(conf), resamples=min(suite.metrics.bootstrap, 200),
            level=suite.metrics.confidence_level, seed=suite.seed)
        scores[name]["auroc_low"], scores[name]["auroc_high"] = low, high
    conf = np.array([i.confidence for i in ref.items])
    coverage, risk = m.risk_coverage_curve(conf, correct)
    oracle_cov, oracle_risk = m.risk_coverage_curve(correct.astype(float), correct)
    fpr, tpr = m.roc_curve(conf, correct)
    curves = {
        "run": ref.name,
        "scorer": suite.scorer_specs[0].label,
        "risk_coverage": dict(zip(("coverage", "risk"), m.downsample(coverage, risk),
                                  strict=True)),
        "oracle": dict(zip(("coverage", "risk"), m.downsample(oracle_cov, oracle_risk),
                           strict=True)),
        "random_risk": float(1 - correct.mean()) if correct.size else math.nan,
        "reliability": m.reliability_bins(conf, correct, suite.metrics.ece_bins),
        "roc": dict(zip(("fpr", "tpr"), m.downsample(fpr, tpr), strict=True)),
    }
    streamed = sum(r.ran for r in ev.runs)
    result: dict[str, Any] = {
        "suite": {"name": suite.name, "description": suite.description,
                  "fingerprint": fingerprint(suite), "data": ev.dataset.source,
                  **ev.dataset.info, "labels": ev.labels,
                  "scorers": [s.label for s in suite.scorer_specs],
                  "reviewers": suite.reviewers.model_dump(),
                  "feedback": suite.feedback.model_dump()},
        "policies": policies,
        "scores": {"run": ref.name, "by_scorer": scores},
        "curves": curves,
        "feedback_loop": _feedback_figure(suite, ev.runs, policies),
        "timing": {
            "seconds": ev.seconds, **ev.timings,
            "items_streamed": streamed,
            "items_per_second": streamed / ev.timings["graph_s"] if ev.timings["graph_s"]
            else 0.0,
        },
        "notes": ev.notes,
    }
    result["timing"]["metrics_s"] = time.perf_counter() - start
    return _clean(result)


def _clean(value: Any) -> Any:
    """NaN and infinities become null, numpy scalars plain numbers (strict JSON)."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
