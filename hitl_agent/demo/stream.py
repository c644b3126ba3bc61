"""The demo's data: scikit-learn's bundled digits, split into a small training set, a stream
that arrives in rounds, and a held-out set the model versions are scored on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hitl_agent.demo.config import DemoConfig


@dataclass(frozen=True)
class RoundItems:
    """One round: the thread ids and their inputs (64 pixel intensities each)."""

    number: int
    thread_ids: list[str]
    inputs: list[list[float]]


@dataclass(frozen=True)
class DemoStream:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    labels: list[str]
    rounds: list[RoundItems]
    gold: dict[str, str] = field(repr=False)
    inputs: dict[str, list[float]] = field(repr=False)

    @property
    def run(self) -> str:
        return self.rounds[0].thread_ids[0].rsplit("-r", 1)[0]


def prepare_stream(cfg: DemoConfig, run_prefix: str = "demo") -> DemoStream:
    """Deterministic for a seed: the same digits, rounds and repeats every time."""
    from sklearn.datasets import load_digits

    cfg.validate()
    x, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(cfg.seed)
    shuffled = rng.permutation(len(y))
    # The first model sees the same number of each digit.
    per_class = cfg.train_size // 10
    train = np.concatenate([shuffled[y[shuffled] == c][:per_class] for c in range(10)])
    rest = np.setdiff1d(shuffled, train, assume_unique=True)
    order = shuffled[np.isin(shuffled, rest)]
    fresh = iter(order[: cfg.stream_size()])
    held_out = order[cfg.stream_size():]
    run = f"{run_prefix}-s{cfg.seed}-t{cfg.train_size}-i{cfg.items}"
    rounds: list[RoundItems] = []
    gold: dict[str, str] = {}
    inputs: dict[str, list[float]] = {}
    seen: list[int] = []
    seen_set: set[int] = set()
    for number in range(1, cfg.rounds + 1):
        indices = [next(fresh) for _ in range(cfg.unique_per_round(number))]
        if number > 1:
            repeats = rng.choice(len(seen), size=cfg.repeats_per_round(), replace=False)
            indices += [seen[i] for i in repeats]
        rng.shuffle(indices)
        for i in indices:
            if i not in seen_set:
                seen_set.add(i)
                seen.append(i)
        tids = [f"{run}-r{number}-{k}" for k in range(len(indices))]
        row_inputs = [x[i].tolist() for i in indices]
        for tid, i, value in zip(tids, indices, row_inputs, strict=True):
            gold[tid] = str(y[i])
            inputs[tid] = value
        rounds.append(RoundItems(number, tids, row_inputs))
    labels = [str(c) for c in sorted(set(y[train].tolist()) | set(y.tolist()))]
    return DemoStream(x[train], y[train], x[held_out], y[held_out], labels, rounds, gold, inputs)


def fit_first_model(stream: DemoStream) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=5000).fit(stream.x_train, stream.y_train)
