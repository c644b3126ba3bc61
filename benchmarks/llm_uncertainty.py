"""How well each applicable scorer tells right from wrong on real LLM outputs.

Data: the folder in ``$HITL_EVAL_DATA``, laid out as the replay eval suites expect (their
``data.source`` names each file's public repository and commit):

- GSM8K test solutions of 4 systems (OpenAI grade-school-math): for each system's answer, the
  other 3 systems' final answers are the "samples" (agreement across systems, a black-box
  signal); scorers: sample agreement (the share of the other systems that give the same answer),
  majority-vote fraction of the question, semantic entropy (exact match
  after normalisation) and ROUGE-L similarity of the solution texts.
- Factual claims of GPT-4 (Mohri & Hashimoto, ICML 2024) on NQ, FActScore and MATH: the
  provided frequency score (support over 5 resamples, /5), the verbalized GPT score, their sum
  as provided, and our combinations: an equal-weight mean and a logistic combination fitted
  out-of-fold (5-fold cross-fitting over prompts, so no claim is scored by a model that saw it).

For each: AUROC (right vs wrong) and the error among accepted items when the 80% most confident
are accepted. Prints one JSON object. Run: ``python benchmarks/llm_uncertainty.py``.
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
from sklearn.metrics import roc_auc_score

from hitl_agent.uncertainty import (
    CombinedScorer,
    MaxProbabilityScorer,
    VerbalizedConfidenceScorer,
    expected_calibration_error,
    majority_vote_fraction,
    mean_pairwise_lexical_similarity,
    sample_agreement,
    semantic_entropy,
)

SYSTEMS = ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")
_FINAL = re.compile(r"A:\s*(.+?)\s*$", re.MULTILINE)


def data_dir() -> Path:
    return Path(os.environ.get("HITL_EVAL_DATA", "eval-data")).expanduser()


def accepted_error_at(confidence: np.ndarray, correct: np.ndarray, automation: float) -> float:
    """Error among the ``automation`` share most confident; ties at the cut are split evenly
    (the expected error under random tie-breaking), since several scores are coarse."""
    k = int(round(automation * len(confidence)))
    cut = np.sort(confidence)[::-1][k - 1]
    above = confidence > cut
    tied = confidence == cut
    wrong = ~correct.astype(bool)
    take = k - int(above.sum())
    errors = wrong[above].sum() + take * wrong[tied].mean()
    return float(errors / k)


def figures(confidence: np.ndarray, correct: np.ndarray) -> dict[str, float]:
    return {
        "auroc": round(float(roc_auc_score(correct, confidence)), 4),
        "accepted_error_at_80pct": round(accepted_error_at(confidence, correct, 0.8), 4),
        "ece": round(expected_calibration_error(np.clip(confidence, 0, 1), correct), 4),
    }


def final_answer(solution: str) -> str:
    match = _FINAL.search(solution)
    return match.group(1) if match else solution.strip().splitlines()[-1]


def gsm8k(folder: Path) -> dict[str, Any]:
    with open(folder / "gsm8k_model_solutions.jsonl") as fh:
        rows = [json.loads(line) for line in fh]
    scores: dict[str, list[float]] = {
        "sample_agreement": [],
        "majority_vote_fraction": [],
        "semantic_entropy": [],
        "lexical_similarity_rougeL": [],
    }
    correct: list[bool] = []
    for row in rows:
        answers = [final_answer(row[s]["solution"]) for s in SYSTEMS]
        texts = [row[s]["solution"] for s in SYSTEMS]
        for i, system in enumerate(SYSTEMS):
            others = answers[:i] + answers[i + 1 :]
            scores["sample_agreement"].append(sample_agreement(others, answers[i]))
            scores["majority_vote_fraction"].append(majority_vote_fraction(answers))
            scores["semantic_entropy"].append(semantic_entropy(answers))
            others_text = texts[:i] + texts[i + 1 :]
            pairwise = [mean_pairwise_lexical_similarity([texts[i], t]) for t in others_text]
            scores["lexical_similarity_rougeL"].append(float(np.mean(pairwise)))
            correct.append(bool(row[system]["is_correct"]))
    y = np.array(correct)
    return {
        "items": len(y),
        "accuracy": round(float(y.mean()), 4),
        "scorers": {name: figures(np.array(v), y) for name, v in scores.items()},
    }


def claims(folder: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("nq", "factscore", "MATH"):
        with open(folder / "factual_claims" / f"{name}_subclaims_with_scores.json") as fh:
            data = json.load(fh)
        freq, gpt, both, correct, group = [], [], [], [], []
        for p, prompt in enumerate(data["data"]):
            for claim in prompt["claims"]:
                freq.append(claim["frequency-score"] / 5.0)
                gpt.append(claim["gpt-score"])
                both.append(claim["frequency+gpt-score"] / 6.0)
                correct.append(claim["annotation"].strip() in ("Y", "S"))
                group.append(p)
        f, g, y, groups = np.array(freq), np.array(gpt), np.array(correct), np.array(group)
        provided = np.array(both)
        mean = (f + g) / 2
        learned = np.empty(len(y))
        folds = np.arange(len(data["data"])) % 5
        for fold in range(5):
            test = folds[groups] == fold
            combiner = CombinedScorer(
                {"frequency": MaxProbabilityScorer(), "verbalized": VerbalizedConfidenceScorer()},
                method="logistic",
            ).fit_matrix(np.column_stack([f[~test], g[~test]]), y[~test])
            learned[test] = [
                combiner.combine({"frequency": a, "verbalized": b})
                for a, b in zip(f[test], g[test], strict=True)
            ]
        out[name] = {
            "claims": len(y),
            "share_true": round(float(y.mean()), 4),
            "scorers": {
                "frequency": figures(f, y),
                "verbalized_gpt": figures(g, y),
                "frequency+gpt_provided": figures(provided, y),
                "combined_mean": figures(mean, y),
                "combined_logistic_cv": figures(learned, y),
            },
        }
    return out


def main() -> dict[str, Any]:
    folder = data_dir()
    if not folder.is_dir():
        print(json.dumps({"skipped": f"no data at {folder}: set HITL_EVAL_DATA (see the replay "
                                     "suites in evals/ for the sources)"}))
        sys.exit(0)
    start = time.perf_counter()
    result: dict[str, Any] = {
        "benchmark": "llm_uncertainty",
        "data": str(folder.resolve()),
        "gsm8k": gsm8k(folder),
        "factual_claims": claims(folder),
    }
    result["seconds"] = round(time.perf_counter() - start, 2)
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
