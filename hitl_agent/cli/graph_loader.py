"""Loading a user's graph by name as `langgraph.json` names graphs (for `hitl-agent worker`)."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Any

from hitl_agent.errors import ConfigError


def load_graph(spec: str) -> Any:
    """Load ``path/to/file.py:name`` or ``package.module:name`` (a graph, or a function that
    returns one), as ``langgraph.json`` names graphs."""
    if ":" not in spec:
        raise ConfigError(f"graph {spec!r} must be 'file.py:name' or 'module:name'",
                          field="graph")
    target, attr = spec.rsplit(":", 1)
    if target.endswith(".py"):
        path = Path(target).resolve()
        if not path.is_file():
            raise ConfigError(f"graph file {target!r} does not exist", field="graph")
        module_spec = importlib.util.spec_from_file_location(f"hitl_graph_{path.stem}", path)
        if module_spec is None or module_spec.loader is None:
            raise ConfigError(f"graph file {target!r} cannot be imported", field="graph")
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as exc:
            raise ConfigError(f"graph module {target!r} cannot be imported: {exc}",
                              field="graph") from exc
    try:
        obj = getattr(module, attr)
    except AttributeError as exc:
        raise ConfigError(f"{target!r} has no {attr!r}", field="graph") from exc
    if callable(obj) and not hasattr(obj, "get_state"):
        obj = obj()
    if not hasattr(obj, "get_state"):
        raise ConfigError(f"{spec!r} is not a compiled LangGraph graph", field="graph")
    return obj
