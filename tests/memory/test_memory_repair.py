"""A corrupt PersistentClient folder: recall degrades with a warning, and rebuild repairs it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from hitl_agent.errors import MemoryIndexError
from hitl_agent.memory import ChromaIndex, CorrectionMemory, WordLlamaEmbeddings
from hitl_agent.memory.ledger import Ledger
from tests.helpers.memory import correction


def _corrupt_sqlite(folder: Path) -> None:
    (folder / "chroma.sqlite3").write_bytes(b"this is not a database" * 2000)


def _corrupt_segments(folder: Path) -> None:
    segments = [p for p in folder.iterdir() if p.is_dir()]
    assert segments
    for seg in segments:
        for f in seg.iterdir():
            f.write_bytes(b"\x00garbage" * 10)


@pytest.mark.parametrize("corrupt", [_corrupt_sqlite, _corrupt_segments])
def test_corrupt_index_degrades_and_rebuild_repairs(
    tmp_path: Path, embedder: WordLlamaEmbeddings, caplog: pytest.LogCaptureFixture,
    corrupt: object,
) -> None:
    ledger = Ledger(tmp_path / "ledger.db")
    folder = tmp_path / "memory"
    memory = CorrectionMemory(ledger, embeddings=embedder)  # default index: beside the ledger
    assert memory.index.path == folder.resolve()
    # Enough documents that chromadb writes its HNSW files (it buffers the first thousand).
    cs = [correction(i, f"ticket {i}: the printer on floor {i % 9} jams") for i in range(1200)]
    for c in cs:
        ledger.record_correction(c)
    memory.remember_many(cs)
    assert memory.recall("sentiment", cs[7].input).reuse is not None
    memory.close()

    corrupt(folder)  # type: ignore[operator]
    with caplog.at_level(logging.WARNING, logger="hitl_agent.memory"):
        broken = CorrectionMemory(ledger, embeddings=embedder)
        recall = broken.recall("sentiment", "ticket: the printer jams")
        exact = broken.recall("sentiment", cs[7].input)
        broken.remember(correction("new", "a new ticket"))
    assert recall.similar == [] and recall.reuse is None
    # The exact match is the ledger's: it holds with the index down.
    assert exact.reuse is not None and exact.reuse.correction_id == "c7"
    assert "memory rebuild" in caplog.text
    with pytest.raises(MemoryIndexError):
        broken.search("printer", task="sentiment")

    report = broken.rebuild()
    assert report.corrections == 1200
    again = broken.recall("sentiment", cs[7].input)
    assert again.reuse is not None and again.reuse.correction_id == "c7"
    assert CorrectionMemory(ledger, embeddings=embedder).stats()["in_sync"]


def test_rebuild_refuses_to_delete_a_folder_it_does_not_own(tmp_path: Path,
                                                            embedder: WordLlamaEmbeddings) -> None:
    folder = tmp_path / "not-an-index"
    folder.mkdir()
    (folder / "chroma.sqlite3").write_bytes(b"garbage" * 100)
    (folder / "thesis.tex").write_text("precious")
    memory = CorrectionMemory(tmp_path / "ledger.db", index=ChromaIndex(folder),
                              embeddings=embedder)
    with pytest.raises(MemoryIndexError, match="refusing to delete"):
        memory.rebuild()
    assert (folder / "thesis.tex").read_text() == "precious"
