"""What a crash right after ``remember_many`` returns leaves: every correction in the ledger and
in the index (the process is killed with ``os._exit``: no close, no flush, no atexit)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hitl_agent.memory import ChromaIndex, CorrectionMemory, WordLlamaEmbeddings

CHILD = """
import os, sys
from pathlib import Path
from hitl_agent.memory import ChromaIndex, CorrectionMemory
from hitl_agent.memory.ledger import Ledger
from tests.helpers.memory import correction

root = Path(sys.argv[1])
memory = CorrectionMemory(Ledger(root / "ledger.db"), index=ChromaIndex(root / "memory"))
done = memory.remember_many(
    [correction(i, f"parcel {i} never arrived at {i % 7} street", task="shipping")
     for i in range(300)], batch=128)
print(done, flush=True)
os._exit(0)
"""


def test_corrections_survive_a_crash_right_after_remember_many(
        tmp_path: Path, embedder: WordLlamaEmbeddings) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    child = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path)], capture_output=True,
                           text=True, timeout=300, env=env, cwd=Path(__file__).parents[2],
                           check=False)
    assert child.returncode == 0, child.stderr
    assert child.stdout.split() == ["300"]

    memory = CorrectionMemory(tmp_path / "ledger.db", index=ChromaIndex(tmp_path / "memory"),
                              embeddings=embedder)
    try:
        stats = memory.stats()
        assert (stats["ledger_corrections"], stats["documents"], stats["in_sync"]) == (
            300, 300, True)
        # Its own input finds it (numbers look alike to the embedding: among the nearest).
        hits = memory.search("parcel 123 never arrived at 4 street", task="shipping", k=5)
        assert "c123" in [h.correction.correction_id for h in hits]
    finally:
        memory.close()
