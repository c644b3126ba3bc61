"""What the nodes, the node-in-your-graph and the resumer need of a review loop, without
importing the :class:`~hitl_agent.graph.loop.ReviewLoop` that assembles them: the loop's shape
(:class:`LoopParts`), the ledger it opens on first use, which loop a compiled graph runs, and the
guards at the edge to the user's parts (a model may raise anything; the memory is optional)."""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from langgraph.errors import GraphBubbleUp

from hitl_agent.errors import HitlError, ModelError
from hitl_agent.memory.base import CorrectionRecall, Recall
from hitl_agent.models.base import ModelAdapter
from hitl_agent.models.callable import is_empty_output
from hitl_agent.policy.base import EscalationPolicy
from hitl_agent.review.base import ReviewBackend
from hitl_agent.types import Correction, Prediction, SimilarCorrection, TimeoutFallback
from hitl_agent.uncertainty.base import Scorer

if TYPE_CHECKING:
    from hitl_agent.memory.ledger import Ledger

log = logging.getLogger(__name__)


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



def predict_checked(model: ModelAdapter, value: Any,
                    examples: Sequence[SimilarCorrection] = ()) -> Prediction:
    """The model's prediction for ``value``. Whatever the model raises, or returns that is not a
    usable :class:`Prediction` (another type, an empty output), becomes a
    :class:`~hitl_agent.errors.ModelError`; LangGraph's interrupts pass through."""
    try:
        prediction = model.predict(value, examples=examples)
    except (GraphBubbleUp, HitlError):
        raise
    except Exception as exc:  # noqa: BLE001 - the user's model is untrusted code: any failure
        raise ModelError(f"model {getattr(model, 'model_id', '?')!r} raised "
                         f"{type(exc).__name__}: {exc}") from exc
    if not isinstance(prediction, Prediction):
        raise ModelError(f"model adapter returned {type(prediction).__name__}, not a Prediction",
                         field="prediction")
    if is_empty_output(prediction.output):
        raise ModelError("model returned an empty output", field="output", rule="non-empty")
    return prediction


def recall_or_none(memory: CorrectionRecall | None, task: str, value: Any) -> Recall | None:
    """What the correction memory recalls for ``value``; None without a memory, or when the
    index fails (it is optional and rebuildable: the ledger is the truth)."""
    if memory is None:
        return None
    try:
        return memory.recall(task, value)
    except Exception as exc:  # noqa: BLE001 - any index failure (chromadb, disk, embedder)
        log.warning("correction memory unavailable, continuing without recall: %s", exc)
        return None


def remember_or_warn(memory: CorrectionRecall | None, correction: Correction) -> None:
    """Index a correction; a failing index is logged, not raised (the ledger has the correction
    and ``hitl-agent memory rebuild`` repairs the index)."""
    if memory is None:
        return
    try:
        memory.remember(correction)
    except Exception as exc:  # noqa: BLE001 - any index failure (chromadb, disk, embedder)
        log.warning("correction %s not indexed (rebuild the index): %s", correction.id, exc)
