"""Thresholds with a guarantee vs the naive rule: scikit-learn digits + LogisticRegression.

40 random splits, train 40% / calibration 40% / test 20%, alpha = 2%, delta = 0.1. For each rule:
automation (share of test items accepted) and violation share (splits whose test error among
accepted items exceeds alpha). That share is not the guarantee's violation rate: the test split
holds ~330 accepted items, so a rule whose true risk sits at 1.5% exceeds 2% on the test split
about one time in five from noise alone, and rules that spend more of the error budget show more
of it. The exact check, with known true risk, is ``tests/policy/test_policy_certify.py``. Rules:
``current_*`` are the searches shipped before (SGR over ⌈log₂ n⌉ steps, Holm over a fixed grid),
``sgr_distinct``/``fallback``/``auto`` the searches over the score's distinct values.

Two confidence signals:

- ``msp``: the classifier's maximum probability;
- ``learned``: P(correct) from a small logistic model trained on the *training split only*
  (out-of-fold predictions of 5-fold cross-validation), on the max probability, the margin and
  two nearest-neighbour features (share of the 10 nearest training digits with the predicted
  label, and the trust score of Jiang, Kim, Guan & Gupta, NeurIPS 2018). The calibration split
  only certifies the threshold; the test split only measures.

Prints one JSON object. Run: ``python benchmarks/thresholds.py``.
"""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_val_predict, train_test_split
from sklearn.neighbors import NearestNeighbors

from hitl_agent.policy.risk import (
    NaiveThresholdNoGuarantee,
    RiskControlledThreshold,
    UncertifiableTarget,
)

ALPHA, DELTA, SPLITS = 0.02, 0.1, 40
K_NEIGHBOURS = 10


def correctness_features(
    proba: NDArray[np.float64],
    x: NDArray[np.float64],
    x_train: NDArray[np.float64],
    y_train: NDArray[np.int64],
    *,
    exclude_self: bool,
) -> NDArray[np.float64]:
    pred = proba.argmax(axis=1)
    top = np.sort(proba, axis=1)
    nn = NearestNeighbors(n_neighbors=K_NEIGHBOURS + 1).fit(x_train)
    dist, idx = nn.kneighbors(x)
    sl = slice(1, None) if exclude_self else slice(0, K_NEIGHBOURS)
    dist, idx = dist[:, sl], idx[:, sl]
    same = y_train[idx] == pred[:, None]
    far = dist.max(axis=1, keepdims=True) * 2 + 1e-9
    d_same = np.where(same, dist, far).min(axis=1)
    d_other = np.where(~same, dist, far).min(axis=1)
    return np.column_stack([
        np.log(top[:, -1] + 1e-9),
        np.log(top[:, -1] - top[:, -2] + 1e-9),
        same.mean(axis=1),
        np.log((d_other + 1e-9) / (d_same + 1e-9)),
    ])


def signals(
    model: LogisticRegression,
    meta: LogisticRegression,
    xs: NDArray[np.float64],
    x_tr: NDArray[np.float64],
    y_tr: NDArray[np.int64],
) -> tuple[dict[str, NDArray[np.float64]], NDArray[np.int64]]:
    proba = model.predict_proba(xs)
    feats = correctness_features(proba, xs, x_tr, y_tr, exclude_self=False)
    learned = meta.predict_proba(feats)[:, 1]
    return {"msp": proba.max(axis=1), "learned": learned}, proba.argmax(axis=1)


def rules() -> dict[str, Any]:
    return {
        "naive_no_guarantee": NaiveThresholdNoGuarantee(ALPHA),
        "current_sgr_n": RiskControlledThreshold(ALPHA, DELTA, method="sgr_n"),
        "current_ltt_holm_grid": RiskControlledThreshold(ALPHA, DELTA, method="ltt", fwer="holm"),
        "sgr_distinct": RiskControlledThreshold(ALPHA, DELTA, method="sgr"),
        "fallback": RiskControlledThreshold(ALPHA, DELTA, method="fallback"),
        "auto": RiskControlledThreshold(ALPHA, DELTA, method="auto"),
    }


def main() -> dict[str, Any]:
    start = time.perf_counter()
    x, y = load_digits(return_X_y=True)
    x = x / 16.0
    rows: dict[str, list[tuple[float, float, float]]] = {}
    aurocs: dict[str, list[float]] = {"msp": [], "learned": []}
    accuracy: list[float] = []
    for seed in range(SPLITS):
        x_tr, x_rest, y_tr, y_rest = train_test_split(
            x, y, train_size=0.4, random_state=seed, stratify=y
        )
        x_cal, x_te, y_cal, y_te = train_test_split(
            x_rest, y_rest, train_size=2 / 3, random_state=seed, stratify=y_rest
        )
        model = LogisticRegression(max_iter=2000).fit(x_tr, y_tr)
        oof = cross_val_predict(
            LogisticRegression(max_iter=2000), x_tr, y_tr, cv=5, method="predict_proba"
        )
        meta = LogisticRegression(max_iter=2000).fit(
            correctness_features(oof, x_tr, x_tr, y_tr, exclude_self=True),
            oof.argmax(axis=1) == y_tr,
        )

        cal, pred_cal = signals(model, meta, x_cal, x_tr, y_tr)
        test, pred_te = signals(model, meta, x_te, x_tr, y_tr)
        ok_cal, ok_te = pred_cal == y_cal, pred_te == y_te
        accuracy.append(float(ok_te.mean()))
        for signal in ("msp", "learned"):
            aurocs[signal].append(float(roc_auc_score(ok_te, test[signal])))
            for name, rule in rules().items():
                try:
                    accept = rule.fit(cal[signal], ok_cal).predict(test[signal])
                except UncertifiableTarget:
                    accept = np.zeros(len(ok_te), dtype=bool)
                risk = float((~ok_te[accept]).mean()) if accept.any() else 0.0
                rows.setdefault(f"{signal}/{name}", []).append(
                    (float(accept.mean()), float(risk > ALPHA), risk)
                )
    results = {
        key: {
            "automation": round(float(np.mean([r[0] for r in vals])), 4),
            "violation_share": round(float(np.mean([r[1] for r in vals])), 4),
            "mean_test_risk_accepted": round(float(np.mean([r[2] for r in vals])), 5),
        }
        for key, vals in rows.items()
    }
    return {
        "benchmark": "thresholds",
        "data": "sklearn digits, LogisticRegression(max_iter=2000) on pixels/16",
        "splits": SPLITS,
        "fractions": {"train": 0.4, "calibration": 0.4, "test": 0.2},
        "alpha": ALPHA,
        "delta": DELTA,
        "classifier_test_accuracy": round(float(np.mean(accuracy)), 4),
        "auroc": {k: round(float(np.mean(v)), 4) for k, v in aurocs.items()},
        "rules": results,
        "ours": "learned/auto",
        "seconds": round(time.perf_counter() - start, 2),
    }


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
