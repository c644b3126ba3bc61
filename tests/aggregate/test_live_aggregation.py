"""Gold tasks, aggregation on the service's live path, and the team figures, over a real service
layer (SQLite in a temporary folder; every answer through the task board)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# benchmarks/aggregation.py: the loaders and the replay
from benchmarks import aggregation as bench
from hitl_agent.review.a2i import parse_output
from hitl_agent.review.aggregate import DawidSkene
from hitl_agent.review.consensus import answer_label, combine_answers
from hitl_agent.service.services import ReviewServices, build_services
from hitl_agent.service.settings import ServiceSettings
from hitl_agent.service.team_stats import (
    FRESH_US,
    MAX_AGE_US,
    TeamFigures,
    team_stats,
    wilson,
)
from hitl_agent.service.workforce import WorkerInfo
from hitl_agent.types import HumanAnswer
from tests.helpers.paths import SHARED_DATA

TEMPLATE = bench.CLASSIFIER
LABELS = ["cat", "dog", "bird"]


@pytest.fixture
def services(tmp_path: Path) -> Iterator[ReviewServices]:
    sv = build_services(ServiceSettings(data_dir=tmp_path, background=False, max_task_count=5))
    yield sv
    sv.close()


def make_flow(sv: ReviewServices, name: str, count: int, **tags: str) -> str:
    ui = sv.control.create_human_task_ui(
        {"HumanTaskUiName": f"{name}-ui", "UiTemplate": {"Content": TEMPLATE}}
    )["HumanTaskUiArn"]
    arn: str = sv.control.create_flow_definition(
        {
            "FlowDefinitionName": name,
            "RoleArn": "arn:aws:iam::000000000000:role/r",
            "HumanLoopConfig": {
                "WorkteamArn": sv.workforce.ensure_team("crowd"),
                "HumanTaskUiArn": ui,
                "TaskTitle": "Label it",
                "TaskDescription": "Choose one",
                "TaskCount": count,
            },
            "OutputConfig": {"S3OutputPath": str(sv.settings.data_dir / "output")},
            "Tags": [{"Key": f"hitl:{k.replace('_', '-')}", "Value": v} for k, v in tags.items()],
        }
    )["FlowDefinitionArn"]
    return arn


def start(sv: ReviewServices, flow: str, name: str, item: str) -> None:
    sv.runtime.start_human_loop(
        {
            "HumanLoopName": name,
            "FlowDefinitionArn": flow,
            "HumanLoopInput": {"InputContent": json.dumps({"item": item, "labels": LABELS})},
        }
    )


def output(sv: ReviewServices, name: str) -> dict[str, Any]:
    described = sv.runtime.describe_human_loop(name)
    assert described["HumanLoopStatus"] == "Completed"
    doc: dict[str, Any] = json.loads(Path(described["HumanLoopOutput"]["OutputS3Uri"]).read_text())
    return doc


def answer(label: str) -> dict[str, Any]:
    return {"label": {"label": label}, "comment": "seen"}


def test_answer_labels_of_the_crowd_elements() -> None:
    assert answer_label({"label": {"label": "cat"}, "comment": "x"}) == "cat"
    assert answer_label({"tone": {"a": False, "b": True}}) == "b"
    assert answer_label({"t": {"labels": ["b", "a"]}}) == '["a", "b"]'
    assert answer_label({"text": "hi", "comment": "x"}) == '{"text": "hi"}'


def test_majority_on_the_live_path_and_in_the_ledger(services: ReviewServices) -> None:
    flow = make_flow(services, "votes", 3, aggregation="majority")
    plain = make_flow(services, "plain", 2)  # no method named: A2I's exact output
    start(services, flow, "l1", "a picture")
    start(services, plain, "l2", "a picture")
    workers = [services.workforce.add_worker(f"w{i}", teams=["crowd"])[0] for i in range(3)]
    for worker, label in zip(workers, ["dog", "cat", "cat"], strict=True):
        services.tasks.submit(worker, "l1", answer(label))
    for worker, label in zip(workers[:2], ["dog", "cat"], strict=True):
        services.tasks.submit(worker, "l2", answer(label))
    plain_doc = output(services, "l2")
    assert set(plain_doc) == {"flowDefinitionArn", "humanAnswers", "humanLoopName", "inputContent"}
    assert parse_output(plain_doc).final_output == "dog"  # the library's majority: first of a tie
    doc = output(services, "l1")
    agg = doc["hitlAggregation"]
    assert agg["method"] == "majority"
    assert agg["label"] == "cat"
    assert agg["posterior"] == {"dog": pytest.approx(1 / 3), "cat": pytest.approx(2 / 3)}
    assert agg["answerContent"] == answer("cat")
    assert len(doc["humanAnswers"]) == 3  # the raw answers stay beside the verdict
    outcome = parse_output(doc)
    assert outcome.final_output == "cat"
    assert outcome.agreement == pytest.approx(2 / 3, abs=1e-6)
    assert len(outcome.answers) == 3


def test_dawid_skene_follows_the_reliable_reviewers(services: ReviewServices) -> None:
    """Two reviewers agree with the truth on every item, a third always says "bird": on a split
    item the verdict follows the reliable reviewer even against the majority."""
    flow = make_flow(services, "ds", 3, aggregation="dawid-skene")
    good_a, good_b, spammer = (
        services.workforce.add_worker(n, teams=["crowd"])[0] for n in ("a", "b", "s")
    )
    truth = ["cat", "dog"] * 10
    for i, label in enumerate(truth):
        start(services, flow, f"t{i}", f"item {i}")
        services.tasks.submit(good_a, f"t{i}", answer(label))
        services.tasks.submit(good_b, f"t{i}", answer(label))
        services.tasks.submit(spammer, f"t{i}", answer("bird"))
    for i, label in enumerate(truth):
        assert output(services, f"t{i}")["hitlAggregation"]["label"] == label
    # a split item: the good reviewer says cat; the spammer says bird; a new reviewer says bird
    new = services.workforce.add_worker("n", teams=["crowd"])[0]
    start(services, flow, "split", "hard")
    services.tasks.submit(good_a, "split", answer("cat"))
    services.tasks.submit(spammer, "split", answer("bird"))
    services.tasks.submit(new, "split", answer("bird"))
    agg = output(services, "split")["hitlAggregation"]
    assert agg["label"] == "cat"
    assert agg["posterior"]["cat"] > 0.5
    assert agg["workers"][spammer.worker_id]["flagged"] is True
    assert agg["workers"][good_a.worker_id]["flagged"] is False


def test_gold_tasks_mix_in_unseen_and_score_reviewers(services: ReviewServices) -> None:
    flow = make_flow(services, "goldflow", 1, gold_rate="0.5", accuracy_floor="0.8")
    assert (
        services.gold.add_items(
            "goldflow",
            [
                {"input": {"item": f"gold {i}", "labels": LABELS}, "answer": "bird"}
                for i in range(3)
            ],
        )
        == 3
    )
    for i in range(4):
        start(services, flow, f"real-{i}", f"item {i}")
    good, bad = (services.workforce.add_worker(n, teams=["crowd"])[0] for n in ("good", "bad"))
    tasks = services.tasks.list_tasks(good)
    assert len(tasks) == 8  # as many gold loops as real ones at rate 0.5
    gold = [t for t in tasks if not t.humanLoopName.startswith("real-")]
    assert len(gold) == 4
    for t in gold:  # nothing tells them apart but the name, which looks like any generated one
        assert t.taskTitle == "Label it" and len(t.humanLoopName) == 32
    for t in gold[:2]:
        services.tasks.submit(good, t.humanLoopName, answer("bird"))
    for t in gold[2:]:
        services.tasks.submit(bad, t.humanLoopName, answer("cat"))
    stats = team_stats(services)
    by_name = {r["name"]: r for r in stats["reviewers"]}
    assert by_name["good"]["gold"]["accuracy"] == 1.0
    assert by_name["bad"]["gold"]["accuracy"] == 0.0
    assert by_name["bad"]["gold"]["high"] < 0.85  # the Wilson interval of 0/2
    assert [f["flow"] for f in stats["flows"]] == ["goldflow"]
    assert stats["flows"][0]["openLoops"] == 4
    assert by_name["good"]["answers24h"] == 2
    json.dumps(stats)  # plain JSON all through


def _kept_figures(
    services: ReviewServices, flow: str, prefix: str
) -> tuple[TeamFigures, list[int], WorkerInfo]:
    """Three open loops of a new flow ``flow`` (``<prefix>0`` ..), a reviewer of its team, and
    the team figures kept on a clock the test moves (the list's one item)."""
    arn = make_flow(services, flow, 1)
    for i in range(3):
        start(services, arn, f"{prefix}{i}", f"item {i}")
    reviewer = services.workforce.add_worker("r", teams=["crowd"])[0]
    now = [services.tasks.clock()]
    return TeamFigures(services, clock=lambda: now[0]), now, reviewer


def test_team_figures_are_kept_until_the_data_changes(services: ReviewServices) -> None:
    kept, now, reviewer = _kept_figures(services, "kept", "k")
    first = kept.figures()
    assert first == team_stats(services) | {"generatedAt": first["generatedAt"]}
    services.tasks.submit(reviewer, "k0", answer("cat"))
    assert kept.figures() is first  # young figures are shown as they are
    now[0] += FRESH_US
    second = kept.figures()  # older, and an answer came: computed again
    assert second is not first and second["flows"][0]["openLoops"] == 2
    now[0] += FRESH_US
    assert kept.figures() is second  # nothing changed since
    now[0] += MAX_AGE_US
    third = kept.figures()
    assert third is not second  # too old all the same
    make_flow(services, "another", 1)
    assert [f["flow"] for f in kept.figures()["flows"]] == ["another", "kept"]  # at once


def test_team_figures_see_a_loop_leave_the_backlog_without_an_answer(
    services: ReviewServices,
) -> None:
    kept, now, reviewer = _kept_figures(services, "left", "s")
    assert kept.figures()["flows"][0]["openLoops"] == 3
    services.runtime.stop_human_loop({"HumanLoopName": "s0"})  # Stopped: its event
    now[0] += FRESH_US
    assert kept.figures()["flows"][0]["openLoops"] == 2
    services.tasks.claim(reviewer, "s1")
    services.runtime.stop_human_loop({"HumanLoopName": "s1"})  # a reviewer holds it: Stopping
    assert services.runtime.describe_human_loop("s1")["HumanLoopStatus"] == "Stopping"
    now[0] += FRESH_US
    assert kept.figures()["flows"][0]["openLoops"] == 1


def test_bad_gold_items_are_refused_with_the_field(services: ReviewServices) -> None:
    from hitl_agent.service.errors import ResourceNotFoundException, ValidationException

    make_flow(services, "g2", 1)
    with pytest.raises(ValidationException) as err:
        services.gold.add_items("g2", [{"input": {}, "answer": True}])
    assert err.value.field == "items[0].answer"
    with pytest.raises(ValidationException) as err:
        services.gold.add_items("g2", [{"answer": "x"}])
    assert err.value.field == "items[0]"
    with pytest.raises(ResourceNotFoundException):
        services.gold.add_items("nope", [{"input": {}, "answer": "x"}])


def test_combine_answers_without_the_service_ties_to_the_first() -> None:
    answers = [
        HumanAnswer(answer_content=answer("dog"), worker_id="a"),
        HumanAnswer(answer_content=answer("cat"), worker_id="b"),
    ]
    outcome = combine_answers(answers, "cat", source="a2i")
    assert outcome.final_output == "dog" and outcome.action == "edit"
    assert outcome.agreement == 0.5


def test_wilson_interval() -> None:
    low, high = wilson(8, 10)
    assert 0.49 < low < 0.5 and 0.94 < high < 0.95


CROWD = SHARED_DATA / "crowd"


@pytest.mark.skipif(
    not (CROWD / "dog_answers.csv").exists(),
    reason=f"shared crowd data missing at {CROWD} (set HITL_SHARED_DATA)",
)
def test_live_replay_reproduces_offline_accuracy(tmp_path: Path) -> None:
    """The Dog set's first 60 items (600 answers) replayed through the service: the verdicts in
    output.json are as accurate as the offline aggregator on the same answers (the benchmark,
    ``benchmarks/aggregation.py --live``, replays the three full sets)."""
    tasks, workers, labels, truth = bench.load_dog(CROWD)
    keep = set(list(dict.fromkeys(tasks))[:60])
    rows = [i for i, t in enumerate(tasks) if t in keep]
    subset = ([tasks[i] for i in rows], [workers[i] for i in rows], [labels[i] for i in rows])
    offline = DawidSkene().fit(*subset)
    live = bench.replay_live((*subset, truth), "dawid-skene", tmp_path)
    scored = {t: truth[t] for t in keep}
    offline_acc = bench.accuracy(offline.labels_, scored)
    live_acc = bench.accuracy(live, scored)
    assert abs(live_acc - offline_acc) <= 1 / 60 + 1e-9, (live_acc, offline_acc)
    assert live_acc > 0.75


def test_a_backlog_is_counted_up_to_its_cap_or_a_days_answers(services: ReviewServices) -> None:
    from hitl_agent.service.team_view import team_page

    flow = make_flow(services, "deep", 2)
    for i in range(6):
        start(services, flow, f"d{i}", f"item {i}")
    full = team_stats(services)["flows"][0]
    assert (full["openLoops"], full["answersNeeded"], full["backlogCapped"]) == (6, 12, False)
    cut = team_stats(services, backlog_cap=3)["flows"][0]
    assert (cut["openLoops"], cut["answersNeeded"], cut["backlogCapped"]) == (4, 8, True)
    stats = team_stats(services, backlog_cap=3)
    page = team_page("lead", "csrf", stats, services.tasks.clock())
    assert "more than 3" in page and "at least 8" in page
    # A day's answers at the flow's pace (4 today) count further than the cap: 5 loops.
    reviewer = services.workforce.add_worker("r", teams=["crowd"])[0]
    for i in range(4):
        services.tasks.submit(reviewer, f"d{i}", answer("cat"))
    paced = team_stats(services, backlog_cap=3)["flows"][0]
    assert (paced["openLoops"], paced["backlogCapped"]) == (5, True)
    assert team_stats(services, backlog_cap=6)["flows"][0] == {
        **paced, "openLoops": 6, "answersNeeded": 8, "backlogCapped": False}
