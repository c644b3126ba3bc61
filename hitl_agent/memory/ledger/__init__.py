"""The ledger: the system of record for every item, every review and every correction.

One :class:`Ledger` object over three tables, each kept by its own part:

- the item journal (:mod:`.items`): one row per item with its input, prediction, routing and
  final outcome;
- the review queue (:mod:`.reviews`): ``pending → decided → resumed`` by compare-and-set, with
  resume leases;
- the correction store (:mod:`.corrections`): decided reviews in ``seq`` order, for exports and
  the correction memory.

Every write is idempotent on its key, so a step re-run after a crash finds its earlier write.
The schema is kept by Alembic migrations (``migrations/``): a ledger is upgraded when it is
opened (``upgrade=False`` to refuse an old one instead), or by ``hitl-agent ledger upgrade``.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine, func, inspect, select
from sqlalchemy.exc import SQLAlchemyError

from hitl_agent._lazy import lazy_exports
from hitl_agent.errors import LedgerError
from hitl_agent.memory.ledger.corrections import CorrectionStore
from hitl_agent.memory.ledger.items import ItemJournal, RoutingRow
from hitl_agent.memory.ledger.reviews import ReviewQueue
from hitl_agent.memory.ledger.schema import (
    ITEM_STATUSES,
    CorrectionRecord,
    ItemRecord,
    ItemState,
    ReviewRecord,
    corrections,
    items,
    metadata,
    reviews,
)
from hitl_agent.storage.engine import make_engine
from hitl_agent.storage.migrate import Migrations, UpgradeReport, current_revision, upgrade

__all__ = [
    "ITEM_STATUSES",
    "LEDGER_MIGRATIONS",
    "CorrectionRecord",
    "ItemRecord",
    "ItemState",
    "Ledger",
    "ReviewRecord",
    "RoutingRow",
    "corrections",
    "items",
    "metadata",
    "reviews",
    "upgrade_ledger",
]

__getattr__, __dir__ = lazy_exports(globals(), deprecated={
    "canonical_json": "hitl_agent.canonical",  # the package's one canonical JSON
    "content_hash": "hitl_agent.canonical",
})


def _adopt(conn: Connection) -> str | None:
    """The revision a ledger written before Alembic matches (by its columns)."""
    inspector = inspect(conn)
    if not inspector.has_table("items"):
        return None
    with_threads = all(
        "thread_id" in {c["name"] for c in inspector.get_columns(table)}
        for table in ("items", "reviews") if inspector.has_table(table)
    )
    return "0002_thread_ids" if with_threads else "0001_baseline"


LEDGER_MIGRATIONS = Migrations(
    folder=Path(__file__).with_name("migrations"),
    version_table="hitl_ledger_version",
    head="0005_reviews_by_backend",
    adopt=_adopt,
    metadata=metadata,
)


def upgrade_ledger(engine: Engine, *, revision: str = "head") -> UpgradeReport:
    """Bring a ledger's schema to ``revision`` (default: the newest)."""
    return upgrade(engine, LEDGER_MIGRATIONS, revision=revision)


class Ledger(ItemJournal, ReviewQueue, CorrectionStore):
    """The system of record. Opens the ledger at a SQLAlchemy/Postgres URL or SQLite path,
    creating it, or upgrading an older one in place (``upgrade=False``: raise instead)."""

    def __init__(self, url: str | Path, *, engine: Engine | None = None,
                 upgrade: bool = True) -> None:
        self.url = str(url)
        self._connect(engine if engine is not None else make_engine(url, what="ledger"))
        try:
            if upgrade:
                upgrade_ledger(self.engine)
            else:
                with self.engine.connect() as conn:
                    found = current_revision(conn, LEDGER_MIGRATIONS.version_table)
                if found != LEDGER_MIGRATIONS.head:
                    raise LedgerError(
                        f"ledger {self._safe_url()} is at schema revision {found or 'none'}, not "
                        f"{LEDGER_MIGRATIONS.head}: run `hitl-agent ledger upgrade`",
                        url=self._safe_url(), revision=found)
        except SQLAlchemyError as exc:
            raise LedgerError(
                f"ledger {self._safe_url()} cannot be opened: {exc.__class__.__name__}: "
                f"{str(exc.orig) if hasattr(exc, 'orig') else exc}",
                url=self._safe_url(),
            ) from exc

    def counts(self) -> dict[str, int]:
        """Items by status, reviews by state, and corrections: for dashboards and tests."""
        out: dict[str, int] = {}
        with self._reader.connect() as conn:
            for status, n in conn.execute(
                select(items.c.status, func.count()).group_by(items.c.status)
            ):
                out[f"items.{status}"] = n
            for state, n in conn.execute(
                select(reviews.c.state, func.count()).group_by(reviews.c.state)
            ):
                out[f"reviews.{state}"] = n
            out["corrections"] = conn.execute(
                select(func.count()).select_from(corrections)
            ).scalar_one()
        return out
