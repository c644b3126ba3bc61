"""Optional parts: an import of a missing extra fails with a message that names the extra."""

from __future__ import annotations

import importlib
from types import ModuleType

from hitl_agent.errors import MissingExtra

EXTRAS = {
    "memory": "the correction memory (chromadb index, WordLlama embeddings)",
    "service": "the review service and worker portal (FastAPI, uvicorn, Liquid templates)",
    "eval": "the evaluation report's plots (matplotlib)",
    "postgres": "the ledger and checkpoints on PostgreSQL",
    "agents": "LangChain agents' tool-call approval middleware",
    "server": "serving the graphs with `langgraph dev`",
    "aws": "Bedrock chat models through langchain-aws",
    "docs": "building the documentation site",
}


def require(module: str, extra: str) -> ModuleType:
    """Import ``module``, or raise :class:`MissingExtra` saying which extra brings it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(module, extra) from exc
