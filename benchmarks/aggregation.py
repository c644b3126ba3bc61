"""Accuracy of each aggregator on three public crowdsourcing data sets.

Dog (Zhou et al., 2012), RTE (Snow et al., 2008) and Sentiment popularity (Venanzi et al., 2015),
read from ``$HITL_SHARED_DATA/crowd`` (sources: zhydhkcws/crowd_truth_infer @8d21647
``datasets/s4_Dog data/``; SaniatAzam/TaskLabelConsensus @86e6b5e ``binary-classification/``).
Targets are crowd-kit 1.4.2's
figures for Dawid–Skene: 0.843 / 0.928 / 0.944 (three decimals; we get 680/807 = 0.8426 and
742/800 = 0.9275, which round to them), each in under 10 s. Majority vote here breaks
ties by the label's overall frequency (``tie="prior"``); with ``tie="escalate"`` ties would go to
an adjudicator instead, so the share of ties is reported too.

With ``--live``, the same answers are also replayed through the review service's live path (one
flow per data set whose ``hitl:aggregation`` tag names the method, one loop per item with
``TaskCount`` = its answers, every answer submitted by its worker through the task board; each
item's last answer comes after all the others, as a crowd's answers arrive), and the accuracy of
the verdicts the service wrote into ``output.json`` (``hitlAggregation``) is reported beside the
offline one.

Prints one JSON object. Run: ``python benchmarks/aggregation.py [--live [--live-methods
majority_vote,wawa,dawid_skene]]`` (``--live`` alone replays Dawid–Skene).
"""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from hitl_agent.review.aggregate import (
    DawidSkene,
    MajorityVote,
    Wawa,
)
from hitl_agent.review.agreement import fleiss_kappa, krippendorff_alpha

Answers = tuple[list[Hashable], list[Hashable], list[Hashable], dict[Hashable, Hashable]]


def data_dir() -> Path:
    env = os.environ.get("HITL_SHARED_DATA")
    if not env:
        raise SystemExit(
            "set HITL_SHARED_DATA to a folder holding crowd/ (Dog: zhydhkcws/crowd_truth_infer "
            "@8d21647; RTE and Sentiment popularity: SaniatAzam/TaskLabelConsensus @86e6b5e)"
        )
    return Path(env) / "crowd"


def load_dog(folder: Path) -> Answers:
    with open(folder / "dog_answers.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with open(folder / "dog_truth.csv", newline="") as fh:
        truth: dict[Hashable, Hashable] = {
            r["question"]: r["truth"] for r in csv.DictReader(fh)
        }
    return (
        [r["question"] for r in rows],
        [r["worker"] for r in rows],
        [r["answer"] for r in rows],
        truth,
    )


def load_rte(folder: Path) -> Answers:
    with open(folder / "rte_answers.tsv", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    truth: dict[Hashable, Hashable] = {r["orig_id"]: r["gold"] for r in rows}
    return (
        [r["orig_id"] for r in rows],
        [r["!amt_worker_ids"] for r in rows],
        [r["response"] for r in rows],
        truth,
    )


def load_sentiment(folder: Path) -> Answers:
    with open(folder / "sentiment_popularity.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    truth: dict[Hashable, Hashable] = {r[1]: r[3] for r in rows}
    return [r[1] for r in rows], [r[0] for r in rows], [r[2] for r in rows], truth


def accuracy(predicted: dict[Hashable, Any], truth: dict[Hashable, Hashable]) -> float:
    scored = [t for t in truth if t in predicted]
    return sum(predicted[t] == truth[t] for t in scored) / len(scored)


def run(name: str, loader: Callable[[Path], Answers], folder: Path) -> dict[str, Any]:
    tasks, workers, labels, truth = loader(folder)
    out: dict[str, Any] = {
        "answers": len(labels),
        "tasks": len(set(tasks)),
        "workers": len(set(workers)),
        "gold_tasks": len(truth),
    }
    aggregators: dict[str, Any] = {
        "majority_vote": MajorityVote(tie="prior"),
        "wawa": Wawa(),
        "dawid_skene": DawidSkene(),
    }
    for key, aggregator in aggregators.items():
        start = time.perf_counter()
        aggregator.fit(tasks, workers, labels)
        seconds = time.perf_counter() - start
        out[key] = {"accuracy": round(accuracy(aggregator.labels_, truth), 4),
                    "seconds": round(seconds, 3)}
    ties = MajorityVote(tie="escalate").fit(tasks, workers, labels).escalations_
    out["majority_vote"]["tie_share"] = round(len(ties) / out["tasks"], 4)
    out["krippendorff_alpha"] = round(krippendorff_alpha(tasks, workers, labels), 4)
    out["fleiss_kappa"] = round(fleiss_kappa(tasks, workers, labels), 4)
    return out


TARGETS = {"dog": 0.843, "rte": 0.928, "sentiment_popularity": 0.944}
LIVE_METHODS = {"majority_vote": "majority", "wawa": "wawa", "dawid_skene": "dawid-skene"}
CLASSIFIER = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form><crowd-classifier name="label" categories='{{ task.input.labels | to_json }}'
 header="Which label?"><classification-target>{{ task.input.item }}</classification-target>
</crowd-classifier></crowd-form>"""


def replay_live(answers: Answers, method: str, data: Path) -> dict[Hashable, Any]:
    """Replay the answers through a review service over ``data``; item → the service's verdict."""
    from hitl_agent.service.services import build_services
    from hitl_agent.service.settings import ServiceSettings

    tasks, workers, labels, _ = answers
    per_task: dict[Hashable, list[tuple[Hashable, Hashable]]] = {}
    for t, w, y in zip(tasks, workers, labels, strict=True):
        if all(w != seen for seen, _ in per_task.get(t, [])):  # one answer per worker and item
            per_task.setdefault(t, []).append((w, y))
    count = max(len(v) for v in per_task.values())
    services = build_services(
        ServiceSettings(data_dir=data, background=False, max_task_count=max(count, 3))
    )
    try:
        ui = services.control.create_human_task_ui(
            {"HumanTaskUiName": "replay", "UiTemplate": {"Content": CLASSIFIER}}
        )["HumanTaskUiArn"]
        flows: dict[int, str] = {}
        for n in sorted({len(v) for v in per_task.values()}):
            flows[n] = services.control.create_flow_definition(
                {
                    "FlowDefinitionName": f"replay-{n}",
                    "RoleArn": "arn:aws:iam::000000000000:role/replay",
                    "HumanLoopConfig": {
                        "WorkteamArn": services.workforce.ensure_team("crowd"),
                        "HumanTaskUiArn": ui,
                        "TaskTitle": "Label the item",
                        "TaskDescription": "Choose one label",
                        "TaskCount": n,
                    },
                    "OutputConfig": {"S3OutputPath": str(data / "output")},
                    "Tags": [{"Key": "hitl:aggregation", "Value": method}],
                }
            )["FlowDefinitionArn"]
        choices = sorted({str(y) for y in labels})
        loop_of = {}
        for i, (task, given) in enumerate(per_task.items()):
            loop_of[task] = f"item-{i}"
            services.runtime.start_human_loop(
                {
                    "HumanLoopName": f"item-{i}",
                    "FlowDefinitionArn": flows[len(given)],
                    "HumanLoopInput": {
                        "InputContent": json.dumps({"item": str(task), "labels": choices})
                    },
                }
            )
        reviewers = {
            w: services.workforce.add_worker(f"w{i}", teams=["crowd"])[0]
            for i, w in enumerate(dict.fromkeys(workers))
        }
        early = [(t, w, y) for t, given in per_task.items() for w, y in given[:-1]]
        late = [(t, *given[-1]) for t, given in per_task.items()]
        for task, worker, label in early + late:
            content = {"label": {"label": str(label)}}
            services.tasks.submit(reviewers[worker], loop_of[task], content)
        verdicts: dict[Hashable, Any] = {}
        for task, name in loop_of.items():
            described = services.runtime.describe_human_loop(name)
            out = json.loads(Path(described["HumanLoopOutput"]["OutputS3Uri"]).read_text())
            verdicts[task] = out["hitlAggregation"]["label"]
        return verdicts
    finally:
        services.close()


def live(
    name: str, loader: Callable[[Path], Answers], folder: Path, methods: list[str]
) -> dict[str, Any]:
    answers = loader(folder)
    truth = {str(k): str(v) for k, v in answers[3].items()}
    out: dict[str, Any] = {}
    for key, method in LIVE_METHODS.items():
        if key not in methods:
            continue
        start = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="hitl-replay-") as tmp:
            verdicts = replay_live(answers, method, Path(tmp))
        out[key] = {
            "accuracy": round(accuracy({str(k): v for k, v in verdicts.items()}, truth), 4),
            "seconds": round(time.perf_counter() - start, 2),
            "answers_replayed": len(answers[2]),
        }
    return out


def live_methods() -> list[str]:
    """``--live-methods majority_vote,wawa,dawid_skene`` (default: dawid_skene, the slowest to
    reproduce; each replay submits every answer through the task board)."""
    for i, arg in enumerate(sys.argv):
        if arg == "--live-methods" and i + 1 < len(sys.argv):
            return [m for m in sys.argv[i + 1].split(",") if m in LIVE_METHODS]
    return ["dawid_skene"]


def main() -> dict[str, Any]:
    folder = data_dir()
    if not folder.is_dir():
        print(json.dumps({"skipped": f"no data at {folder}"}))
        sys.exit(0)
    results: dict[str, Any] = {"benchmark": "aggregation", "data": str(folder.resolve())}
    for name, loader in (
        ("dog", load_dog),
        ("rte", load_rte),
        ("sentiment_popularity", load_sentiment),
    ):
        results[name] = run(name, loader, folder)
        ds = results[name]["dawid_skene"]
        # crowd-kit publishes three decimals: compare at that precision (half rounds up)
        results[name]["dawid_skene"]["meets_target"] = bool(
            ds["accuracy"] >= TARGETS[name] - 0.0005 - 1e-9 and ds["seconds"] < 10
        )
        results[name]["dawid_skene"]["target"] = TARGETS[name]
        if "--live" in sys.argv:
            methods = live_methods()
            results[name]["live"] = live(name, loader, folder, methods)
            results[name]["live_matches_offline"] = all(
                abs(results[name]["live"][k]["accuracy"] - results[name][k]["accuracy"]) <= 0.005
                for k in methods
            )
    return results


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
