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
    "pii": "PII redaction of exports with Presidio",
    "sagemaker": "resolving JumpStart models' training URIs (the SageMaker Python SDK)",
    "oidc": "the worker portal's OpenID Connect sign-in (Authlib)",
    "browser": "driving Chromium in the portal tests (Playwright)",
}


def require(module: str, extra: str) -> ModuleType:
    """Import ``module``, or raise :class:`MissingExtra` saying which extra brings it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(module, extra) from exc


MODULE_EXTRAS = {
    "chromadb": "memory", "wordllama": "memory",
    "fastapi": "service", "uvicorn": "service", "liquid": "service", "bcrypt": "service",
    "starlette": "service", "matplotlib": "eval", "psycopg": "postgres",
    "langgraph_api": "server", "langgraph_cli": "server", "langchain": "agents",
    "langchain_aws": "aws", "sagemaker": "sagemaker", "presidio_analyzer": "pii",
    "presidio_anonymizer": "pii", "authlib": "oidc", "playwright": "browser",
}
"""The top-level module each extra brings, for an ImportError raised without :func:`require`."""


def missing_extra(exc: BaseException) -> MissingExtra | None:
    """The :class:`MissingExtra` behind ``exc`` (itself, or an ImportError of a module an extra
    brings, also as the cause of another error), else None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, MissingExtra):
            return current
        if isinstance(current, ImportError) and current.name:
            top = current.name.split(".", 1)[0]
            if top in MODULE_EXTRAS:
                return MissingExtra(top, MODULE_EXTRAS[top])
        current = current.__cause__ or current.__context__
    return None
