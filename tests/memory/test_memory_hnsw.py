"""The HNSW settings of the index (``ChromaIndex(hnsw=HnswSettings(...))``): validated, written
into the collections the index creates, kept by collections created before (they still open,
answer and take corrections), and no worse at finding the nearest than chromadb's defaults."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hitl_agent.errors import ConfigError
from hitl_agent.memory import ChromaIndex, CorrectionMemory, HnswSettings, WordLlamaEmbeddings
from hitl_agent.memory.ledger import Ledger
from hitl_agent.types import Correction
from tests.helpers.memory import correction

WORDS = """
account address answer battery bill booking call card charge city code coffee contract customer
date delivery device discount door driver email error fee file flight form game gift hotel
invoice issue item key laptop light line link login mail message money month music number offer
order page parcel password payment phone plan price problem product refund report request room
route screen seat service shipping shop size speed staff store support system ticket train
transfer trip update user video wallet warranty window
""".split()  # noqa: SIM905 - a word list reads better as text


def _hnsw(memory: CorrectionMemory) -> list[dict[str, Any]]:
    """The HNSW settings of every model's collection, as ``stats`` reports them."""
    return [settings for task in memory.stats()["tasks"].values()
            for _model, settings in sorted(task["hnsw"].items())]


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"ef_search": 0}, "hnsw.ef_search"),
    ({"ef_construction": 20_000}, "hnsw.ef_construction"),
    ({"max_neighbors": 1}, "hnsw.max_neighbors"),
    ({"max_neighbors": 16.0}, "hnsw.max_neighbors"),
    ({"ef_search": True}, "hnsw.ef_search"),
])
def test_settings_out_of_range_are_refused_naming_the_field(kwargs: dict[str, Any],
                                                            field: str) -> None:
    with pytest.raises(ConfigError) as err:
        HnswSettings(**kwargs)
    assert err.value.context["field"] == field
    assert field in str(err.value)


def test_the_index_takes_only_hnsw_settings(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        ChromaIndex(tmp_path / "memory", hnsw={"ef_search": 50})  # type: ignore[arg-type]
    assert err.value.context["field"] == "hnsw"


def test_new_collections_get_the_settings(ledger: Ledger, tmp_path: Path,
                                          embedder: WordLlamaEmbeddings) -> None:
    custom = HnswSettings(ef_construction=48, ef_search=123, max_neighbors=12)
    with CorrectionMemory(ledger, index=ChromaIndex(tmp_path / "memory", hnsw=custom),
                          embeddings=embedder) as memory:
        memory.remember_many([correction(1, "the parcel never came", model_id="m1"),
                              correction(2, "charged twice for one ticket", model_id="m2")])
        assert _hnsw(memory) == [{"ef_construction": 48, "ef_search": 123,
                                  "max_neighbors": 12}] * 2
    with CorrectionMemory(ledger, index=ChromaIndex(tmp_path / "default"),
                          embeddings=embedder) as memory:
        memory.remember(correction(3, "my password stopped working"))
        ours = HnswSettings()
        assert [(h["ef_construction"], h["ef_search"], h["max_neighbors"])
                for h in _hnsw(memory)] == [(ours.ef_construction, ours.ef_search,
                                             ours.max_neighbors)]


def test_a_collection_built_with_other_settings_keeps_working(
        ledger: Ledger, tmp_path: Path, embedder: WordLlamaEmbeddings) -> None:
    """An index an earlier release built (chromadb's defaults) opens with the new settings:
    queried and added to as it is, its settings kept; a rebuild gives it the new ones."""
    old = [correction(i, text) for i, text in enumerate(
        ("the parcel never came", "charged twice for one ticket", "love the new screen"))]
    with CorrectionMemory(ledger, embeddings=embedder, index=ChromaIndex(
            tmp_path / "memory", hnsw=HnswSettings.chromadb_defaults())) as memory:
        memory.remember_many(old)
        built = _hnsw(memory)
    assert [(h["ef_construction"], h["ef_search"], h["max_neighbors"]) for h in built] == [
        (100, 100, 16)]
    with CorrectionMemory(ledger, index=ChromaIndex(tmp_path / "memory"),
                          embeddings=embedder) as memory:
        assert [h.correction.correction_id
                for h in memory.search("parcel never arrived", task="sentiment", k=1)] == ["c0"]
        memory.remember_many([correction(7, "my password stopped working"), old[1]])
        assert _hnsw(memory) == built
        stats = memory.stats()
        assert (stats["documents"], stats["in_sync"]) == (4, True)
        assert [h.correction.correction_id
                for h in memory.search("password does not work", task="sentiment", k=1)] == [
            "c7"]
        memory.rebuild()
        assert [h["ef_search"] for h in _hnsw(memory)] == [HnswSettings().ef_search]
        assert memory.stats()["in_sync"]


def _texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"I need help with the {' and the '.join(rng.sample(WORDS, 3))} #{rng.randrange(99)}"
            for _ in range(n)]


def _recall_vs_exact(memory: CorrectionMemory, queries: list[str], q_vectors: np.ndarray,
                     vectors: np.ndarray, k: int = 5) -> float:
    """recall@k of the memory's answers against the exact k nearest (ties count as hits)."""
    kth = np.sort(q_vectors @ vectors.T, axis=1)[:, -k]
    found = [[h.correction.similarity or 0.0 for h in memory.search(q, task="t", k=k)]
             for q in queries]
    return float(np.mean([sum(s >= t - 1e-4 for s in f) / k
                          for f, t in zip(found, kth, strict=True)]))


def test_our_settings_find_the_nearest_as_well_as_chromadb_defaults(
        tmp_path: Path, embedder: WordLlamaEmbeddings) -> None:
    texts = _texts(4000, seed=1)
    queries = _texts(150, seed=2)
    vectors = embedder.embed_documents(texts)
    q_vectors = embedder.embed_documents(queries)
    corrections = [Correction(id=f"c{i}", task="t", thread_id=f"t{i}", review_id=f"t{i}:0",
                              input=text, model_output="a", final_output="b", action="edit",
                              split_group=f"t{i}") for i, text in enumerate(texts)]
    recall = {}
    for name, hnsw in (("ours", HnswSettings()), ("defaults", HnswSettings.chromadb_defaults()),
                       ("starved", HnswSettings(ef_construction=4, ef_search=1,
                                                max_neighbors=2))):
        with CorrectionMemory(Ledger(tmp_path / f"{name}.db"), embeddings=embedder,
                              index=ChromaIndex(tmp_path / name, hnsw=hnsw)) as memory:
            memory.remember_many(corrections, batch=1000)
            recall[name] = _recall_vs_exact(memory, queries, q_vectors, vectors)
    assert recall["ours"] >= recall["defaults"] >= 0.95
    # The measure can tell a bad graph from a good one.
    assert recall["starved"] < recall["defaults"] - 0.1
