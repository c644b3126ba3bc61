"""The service database's schema through Alembic, on SQLite and Postgres: a fresh database, one
made by the old ``Base.metadata.create_all`` (adopted in place, its rows kept), processes that
start at once, the path from the baseline to the head with rows in it, and the command.

``data/create_all_*.sql`` are the tables as ``create_all`` made them before Alembic (the release
before revision 0001), dumped from that release's models for each database.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from typer.testing import CliRunner

from hitl_agent.cli.main import app
from hitl_agent.errors import ConfigError
from hitl_agent.service.queue_keys import sort_keys
from hitl_agent.service.schema import (
    BASELINE,
    SERVICE_MIGRATIONS,
    service_metadata,
    upgrade_service_db,
)
from hitl_agent.service.services import build_services
from hitl_agent.service.settings import ServiceSettings
from hitl_agent.storage.engine import make_engine
from hitl_agent.storage.migrate import alembic_config, current_revision, script_head
from tests.helpers.paths import child_env

DATA = Path(__file__).with_name("data")
HEAD = SERVICE_MIGRATIONS.head
VERSION = SERVICE_MIGRATIONS.version_table

# One open and one completed loop (with an answer), as a release before Alembic wrote them.
OLD_ROWS = [
    "INSERT INTO workers (id, worker_id, name, sub, token_sha256, created_us) VALUES "
    "(1, '00000000000000a1', 'ann', 's-1', 'tok', 1)",
    *(
        "INSERT INTO human_loops (id, name, arn, flow_definition_name, flow_definition_arn, "
        "input_content, input_sha256, status, created_us, updated_us, expires_us, output_uri, "
        "output_pending, task_count, task_time_limit_s, workteam_name) VALUES "
        f"({pk}, '{name}', 'arn:{name}', 'flow', 'arn:flow', '{content}', 'h', '{status}', 1, 1, "
        f"9000000000000000, 'out', 0, 1, 60, 'team-a')"
        for pk, name, content, status in (
            (1, "open", '{"priority": 3, "uncertainty": {"confidence": 0.25}}', "InProgress"),
            (2, "done", '{"priority": 9}', "Completed"),
        )
    ),
    "INSERT INTO answers (loop_pk, worker_pk, worker_id, answer_content, acceptance_us, "
    "submission_us, time_spent_s, worker_metadata) VALUES (2, 1, '00000000000000a1', '{}', 1, 2, "
    "1.0, '{}')",
]


def _database(where: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if where == "postgres":
        server = request.getfixturevalue("postgres_server")
        return str(server.create_database())
    return str(tmp_path / "service.db")


def _old_create_all(url: str, *, rows: bool = True) -> None:
    """The database as the release before Alembic left it: its tables, and rows."""
    engine = make_engine(url)
    dialect = "postgres" if engine.dialect.name == "postgresql" else "sqlite"
    script = (DATA / f"create_all_{dialect}.sql").read_text()
    with engine.begin() as conn:
        for statement in script.split(";\n"):
            if statement.strip():
                conn.exec_driver_sql(statement)
        for statement in OLD_ROWS if rows else []:
            conn.exec_driver_sql(statement)
    engine.dispose()


def _diff(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(compare_metadata(
            MigrationContext.configure(conn, opts={"version_table": VERSION}), service_metadata()))


def _revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return current_revision(conn, VERSION)


def test_the_history_ends_at_the_head_and_replays_to_the_models() -> None:
    assert script_head(SERVICE_MIGRATIONS) == HEAD
    replayed = make_engine(":memory:")
    with replayed.begin() as conn:  # every revision from an empty database
        command.upgrade(alembic_config(SERVICE_MIGRATIONS, conn), "head")
    assert _diff(replayed) == [], "the models and the migration history disagree"


@pytest.mark.postgres
@pytest.mark.parametrize("where", ["sqlite", "postgres"])
def test_a_fresh_database_is_created_at_the_head(
    where: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = _database(where, tmp_path, request)
    services = build_services(ServiceSettings(data_dir=tmp_path / "data", database_url=url,
                                              background=False))
    services.close()
    engine = make_engine(url)
    assert _revision(engine) == HEAD and _diff(engine) == []
    report = upgrade_service_db(engine)  # the next start: nothing to do
    assert (report.before, report.after, report.changed) == (HEAD, HEAD, False)


@pytest.mark.postgres
@pytest.mark.parametrize("where", ["sqlite", "postgres"])
def test_a_database_made_by_create_all_is_adopted_in_place(
    where: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = _database(where, tmp_path, request)
    _old_create_all(url)
    engine = make_engine(url)
    report = upgrade_service_db(engine)
    assert (report.before, report.after) == (None, HEAD)
    assert _diff(engine) == []
    with engine.connect() as conn:
        loops = conn.execute(text(
            "SELECT name, status, priority_key, confidence_key FROM human_loops ORDER BY id"
        )).all()
        answers = conn.execute(text("SELECT loop_pk, worker_pk FROM answers")).all()
    # The rows are kept; the open loop got its queue keys from its input, the closed one the
    # defaults (it never returns to a queue).
    assert [tuple(r) for r in loops] == [("open", "InProgress", -3.0, 0.25),
                                         ("done", "Completed", 0.0, 1.0)]
    assert [tuple(r) for r in answers] == [(2, 1)]
    services = build_services(ServiceSettings(data_dir=tmp_path / "data", database_url=url,
                                              background=False))
    try:  # the service reads the adopted database like its own
        assert services.workforce.get_worker("ann").worker_id == "00000000000000a1"
    finally:
        services.close()


def test_an_older_create_all_without_later_tables_and_indexes_is_completed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "service.db"
    _old_create_all(str(path))
    with sqlite3.connect(path) as conn:  # as a release before the portal's tables left it
        conn.execute("DROP TABLE portal_sessions")
        conn.execute("DROP INDEX ix_loops_team_status_created")
    engine = make_engine(path)
    assert upgrade_service_db(engine).after == HEAD
    assert _diff(engine) == []


def test_a_database_of_other_tables_by_the_same_names_is_refused_untouched(
    tmp_path: Path,
) -> None:
    path = tmp_path / "service.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE workers (id INTEGER PRIMARY KEY, email TEXT)")
    with pytest.raises(ConfigError, match=r"workers: worker_id, name"):
        upgrade_service_db(make_engine(path))
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"workers"}


def test_a_database_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "service.db"
    engine = make_engine(path)
    upgrade_service_db(engine)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE {VERSION} SET version_num = '0099_from_the_future'"))
    with pytest.raises(ConfigError, match="0099_from_the_future"):
        upgrade_service_db(engine)


@pytest.mark.postgres
@pytest.mark.parametrize("where", ["sqlite", "postgres"])
def test_the_path_from_the_baseline_to_the_head_keeps_and_fills_the_rows(
    where: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = _database(where, tmp_path, request)
    engine = make_engine(url)
    assert upgrade_service_db(engine, revision=BASELINE).after == BASELINE
    with engine.begin() as conn:
        for statement in OLD_ROWS:
            conn.exec_driver_sql(statement)
        assert "priority_key" not in {
            c["name"] for c in inspect(conn).get_columns("human_loops")}
    report = upgrade_service_db(engine)
    assert (report.before, report.after) == (BASELINE, HEAD)
    assert _diff(engine) == []
    with engine.connect() as conn:
        keys = conn.execute(text(
            "SELECT priority_key, confidence_key FROM human_loops WHERE name = 'open'")).one()
    assert tuple(keys) == sort_keys('{"priority": 3, "uncertainty": {"confidence": 0.25}}')


# Each child waits for a line on stdin, so that both start the service's schema upgrade at once.
_START = """
import json, sys
from hitl_agent.service.storage import Store
store = Store(sys.argv[1])
sys.stdin.readline()
report = store.create_schema()
print(json.dumps([report.before, report.after]))
"""


@pytest.mark.postgres
@pytest.mark.parametrize("where", ["sqlite", "postgres"])
@pytest.mark.parametrize("old", [False, True], ids=["fresh", "create_all"])
def test_processes_starting_at_once_upgrade_once(
    where: str, old: bool, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = _database(where, tmp_path, request)
    if old:
        _old_create_all(url)
    children = [
        subprocess.Popen([sys.executable, "-c", _START, url], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=child_env())
        for _ in range(3)
    ]
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    results = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        results.append(tuple(json.loads(out)))
    # One process upgraded; the others found the database at the head.
    assert sorted(results, key=str) == sorted([(None, HEAD), (HEAD, HEAD), (HEAD, HEAD)], key=str)
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM {VERSION}")).scalar() == 1
    assert _diff(engine) == []


def test_the_command_shows_and_upgrades_the_revision(tmp_path: Path) -> None:
    _old_create_all(str(tmp_path / "service.db"))
    runner = CliRunner()
    shown = runner.invoke(app, ["service-db", "revision", "--data", str(tmp_path), "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output) == {"revision": None, "head": HEAD, "up_to_date": False}
    done = runner.invoke(app, ["service-db", "upgrade", "--data", str(tmp_path), "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output) == {"before": None, "after": HEAD, "changed": True}
    again = runner.invoke(app, ["service-db", "upgrade", "--data", str(tmp_path)])
    assert again.exit_code == 0 and f"already at {HEAD}" in again.output
    refused = runner.invoke(app, ["service-db", "upgrade", "--database", "mysql://h/db"])
    assert refused.exit_code == 2 and "database_url" in refused.output


def test_new_revision_writes_the_next_revision_after_the_head() -> None:
    from hitl_agent.cli.service_db import new_revision

    path, rev_id = new_revision("nothing changed", autogenerate=True)
    try:
        assert rev_id == f"{int(HEAD[:4]) + 1:04d}_nothing_changed"
        body = path.read_text()
        assert f"down_revision = '{HEAD}'" in body and path.name == f"{rev_id}.py"
        assert "op." not in body.split("def upgrade")[1].split("def downgrade")[0]  # no change
    finally:
        path.unlink()
    assert script_head(SERVICE_MIGRATIONS) == HEAD


def test_a_database_that_cannot_be_reached_is_a_config_error_without_the_password() -> None:
    from hitl_agent.service.storage import Store

    store = Store("postgresql+psycopg://hitl:s3cret@127.0.0.1:9/service")
    with pytest.raises(ConfigError, match="cannot be opened") as refused:
        store.create_schema()
    assert refused.value.context["field"] == "database_url"
    assert "s3cret" not in str(refused.value)
