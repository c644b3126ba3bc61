"""Where things are: the repository, the shared data folder, a child process's environment."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
SHARED_DATA = Path(os.environ.get("HITL_SHARED_DATA", REPO.parent / "shared" / "data"))
"""The public data sets of the tests (``$HITL_SHARED_DATA``); tests skip when it is missing."""


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment for a child Python that imports ``tests.helpers``: the
    repository root first on ``PYTHONPATH`` (what pytest gives this process)."""
    paths = [str(REPO), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths), **extra}
