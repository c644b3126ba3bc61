"""Engines for the project's databases: SQLite (WAL) by default, Postgres at scale.

Everything that opens a database goes through here, so the URL rules, the SQLite settings and
the write lock are the same for the ledger, the review service, in-process reviews and the
checkpointer:

- :func:`database_url` turns a path or a ``postgres://`` URL into a SQLAlchemy URL;
- :func:`make_engine` creates the engine; on SQLite every transaction that may write takes the
  database's write lock up front (``BEGIN IMMEDIATE``), so read-check-write sequences never meet
  a deadlocked lock upgrade; :func:`reader` marks an engine's transactions read-only (a deferred
  ``BEGIN``: a consistent WAL snapshot that never blocks writers);
- :func:`connect_sqlite` opens a plain ``sqlite3`` connection with the same settings, for code
  that speaks the driver directly (LangGraph's ``SqliteSaver``, in-process reviews).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from hitl_agent.errors import ConfigError

READ_ONLY = "hitl_read_only"
"""Execution option: this engine's transactions only read (see :func:`reader`)."""

SQLITE_PRAGMAS = (
    # WAL + synchronous=NORMAL is safe against process crashes (a committed transaction survives
    # SIGKILL); only an OS crash or power loss can roll back the last transactions.
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=30000",
    "PRAGMA foreign_keys=ON",
)


def database_url(url_or_path: str | Path) -> str:
    """Accept a SQLAlchemy URL, a ``postgres(ql)://`` URL, or a plain file path (SQLite)."""
    text = str(url_or_path)
    if text == ":memory:":
        return "sqlite://"
    if "://" not in text:
        return f"sqlite:///{Path(text).expanduser().resolve()}"
    if text.startswith(("postgres://", "postgresql://")):
        # The project's Postgres driver is psycopg 3; SQLAlchemy's bare scheme means psycopg2.
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    return text


def sqlite_path(url_or_path: str | Path) -> Path | None:
    """The file behind a SQLite URL or path; ``None`` for memory or another database."""
    parsed = make_url(database_url(url_or_path))
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database)


def apply_sqlite_pragmas(conn: sqlite3.Connection) -> None:
    cur = conn.cursor()
    for pragma in SQLITE_PRAGMAS:
        cur.execute(pragma)
    cur.close()


def connect_sqlite(
    path: str | Path, *, what: str = "database", field: str = "database",
) -> sqlite3.Connection:
    """A ``sqlite3`` connection in autocommit mode with the project's settings (WAL, …);
    ``what`` and ``field`` name it in the :class:`ConfigError` raised when it cannot open."""
    target = str(path)
    try:
        if target != ":memory:":
            Path(target).expanduser().parent.mkdir(parents=True, exist_ok=True)
            target = str(Path(target).expanduser())
        conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None,
                               timeout=30)
        apply_sqlite_pragmas(conn)
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError(f"{what} {str(path)!r} cannot be opened: {exc}", field=field) from exc
    return conn


def reader(engine: Engine) -> Engine:
    """The same engine (and pool) for read-only work: on SQLite its transactions take no lock."""
    return engine.execution_options(**{READ_ONLY: True})


def _on_sqlite_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    # SQLAlchemy's pysqlite driver would open transactions lazily on its own; the "begin" event
    # below issues BEGIN itself.
    dbapi_conn.isolation_level = None
    apply_sqlite_pragmas(dbapi_conn)


def _on_sqlite_begin(conn: Any) -> None:
    # On the driver's connection: through exec_driver_sql, SQLAlchemy's execute layers cost as
    # much again as the BEGIN (every transaction of every request); its errors stay SQLAlchemy's.
    sql = "BEGIN" if conn.get_execution_options().get(READ_ONLY, False) else "BEGIN IMMEDIATE"
    try:
        conn.connection.driver_connection.execute(sql)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, None, exc, sqlite3.Error) from exc


PG_POOL_RECYCLE_S = 1800
"""Postgres connections are replaced after this long (idle timeouts of servers and proxies)."""


def make_engine(
    url_or_path: str | Path, *, what: str = "database", pool_size: int = 5,
    pre_ping: bool = True,
) -> Engine:
    """Create an engine, turning an unusable URL into a :class:`ConfigError` that names it.

    ``what`` names the setting in errors (``ledger``, ``database_url``); ``pool_size`` is the
    number of pooled connections (as many again may overflow). ``pre_ping`` (Postgres): test
    each connection with a round trip when it leaves the pool, so a connection the server
    dropped is replaced before use. Without it (the review service's hot path, which cannot pay
    a round trip per request) a dropped connection fails the statement that meets it; SQLAlchemy
    then sees a disconnect and invalidates every connection of the pool opened before it, so
    one request fails (and is retried where that is safe) and the next ones reconnect;
    connections older than :data:`PG_POOL_RECYCLE_S` are replaced either way.
    """
    url = database_url(url_or_path)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"{what} URL {url!r} cannot be parsed: {exc}", field=what) from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            parent = Path(database).parent
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(
                    f"{what} folder {str(parent)!r} cannot be created: {exc.strerror}",
                    field=what,
                ) from exc
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                                   pool_size=pool_size, max_overflow=pool_size)
        else:
            # One shared connection: every connection to ":memory:" would be its own database.
            from sqlalchemy.pool import StaticPool

            engine = create_engine(url, connect_args={"check_same_thread": False},
                                   poolclass=StaticPool)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    try:
        if backend == "postgresql":
            return create_engine(url, pool_pre_ping=pre_ping, pool_size=pool_size,
                                 max_overflow=pool_size, pool_recycle=PG_POOL_RECYCLE_S)
    except (NoSuchModuleError, ImportError) as exc:
        raise ConfigError(
            f"{what} URL {parsed.render_as_string(hide_password=True)!r} names a database "
            f"driver that is not installed ({exc}); for Postgres install "
            "'hitl-agent[postgres]'",
            field=what,
        ) from exc
    raise ConfigError(
        f"unsupported database {backend!r} in {what}: use sqlite or postgresql+psycopg",
        field=what,
    )
