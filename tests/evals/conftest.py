from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.paths import REPO


@pytest.fixture
def evals_dir() -> Path:
    return REPO / "evals"
