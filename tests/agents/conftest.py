"""Fixtures of the agent tests: the ready graphs loaded from graphs/, savers, configs."""

from __future__ import annotations

from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from hitl_agent import serializer


@pytest.fixture
def saver() -> InMemorySaver:
    return InMemorySaver(serde=serializer())


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Graphs default their data to $HITL_DATA: never the checkout."""
    monkeypatch.setenv("HITL_DATA", str(tmp_path / "hitl-data"))
    for var in ("HITL_REVIEWS", "HITL_CLASSIFY_MODEL", "HITL_ANSWER_MODEL",
                "HITL_EXTRACT_MODEL", "HITL_TOOL_APPROVAL_MODEL"):
        monkeypatch.delenv(var, raising=False)
