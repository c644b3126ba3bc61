"""The correction memory against both index kinds: a PersistentClient folder and a Chroma server."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from hitl_agent.errors import MemoryIndexError, ValidationError
from hitl_agent.memory import ChromaIndex, CorrectionMemory, WordLlamaEmbeddings
from hitl_agent.memory.ledger import Ledger
from tests.helpers.memory import correction, store

MakeMemory = Callable[..., CorrectionMemory]


def test_upsert_is_idempotent(ledger: Ledger, make_memory: MakeMemory) -> None:
    memory = make_memory()
    c = correction(1, "The plot was thin but the acting was superb")
    store(ledger, memory, c)
    memory.remember(c)  # a retried learn step
    memory.remember_many([c, c])
    assert memory.stats()["tasks"]["sentiment"]["documents"] == 1
    edited = c.model_copy(update={"final_output": "mixed"})
    memory.remember(edited)
    hits = memory.search(c.input, task="sentiment", k=5)
    assert [h.correction.correction_id for h in hits] == ["c1"]
    # The ledger is the record: a correction is written once, what it says does not change.
    assert hits[0].correction.final_output == "positive"
    # One batch of a held id (re-indexed) and a new one (added, to the ledger too): no
    # duplicate, both found.
    fresh = correction(2, "The soundtrack was the best part")
    memory.remember_many([c.model_copy(update={"final_output": "negative"}), fresh])
    assert memory.stats()["tasks"]["sentiment"]["documents"] == 2
    assert memory.stats()["in_sync"]
    got = {h.correction.correction_id: h.correction.final_output
           for h in memory.search(c.input, task="sentiment", k=5)}
    assert got == {"c1": "positive", "c2": fresh.final_output}


def test_few_shot_recall_is_by_task_and_metadata(ledger: Ledger, make_memory: MakeMemory) -> None:
    memory = make_memory(k=2)
    store(
        ledger, memory,
        correction(1, "The battery dies after an hour", "positive", "negative", model_id="m1"),
        correction(2, "The battery lasts all day", "negative", "positive", model_id="m2"),
        correction(3, "Shipping was quick and painless", "negative", "positive", model_id="m1"),
        correction(4, "The battery dies after an hour", "spam", "ham", task="spam"),
    )
    recall = memory.recall("sentiment", "my battery died after one hour")
    assert recall.reuse is None
    assert [s.correction_id for s in recall.similar] == ["c1", "c2"]
    assert recall.similar[0].similarity is not None
    assert recall.similar[0].similarity > recall.similar[1].similarity  # type: ignore[operator]
    assert recall.similar[0].final_output == "negative"

    only_m2 = memory.recall("sentiment", "my battery died after one hour", where={"model_id": "m2"})
    assert [s.correction_id for s in only_m2.similar] == ["c2"]
    filtered = make_memory(k=5, where={"final_label": "positive"})
    assert {s.correction_id for s in filtered.recall("sentiment", "battery").similar} == {
        "c2", "c3"}
    assert memory.recall("unknown-task", "battery").similar == []


def test_reuse_exact_match_only_by_default(ledger: Ledger, make_memory: MakeMemory) -> None:
    memory = make_memory()
    store(ledger, memory, correction(1, "Refund my order #123 please", "billing", "refunds"))
    same = memory.recall("sentiment", "  refund MY order #123   please\n")
    assert same.reuse is not None
    assert same.reuse.correction_id == "c1"
    assert same.reuse.final_output == "refunds"
    differing = memory.recall("sentiment", "Refund my order #124 please")
    assert differing.reuse is None
    assert differing.similar[0].correction_id == "c1"
    assert memory.recall("other-task", "Refund my order #123 please").reuse is None
    off = make_memory(reuse=False)
    assert off.recall("sentiment", "Refund my order #123 please").reuse is None


def test_reuse_by_similarity_needs_a_threshold(ledger: Ledger, make_memory: MakeMemory) -> None:
    store(ledger, make_memory(), correction(1, "Refund my order #123 please", "billing", "refunds"))
    strict = make_memory(reuse_threshold=0.9)
    reused = strict.recall("sentiment", "Refund my order #124 please")
    assert reused.reuse is not None and reused.reuse.correction_id == "c1"
    assert strict.recall("sentiment", "What a lovely sunny afternoon").reuse is None


def test_reuse_skips_abstentions_and_disagreement(ledger: Ledger, make_memory: MakeMemory
                                                  ) -> None:
    memory = make_memory()
    store(ledger, memory,
          correction(1, "ambiguous text", "a", None, action="reject"),
          correction(2, "contested text", "a", "b"),
          correction(3, "contested text", "a", "c"))
    assert memory.recall("sentiment", "ambiguous text").reuse is None
    assert memory.recall("sentiment", "contested text").reuse is None
    assert len(memory.recall("sentiment", "contested text").similar) >= 2


def test_forget_by_id_and_where(ledger: Ledger, make_memory: MakeMemory) -> None:
    memory = make_memory()
    store(ledger, memory,
          correction(1, "My name is Ada and my card was charged twice"),
          correction(2, {"user_id": 42, "text": "charged twice"}),
          correction(3, "Charged twice for one coffee"),
          correction(4, "Great service"))
    report = memory.forget(["c1", "nope"])
    assert report.forgotten == ["c1"] and report.newly_marked == 1
    assert report.not_found == ["nope"]
    assert memory.forget(where={"input.user_id": "42"}).forgotten == ["c2"]
    assert memory.forget(where={"reviewer": "w3"}).forgotten == ["c3"]

    for text in ("My name is Ada and my card was charged twice", "charged twice"):
        ids = {h.correction.correction_id for h in memory.search(text, k=10)}
        assert ids == {"c4"}
        recall = memory.recall("sentiment", text)
        assert recall.reuse is None
        assert {s.correction_id for s in recall.similar} == {"c4"}
    assert [r.correction.id for r in ledger.iter_corrections()] == ["c4"]
    assert ledger.get_correction("c1").forgotten  # type: ignore[union-attr]
    # A rebuild leaves them out too.
    memory.rebuild()
    assert {h.correction.correction_id for h in memory.search("charged twice", k=10)} == {"c4"}


def test_forget_refuses_unknown_fields(make_memory: MakeMemory) -> None:
    memory = make_memory()
    with pytest.raises(ValidationError, match="not a correction field"):
        memory.forget(where={"usr_id": "1"})
    with pytest.raises(ValidationError):
        memory.forget()


def test_rebuild_after_losing_the_index(ledger: Ledger, make_memory: MakeMemory, backend: str,
                                        tmp_path: Path) -> None:
    memory = make_memory()
    cs = [correction(i, f"customer message number {i} about topic {i % 7}", task=f"t{i % 3}")
          for i in range(60)]
    store(ledger, memory, *cs)
    memory.forget(["c5"])
    if backend == "persistent":
        memory.close()
        shutil.rmtree(tmp_path / "memory")
    else:
        client = memory.index.client()
        for col in client.list_collections():
            client.delete_collection(col.name)
    fresh = make_memory()
    lost = fresh.recall("t0", cs[3].input)  # the ledger still answers the exact match
    assert lost.reuse is not None and lost.similar == [lost.reuse]
    assert fresh.recall("t0", "customer message about topic").similar == []
    report = fresh.rebuild()
    assert report.corrections == 59
    assert report.tasks == {"t0": 20, "t1": 20, "t2": 19}
    stats = fresh.stats()
    assert stats["documents"] == 59 and stats["in_sync"]
    for c in cs:
        recall = fresh.recall(c.task, c.input)
        if c.id == "c5":
            assert recall.reuse is None
        else:
            assert recall.reuse is not None and recall.reuse.correction_id == c.id


def test_changed_embedding_dimension_is_refused(ledger: Ledger, make_memory: MakeMemory) -> None:
    store(ledger, make_memory(), correction(1, "hello there"))
    small = WordLlamaEmbeddings(dim=64)
    with pytest.raises(MemoryIndexError, match=r"256 dimensions.*64 dimensions.*memory rebuild"):
        make_memory(embeddings=small)
    # The way out: rebuild with the new model (what `hitl-agent memory rebuild` does).
    switched = make_memory(embeddings=small, check_index=False)
    assert switched.rebuild().corrections == 1
    assert switched.stats()["tasks"]["sentiment"]["dimension"] == 64
    reuse = switched.recall("sentiment", "hello there").reuse
    assert reuse is not None and reuse.correction_id == "c1"
    with pytest.raises(MemoryIndexError, match="rebuild"):
        make_memory()  # now the 256-d default is the odd one out


def test_empty_enormous_and_structured_inputs(ledger: Ledger, make_memory: MakeMemory) -> None:
    memory = make_memory(max_input_chars=1000)
    huge = "lorem ipsum dolor " * 100_000
    structured = {"subject": "Invoice", "body": "Please pay", "attachments": [1, 2]}
    store(ledger, memory,
          correction("empty", ""),
          correction("none", None),
          correction("huge", huge),
          correction("json", structured))
    assert memory.stats()["documents"] == 4

    reuse = memory.recall("sentiment", "").reuse
    assert reuse is not None and reuse.correction_id == "cempty"
    hit = memory.recall("sentiment", huge)
    assert hit.reuse is not None and hit.reuse.correction_id == "chuge"
    assert hit.reuse.input == huge  # the whole input, from the ledger
    truncated = huge[:1000]
    assert memory.recall("sentiment", truncated).reuse is None  # same prefix, different input
    meta = memory.search(huge, task="sentiment", k=1)[0].metadata
    assert meta["input_truncated"] is True and meta["input_chars"] == len(huge)

    # Canonical JSON: key order does not matter.
    reordered = {"attachments": [1, 2], "body": "Please pay", "subject": "Invoice"}
    got = memory.recall("sentiment", reordered).reuse
    assert got is not None and got.correction_id == "cjson" and got.input == structured
    hits = memory.search("invoice please pay", task="sentiment", k=4)
    assert any(h.correction.correction_id == "cjson" for h in hits)
    assert json.loads(str(hits[0].metadata["reviewers"]))


def test_recall_degrades_when_the_server_is_unreachable(
    ledger: Ledger, embedder: WordLlamaEmbeddings, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        memory = CorrectionMemory(ledger, index=ChromaIndex(url="http://127.0.0.1:9"),
                                  embeddings=embedder)
        assert memory.recall("sentiment", "anything").similar == []
        memory.remember(correction(1, "anything"))
    assert "unavailable" in caplog.text
    with pytest.raises(MemoryIndexError):
        memory.search("anything")


def test_forget_marks_the_ledger_even_when_the_index_is_down(
    ledger: Ledger, embedder: WordLlamaEmbeddings
) -> None:
    c = correction(1, "my phone number is 555-0100")
    ledger.record_correction(c)
    memory = CorrectionMemory(ledger, index=ChromaIndex(url="http://127.0.0.1:9"),
                              embeddings=embedder)
    with pytest.raises(MemoryIndexError, match="marked forgotten in the ledger"):
        memory.forget(["c1"])
    record = ledger.get_correction("c1")
    assert record is not None and record.forgotten
    assert list(ledger.iter_corrections()) == []
