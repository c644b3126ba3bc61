"""The review service's database schema through Alembic (the ledger's way, in
:mod:`hitl_agent.storage.migrate`).

- The migration history is ``migrations/`` beside this module; the database records its revision
  in ``hitl_service_version`` (the ledger's is ``hitl_ledger_version``: both may share a
  database).
- On start (:meth:`Store.create_schema`) and by command (``hitl-agent service-db upgrade``) the
  database is brought to the newest revision in one transaction that holds the upgrade lock (an
  advisory lock on Postgres, the write lock on SQLite): processes starting together upgrade once.
- An empty database is created from the models in one step and stamped at the head.
- A database that ``Base.metadata.create_all`` made (every release before this one) is adopted in
  place: its columns are checked against the baseline revision, tables and indexes a release of
  ``create_all`` did not add yet are created, it is stamped at the baseline and upgraded from
  there. A table that lacks a baseline column is refused (:class:`ConfigError` naming it)
  untouched: that database was not written by this service.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from sqlalchemy import Connection, Engine, MetaData, inspect

from hitl_agent.errors import ConfigError
from hitl_agent.storage.migrate import Migrations, UpgradeReport, upgrade

from .models import Base

BASELINE = "0001_baseline"
HEAD = "0003_covering_counts"
VERSION_TABLE = "hitl_service_version"
FOLDER = Path(__file__).with_name("migrations")


def service_metadata() -> MetaData:
    """Every table of the service (all declared in :mod:`.models`)."""
    return Base.metadata


def baseline_module() -> ModuleType:
    """The baseline revision's module (its frozen :func:`tables`)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(FOLDER))
    script = ScriptDirectory.from_config(config).get_revision(BASELINE)
    if script is None:  # pragma: no cover - the folder ships with the package
        raise ConfigError(f"service migrations: revision {BASELINE} is missing", field="database")
    return script.module


def adopt(conn: Connection) -> str | None:
    """The revision a database without a version table is at: ``None`` when it holds none of
    the service's tables (a new database), else the baseline, after checking its columns and
    adding what an older ``create_all`` had not made yet."""
    baseline = baseline_module()
    names = {t.name for t in baseline.tables().sorted_tables}
    if not names & set(inspect(conn).get_table_names()):
        return None
    missing = baseline.missing_columns(conn)
    if missing:
        listed = "; ".join(f"{table}: {', '.join(cols)}" for table, cols in sorted(missing.items()))
        raise ConfigError(
            "the service database has tables of the review service's names without their "
            f"columns ({listed}); it was not written by hitl-agent's review service, so it is "
            "left untouched: point --database at another database",
            field="database",
            missing=missing,
        )
    baseline.create_missing(conn)
    return BASELINE


SERVICE_MIGRATIONS = Migrations(
    folder=FOLDER,
    version_table=VERSION_TABLE,
    head=HEAD,
    adopt=adopt,
    metadata=service_metadata(),
)


def upgrade_service_db(engine: Engine, *, revision: str = "head") -> UpgradeReport:
    """Bring the service database to ``revision`` (default: the newest)."""
    return upgrade(engine, SERVICE_MIGRATIONS, revision=revision)
