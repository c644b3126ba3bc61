"""The loop benchmark runs and reports every anchor it promises, measured in the same run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "loop_throughput.py"


def test_loop_benchmark_prints_ours_beside_its_anchors(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(BENCHMARK), "--items", "40"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300, check=True)
    report = json.loads(result.stdout)
    rates = {key: report[key] for key in (
        "ours_items_per_s", "plain_sqlite_default_items_per_s",
        "plain_no_checkpointer_items_per_s", "plain_exit_durable_items_per_s",
        "plain_nothing_stored_items_per_s", "plain_full_shape_exit_durable_items_per_s",
        "batch_items_per_s")}
    assert all(rate > 0 for rate in rates.values()), rates
    # the ratios are of the rates printed beside them, not figures of their own
    assert report["ratio_vs_plain_no_checkpointer"] == pytest.approx(
        rates["ours_items_per_s"] / rates["plain_no_checkpointer_items_per_s"], abs=0.011)
    assert report["what_if_langgraph_kept_its_executor"]["ours_items_per_s"] > 0
    assert set(report["targets"]) == {"ratio_vs_plain_sqlite_default",
                                      "ratio_vs_plain_no_checkpointer",
                                      "batch_ratio_vs_plain_no_checkpointer"}
