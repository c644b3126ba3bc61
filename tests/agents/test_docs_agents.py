"""docs/agents.md: its code runs as written (at most 15 lines of user code), and does what the
page says: a reviewed tool call and reviewed answers in one thread."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from hitl_agent import Ledger
from tests.helpers.paths import REPO


def snippet() -> str:
    text = (REPO / "docs" / "agents.md").read_text(encoding="utf-8")
    [code] = re.findall(r"```python\n(.*?)```", text, re.S)
    return code


def user_lines(code: str) -> list[str]:
    """Statements a user writes: not imports, blank lines, or continuation lines."""
    lines, depth = [], 0
    for line in code.splitlines():
        stripped = line.split("  #")[0].strip()
        if not stripped or stripped.startswith(("from ", "import ", "#")):
            continue
        if depth == 0:
            lines.append(stripped)
        depth += sum(stripped.count(c) for c in "([{") - sum(stripped.count(c) for c in ")]}")
    return lines


def test_the_agent_snippet_runs_as_written(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    code = snippet()
    assert len(user_lines(code)) <= 15, user_lines(code)
    monkeypatch.chdir(tmp_path)
    ns: dict[str, Any] = {}
    exec(compile(code, "docs/agents.md", "exec"), ns)  # noqa: S102 - the documented code

    agent, chat = ns["agent"], ns["chat"]
    state = agent.get_state(chat)
    texts = [m.text for m in state.values["messages"]]
    # Turn 1: the refund ran with the person's amount, and the answer they accepted stands.
    assert "Refunded 40.00 USD on order 8812." in texts[2]
    assert texts[3] == "Done: Refunded 40.00 USD on order 8812."
    # Turn 2 (same thread): the lookup ran unasked; its answer waits for a person.
    assert any("Order 8812: 2 items" in t for t in texts)
    [waiting] = state.interrupts
    assert waiting.value["action_requests"][0]["name"] == "answer"
    ledger = Ledger(tmp_path / "hitl.db")
    corrections = [r.correction for r in ledger.iter_corrections()]
    assert [(c.task, c.action) for c in corrections] == [("tool_approval", "edit"),
                                                         ("answer", "accept")]
    edit = corrections[0]
    assert edit.task == "tool_approval" and edit.action == "edit"
    assert edit.final_output == {"tool": "refund",
                                 "arguments": {"order_id": "8812", "amount": 40.0}}
    assert edit.input["tool_call"]["name"] == "refund"
    assert [t["name"] for t in edit.input["tools"]] == ["refund", "lookup_order"]
    # Three reviews in one thread: the call, the first answer, the second answer.
    assert ledger.counts().get("reviews.pending", 0) == 1
