"""Start the review service as ``hitl-agent serve`` does, for the tests' service processes
(``python -m tests.helpers.run_service …``, the repository on ``PYTHONPATH``).

``hitl_agent/__init__.py`` re-exports the whole library (LangGraph, SciPy, …), which the service
never uses; on a loaded machine importing it costs seconds per process. The service depends only
on ``hitl_agent.errors`` and ``hitl_agent.service``, so this launcher registers a bare
``hitl_agent`` package (same path, no ``__init__`` side effects) before importing the CLI command.
``test_service_imports_nothing_of_the_graph`` checks that the service really needs nothing more.
"""

from __future__ import annotations

import importlib.util
import sys
import types


def bare_package() -> None:
    if "hitl_agent" in sys.modules:
        return
    spec = importlib.util.find_spec("hitl_agent")
    assert spec is not None and spec.submodule_search_locations is not None
    pkg = types.ModuleType("hitl_agent")
    pkg.__path__ = list(spec.submodule_search_locations)
    pkg.__file__ = spec.origin
    pkg.__spec__ = spec
    sys.modules["hitl_agent"] = pkg


if __name__ == "__main__":
    bare_package()
    import typer

    from hitl_agent.cli.serve import serve

    typer.run(serve)
