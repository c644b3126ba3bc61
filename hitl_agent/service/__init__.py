"""The A2I-compatible review service.

Real, unmodified ``boto3.client("sagemaker-a2i-runtime", endpoint_url=...)`` and
``boto3.client("sagemaker", endpoint_url=...)`` work against it. Layers (moto's shape):

- routes: ``runtime_api`` (rest-json), ``control_api`` (JSON 1.1 ``X-Amz-Target``), ``worker_api``;
- backends named after the operations: ``runtime.RuntimeBackend``,
  ``control_plane.ControlPlaneBackend``; the worker side: ``workforce.Workforce`` and
  ``tasks.TaskBoard``; loop endings: ``lifecycle.Lifecycle``; ``output``; ``events``;
- storage: ``storage.Store`` over the tables of ``models`` (SQLite WAL or Postgres).

``create_app(settings)`` builds the FastAPI app; ``build_services(settings)`` builds the same
backends without HTTP (the CLI and the worker portal use them). Names are imported lazily so that
``import hitl_agent.service.<module>`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hitl_agent._extras import require

for _module in ("fastapi", "uvicorn", "liquid", "bcrypt"):
    require(_module, "service")

if TYPE_CHECKING:
    from .app import create_app
    from .services import ReviewServices, build_services
    from .settings import ServiceSettings

__all__ = ["ReviewServices", "ServiceSettings", "build_services", "create_app"]

_WHERE = {
    "create_app": ".app",
    "ReviewServices": ".services",
    "build_services": ".services",
    "ServiceSettings": ".settings",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
