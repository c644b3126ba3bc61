"""Schema migrations through Alembic: upgrade a database to the newest revision, on start or by
command, adopting databases written before the project used Alembic.

Each schema keeps its own migration history beside its tables (a folder with Alembic's
``env.py`` and ``versions/``) and its own version table, so two schemas can share one database.
An upgrade runs in one transaction that holds the database's write lock (SQLite) or an advisory
lock (Postgres): processes that start together upgrade once, and a failed upgrade changes
nothing.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, MetaData, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from hitl_agent.errors import ConfigError

if TYPE_CHECKING:
    from alembic.config import Config


@dataclass(frozen=True)
class Migrations:
    """One schema's migration history.

    - ``folder``: the Alembic script folder (``env.py``, ``versions/``);
    - ``version_table``: where the database records its revision;
    - ``head``: the newest revision (checked against the folder by the tests), so a database
      already there is recognised with one query and no Alembic import;
    - ``adopt``: for a database with tables but no version table (written before Alembic), the
      revision its tables match, or ``None`` when it holds none of them;
    - ``metadata``: the tables as the head revision has them. An empty database is created from
      it in one step and stamped at ``head`` (Alembic's recipe for new databases), instead of
      replaying every revision; a test keeps the two paths equal.
    """

    folder: Path
    version_table: str
    head: str
    adopt: Callable[[Connection], str | None]
    metadata: MetaData


@dataclass(frozen=True)
class UpgradeReport:
    before: str | None
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def current_revision(conn: Connection, version_table: str) -> str | None:
    if not inspect(conn).has_table(version_table):
        return None
    return conn.execute(text(f"SELECT version_num FROM {version_table}")).scalar()


def alembic_config(migrations: Migrations, conn: Connection) -> Config:
    """An Alembic config for ``migrations`` that runs on ``conn`` (inside its transaction)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations.folder))
    config.attributes["connection"] = conn
    config.attributes["version_table"] = migrations.version_table
    return config


def upgrade(engine: Engine, migrations: Migrations, *, revision: str = "head") -> UpgradeReport:
    """Bring the database to ``revision`` (default: the newest). Returns the revisions before
    and after. Cheap when there is nothing to do (one query)."""
    if revision == "head":
        try:
            with engine.connect() as conn:
                now = current_revision(conn, migrations.version_table)
            if now == migrations.head:
                return UpgradeReport(now, now)
        except SQLAlchemyError:
            pass  # the locked path below reports it
    from alembic import command
    from alembic.util import CommandError

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            key = zlib.crc32(migrations.version_table.encode()) & 0x7FFFFFFF
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
        before = current_revision(conn, migrations.version_table)
        config = alembic_config(migrations, conn)
        try:
            if before is None:
                adopted = migrations.adopt(conn)
                if adopted is not None:
                    command.stamp(config, adopted)
                elif revision == "head":
                    migrations.metadata.create_all(conn)
                    command.stamp(config, "head")
                    return UpgradeReport(None, migrations.head)
            command.upgrade(config, revision)
        except CommandError as exc:
            raise ConfigError(
                f"{migrations.version_table}: the database is at revision {before!r}, which "
                f"this version does not know (written by a newer release?): {exc}",
                field="database", revision=before) from exc
        after = current_revision(conn, migrations.version_table)
    return UpgradeReport(before, after or "")


def script_head(migrations: Migrations) -> str | None:
    """The newest revision in the migration folder (what ``head`` must say)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrations.folder))
    return ScriptDirectory.from_config(config).get_current_head()


def run_env(metadata: MetaData, default_version_table: str) -> None:
    """The body of a migration folder's ``env.py``: run the revisions on the connection
    :func:`upgrade` handed over (online), or print their SQL (offline, ``alembic upgrade
    --sql``)."""
    from alembic import context

    config = context.config
    version_table = config.attributes.get("version_table", default_version_table)
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata,
                          version_table=version_table, literal_binds=True, render_as_batch=True)
    else:
        context.configure(connection=config.attributes["connection"], target_metadata=metadata,
                          version_table=version_table, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
