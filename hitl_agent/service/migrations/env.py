"""Alembic's entry point for the review service's migrations.

Run through :func:`hitl_agent.service.schema.upgrade_service_db` (the service does on start, and
``hitl-agent service-db upgrade`` by command), which hands over a connection inside the
transaction that holds the upgrade lock. Offline mode (``alembic upgrade --sql``) prints the SQL.
"""

from __future__ import annotations

from hitl_agent.service.schema import VERSION_TABLE, service_metadata
from hitl_agent.storage.migrate import run_env

run_env(service_metadata(), VERSION_TABLE)
