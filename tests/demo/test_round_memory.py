"""The demo's round memory: the index follows the ledger a round at a time, and recall never
hides an exact match that a correction of the running round added."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hitl_agent.demo.loop import RoundMemory
from hitl_agent.memory import ChromaIndex, CorrectionMemory
from hitl_agent.memory.ledger import Ledger
from tests.helpers.memory import correction


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[tuple[Ledger, CorrectionMemory]]:
    ledger = Ledger(tmp_path / "ledger.db")
    memory = CorrectionMemory(ledger, index=ChromaIndex(tmp_path / "memory"))
    yield ledger, memory
    memory.close()


def test_a_round_is_indexed_in_one_go_and_a_stopped_run_catches_up(
        parts: tuple[Ledger, CorrectionMemory]) -> None:
    ledger, memory = parts
    rounds = RoundMemory(memory, ledger)
    for i in range(3):  # as the graph's learn node: the ledger, then remember
        c = correction(i, f"text number {i}")
        ledger.record_correction(c)
        rounds.remember(c)
    assert memory.stats()["documents"] == 0  # nothing indexed mid-round
    assert rounds.index_new() == 3
    assert memory.stats()["in_sync"]
    assert rounds.index_new() == 0
    # A run that stops mid-round: the ledger holds corrections the index lacks.
    for i in range(3, 5):
        ledger.record_correction(correction(i, f"text number {i}"))
    assert not memory.stats()["in_sync"]
    assert RoundMemory(memory, ledger).index_new() == 5  # the next run catches up in full
    stats = memory.stats()
    assert stats["in_sync"] and stats["documents"] == 5


def test_recall_finds_an_exact_match_added_during_the_round(
        parts: tuple[Ledger, CorrectionMemory]) -> None:
    ledger, memory = parts
    rounds = RoundMemory(memory, ledger)
    ledger.record_correction(correction(0, "an earlier input"))
    rounds.index_new()
    first = rounds.recall("sentiment", "a new input")
    assert first.reuse is None and [s.correction_id for s in first.similar] == ["c0"]
    ledger.record_correction(correction(1, "a new input", final_output="negative"))
    again = rounds.recall("sentiment", "a new input")  # its nearest ones are known already
    assert again.reuse is not None and again.reuse.final_output == "negative"
