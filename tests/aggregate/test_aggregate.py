from __future__ import annotations

import csv
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from hitl_agent.errors import ValidationError
from hitl_agent.review.aggregate import (
    ClosestText,
    DawidSkene,
    MajorityVote,
    Wawa,
    closest_text,
)
from hitl_agent.review.agreement import fleiss_kappa, krippendorff_alpha
from tests.helpers.paths import SHARED_DATA


def synthetic_crowd(
    n_tasks: int = 300, seed: int = 0
) -> tuple[list[str], list[str], list[int], dict[str, int]]:
    """3 classes; two decent workers (75%), one adversarial worker who maps class c to c+1."""
    rng = np.random.default_rng(seed)
    truth = {f"t{i}": int(rng.integers(3)) for i in range(n_tasks)}
    tasks, workers, labels = [], [], []
    for task, y in truth.items():
        for worker, acc in (("good1", 0.75), ("good2", 0.75)):
            label = y if rng.uniform() < acc else int(rng.choice([c for c in range(3) if c != y]))
            tasks.append(task)
            workers.append(worker)
            labels.append(label)
        tasks.append(task)
        workers.append("flipper")
        labels.append((y + 1) % 3)
    return tasks, workers, labels, truth


def accuracy(predicted: Mapping[Any, Any], truth: Mapping[Any, Any]) -> float:
    return float(np.mean([predicted[t] == y for t, y in truth.items()]))


def test_dawid_skene_beats_majority_with_a_bad_worker() -> None:
    tasks, workers, labels, truth = synthetic_crowd()
    mv = MajorityVote(tie="prior").fit(tasks, workers, labels)
    ds = DawidSkene().fit(tasks, workers, labels)
    assert accuracy(ds.labels_, truth) > accuracy(mv.labels_, truth) + 0.15
    assert accuracy(ds.labels_, truth) > 0.9
    # DS learned that the flipper's answers are informative through its confusion matrix
    flip = ds.worker_reliability_["flipper"]["confusion"]
    assert flip["0"]["1"] > 0.8 and flip["1"]["2"] > 0.8
    for task, post in ds.posteriors_.items():
        assert sum(post.values()) == pytest.approx(1.0)
        assert max(post, key=post.get) == ds.labels_[task]  # type: ignore[arg-type]


def test_fit_predict_returns_one_label_per_task_in_order() -> None:
    tasks, workers, labels, _ = synthetic_crowd(20)
    ds = DawidSkene()
    out = ds.fit_predict(tasks, workers, labels)
    assert len(out) == 20 and ds.tasks_ == list(dict.fromkeys(tasks))
    assert out == [ds.labels_[t] for t in ds.tasks_]


def test_gold_items_are_clamped() -> None:
    tasks = ["a", "a", "a", "b", "b", "b"]
    workers = ["w1", "w2", "w3", "w1", "w2", "w3"]
    labels = ["x", "x", "y", "x", "x", "y"]
    ds = DawidSkene().fit(tasks, workers, labels, gold={"a": "y"})
    assert ds.labels_["a"] == "y"
    assert ds.posteriors_["a"] == {"x": 0.0, "y": 1.0}
    # the gold answer makes w3 the reliable one; gold may name a label nobody gave
    ds2 = DawidSkene().fit(["a", "a"], ["w1", "w2"], ["x", "x"], gold={"a": "z"})
    assert ds2.labels_["a"] == "z"


def test_gold_improves_a_crowd_of_mostly_bad_workers() -> None:
    rng = np.random.default_rng(3)
    truth = {f"t{i}": int(rng.integers(2)) for i in range(200)}
    tasks, workers, labels = [], [], []
    for task, y in truth.items():
        for w in ("bad1", "bad2"):  # both always wrong
            tasks.append(task)
            workers.append(w)
            labels.append(1 - y)
        tasks.append(task)
        workers.append("good")
        labels.append(y)
    plain = DawidSkene().fit(tasks, workers, labels)
    gold = {t: truth[t] for t in list(truth)[:20]}
    clamped = DawidSkene().fit(tasks, workers, labels, gold=gold)
    assert accuracy(plain.labels_, truth) < 0.5
    assert accuracy(clamped.labels_, truth) == 1.0


def test_worker_priors_round_trip() -> None:
    tasks, workers, labels, truth = synthetic_crowd(100, seed=4)
    first = DawidSkene().fit(tasks, workers, labels)
    priors = first.worker_reliability_
    assert set(priors) == {"good1", "good2", "flipper"}
    assert priors["flipper"]["accuracy"] < 0.2 < 0.6 < priors["good1"]["accuracy"]
    assert isinstance(priors["good1"]["answers"], int)
    again = DawidSkene(worker_priors=priors).fit(tasks, workers, labels)
    assert accuracy(again.labels_, truth) >= accuracy(first.labels_, truth) - 0.02


def test_majority_vote_tie_policies() -> None:
    tasks = ["t1", "t1", "t2", "t2", "t2"]
    workers = ["w1", "w2", "w1", "w2", "w3"]
    labels = ["cat", "dog", "cat", "cat", "dog"]
    mv = MajorityVote().fit(tasks, workers, labels)
    assert mv.labels_ == {"t1": None, "t2": "cat"}
    assert mv.escalations_ == ["t1"]
    assert mv.posteriors_["t1"] == {"cat": 0.5, "dog": 0.5}
    trusted = MajorityVote(tie="prior", worker_priors={"w2": 0.95, "w1": 0.6}).fit(
        tasks, workers, labels
    )
    assert trusted.labels_["t1"] == "dog"
    frequent = MajorityVote(tie="prior").fit(tasks, workers, labels)
    assert frequent.labels_["t1"] == "cat"  # cat is the more frequent label overall
    by_prior = MajorityVote(tie="prior", label_priors={"dog": 0.9, "cat": 0.1}).fit(
        tasks, workers, labels
    )
    assert by_prior.labels_["t1"] == "dog"
    with pytest.raises(ValidationError):
        MajorityVote(tie="coin").fit(tasks, workers, labels)  # type: ignore[arg-type]


def test_wawa_downweights_a_random_worker() -> None:
    rng = np.random.default_rng(5)
    truth = {f"t{i}": int(rng.integers(2)) for i in range(300)}
    tasks, workers, labels = [], [], []
    for task, y in truth.items():
        for w, acc in (("a", 0.9), ("b", 0.7), ("c", 0.7), ("d", 0.5)):
            tasks.append(task)
            workers.append(w)
            labels.append(y if rng.uniform() < acc else 1 - y)
    wawa = Wawa().fit(tasks, workers, labels)
    skill = {w: r["accuracy"] for w, r in wawa.worker_reliability_.items()}
    assert skill["a"] > skill["b"] > skill["d"]
    mv = MajorityVote(tie="prior").fit(tasks, workers, labels)
    assert accuracy(wawa.labels_, truth) >= accuracy(mv.labels_, truth)


def test_table_input_and_validation() -> None:
    table = {"task": ["t", "t", "u"], "worker": ["a", "b", "a"], "label": [1, 1, 0]}
    assert MajorityVote().fit_predict(table) == [1, 0]
    with pytest.raises(ValidationError) as err:
        MajorityVote().fit(["t"], ["a", "b"], [1])
    assert err.value.rule == "parallel sequences of one length"
    with pytest.raises(ValidationError):
        MajorityVote().fit({"task": [1]})


def test_fleiss_kappa_wikipedia_example() -> None:
    # Fleiss' kappa article (Wikipedia): 10 subjects, 14 raters, 5 categories, kappa = 0.210
    table = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    tasks, workers, labels = [], [], []
    for i, row in enumerate(table):
        r = 0
        for category, count in enumerate(row):
            for _ in range(count):
                tasks.append(i)
                workers.append(r)
                labels.append(category)
                r += 1
    assert fleiss_kappa(tasks, workers, labels) == pytest.approx(0.210, abs=5e-4)


def test_krippendorff_alpha_reference_example() -> None:
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 coders, 12 units with
    # missing values; nominal alpha = 0.743, interval alpha = 0.849
    data = {
        "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    }
    tasks, workers, labels = [], [], []
    for coder, values in data.items():
        for unit, value in enumerate(values):
            if value is not None:
                tasks.append(unit)
                workers.append(coder)
                labels.append(value)
    assert krippendorff_alpha(tasks, workers, labels) == pytest.approx(0.743, abs=5e-4)
    interval = krippendorff_alpha(tasks, workers, labels, level="interval")
    assert interval == pytest.approx(0.849, abs=5e-4)


def test_perfect_agreement() -> None:
    tasks, workers, labels = ["a", "a", "b", "b"], [1, 2, 1, 2], ["x", "x", "y", "y"]
    assert krippendorff_alpha(tasks, workers, labels) == pytest.approx(1.0)
    assert fleiss_kappa(tasks, workers, labels) == pytest.approx(1.0)


def test_free_text_aggregation() -> None:
    verdict = closest_text(["Paris is the capital", "paris is the capital.", "It's Lyon"])
    assert verdict.answer in ("Paris is the capital", "paris is the capital.")
    assert not verdict.escalate
    split = closest_text(["yes", "absolutely not", "42"], min_agreement=0.5)
    assert split.escalate and split.answer is None
    agg = ClosestText(min_agreement=0.5).fit(
        ["q1", "q1", "q1", "q2", "q2"],
        ["a", "b", "c", "a", "b"],
        ["blue sky", "blue sky!", "red", "cat", "xylophone"],
    )
    assert agg.labels_ == {"q1": "blue sky", "q2": None}
    assert agg.escalations_ == ["q2"]


CROWD = SHARED_DATA / "crowd"


@pytest.mark.skipif(not (CROWD / "dog_answers.csv").exists(), reason="shared crowd data missing")
def test_dawid_skene_on_dog_matches_crowd_kit() -> None:
    with open(CROWD / "dog_answers.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with open(CROWD / "dog_truth.csv", newline="") as fh:
        truth = {r["question"]: r["truth"] for r in csv.DictReader(fh)}
    ds = DawidSkene().fit(
        [r["question"] for r in rows], [r["worker"] for r in rows], [r["answer"] for r in rows]
    )
    acc = np.mean([ds.labels_[q] == y for q, y in truth.items()])
    assert round(float(acc), 3) >= 0.843


def test_the_agreement_measures_old_path_warns_and_still_works() -> None:
    import hitl_agent.review.aggregate as old

    with pytest.warns(DeprecationWarning, match="review.agreement.krippendorff_alpha"):
        moved = old.krippendorff_alpha
    assert moved is krippendorff_alpha
