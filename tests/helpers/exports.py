"""Shared builders for the export tests (a plain module, like memhelpers)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import typer

from hitl_agent.types import Correction, HumanAnswer

WORDS = [
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
    "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango",
    "uniform", "victor", "whiskey", "xray", "yankee", "zulu",
]


def sentence(i: int, n: int = 12) -> str:
    """A text unlike the others: words drawn by i, so different i share few 3-grams."""
    return " ".join(WORDS[(i * 7 + j * (i % 5 + 3) + j * j) % len(WORDS)] + str((i + j) % 97)
                    for j in range(n))


def make_correction(i: int, **overrides: Any) -> Correction:
    values: dict[str, Any] = {
        "id": f"c{i}",
        "task": "sentiment",
        "thread_id": f"t{i}",
        "review_id": f"r{i}",
        "input": sentence(i),
        "model_output": "negative",
        "final_output": "positive" if i % 2 == 0 else "neutral",
        "action": "edit",
        "agreement": 1.0,
        "answers": [HumanAnswer(answer_content={"label": "x"}, worker_id=f"w{i % 3}")],
        "source": "service",
        "confidence": 0.4,
        "policy_id": "p1",
        "reason": "threshold",
        "propensity": 1.0,
        "model_id": "clf",
        "model_version": "1",
        "created_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "decided_at": datetime(2026, 1, 2, 4, 5, 6, 789000, tzinfo=UTC),
        "split_group": f"g{i}",
    }
    values.update(overrides)
    return Correction(**values)


def cli_app() -> typer.Typer:
    """The export and retrain commands mounted as cli/main.py mounts them."""
    from hitl_agent.cli.export import export_command
    from hitl_agent.cli.retrain import retrain_app

    app = typer.Typer()

    @app.callback()
    def _main() -> None:
        """hitl-agent"""

    app.command("export")(export_command)
    app.add_typer(retrain_app, name="retrain")
    return app
