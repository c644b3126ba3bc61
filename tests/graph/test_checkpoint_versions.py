"""The SQLite checkpointer's short channel versions, and threads saved in LangGraph's long form."""

from __future__ import annotations

from pathlib import Path

from langgraph.checkpoint.sqlite import SqliteSaver

from hitl_agent import InProcessReviews, Resumer
from hitl_agent.graph.checkpoint import serializer, sqlite_checkpointer
from hitl_agent.storage.engine import connect_sqlite
from tests.helpers.graphs import cfg, gold_reviewer, make_graph


def _versions(saver: SqliteSaver, thread: str) -> dict[str, str]:
    found = saver.get_tuple(cfg(thread))
    assert found is not None
    return dict(found.checkpoint["channel_versions"])


def test_versions_are_ten_digits_and_the_checkpoint_is_small(tmp_path: Path) -> None:
    ours = sqlite_checkpointer(tmp_path / "ours.db")
    theirs = SqliteSaver(connect_sqlite(tmp_path / "theirs.db"), serde=serializer())
    for saver, folder in ((ours, "a"), (theirs, "b")):
        graph = make_graph(tmp_path / folder, checkpointer=saver)
        assert graph.invoke({"input": "win money now"}, cfg("t"))["output"] == "spam"
    short, long_ = _versions(ours, "t"), _versions(theirs, "t")
    assert short.keys() == long_.keys()
    assert all(len(v) == 10 and v.isdigit() for v in short.values())
    # the same numbers as LangGraph's form, without its 39 more characters each
    assert {k: int(v) for k, v in short.items()} == {
        k: int(v.split(".")[0]) for k, v in long_.items()}
    sizes = [len(s.serde.dumps_typed(t.checkpoint)[1])
             for s in (ours, theirs) if (t := s.get_tuple(cfg("t"))) is not None]
    assert sizes[0] < 0.6 * sizes[1]  # 1.4 KB against 2.6 KB for this graph
    assert ours.get_next_version(None, None) == "0000000001"
    assert ours.get_next_version(41, None) == "0000000042"


def test_a_thread_paused_under_the_long_form_resumes_once(tmp_path: Path) -> None:
    """A review paused by an earlier version (LangGraph's own versions) goes on under ours:
    every version written after the change sorts above every version written before it, so
    the paused node runs once and nothing runs twice."""
    db = tmp_path / "checkpoints.db"
    reviews = InProcessReviews(gold_reviewer(), answers_synchronously=False)
    before = make_graph(tmp_path, reviews,
                        checkpointer=SqliteSaver(connect_sqlite(db), serde=serializer()))
    paused = before.invoke({"input": "maybe win"}, cfg("t"))
    assert paused["__interrupt__"]
    old = _versions(SqliteSaver(connect_sqlite(db), serde=serializer()), "t")
    assert all("." in v for v in old.values())

    after = make_graph(tmp_path, reviews, checkpointer=sqlite_checkpointer(db))
    report = Resumer.for_graph(after).run_once()
    assert report.resumed == [paused["__interrupt__"][0].value["review_id"]]
    state = after.get_state(cfg("t"))
    assert not state.next and state.values["output"] == "ham"
    new = _versions(sqlite_checkpointer(db), "t")
    changed = {k: v for k, v in new.items() if v != old.get(k)}
    assert changed and all(len(v) == 10 for v in changed.values())
    assert min(changed.values()) > max(old.values())
    ledger = Resumer.for_graph(after).ledger
    assert ledger.counts()["corrections"] == 1
    assert Resumer.for_graph(after).run_once().resumed == []
