"""What the nodes, the node-in-your-graph and the resumer need of a review loop, without
importing the :class:`~hitl_agent.graph.loop.ReviewLoop` that assembles them: the loop's shape
(:class:`LoopParts`), the ledger it opens on first use, and which loop a compiled graph runs."""

from __future__ import annotations

import threading
import weakref
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from hitl_agent.memory.base import CorrectionRecall
from hitl_agent.models.base import ModelAdapter
from hitl_agent.policy.base import EscalationPolicy
from hitl_agent.review.base import ReviewBackend
from hitl_agent.types import TimeoutFallback
from hitl_agent.uncertainty.base import Scorer

if TYPE_CHECKING:
    from hitl_agent.memory.ledger import Ledger


class LoopParts(Protocol):
    """The parts of a review loop (a :class:`~hitl_agent.graph.loop.ReviewLoop`)."""

    model: ModelAdapter
    scorer: Scorer
    policy: EscalationPolicy
    tiers: list[ReviewBackend]
    memory: CorrectionRecall | None
    task: str
    labels: list[str] | None
    review_timeout: timedelta
    timeout_fallback: TimeoutFallback
    final_fallback: Literal["accept", "reject"]
    template: str | None
    memory_signal_weight: float
    name: str

    @property
    def ledger(self) -> Ledger: ...

    def compile(self, checkpointer: Any = None, *, name: str | None = None) -> Any: ...


class LedgerRef:
    """A ledger given as an object, a URL or a path, opened on first use (thread-safe)."""

    def __init__(self, spec: Ledger | str | Path) -> None:
        self.spec = spec
        self._ledger: Ledger | None = None
        self._lock = threading.Lock()

    def get(self) -> Ledger:
        if self._ledger is None:
            with self._lock:
                if self._ledger is None:
                    self._ledger = open_ledger(self.spec)
        return self._ledger


def open_ledger(spec: Ledger | str | Path) -> Ledger:
    """A ledger from a Ledger, a URL or a SQLite path (whose folder is created)."""
    from hitl_agent.memory.ledger import Ledger

    if isinstance(spec, Ledger):
        return spec
    if isinstance(spec, Path) or "://" not in spec:
        Path(spec).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return Ledger(spec)


_GRAPHS: dict[int, LoopParts] = {}
_GRAPHS_LOCK = threading.Lock()


def register(graph: Any, loop: LoopParts) -> None:
    """Remember which loop a compiled graph runs (for :meth:`Resumer.for_graph`)."""
    with _GRAPHS_LOCK:
        _GRAPHS[id(graph)] = loop
    weakref.finalize(graph, _forget, id(graph))
    # Deprecated (one release): the compiled graph used to carry its parts as an attribute.
    graph.hitl_parts = loop


def _forget(key: int) -> None:
    with _GRAPHS_LOCK:
        _GRAPHS.pop(key, None)


def loop_of(graph: Any) -> LoopParts | None:
    """The loop (a :class:`~hitl_agent.graph.loop.ReviewLoop`) a graph from
    ``ReviewLoop.compile`` / ``ReviewLoop.node`` runs, or None."""
    with _GRAPHS_LOCK:
        return _GRAPHS.get(id(graph))

