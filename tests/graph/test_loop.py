"""The review loop end to end on real parts: LangGraph + SQLite checkpointer + SQLite ledger."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any, TypedDict

import pytest
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command
from pydantic import ValidationError as PydanticValidationError

from hitl_agent import (
    AlreadyDecided,
    InProcessReviews,
    Ledger,
    MaxProbabilityScorer,
    ModelError,
    Prediction,
    Resumer,
    ReviewOutcome,
    ReviewRequest,
    ThreadInputConflict,
    ThresholdPolicy,
)
from hitl_agent.errors import ConfigError, LedgerError
from tests.helpers.graphs import LABELS, cfg, gold_reviewer, keyword_model, make_graph
from tests.helpers.paths import child_env


def test_confident_item_is_accepted_without_review(tmp_path: Path) -> None:
    graph = make_graph(tmp_path)
    out = graph.invoke({"input": "win a prize"}, cfg("t1"))
    assert out["output"] == "spam"
    assert out["output_source"] == "model"
    assert out["decision"]["action"] == "accept"
    ledger = Resumer.for_graph(graph).ledger
    item = ledger.get_item("t1")
    assert item.status == "finished" and item.final_output == "spam"
    assert ledger.counts().get("reviews.pending", 0) == 0


def test_unsure_item_is_reviewed_synchronously_and_corrected(tmp_path: Path) -> None:
    graph = make_graph(tmp_path)
    out = graph.invoke({"input": "maybe win"}, cfg("t2"))
    # The model said spam (0.6), the reviewer knows it is ham.
    assert out["prediction"]["output"] == "spam"
    assert out["output"] == "ham" and out["output_source"] == "human"
    assert out["outcome"]["action"] == "edit"
    ledger = Resumer.for_graph(graph).ledger
    [review] = ledger.reviews_for_item("t2")
    assert review.state == "resumed"
    [rec] = list(ledger.iter_corrections())
    c = rec.correction
    assert (c.model_output, c.final_output, c.action) == ("spam", "ham", "edit")
    assert c.reason == "threshold" and c.propensity == 1.0 and c.task == "spam"


def test_async_review_pauses_and_resumer_resumes_once(tmp_path: Path) -> None:
    reviews = InProcessReviews(gold_reviewer(), answers_synchronously=False)
    graph = make_graph(tmp_path, reviews)
    out = graph.invoke({"input": "maybe win"}, cfg("t3"))
    [intr] = out["__interrupt__"]
    assert isinstance(intr.value, dict)  # JSON-native: a ReviewRequest's JSON form
    assert ReviewRequest.model_validate(intr.value).labels == LABELS
    # LangChain 1.x HITLRequest shape, Agent Inbox's HumanInterrupt beside it
    [action] = intr.value["action_requests"]
    assert action["name"] == "spam" and action["args"] == {"output": "spam"}
    assert intr.value["review_configs"] == [
        {"action_name": "spam", "allowed_decisions": ["approve", "edit", "reject", "respond"]}]
    assert intr.value["action_request"] == {"action": "spam", "args": {"output": "spam"}}
    assert intr.value["confidence"] == pytest.approx(0.6)
    assert intr.response_schema is not None and intr.response_schema["title"] == "ResumeValue"
    ledger = Resumer.for_graph(graph).ledger
    assert ledger.get_item("t3").status == "pending_review"

    resumer = Resumer.for_graph(graph)
    report = resumer.run_once()
    assert report.resumed == [intr.value["review_id"]]
    state = graph.get_state(cfg("t3"))
    assert not state.next and state.values["output"] == "ham"
    # A second pass finds nothing to do: no double resume, no second correction.
    again = resumer.run_once()
    assert again.resumed == [] and again.still_pending == 0
    assert ledger.counts()["corrections"] == 1


def test_bad_resume_value_is_refused_and_item_stays_pending(tmp_path: Path) -> None:
    graph = make_graph(tmp_path, InProcessReviews())
    out = graph.invoke({"input": "maybe win"}, cfg("t4"))
    [intr] = out["__interrupt__"]
    with pytest.raises(Exception) as err:
        graph.invoke(Command(resume={intr.id: {"action": "approve-ish"}}), cfg("t4"))
    from langgraph.errors import is_invalid_resume

    assert is_invalid_resume(err.value)
    assert graph.get_state(cfg("t4")).next == ("await_review",)
    assert Resumer.for_graph(graph).ledger.get_review(intr.value["review_id"]).state == "pending"
    # A valid answer then goes through.
    Resumer.for_graph(graph).answer(intr.value["review_id"],
                                    {"action": "edit", "final_output": "ham"})
    assert graph.get_state(cfg("t4")).values["output"] == "ham"


def test_racing_resumers_resume_once(tmp_path: Path) -> None:
    reviews = InProcessReviews()
    graph = make_graph(tmp_path, reviews)
    out = graph.invoke({"input": "maybe win"}, cfg("t5"))
    rid = out["__interrupt__"][0].value["review_id"]
    resumers = [Resumer.for_graph(graph, worker_id=f"w{i}") for i in range(4)]
    wins: list[str] = []
    losses: list[str] = []
    barrier = threading.Barrier(len(resumers))

    def go(r: Resumer) -> None:
        barrier.wait()
        try:
            r.answer(rid, ReviewOutcome(action="edit", final_output="ham"))
            wins.append(r.worker_id)
        except AlreadyDecided:
            losses.append(r.worker_id)

    threads = [threading.Thread(target=go, args=(r,)) for r in resumers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1 and len(losses) == 3
    ledger = Resumer.for_graph(graph).ledger
    assert ledger.counts()["corrections"] == 1
    assert ledger.get_review(rid).decided_by == wins[0]


def test_deadline_sweeper_times_out_and_falls_back(tmp_path: Path) -> None:
    graph = make_graph(tmp_path, InProcessReviews(), review_timeout=timedelta(seconds=1),
                       timeout_fallback="reject")
    out = graph.invoke({"input": "maybe win"}, cfg("t6"))
    rid = out["__interrupt__"][0].value["review_id"]
    review = Resumer.for_graph(graph).ledger.get_review(rid)
    report = Resumer.for_graph(graph).sweep(now=review.deadline + timedelta(seconds=1))
    assert report.timed_out == [rid]
    values = graph.get_state(cfg("t6")).values
    assert values["outcome"]["action"] == "timeout"
    assert values["output"] is None and values["output_source"] == "fallback"
    assert Resumer.for_graph(graph).ledger.counts()["corrections"] == 0  # no human verdict to learn


def test_timeout_escalates_to_second_tier(tmp_path: Path) -> None:
    tier1 = InProcessReviews()
    tier2 = InProcessReviews(gold_reviewer(worker_id="senior"), answers_synchronously=False)
    tier2.name = "senior"
    graph = make_graph(tmp_path, [tier1, tier2], review_timeout=60.0,
                       timeout_fallback="escalate")
    out = graph.invoke({"input": "maybe win"}, cfg("t7"))
    first = out["__interrupt__"][0].value
    ledger = Resumer.for_graph(graph).ledger
    resumer = Resumer.for_graph(graph)
    resumer.sweep(now=ledger.get_review(first["review_id"]).deadline + timedelta(seconds=1))
    state = graph.get_state(cfg("t7"))
    [second] = state.interrupts
    assert second.value["tier"] == 1 and second.value["review_id"] != first["review_id"]
    resumer.run_once()
    values = graph.get_state(cfg("t7")).values
    assert values["output"] == "ham" and values["outcome"]["answers"][0]["worker_id"] == "senior"


def test_a_thread_holds_many_items(tmp_path: Path) -> None:
    calls: list[str] = []

    def counting_model(text: str) -> Prediction:
        calls.append(text)
        return keyword_model(text)

    graph = make_graph(tmp_path, model=counting_model)
    graph.invoke({"input": "win a prize"}, cfg("t8"))
    assert calls == ["win a prize"]
    # The same input again (a retried call) answers from the ledger without a second model run.
    out = graph.invoke({"input": "win a prize"}, cfg("t8"))
    assert out["output"] == "spam" and calls == ["win a prize"] and out["item"] == "t8"
    # Another input on the thread is the thread's next item.
    out = graph.invoke({"input": "something else"}, cfg("t8"))
    assert out["item"] == "t8#2" and calls == ["win a prize", "something else"]
    ledger = Resumer.for_graph(graph).ledger
    assert ledger.get_item("t8").status == ledger.get_item("t8#2").status == "finished"
    # An explicit item id that already holds another input is refused.
    with pytest.raises(ThreadInputConflict) as err:
        graph.invoke({"input": "other", "item_id": "t8"}, cfg("t8"))
    assert err.value.context["field"] == "thread_id"


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (lambda x: 1 / 0, "ZeroDivisionError"),
        (lambda x: Prediction(output="a", probabilities={"a": float("nan"), "b": 0.5}),
         "finite"),
        (lambda x: {"output": "a", "probabilities": {"a": float("nan")}}, "finite"),
        (lambda x: "", "empty output"),
    ],
)
def test_bad_model_output_is_a_clear_error_and_ledger_stays_consistent(
    tmp_path: Path, model: Any, message: str
) -> None:
    graph = make_graph(tmp_path, model=model)
    with pytest.raises((ModelError, ValueError)) as err:
        graph.invoke({"input": "x"}, cfg("bad"))
    assert message in str(err.value)
    item = Resumer.for_graph(graph).ledger.get_item("bad")
    # Every case fails inside the model call, so the item is recorded as failed, not lost.
    assert item is not None and item.status == "failed" and item.error
    assert Resumer.for_graph(graph).ledger.counts().get("reviews.pending", 0) == 0


def test_unopenable_ledger_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises((LedgerError, ConfigError)) as err:
        Ledger(blocker / "sub" / "ledger.db")
    assert "ledger" in str(err.value)
    with pytest.raises(ConfigError):
        Ledger("nosuchdialect://x")


def test_missing_thread_id_is_a_clear_error(tmp_path: Path) -> None:
    graph = make_graph(tmp_path)
    with pytest.raises(Exception, match="thread"):
        graph.invoke({"input": "win"}, {"configurable": {}})


def test_sync_async_batch_stream(tmp_path: Path) -> None:
    graph = make_graph(tmp_path)
    outs = graph.batch([{"input": "win"}, {"input": "hello"}], [cfg("b1"), cfg("b2")])
    assert [o["output"] for o in outs] == ["spam", "ham"]
    events = list(graph.stream({"input": "maybe win"}, cfg("s1"), stream_mode="updates"))
    nodes = [next(iter(e)) for e in events]
    assert nodes == ["recall", "predict", "score", "route", "dispatch", "decide", "learn",
                     "finish"]

    async def run() -> dict[str, Any]:
        return await graph.ainvoke({"input": "win big"}, cfg("a1"))

    assert asyncio.run(run())["output"] == "spam"


def test_state_is_json_native_under_strict_msgpack_with_a_plain_saver(tmp_path: Path) -> None:
    """A plain SqliteSaver (LangGraph's default serializer, no allowlist) under
    LANGGRAPH_STRICT_MSGPACK=true: a review pauses, a new process reads and resumes it, and
    nothing is blocked or warned about."""
    import subprocess
    import sys

    code = f"""
import logging, sqlite3, sys, warnings
warnings.simplefilter("error")
records = []
class Keep(logging.Handler):
    def emit(self, record): records.append(record.getMessage())
logging.getLogger().addHandler(Keep())
from pathlib import Path
from langgraph.checkpoint.sqlite import SqliteSaver
from tests.helpers.graphs import make_loop, cfg
from hitl_agent import InProcessReviews
tmp = Path({str(tmp_path)!r})
saver = SqliteSaver(sqlite3.connect(str(tmp / "plain.db"), check_same_thread=False))
saver.setup()
loop = make_loop(tmp, InProcessReviews())
graph = loop.compile(saver)
if sys.argv[1] == "pause":
    out = graph.invoke({{"input": "maybe win"}}, cfg("strict-1"))
    assert out["__interrupt__"]
else:
    [intr] = graph.get_state(cfg("strict-1")).interrupts
    assert isinstance(intr.value, dict) and intr.value["action_requests"]
    loop.resumer(graph).answer(intr.value["review_id"], {{"decisions": [{{"type": "edit",
        "edited_action": {{"name": "spam", "args": {{"output": "ham"}}}}}}]}})
    values = graph.get_state(cfg("strict-1")).values
    assert values["output"] == "ham" and isinstance(values["outcome"], dict), values
bad = [m for m in records if "unregistered" in m.lower() or "blocked" in m.lower()]
assert not bad, bad
print("ok")
"""
    env = child_env(LANGGRAPH_STRICT_MSGPACK="true")
    for step in ("pause", "resume"):
        result = subprocess.run([sys.executable, "-c", code, step], capture_output=True,
                                text=True, timeout=120, env=env)
        assert result.returncode == 0, result.stderr
        assert "ok" in result.stdout and "unregistered" not in result.stderr.lower()


class ParentState(TypedDict, total=False):
    input: Any
    output: Any
    notes: list[str]


def test_review_graph_works_as_a_subgraph(tmp_path: Path) -> None:
    from langgraph.checkpoint.sqlite import SqliteSaver

    from hitl_agent import serializer
    from hitl_agent.graph.checkpoint import sqlite_checkpointer

    reviews = InProcessReviews(gold_reviewer(), answers_synchronously=False)
    review = make_graph(tmp_path, reviews, checkpointer="parent")
    saver: SqliteSaver = sqlite_checkpointer(tmp_path / "parent.db")
    assert saver.serde is not None and serializer() is not None

    def prepare(state: ParentState) -> dict[str, Any]:
        return {"notes": ["prepared"]}

    def publish(state: ParentState) -> dict[str, Any]:
        return {"notes": [*state["notes"], f"published {state['output']}"]}

    builder = StateGraph(ParentState)
    builder.add_node("prepare", prepare)
    builder.add_node("review", review)
    builder.add_node("publish", publish)
    builder.add_edge(START, "prepare")
    builder.add_edge("prepare", "review")
    builder.add_edge("review", "publish")
    builder.add_edge("publish", END)
    parent = builder.compile(checkpointer=saver)

    out = parent.invoke({"input": "maybe win"}, cfg("sub1"))
    assert "__interrupt__" in out
    resumer = Resumer(parent, Resumer.for_graph(review).ledger, [reviews])
    report = resumer.run_once()
    assert len(report.resumed) == 1
    final = parent.get_state(cfg("sub1")).values
    assert final["output"] == "ham"
    assert final["notes"] == ["prepared", "published ham"]


def test_policy_audit_is_deterministic_and_records_propensity(tmp_path: Path) -> None:
    policy = ThresholdPolicy(0.9, audit_rate=0.5, seed="s")
    graph = make_graph(tmp_path, policy=policy)
    reasons = [graph.invoke({"input": f"win {i}"}, cfg(f"au{i}"))["decision"]
               for i in range(20)]
    audited = [d for d in reasons if d["reason"] == "audit"]
    assert 0 < len(audited) < 20
    assert all(d["propensity"] == 0.5 for d in reasons)
    again = make_graph(tmp_path / "again", policy=ThresholdPolicy(0.9, audit_rate=0.5, seed="s"))
    reasons2 = [again.invoke({"input": f"win {i}"}, cfg(f"au{i}"))["decision"]["reason"]
                for i in range(20)]
    assert reasons2 == [d["reason"] for d in reasons]


def test_item_id_other_than_thread_id_is_resumed_on_its_thread(tmp_path: Path) -> None:
    graph = make_graph(tmp_path, InProcessReviews(gold_reviewer(), answers_synchronously=False))
    out = graph.invoke({"input": "maybe win", "item_id": "ticket-7"}, cfg("conversation-1"))
    request = out["__interrupt__"][0].value
    assert request["thread_id"] == "conversation-1" and request["item_id"] == "ticket-7"
    report = Resumer.for_graph(graph).run_once()
    assert report.resumed == [request["review_id"]]
    assert graph.get_state(cfg("conversation-1")).values["output"] == "ham"
    item = Resumer.for_graph(graph).ledger.get_item("ticket-7")
    assert item.status == "finished" and item.thread_id == "conversation-1"


def test_ledger_from_an_older_version_is_upgraded_in_place(tmp_path: Path) -> None:
    import sqlite3

    def reviews() -> InProcessReviews:
        return InProcessReviews(gold_reviewer(), answers_synchronously=False,
                                path=tmp_path / "reviews.db")

    graph = make_graph(tmp_path, reviews())
    out = graph.invoke({"input": "maybe win"}, cfg("old-1"))
    rid = out["__interrupt__"][0].value["review_id"]
    Resumer.for_graph(graph).ledger.close()
    # The ledger as the first release wrote it: no thread_id columns, no schema version.
    with sqlite3.connect(tmp_path / "ledger.db") as conn:
        conn.execute("DROP TABLE hitl_ledger_version")
        conn.execute("ALTER TABLE items DROP COLUMN thread_id")
        conn.execute("ALTER TABLE reviews DROP COLUMN thread_id")
    again = make_graph(tmp_path, reviews())
    review = Resumer.for_graph(again).ledger.get_review(rid)
    assert review is not None and review.thread_id == "old-1"
    assert Resumer.for_graph(again).run_once().resumed == [rid]
    assert again.get_state(cfg("old-1")).values["output"] == "ham"


def test_agent_inbox_can_answer_a_paused_review(tmp_path: Path) -> None:
    """The interrupt reads as Agent Inbox's HumanInterrupt, and the inbox's own resume value
    (a one-item HumanResponse list) is accepted; an answer that does not fit is asked again."""
    graph = make_graph(tmp_path, InProcessReviews())
    out = graph.invoke({"input": "maybe win"}, cfg("inbox-1"))
    [intr] = out["__interrupt__"]
    request = ReviewRequest.model_validate(intr.value)
    assert request.action_request == {"action": "spam", "args": {"output": "spam"}}
    assert request.config is not None and request.config["allow_edit"] is True
    assert request.description and "spam" in request.description
    assert "anyOf" in json.dumps(intr.response_schema)

    # A label that is no choice: refused with one error naming the field and the rule; nothing
    # is saved, the interrupt and the review stay pending.
    bad = [{"type": "edit", "args": {"action": "spam", "args": {"output": "eggs"}}}]
    with pytest.raises(PydanticValidationError) as err:
        graph.invoke(Command(resume={intr.id: bad}), cfg("inbox-1"))
    [error] = err.value.errors()
    assert error["type"] == "choice" and error["msg"].startswith("final_output: ")
    [again] = graph.get_state(cfg("inbox-1")).interrupts
    assert again.id == intr.id
    assert Resumer.for_graph(graph).ledger.get_review(request.review_id).state == "pending"

    good = [{"type": "edit", "args": {"action": "spam", "args": {"output": "ham"}}}]
    graph.invoke(Command(resume={again.id: good}), cfg("inbox-1"))
    values = graph.get_state(cfg("inbox-1")).values
    assert values["output"] == "ham" and values["outcome"]["action"] == "edit"
    assert Resumer.for_graph(graph).ledger.get_review(request.review_id).state == "resumed"
    [rec] = list(Resumer.for_graph(graph).ledger.iter_corrections())
    assert rec.correction.final_output == "ham"


def test_agent_inbox_accept(tmp_path: Path) -> None:
    graph = make_graph(tmp_path, InProcessReviews())
    intr = graph.invoke({"input": "maybe win"}, cfg("inbox-2"))["__interrupt__"][0]
    graph.invoke(Command(resume={intr.id: [{"type": "accept", "args": None}]}), cfg("inbox-2"))
    values = graph.get_state(cfg("inbox-2")).values
    assert values["output"] == "spam" and values["outcome"]["action"] == "accept"


def test_classification_choices_come_from_labels_or_probabilities_or_are_required(
        tmp_path: Path) -> None:
    from hitl_agent import ChatModelAdapter, ReviewLoop
    from hitl_agent.agents.fakes import ScriptedChatModel

    # From the model's probabilities when no labels are given.
    loop = ReviewLoop(model=keyword_model, scorer=MaxProbabilityScorer(),
                      policy=ThresholdPolicy(0.9), reviews=InProcessReviews(),
                      ledger=tmp_path / "ledger.db")
    graph = loop.compile(tmp_path / "checkpoints.db")
    [intr] = graph.invoke({"input": "maybe win"}, cfg("c1"))["__interrupt__"]
    assert intr.value["labels"] == ["spam", "ham"]
    # A label-only model without labels=: refused before any review opens, the item failed.
    with pytest.raises(ConfigError, match="pass labels=") as err:
        loop_of_labels = ReviewLoop(model=lambda text: "spam", scorer=MaxProbabilityScorer(),
                                    policy=ThresholdPolicy(0.9), reviews=InProcessReviews(),
                                    ledger=tmp_path / "ledger.db")
        loop_of_labels.compile(tmp_path / "checkpoints.db").invoke({"input": "x"}, cfg("c2"))
    assert err.value.context["field"] == "labels"
    assert loop.ledger.get_item("c2").status == "failed"
    # A chat model without labels: the graph refuses to build.
    chat = ChatModelAdapter(ScriptedChatModel(lambda m: None))  # type: ignore[arg-type, return-value]
    with pytest.raises(ConfigError, match="pass labels="):
        ReviewLoop(model=chat, scorer=MaxProbabilityScorer(), policy=ThresholdPolicy(0.9),
                   reviews=InProcessReviews(), ledger=tmp_path / "ledger.db")


def test_an_outcome_outside_the_choices_is_refused_on_every_path(tmp_path: Path) -> None:
    from hitl_agent.errors import ValidationError

    graph = make_graph(tmp_path, InProcessReviews())
    [intr] = graph.invoke({"input": "maybe win"}, cfg("o1"))["__interrupt__"]
    rid = intr.value["review_id"]
    resumer = Resumer.for_graph(graph)
    bad_answers = [
        ReviewOutcome(action="edit", final_output="eggs"),
        {"action": "edit", "final_output": "eggs"},
        {"decisions": [{"type": "edit", "edited_action": {"name": "spam",
                                                          "args": {"output": "eggs"}}}]},
        {"decisions": [{"type": "respond", "message": "eggs"}]},
        [{"type": "response", "args": "eggs"}],
        {"action": "edit", "final_output": {"label": "ham"}},
    ]
    for bad in bad_answers:
        with pytest.raises(ValidationError) as err:
            resumer.answer(rid, bad)
        assert err.value.field == "final_output" and err.value.rule in ("choice", "type"), bad
        with pytest.raises(PydanticValidationError) as perr:
            graph.invoke(Command(resume={intr.id: bad}), cfg("o1"))
        [error] = perr.value.errors()
        assert error["msg"].startswith("final_output: ")
    with pytest.raises(ValidationError) as err:
        resumer.answer(rid, {"action": "approve-ish"})
    assert err.value.field == "action"
    assert resumer.ledger.get_review(rid).state == "pending"
    assert graph.get_state(cfg("o1")).interrupts[0].id == intr.id
    # LangChain's name for keeping the model's output works too.
    resumer.answer(rid, {"action": "approve"})
    values = graph.get_state(cfg("o1")).values
    assert values["output"] == "spam" and values["outcome"]["action"] == "accept"


def test_build_review_graph_takes_exactly_the_review_loops_arguments() -> None:
    import inspect

    from hitl_agent.graph.build import ReviewLoopArguments
    from hitl_agent.graph.loop import ReviewLoop

    loop_args = [p for p in inspect.signature(ReviewLoop.__init__).parameters if p != "self"]
    assert list(ReviewLoopArguments.__annotations__) == loop_args
    required = {p.name for p in inspect.signature(ReviewLoop.__init__).parameters.values()
                if p.default is inspect.Parameter.empty and p.name != "self"}
    marked = {k for k, v in ReviewLoopArguments.__annotations__.items()
              if "Required[" in str(v) and "NotRequired[" not in str(v)}
    assert marked == required


def test_a_resume_after_the_ledger_decided_takes_the_ledgers_outcome(tmp_path: Path) -> None:
    graph = make_graph(tmp_path, InProcessReviews(answers_synchronously=False))
    out = graph.invoke({"input": "maybe win"}, cfg("first-wins"))
    [intr] = out["__interrupt__"]
    rid = intr.value["review_id"]
    ledger = Resumer.for_graph(graph).ledger
    first = ReviewOutcome(action="edit", final_output="ham", review_id=rid)
    assert ledger.decide_review(rid, first, decided_by="console")
    # A second answer, sent to the graph directly after the first was decided: the ledger's wins.
    late = ReviewOutcome(action="accept", review_id=rid).model_dump(mode="json")
    graph.invoke(Command(resume={intr.id: late}), cfg("first-wins"))
    state = graph.get_state(cfg("first-wins"))
    assert state.values["output"] == "ham" and state.values["outcome"]["action"] == "edit"
    review = ledger.get_review(rid)
    assert review.state == "resumed" and review.decided_by == "console"
    assert ledger.counts()["corrections"] == 1
