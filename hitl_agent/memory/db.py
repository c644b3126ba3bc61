"""Deprecated: moved to :mod:`hitl_agent.storage.engine` (this alias goes in the next release)."""

from __future__ import annotations

import warnings

from hitl_agent.storage.engine import READ_ONLY, make_engine, reader
from hitl_agent.storage.engine import database_url as normalise_database_url

warnings.warn("hitl_agent.memory.db moved to hitl_agent.storage.engine "
              "(normalise_database_url is now database_url)", DeprecationWarning, stacklevel=2)

__all__ = ["READ_ONLY", "make_engine", "normalise_database_url", "reader"]
