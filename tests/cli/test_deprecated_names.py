"""Names that moved last release keep working for one release, with a DeprecationWarning that
names the new path; names with no successor say what replaced them."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest


@pytest.mark.parametrize(("old_module", "name", "new_module", "new_name"), [
    ("hitl_agent.cli.common", "DataPaths", "hitl_agent.data_folder", "DataFolder"),
    ("hitl_agent.cli.export", "DEFAULT_DATA", "hitl_agent.data_folder", "DEFAULT_DIR"),
    ("hitl_agent.demo", "N_DIGITS", "hitl_agent.demo.config", "N_DIGITS"),
    ("hitl_agent.demo_service", "WorkerApiReviewer", "hitl_agent.demo.service",
     "WorkerApiReviewer"),
    ("hitl_agent.demo_service", "TEAM", "hitl_agent.demo.service", "TEAM"),
    ("hitl_agent.demo_service", "CREDENTIALS", "hitl_agent.demo.service", "CREDENTIALS"),
])
def test_a_moved_name_warns_and_is_the_new_one(old_module: str, name: str, new_module: str,
                                                new_name: str) -> None:
    old = importlib.import_module(old_module)
    with pytest.warns(DeprecationWarning, match=f"use {new_module}.{new_name}"):
        value = getattr(old, name)
    assert value is getattr(importlib.import_module(new_module), new_name)


def test_data_paths_still_finds_the_ledger(tmp_path: Path) -> None:
    from hitl_agent.cli import common

    with pytest.warns(DeprecationWarning):
        paths = common.DataPaths(tmp_path)
    assert paths.ledger == tmp_path / "ledger.db"
    assert paths.checkpoints == tmp_path / "checkpoints.db"


@pytest.mark.parametrize("name", ["load_split", "retrain_on_corrections", "summarise"])
def test_a_removed_demo_name_says_what_replaced_it(name: str) -> None:
    import hitl_agent.demo

    with pytest.raises(AttributeError, match="removed: .*hitl_agent.demo"):
        getattr(hitl_agent.demo, name)


def test_unknown_names_are_still_attribute_errors() -> None:
    import hitl_agent.demo_service

    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        hitl_agent.demo_service.nothing  # noqa: B018


def test_run_demo_with_service_runs_the_loop_through_the_service(tmp_path: Path) -> None:
    from hitl_agent.demo import DemoConfig
    from hitl_agent.demo_service import run_demo_with_service

    ticks: list[int] = []
    with pytest.warns(DeprecationWarning, match="run_demo\\(cfg, mode=hitl_agent.demo.service"):
        result = run_demo_with_service(DemoConfig(data=tmp_path, rounds=1, items=12,
                                                  review="service"), progress=ticks.append)
    assert ticks == [1] * 12
    assert result.extra["review_backend"] == "service"
    assert result.extra["output_files"] == result.rounds[0].reviewed > 0


def test_python_m_hitl_agent_service_still_serves_with_a_warning() -> None:
    """``python -m hitl_agent.service`` (last release's entry) hands over to ``serve``."""
    import subprocess
    import sys

    old = subprocess.run([sys.executable, "-W", "always::DeprecationWarning", "-m",
                          "hitl_agent.service", "--help"],
                         capture_output=True, text=True, timeout=120)
    assert old.returncode == 0, old.stderr
    assert "python -m hitl_agent.service is deprecated" in old.stderr
    assert "--port" in old.stdout and "Usage:" in old.stdout
