"""The one place that reads LangGraph internals: two config keys with no public accessor.

- a running graph keeps its checkpointer (its own or a server's) in the config;
- ``invoke()`` reads a graph's default durability from the config.
"""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig

from hitl_agent.errors import ConfigError

try:
    from langgraph._internal._constants import CONFIG_KEY_CHECKPOINTER, CONFIG_KEY_DURABILITY
except ImportError:  # pragma: no cover - other layouts
    CONFIG_KEY_CHECKPOINTER = "__pregel_checkpointer"
    CONFIG_KEY_DURABILITY = "__pregel_durability"

__all__ = ["has_checkpointer", "require_checkpointer", "with_durability"]


def has_checkpointer(config: RunnableConfig) -> bool:
    """Whether the graph running with ``config`` has a checkpointer (its own or a server's)."""
    return (config.get("configurable") or {}).get(CONFIG_KEY_CHECKPOINTER) is not None


def require_checkpointer(config: RunnableConfig, *, where: str = "review") -> None:
    """Raise a clear :class:`ConfigError` when the running graph has no checkpointer."""
    if not has_checkpointer(config):
        raise ConfigError(
            f"{where}: this graph has no checkpointer, so a review could never wait for its "
            "answer; compile the graph with checkpointer=... (SqliteSaver, PostgresSaver, "
            "InMemorySaver in tests) or serve it with `langgraph dev` / LangGraph Server",
            field="checkpointer",
        )


def with_durability(graph: Any, durability: str) -> Any:
    """``graph`` with a default durability for its runs (a top-level graph only: a subgraph
    inherits its parent's)."""
    return graph.with_config({"configurable": {CONFIG_KEY_DURABILITY: durability}})
