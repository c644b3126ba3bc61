from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from hitl_agent.memory.ledger import Ledger
from tests.helpers.exports import make_correction

# The export consumers (datasets, transformers, TRL) must never reach for the Hub: set before
# any of them is imported, as huggingface_hub reads these once, at import.
for _flag in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_flag, "1")


@pytest.fixture
def fill(ledger: Ledger) -> Callable[..., Ledger]:
    def _fill(n: int, start: int = 0, **overrides: Any) -> Ledger:
        for i in range(start, start + n):
            ledger.record_correction(make_correction(i, **overrides))
        return ledger

    return _fill


@pytest.fixture(scope="session")
def run_ledgers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Ledger]:
    """The three real runs of consumer_runs (classification, answers, tool approval), once."""
    from tests.helpers.consumer_runs import RUNS

    tmp = tmp_path_factory.mktemp("runs")
    return {name: run(tmp) for name, run in RUNS.items()}
