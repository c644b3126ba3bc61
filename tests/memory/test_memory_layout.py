"""The index layout (two chromadb keys per correction) and the filters applied to what chromadb
returns: chromadb's grammar, a selective filter that needs more than the first fetch, and an
index written with the first layout still read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from hitl_agent.errors import ValidationError
from hitl_agent.memory import CorrectionMemory
from hitl_agent.memory.documents import correction_metadata, prepare_input
from hitl_agent.memory.layout import fetch_sizes, matches, pack, unpack
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


def test_both_layouts_unpack_to_the_same_metadata() -> None:
    c = correction(7, "A long and winding review")
    prepared = prepare_input(c.input)
    full = correction_metadata(c, prepared)
    stored = pack(full, prepared.text)
    assert set(stored) == {"input_key", "hitl"}
    assert unpack(stored, None) == (full, prepared.text)
    assert unpack(full, prepared.text) == (full, prepared.text)  # layout 1
    assert list(fetch_sizes(5, False)) == [5]
    sizes = fetch_sizes(5, True)
    assert [next(sizes) for _ in range(3)] == [40, 160, 640]


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


def test_an_index_written_with_the_first_layout_is_read(
        ledger: Ledger, make_memory: Callable[..., CorrectionMemory]) -> None:
    memory = make_memory()
    c = correction(1, "The plot was thin but the acting was superb", final_output="positive")
    store(ledger, memory, c)
    col = memory.index.collection("sentiment", embedding=memory.embedder.name,
                                  dimension=memory.embedder.dimension, create=False)
    prepared = prepare_input(c.input)
    col.upsert(ids=["c1"], embeddings=memory.embedder.embed_documents([prepared.text]),
               documents=[prepared.text], metadatas=[correction_metadata(c, prepared)])
    recall = memory.recall("sentiment", c.input)
    assert recall.reuse is not None and recall.reuse.final_output == "positive"
    [hit] = memory.search(c.input, task="sentiment", k=1, where={"final_label": "positive"})
    assert hit.correction.input == c.input
