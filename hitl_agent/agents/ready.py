"""What the ready graphs in ``graphs/`` share: where their data lives, which reviewers and which
model they use, and how they are checkpointed. All settings come from arguments or env vars, and
every default works offline with no API key.

======================  ==========================================================================
env var                 meaning
======================  ==========================================================================
``HITL_DATA``           data folder (ledger, in-process reviews, memory index); default ``.hitl``
``HITL_REVIEWS``        ``in_process`` (default: reviews wait for an answer from LangGraph Studio,
                        Agent Inbox or ``Resumer.answer``), ``service`` (the review service at
                        ``HITL_SERVICE_URL``) or ``a2i`` (Amazon A2I)
``HITL_FLOW_ARN``       the flow definition of ``service`` / ``a2i`` reviews
``HITL_SERVICE_URL``    the review service's URL (default ``http://127.0.0.1:8765``)
``HITL_<GRAPH>_MODEL``  a ``provider:model`` string for ``init_chat_model`` (e.g.
                        ``HITL_ANSWER_MODEL=openai:gpt-4.1-mini``); unset: the offline fake
======================  ==========================================================================

Checkpointing: under ``langgraph dev`` / LangGraph Server the server injects its checkpointer, so
the graphs are built with ``checkpointer="server"`` (none of their own). Built for local use they
need one (a saver, a path, or a URL); ``None`` is refused, since a review cannot wait without one.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from hitl_agent.data_folder import data_dir  # not created here: building a graph does no I/O
from hitl_agent.errors import ConfigError
from hitl_agent.review.base import ReviewBackend

__all__ = ["LazyMemory", "chat_model_from_env", "data_dir", "graph_checkpointer",
           "reviews_from_env"]


def reviews_from_env(name: str) -> ReviewBackend:
    """The review backend ``HITL_REVIEWS`` names (``name`` keeps in-process reviews apart)."""
    kind = os.environ.get("HITL_REVIEWS", "in_process")
    if kind == "in_process":
        from hitl_agent.review.in_process import InProcessReviews

        return InProcessReviews(path=data_dir() / f"{name}.reviews.db")
    if kind in ("service", "a2i"):
        from hitl_agent.review.a2i import A2IReviews

        arn = os.environ.get("HITL_FLOW_ARN")
        if not arn:
            raise ConfigError(f"HITL_REVIEWS={kind} needs HITL_FLOW_ARN", field="HITL_FLOW_ARN")
        url = os.environ.get("HITL_SERVICE_URL", "http://127.0.0.1:8765") \
            if kind == "service" else None
        return A2IReviews(arn, endpoint_url=url)
    raise ConfigError(f"HITL_REVIEWS must be in_process, service or a2i, not {kind!r}",
                      field="HITL_REVIEWS")


def chat_model_from_env(graph: str) -> Any | None:
    """The chat model ``HITL_<GRAPH>_MODEL`` names, or None (use the offline fake)."""
    spec = os.environ.get(f"HITL_{graph.upper()}_MODEL")
    if not spec:
        return None
    from hitl_agent.models.init import chat_model

    return chat_model(spec)


def graph_checkpointer(checkpointer: Any) -> Any:
    """``"server"`` → no own checkpointer (the server's); ``None`` → a clear error."""
    if checkpointer is None:
        raise ConfigError(
            "this graph waits for people and needs a checkpointer: pass a saver, a SQLite path "
            "or a Postgres URL, or checkpointer='server' when served by `langgraph dev` / "
            "LangGraph Server (which injects its own)", field="checkpointer")
    return "parent" if checkpointer == "server" else checkpointer


class LazyMemory:
    """A correction memory built on first use (its ledger and vector index open files), so that
    a graph factory does no blocking I/O."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._memory: Any = None
        self._lock = threading.Lock()

    def _get(self) -> Any:
        if self._memory is None:
            with self._lock:
                if self._memory is None:
                    self._memory = self._factory()
        return self._memory

    def recall(self, task: str, input: Any) -> Any:
        return self._get().recall(task, input)

    def remember(self, correction: Any) -> Any:
        return self._get().remember(correction)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)
