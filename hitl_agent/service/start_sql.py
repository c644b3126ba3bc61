"""StartHumanLoop's request, and its two statements as driver SQL on SQLite.

The transaction of a start reads its flow (with the task UI and work team, one statement) and
inserts the loop. On SQLite both run on the connection's ``sqlite3`` connection directly, as SQL
compiled once: SQLAlchemy's execute layers (the compiled-statement cache lookup, parameter
processing, the result's wrapping) cost as much as the statements themselves. The transaction,
its ``BEGIN IMMEDIATE`` and commit stay SQLAlchemy's (the same ``Connection``), and a driver error
is raised as SQLAlchemy's (``IntegrityError`` for a name taken), as ``Connection.execute`` would.
Postgres keeps ``Connection.execute`` (SQLAlchemy's disconnect handling must see every error);
there the round trips cost most, so a start of a flow whose plan is known and that no gold loop
or quota concerns is one statement in autocommit (:class:`PlannedInsert`): BEGIN, the flow's
select, the insert and COMMIT would be four. Over HTTP that statement runs from the event loop on
psycopg's own async connections (:mod:`.start_async`), which leave every error to this path.
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Insert,
    Select,
    String,
    Text,
    bindparam,
    exists,
    insert,
    or_,
    select,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DBAPIError

from .models import FlowDefinition, HumanLoop, HumanTaskUi, Workteam


@dataclass(frozen=True)
class StartRequest:
    """A StartHumanLoop request that passed its checks (``RuntimeBackend.check_start``)."""

    name: str
    flow_arn: str
    content: str
    digest: str  # SHA-256 of the content: a retried start has the same
    classifiers: str | None  # JSON
    keys: tuple[float, float]  # the queue's sort keys (queue_keys.py)


class SqliteStatements:
    """The flow select and the loop insert as ``sqlite3`` SQL with named parameters."""

    def __init__(self, flow_select: Select[Any], table: str) -> None:
        # rows by column name, as Connection.execute gives them
        self.row: Any = namedtuple(  # type: ignore[misc]
            "FlowRow", [str(c.key) for c in flow_select.selected_columns]
        )
        self.flow_sql = str(flow_select.compile(dialect=sqlite.dialect(paramstyle="named")))
        self.table = table
        self._inserts: dict[tuple[str, ...], str] = {}

    def flow(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """The flow's row (None when there is none)."""
        cursor = _run(conn, self.flow_sql, params)
        row = cursor.fetchone()
        cursor.close()
        return None if row is None else self.row._make(row)

    def insert(self, conn: Connection, values: Mapping[str, Any]) -> None:
        """``INSERT`` of ``values`` (column names: values)."""
        columns = tuple(values)
        sql = self._inserts.get(columns)
        if sql is None:
            sql = (
                f"INSERT INTO {self.table} ({', '.join(columns)}) "
                f"VALUES ({', '.join(':' + c for c in columns)})"
            )
            self._inserts[columns] = sql
        _run(conn, sql, values).close()


def _run(conn: Connection, sql: str, params: Mapping[str, Any]) -> sqlite3.Cursor:
    driver: sqlite3.Connection = conn.connection.driver_connection  # type: ignore[assignment]
    try:
        return driver.execute(sql, params)
    except sqlite3.Error as exc:  # as Connection.execute raises it (IntegrityError, …)
        raise DBAPIError.instance(sql, dict(params), exc, sqlite3.Error) from exc


class PlannedInsert:
    """Postgres: ``INSERT … SELECT`` of a loop's values, inserting only while the flow is still
    the one its plan was made of (active, the same config, output path and request source) and
    its task UI and work team still exist, in one statement in autocommit (committed when it
    returns). No row inserted: something changed, and the full transaction decides (and says
    why). A name already taken raises IntegrityError, as the insert of the transaction does."""

    def __init__(self) -> None:
        self._statements: dict[tuple[str, ...], Insert] = {}

    def statement(self, columns: tuple[str, ...]) -> Insert:
        stmt = self._statements.get(columns)
        if stmt is None:
            table = HumanLoop.__table__
            text, name = String(), String()
            row = select(*(bindparam(c, type_=table.c[c].type) for c in columns)).where(
                exists().where(
                    FlowDefinition.name == bindparam("plan_flow_name", type_=name),
                    FlowDefinition.arn == bindparam("plan_flow_arn", type_=text),
                    FlowDefinition.status == "Active",
                    FlowDefinition.human_loop_config.is_not_distinct_from(
                        bindparam("plan_config", type_=Text())
                    ),
                    FlowDefinition.output_path == bindparam("plan_output_path", type_=text),
                    FlowDefinition.request_source.is_not_distinct_from(
                        bindparam("plan_source", type_=text)
                    ),
                ),
                or_(
                    bindparam("ui_arn", type_=text).is_(None),
                    exists().where(
                        HumanTaskUi.name == bindparam("ui_name", type_=name),
                        HumanTaskUi.arn == bindparam("ui_arn", type_=text),
                    ),
                ),
                or_(
                    bindparam("team_arn", type_=text).is_(None),
                    exists().where(
                        Workteam.name == bindparam("team_name", type_=name),
                        Workteam.arn == bindparam("team_arn", type_=text),
                    ),
                ),
            )
            stmt = (
                insert(HumanLoop)
                .from_select(list(columns), row, include_defaults=False)
                .returning(HumanLoop.id)
            )
            self._statements[columns] = stmt
        return stmt

    def run(self, engine: Engine, values: Mapping[str, Any], plan: Mapping[str, Any]) -> bool:
        """Insert the loop (True) if the flow is still as ``plan`` says (``plan_*``, ``ui_*``,
        ``team_*`` parameters); False, with nothing written, otherwise."""
        stmt = self.statement(tuple(values))
        with engine.connect() as conn:
            auto = conn.execution_options(isolation_level="AUTOCOMMIT")
            return auto.execute(stmt, {**values, **plan}).first() is not None
