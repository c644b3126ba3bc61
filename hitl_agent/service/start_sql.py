"""StartHumanLoop's request, and its two statements as driver SQL on SQLite.

The transaction of a start reads its flow (with the task UI and work team, one statement) and
inserts the loop. On SQLite both run on the connection's ``sqlite3`` connection directly, as SQL
compiled once: SQLAlchemy's execute layers (the compiled-statement cache lookup, parameter
processing, the result's wrapping) cost as much as the statements themselves. The transaction,
its ``BEGIN IMMEDIATE`` and commit stay SQLAlchemy's (the same ``Connection``), and a driver error
is raised as SQLAlchemy's (``IntegrityError`` for a name taken), as ``Connection.execute`` would.
Postgres keeps ``Connection.execute``: there the round trips cost more, and SQLAlchemy's
disconnect handling must see every error.
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DBAPIError


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
