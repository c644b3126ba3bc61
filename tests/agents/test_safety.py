"""hitl_safe keeps interrupts alive; the lint finds handlers that would swallow them."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt

from hitl_agent.agents import find_swallowed_interrupts, hitl_safe
from tests.helpers.graphs import cfg


class S(TypedDict, total=False):
    answer: Any
    errors: list[str]


def graph_with(node: Any) -> Any:
    builder = StateGraph(S)
    builder.add_node("ask", node)
    builder.add_edge(START, "ask")
    builder.add_edge("ask", END)
    return builder.compile(checkpointer=InMemorySaver())


def test_a_bare_except_swallows_the_pause_hitl_safe_does_not() -> None:
    def careless(state: S) -> dict[str, Any]:
        try:
            return {"answer": interrupt("ok?")}
        except Exception:  # noqa: BLE001 - the bug under test
            return {"answer": "swallowed"}

    assert graph_with(careless).invoke({}, cfg("c")) == {"answer": "swallowed"}

    errors: list[BaseException] = []

    def safe(state: S) -> dict[str, Any]:
        with hitl_safe(on_error=errors.append):
            answer = interrupt("ok?")
            if answer == "boom":
                raise ValueError("downstream failure")
            return {"answer": answer}
        return {"answer": "fallback"}

    graph = graph_with(safe)
    assert "__interrupt__" in graph.invoke({}, cfg("s"))
    assert graph.invoke(Command(resume="yes"), cfg("s")) == {"answer": "yes"}
    assert "__interrupt__" in graph.invoke({}, cfg("s2"))
    assert graph.invoke(Command(resume="boom"), cfg("s2")) == {"answer": "fallback"}
    assert isinstance(errors[0], ValueError)


def test_hitl_safe_as_decorator() -> None:
    @hitl_safe(default={"answer": "default"})
    def node(state: S) -> dict[str, Any]:
        if interrupt("ok?") == "fail":
            raise RuntimeError("x")
        return {"answer": "fine"}

    graph = graph_with(node)
    assert "__interrupt__" in graph.invoke({}, cfg("d"))
    assert graph.invoke(Command(resume="fail"), cfg("d")) == {"answer": "default"}

    @hitl_safe
    def plain() -> int:
        raise KeyError("k")

    assert plain() is None
    with pytest.raises(TypeError):
        hitl_safe("not a type")  # type: ignore[call-overload]


def test_lint_finds_swallowing_handlers(tmp_path: Path) -> None:
    source = tmp_path / "nodes.py"
    source.write_text(
        "from langgraph.types import interrupt\n"
        "from langgraph.errors import GraphBubbleUp\n"
        "def bad(s):\n"
        "    try:\n"
        "        return interrupt(1)\n"
        "    except Exception:\n"
        "        return None\n"
        "def good(s):\n"
        "    try:\n"
        "        return interrupt(1)\n"
        "    except GraphBubbleUp:\n"
        "        raise\n"
        "    except Exception:\n"
        "        return None\n"
        "def unrelated(s):\n"
        "    try:\n"
        "        return 1\n"
        "    except Exception:\n"
        "        return None\n"
    )
    found = find_swallowed_interrupts([tmp_path])
    assert [(f.line, f.handler) for f in found] == [(6, "except Exception")]
    assert "GraphBubbleUp" in str(found[0])
    assert len(find_swallowed_interrupts([source], strict=True)) == 2


def test_our_own_agent_code_swallows_no_interrupts() -> None:
    root = Path(__file__).resolve().parents[2]
    assert find_swallowed_interrupts([root / "hitl_agent" / "agents", root / "graphs"]) == []
