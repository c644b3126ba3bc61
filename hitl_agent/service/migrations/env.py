"""Alembic's entry point for the review service's migrations.

Run through :func:`hitl_agent.service.schema.upgrade_service_db` (the service does on start, and
``hitl-agent service-db upgrade`` by command), which hands over a connection inside the
transaction that holds the upgrade lock. Offline mode (``alembic upgrade --sql``) prints the SQL.
"""

from __future__ import annotations

from alembic import context

from hitl_agent.service.schema import service_metadata

config = context.config
version_table = config.attributes.get("version_table", "hitl_service_version")
metadata = service_metadata()

if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata,
                      version_table=version_table, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    connection = config.attributes["connection"]
    context.configure(connection=connection, target_metadata=metadata,
                      version_table=version_table, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
