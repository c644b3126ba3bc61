"""Deprecated: moved to :mod:`hitl_agent.demo.service` (this alias goes in the next release).

``run_demo_with_service(cfg)`` is now ``hitl_agent.demo.run_demo(cfg, mode=service_reviews)``
with ``service_reviews`` from :mod:`hitl_agent.demo.service`; it returns the rounds' figures.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hitl_agent._lazy import lazy_exports

if TYPE_CHECKING:
    from hitl_agent.demo import DemoConfig, DemoResult

_moved, __dir__ = lazy_exports(globals(), deprecated={
    name: "hitl_agent.demo.service" for name in ("WorkerApiReviewer", "TEAM", "CREDENTIALS")})


def run_demo_with_service(cfg: DemoConfig, *, progress: Callable[[int], None] | None = None
                          ) -> DemoResult:
    """Deprecated: ``hitl_agent.demo.run_demo(cfg, mode=hitl_agent.demo.service.service_reviews)``.
    ``progress`` is called with 1 per item, as before."""
    warnings.warn("hitl_agent.demo_service.run_demo_with_service is deprecated: use "
                  "hitl_agent.demo.run_demo(cfg, mode=hitl_agent.demo.service.service_reviews)",
                  DeprecationWarning, stacklevel=2)
    from hitl_agent.demo import run_demo
    from hitl_agent.demo.service import service_reviews

    def each_item(_round: int, _done: int) -> None:
        if progress is not None:
            progress(1)

    return run_demo(cfg, mode=service_reviews, progress=each_item)


def __getattr__(name: str) -> Any:
    return _moved(name)
