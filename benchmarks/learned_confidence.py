"""Fewer reviews for the same guarantee: certification methods and the learned confidence.

Part 1, ``certification`` — the issue's case: a 20-sample agreement score (21 distinct values),
250 calibration items, target 15% error among accepted answers at δ = 0.1, 40 random draws from a
population whose true risk at every threshold is known. For each procedure: how often it refuses,
the median automation and the violations (true risk of the certified threshold above α; allowed:
about δ · 40 = 4). ``current_sgr_n`` and ``current_ltt_holm_grid`` are the searches shipped
before (union bound over ⌈log₂ n⌉ steps; Holm over a fixed 242-point grid).

Part 2, ``datasets`` — every signal alone and the learned confidence
(:class:`~hitl_agent.uncertainty.learned.LearnedConfidence` over all of them) on GSM8K solutions,
factual claims and digits. ``SPLITS`` random splits: 40% to fit the learned confidence (and to
fill the "memory" of past verdicts), 40% to certify, 20% to measure. Per score: test AUROC, and
automation on the test split at a fixed certified error ``alpha`` with the new default
(``auto``) and with the current search (``current_sgr_n``); plus the realised test error.

Memory signals are those of :func:`hitl_agent.uncertainty.learned.memory_signals` over the five
nearest fitted items (TF-IDF cosine for text, Euclidean for digits): agreement of past verdicts
with this output, and the similarity of the nearest.

Data for GSM8K and claims: the folder in ``$HITL_EVAL_DATA`` (as for the replay eval suites:
``gsm8k_model_solutions.jsonl`` and ``factual_claims/*_subclaims_with_scores.json``, from the
repositories named in ``evals/gsm8k-replay.yaml`` and ``evals/factual-claims-replay.yaml``);
without it those parts are skipped. Prints one JSON object. Run:
``python benchmarks/learned_confidence.py``.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import roc_auc_score

from hitl_agent.policy.certify import certify
from hitl_agent.policy.risk import learn_then_test, selective_guaranteed_risk
from hitl_agent.types import SimilarCorrection
from hitl_agent.uncertainty import (
    LearnedConfidence,
    majority_vote_fraction,
    mean_pairwise_lexical_similarity,
    memory_signals,
    sample_agreement,
    semantic_entropy,
)

SPLITS = 20
DELTA = 0.1
Array = NDArray[np.float64]


def data_dir() -> Path | None:
    env = os.environ.get("HITL_EVAL_DATA")
    if not env:
        return None
    folder = Path(env)
    return folder if folder.is_dir() else None


# -- part 1: the issue's case -------------------------------------------------------------------


def issue_case(draws: int = 40) -> dict[str, Any]:
    rng = np.random.default_rng(2026)
    samples, n, alpha = 20, 250, 0.15
    # latent per-question accuracy q ~ Beta(2.2, 0.8); score = share of 20 samples agreeing with
    # the answer (Binomial(20, q)/20); the answer is right with probability q
    q = rng.beta(2.2, 0.8, size=(draws, n))
    conf = rng.binomial(samples, q) / samples
    wrong = (rng.random((draws, n)) >= q).astype(np.float64)
    # true risk of "score >= k/20", by Monte Carlo over a large population
    big_q = rng.beta(2.2, 0.8, size=2_000_000)
    big_k = rng.binomial(samples, big_q)
    risk_at = {k: float(1 - big_q[big_k >= k].mean()) for k in range(samples + 1)}

    def true_risk(t: float) -> float:
        return risk_at[int(round(t * samples))] if np.isfinite(t) else 0.0

    out: dict[str, Any] = {"alpha": alpha, "delta": DELTA, "n_calibration": n,
                           "distinct_values": samples + 1, "draws": draws}
    rows: dict[str, list[float]] = {}
    for method in ("sgr", "holm", "fixed_sequence", "fallback", "auto"):
        r = certify(conf, wrong, alpha, DELTA, method)  # type: ignore[arg-type]
        rows[method] = list(r.threshold)
    rows["current_sgr_n"] = [t if t is not None else np.inf for t in (
        selective_guaranteed_risk(c, 1 - w, alpha, DELTA)[0] for c, w in zip(conf, wrong,
                                                                                strict=True))]
    rows["current_ltt_holm_grid"] = [t if t is not None else np.inf for t in (
        learn_then_test(c, 1 - w, alpha, DELTA)[0] for c, w in zip(conf, wrong, strict=True))]
    population = rng.binomial(samples, rng.beta(2.2, 0.8, size=200_000)) / samples
    for name, thresholds in rows.items():
        t = np.asarray(thresholds, dtype=float)
        automation = np.array([(population >= x).mean() if np.isfinite(x) else 0.0 for x in t])
        out[name] = {"refused": int((~np.isfinite(t)).sum()),
                     "median_automation": round(float(np.median(automation)), 4),
                     "mean_automation": round(float(np.mean(automation)), 4),
                     "violations": int(sum(true_risk(x) > alpha for x in t))}
    return out


# -- part 2: signals vs the learned confidence ---------------------------------------------------


def _memory(fit_idx: NDArray[np.int64], query_idx: NDArray[np.int64], sim: Array,
            outputs: list[Any], verdict_outputs: list[Any]) -> list[dict[str, float | None]]:
    """memory_signals of each query over the 5 most similar fitted items (``sim`` = query × fit
    similarities in [0, 1]); a fitted item's human answer is ``verdict_outputs``."""
    out = []
    top = np.argsort(-sim, axis=1)[:, :5]
    for row, q in enumerate(query_idx):
        similar = [SimilarCorrection(correction_id=str(fit_idx[j]), input="",
                                     model_output=outputs[fit_idx[j]],
                                     final_output=verdict_outputs[fit_idx[j]],
                                     action="accept", similarity=float(sim[row, j]))
                   for j in top[row] if fit_idx[j] != q]
        out.append(memory_signals(outputs[q], similar))
    return out


def _text_similarity(texts: list[str]) -> Array:
    from sklearn.feature_extraction.text import TfidfVectorizer

    x = TfidfVectorizer(sublinear_tf=True).fit_transform(texts)
    sim: Array = np.asarray((x @ x.T).todense(), dtype=np.float64)
    return sim


def evaluate(signals: dict[str, Array], correct: NDArray[np.bool_], alpha: float,
             memory: Any, seed_base: int = 0) -> dict[str, Any]:
    """Per score: mean test AUROC and automation at certified ``alpha`` over SPLITS splits."""
    n = len(correct)
    names = list(signals)
    figures: dict[str, dict[str, list[float]]] = {}
    for split in range(SPLITS):
        order = np.random.default_rng(seed_base + split).permutation(n)
        fit, cal, test = np.split(order, [int(0.4 * n), int(0.8 * n)])
        scores: dict[str, dict[str, Array]] = {}
        mem = memory(fit) if memory is not None else None

        def rows(idx: NDArray[np.int64], mem_rows: list[dict[str, float | None]] | None) -> list[
                dict[str, float | None]]:
            base = [{k: float(signals[k][i]) for k in names} for i in idx]
            if mem_rows is not None:
                for r, m in zip(base, mem_rows, strict=True):
                    r.update(m)
            return base

        part = {"fit": fit, "cal": cal, "test": test}
        mem_rows = {k: (mem(v) if mem is not None else None) for k, v in part.items()}
        for k in names:
            scores[k] = {p: signals[k][idx] for p, idx in part.items()}
        if mem is not None:
            for key in ("memory_agreement", "memory_similarity"):
                scores[key] = {p: np.array([np.nan if r[key] is None else r[key]
                                            for r in mem_rows[p]]) for p in part}
        model = LearnedConfidence().fit(rows(fit, mem_rows["fit"]), correct[fit])
        scores["learned"] = {p: model.predict(rows(idx, mem_rows[p])) for p, idx in part.items()}
        for name, s in scores.items():
            if any(np.isnan(v).any() for v in s.values()):  # missing for some items
                continue
            fig = figures.setdefault(name, {"auroc": [], "auto": [], "current": [],
                                            "test_error_auto": []})
            fig["auroc"].append(float(roc_auc_score(correct[test], s["test"])))
            r = certify(s["cal"], 1.0 - correct[cal], alpha, DELTA, "auto")
            t = float(r.threshold[0])
            accept = s["test"] >= t
            fig["auto"].append(float(accept.mean()))
            if accept.any():
                fig["test_error_auto"].append(float(1 - correct[test][accept].mean()))
            old, _ = selective_guaranteed_risk(s["cal"], correct[cal], alpha, DELTA)
            fig["current"].append(float((s["test"] >= old).mean()) if old is not None else 0.0)
    return {name: {"auroc": round(float(np.mean(f["auroc"])), 4),
                   "automation_auto": round(float(np.mean(f["auto"])), 4),
                   "automation_current_sgr_n": round(float(np.mean(f["current"])), 4),
                   "mean_test_error_auto": round(float(np.mean(f["test_error_auto"])), 4)
                   if f["test_error_auto"] else None}
            for name, f in figures.items()}


_FINAL = re.compile(r"A:\s*(.+?)\s*$", re.MULTILINE)


def _final(solution: str) -> str:
    match = _FINAL.search(solution)
    return match.group(1) if match else solution.strip().splitlines()[-1]


def gsm8k(folder: Path) -> dict[str, Any]:
    systems = ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")
    text = (folder / "gsm8k_model_solutions.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    answers = [[_final(r[s]["solution"]) for s in systems] for r in rows]
    texts = [[r[s]["solution"] for s in systems] for r in rows]
    out_i = 3  # the 175B verifier's answer is the output; the other systems are its samples
    signals = {
        "sample_agreement": np.array([sample_agreement(a[:out_i], a[out_i]) for a in answers]),
        "majority_vote_fraction": np.array([majority_vote_fraction(a) for a in answers]),
        "semantic_entropy": np.array([semantic_entropy(a) for a in answers]),
        "lexical_similarity": np.array([
            np.mean([mean_pairwise_lexical_similarity([t[out_i], o]) for o in t[:out_i]])
            for t in texts]),
    }
    correct = np.array([bool(r[systems[out_i]]["is_correct"]) for r in rows])
    outputs = [a[out_i] for a in answers]
    sim = _text_similarity([r["question"] for r in rows])
    gold = [_final(r["ground_truth"]) for r in rows]

    def memory(fit: NDArray[np.int64]) -> Any:
        return lambda idx: _memory(fit, idx, sim[np.ix_(idx, fit)], outputs, gold)

    return {"items": len(correct), "error_rate": round(float(1 - correct.mean()), 4),
            "alpha": 0.15, "scores": evaluate(signals, correct, 0.15, memory)}


def claims(folder: Path) -> dict[str, Any]:
    freq, gpt, correct, text = [], [], [], []
    for name in ("nq", "factscore", "MATH"):
        path = folder / "factual_claims" / f"{name}_subclaims_with_scores.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        for prompt in data["data"]:
            for claim in prompt["claims"]:
                freq.append(claim["frequency-score"] / 5.0)
                gpt.append(claim["gpt-score"])
                correct.append(claim["annotation"].strip() in ("Y", "S"))
                text.append(claim["subclaim"])
    y = np.array(correct)
    signals = {"frequency": np.clip(np.array(freq), 0, 1), "verbalized": np.array(gpt)}
    sim = _text_similarity(text)
    outputs = ["true"] * len(y)
    verdict = ["true" if c else "false" for c in y]

    def memory(fit: NDArray[np.int64]) -> Any:
        return lambda idx: _memory(fit, idx, sim[np.ix_(idx, fit)], outputs, verdict)

    return {"items": len(y), "error_rate": round(float(1 - y.mean()), 4), "alpha": 0.15,
            "scores": evaluate(signals, y, 0.15, memory)}


def digits() -> dict[str, Any]:
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = x / 16.0
    x_model, x_rest, y_model, y_rest = train_test_split(x, y, train_size=300, random_state=0,
                                                        stratify=y)
    clf = LogisticRegression(max_iter=2000).fit(x_model, y_model)
    proba = clf.predict_proba(x_rest)
    top = np.sort(proba, axis=1)
    pred = proba.argmax(axis=1)
    correct = pred == y_rest
    signals = {"max_probability": top[:, -1], "margin": top[:, -1] - top[:, -2],
               "entropy": 1 + (proba * np.log(np.clip(proba, 1e-12, 1))).sum(1) / np.log(10)}
    dist = np.sqrt(((x_rest[:, None, :] - x_rest[None, :, :]) ** 2).sum(-1))
    sim = 1.0 / (1.0 + dist)
    outputs = [int(p) for p in pred]
    truth = [int(t) for t in y_rest]

    def memory(fit: NDArray[np.int64]) -> Any:
        return lambda idx: _memory(fit, idx, sim[np.ix_(idx, fit)], outputs, truth)

    return {"items": len(correct), "error_rate": round(float(1 - correct.mean()), 4),
            "alpha": 0.02, "scores": evaluate(signals, correct, 0.02, memory)}


def main() -> dict[str, Any]:
    start = time.perf_counter()
    result: dict[str, Any] = {"benchmark": "learned_confidence", "delta": DELTA,
                              "splits": SPLITS, "certification": issue_case()}
    datasets: dict[str, Any] = {"digits": digits()}
    folder = data_dir()
    if folder is None:
        datasets["skipped"] = ("GSM8K and factual claims need $HITL_EVAL_DATA "
                               "(openai/grade-school-math, tatsu-lab/conformal-factual-lm)")
    else:
        datasets["gsm8k"] = gsm8k(folder)
        datasets["factual_claims"] = claims(folder)
    result["datasets"] = datasets
    result["seconds"] = round(time.perf_counter() - start, 2)
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
    sys.exit(0)
