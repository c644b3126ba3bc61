"""The storage layer at the bottom of the package: engines, SQLite settings, the write lock, URL
handling (:mod:`.engine`) and Alembic schema migrations (:mod:`.migrate`). The ledger, the review
service, in-process reviews and the checkpointer open their databases through it."""

from hitl_agent.storage.engine import (
    connect_sqlite,
    database_url,
    make_engine,
    reader,
    sqlite_path,
)
from hitl_agent.storage.migrate import Migrations, UpgradeReport, upgrade

__all__ = ["Migrations", "UpgradeReport", "connect_sqlite", "database_url", "make_engine",
           "reader", "sqlite_path", "upgrade"]
