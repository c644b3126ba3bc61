"""The index layout (one collection per task and model, ids and vectors only, the rest in the
ledger) and the filters applied to what chromadb returns: chromadb's grammar, the model a filter
pins, a selective filter that needs more than the first fetch, and an index of an earlier layout
(not read; rebuilt)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from hitl_agent.errors import ValidationError
from hitl_agent.memory import CorrectionMemory
from hitl_agent.memory.documents import correction_metadata, prepare_input
from hitl_agent.memory.layout import fetch_sizes, matches, split_model_filter
from hitl_agent.memory.ledger import Ledger
from tests.helpers.memory import correction, store

META = {"model_id": "m2", "agreement": 0.5, "final_label": "spam", "corrected": True}


@pytest.mark.parametrize(("where", "expected"), [
    ({"model_id": "m2"}, True),
    ({"model_id": {"$eq": "m1"}}, False),
    ({"model_id": {"$ne": "m1"}, "final_label": "spam"}, True),
    ({"agreement": {"$gte": 0.5}}, True),
    ({"agreement": {"$gt": 0.5}}, False),
    ({"agreement": {"$lt": "x"}}, False),  # across types: no match, no error
    ({"missing": {"$gt": 1}}, False),
    ({"final_label": {"$in": ["spam", "ham"]}}, True),
    ({"final_label": {"$nin": ["spam"]}}, False),
    ({"$or": [{"model_id": "m1"}, {"corrected": True}]}, True),
    ({"$and": [{"model_id": "m2"}, {"corrected": False}]}, False),
])
def test_where_follows_chromadb_grammar(where: dict[str, Any], expected: bool) -> None:
    assert matches(META, where) is expected


def test_unknown_operators_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"\$like"):
        matches(META, {"model_id": {"$like": "m"}})
    with pytest.raises(ValidationError, match=r"\$xor"):
        matches(META, {"$xor": []})


@pytest.mark.parametrize(("where", "models", "rest"), [
    (None, None, None),
    ({"model_id": "m2"}, ["m2"], None),
    ({"model_id": {"$eq": "m2"}, "corrected": True}, ["m2"], {"corrected": True}),
    ({"$and": [{"model_id": {"$in": ["m1", "m2"]}}, {"model_id": "m2"}]}, ["m2"], None),
    ({"model_id": {"$ne": "m2"}}, None, {"model_id": {"$ne": "m2"}}),
    ({"$or": [{"model_id": "m1"}, {"a": 1}]}, None, {"$or": [{"model_id": "m1"}, {"a": 1}]}),
])
def test_the_model_a_filter_pins_picks_the_collections(
        where: dict[str, Any] | None, models: list[str] | None,
        rest: dict[str, Any] | None) -> None:
    assert split_model_filter(where) == (models, rest)
    assert list(fetch_sizes(5, False)) == [5]
    sizes = fetch_sizes(5, True)
    assert [next(sizes) for _ in range(3)] == [40, 160, 640]


def test_collections_hold_one_task_and_model_and_nothing_but_vectors(
        ledger: Ledger, make_memory: Callable[..., CorrectionMemory]) -> None:
    memory = make_memory()
    store(ledger, memory, correction(1, "battery died", model_id="m1"),
          correction(2, "battery dead", model_id="m2"), correction(3, "battery gone"))
    found = {(c.task, c.model_id): c.collection for c in memory.index.collections()}
    assert set(found) == {("sentiment", "m1"), ("sentiment", "m2"), ("sentiment", "")}
    got = found[("sentiment", "m1")].get(include=["metadatas", "documents"])
    assert got["ids"] == ["c1"] and got["metadatas"] == [None] and got["documents"] == [None]
    assert all(len(c.collection.name) <= 63 for c in memory.index.collections())
    stats = memory.stats()
    assert stats["tasks"]["sentiment"]["models"] == {"m1": 1, "m2": 1, "": 1}
    assert stats["in_sync"]
    # Unpinned, every model of the task is searched; pinned, only that model's collection.
    assert len(memory.recall("sentiment", "battery is dead").similar) == 3
    assert [s.correction_id for s in memory.recall(
        "sentiment", "battery is dead", where={"model_id": {"$in": ["m2", "nobody"]}}).similar
            ] == ["c2"]


def test_a_selective_filter_finds_what_the_first_fetch_missed(
        ledger: Ledger, make_memory: Callable[..., CorrectionMemory]) -> None:
    memory = make_memory()
    many = [correction(i, f"the battery of phone {i} died", model_id="common") for i in range(60)]
    rare = correction("rare", "shipping of the parcel was slow", model_id="rare")
    store(ledger, memory, *many, rare)
    hits = memory.search("the battery of my phone died", task="sentiment", k=3,
                         where={"model_id": "rare"})
    assert [h.correction.correction_id for h in hits] == ["crare"]
    assert hits[0].metadata["model_id"] == "rare"
    assert memory.recall("sentiment", "the battery of my phone died", where={
        "model_id": "nobody"}).similar == []


def test_an_index_of_an_earlier_layout_is_not_read_and_rebuild_replaces_it(
        ledger: Ledger, make_memory: Callable[..., CorrectionMemory],
        caplog: pytest.LogCaptureFixture) -> None:
    memory = make_memory()
    c = correction(1, "The plot was thin but the acting was superb", final_output="positive")
    ledger.record_correction(c)
    # What layout 2 wrote: one collection per task, named by the task alone, metadata inside.
    client = memory.index.client()
    old = client.create_collection(
        f"{memory.index.prefix}-sentiment-0123456789", embedding_function=None,
        metadata={"hitl_task": "sentiment", "hitl_embedding": memory.embedder.name,
                  "hitl_dimension": memory.embedder.dimension})
    prepared = prepare_input(c.input)
    old.add(ids=["c1"], embeddings=memory.embedder.embed_documents([prepared.text]),
            metadatas=[{"input_key": prepared.key, "hitl": "{}"}])
    fresh = make_memory()
    assert "earlier layout" in caplog.text
    stats = fresh.stats()
    assert stats["earlier_layout_documents"] == 1 and not stats["in_sync"]
    # The exact match is the ledger's; the similar ones wait for the rebuild.
    assert fresh.recall("sentiment", c.input).reuse is not None
    assert fresh.recall("sentiment", "the acting was superb").similar == []
    fresh.rebuild()
    assert fresh.stats()["in_sync"]
    [hit] = fresh.search(c.input, task="sentiment", k=1, where={"final_label": "positive"})
    assert hit.correction.input == c.input
    assert correction_metadata(c, prepared).items() <= hit.metadata.items()
