"""The ledger's schema through Alembic: a fresh ledger, one written before Alembic (adopted in
place), one written by a newer version (refused), and the history agreeing with the tables."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from hitl_agent.errors import ConfigError, LedgerError
from hitl_agent.memory.ledger import LEDGER_MIGRATIONS, Ledger, metadata, upgrade_ledger
from hitl_agent.memory.ledger.schema import input_key
from hitl_agent.storage.engine import make_engine
from hitl_agent.storage.migrate import alembic_config, script_head
from hitl_agent.types import Correction

# The ledger as the first release (before Alembic) created it, with one item, review and
# correction.
FIRST_RELEASE = """
CREATE TABLE items (id VARCHAR(255) PRIMARY KEY, task VARCHAR(128) NOT NULL,
  input_json TEXT NOT NULL, input_hash VARCHAR(64) NOT NULL, status VARCHAR(32) NOT NULL,
  prediction_json TEXT, uncertainty_json TEXT, decision_json TEXT, confidence FLOAT,
  routing VARCHAR(16), final_output_json TEXT, final_source VARCHAR(32), error TEXT,
  created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL);
CREATE INDEX ix_items_status ON items (status);
CREATE TABLE reviews (id VARCHAR(128) PRIMARY KEY, item_id VARCHAR(255) NOT NULL
  REFERENCES items (id), tier INTEGER NOT NULL, backend VARCHAR(64) NOT NULL,
  state VARCHAR(16) NOT NULL, request_json TEXT NOT NULL, outcome_json TEXT,
  interrupt_id VARCHAR(64), deadline DATETIME NOT NULL, created_at DATETIME NOT NULL,
  decided_at DATETIME, decided_by VARCHAR(255), resume_lease_until DATETIME,
  resumed_at DATETIME);
CREATE INDEX ix_reviews_state_deadline ON reviews (state, deadline);
CREATE INDEX ix_reviews_item ON reviews (item_id);
CREATE TABLE corrections (seq INTEGER PRIMARY KEY AUTOINCREMENT, id VARCHAR(128) NOT NULL
  UNIQUE, item_id VARCHAR(255) NOT NULL, review_id VARCHAR(128) NOT NULL,
  task VARCHAR(128) NOT NULL, action VARCHAR(16) NOT NULL, agreement FLOAT,
  split_group VARCHAR(128) NOT NULL, payload_json TEXT NOT NULL, created_at DATETIME NOT NULL,
  decided_at DATETIME NOT NULL, forgotten BOOLEAN NOT NULL, forgotten_at DATETIME);
INSERT INTO items VALUES ('i1', 'spam', '"win"', 'h', 'finished', NULL, NULL, NULL, 0.4,
  'escalate', '"ham"', 'human', NULL, '2026-01-01 00:00:00.000000',
  '2026-01-01 00:00:00.000000');
INSERT INTO reviews VALUES ('r1', 'i1', 0, 'in_process', 'resumed', '{}', NULL, NULL,
  '2026-01-04 00:00:00.000000', '2026-01-01 00:00:00.000000', NULL, NULL, NULL, NULL);
"""


def _columns(path: Path, table: str) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def test_history_head_matches_the_code_and_the_tables() -> None:
    assert script_head(LEDGER_MIGRATIONS) == LEDGER_MIGRATIONS.head
    engine = make_engine(":memory:")
    # Every revision replayed from an empty database gives the tables schema.py declares (which
    # is how a new ledger is created in one step).
    with engine.begin() as conn:
        command.upgrade(alembic_config(LEDGER_MIGRATIONS, conn), "head")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(
            conn, opts={"version_table": LEDGER_MIGRATIONS.version_table}), metadata)
    assert diff == [], "the tables in schema.py and the migration history disagree"
    fresh = make_engine(":memory:")
    assert upgrade_ledger(fresh).after == LEDGER_MIGRATIONS.head
    assert upgrade_ledger(fresh).changed is False


def test_a_ledger_from_before_alembic_is_adopted_and_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(FIRST_RELEASE)
    ledger = Ledger(path)
    assert {"thread_id"} <= _columns(path, "items") and {"thread_id"} <= _columns(path, "reviews")
    item = ledger.get_item("i1")
    assert item is not None and item.thread_id == "i1" and item.final_output == "ham"
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT thread_id FROM reviews").fetchall() == [("i1",)]
        assert conn.execute("SELECT version_num FROM hitl_ledger_version").fetchall() == [
            (LEDGER_MIGRATIONS.head,)]
    # Written to after the upgrade like any new ledger.
    ledger.record_correction(Correction(id="c1", task="spam", thread_id="i1", review_id="r1",
                                        input="win", model_output="spam", final_output="ham",
                                        action="edit", split_group="i1"))
    assert ledger.last_correction_seq() == 1


def test_an_old_ledger_is_refused_when_upgrades_are_off(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(FIRST_RELEASE)
    with pytest.raises(LedgerError, match="ledger upgrade"):
        Ledger(path, upgrade=False)
    assert "thread_id" not in _columns(path, "items")  # nothing was changed
    report = upgrade_ledger(make_engine(path))
    assert (report.before, report.after) == (None, LEDGER_MIGRATIONS.head)
    Ledger(path, upgrade=False)


def test_a_ledger_from_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    Ledger(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE hitl_ledger_version SET version_num = '0099_from_the_future'")
    with pytest.raises(ConfigError, match="0099_from_the_future"):
        Ledger(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version_num FROM hitl_ledger_version").fetchone() == (
            "0099_from_the_future",)


def test_downgrade_to_the_baseline_and_back(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    Ledger(path).close()
    engine = make_engine(path)
    with engine.begin() as conn:
        command.downgrade(alembic_config(LEDGER_MIGRATIONS, conn), "0001_baseline")
    assert "thread_id" not in _columns(path, "items")
    assert upgrade_ledger(engine).after == LEDGER_MIGRATIONS.head
    assert "thread_id" in _columns(path, "items")


@pytest.mark.postgres
def test_postgres_ledger_is_created_by_migrations(postgres_server: Any) -> None:
    url = postgres_server.create_database()
    Ledger(url).close()
    ledger = Ledger(url)  # a second open finds it at head
    with ledger.engine.connect() as conn:
        assert {"items", "reviews", "corrections", "hitl_ledger_version"} <= set(
            inspect(conn).get_table_names())
        diff = compare_metadata(MigrationContext.configure(
            conn, opts={"version_table": LEDGER_MIGRATIONS.version_table}), metadata)
    assert diff == []


def test_cli_shows_and_upgrades_the_revision(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from hitl_agent.cli.main import app

    with sqlite3.connect(tmp_path / "ledger.db") as conn:
        conn.executescript(FIRST_RELEASE)
    runner = CliRunner()
    shown = runner.invoke(app, ["ledger", "revision", "--data", str(tmp_path), "--json"])
    assert shown.exit_code == 0 and json.loads(shown.output)["revision"] is None
    done = runner.invoke(app, ["ledger", "upgrade", "--data", str(tmp_path), "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output) == {"before": None, "after": LEDGER_MIGRATIONS.head,
                                       "changed": True}
    assert "thread_id" in _columns(tmp_path / "ledger.db", "reviews")


def test_the_old_engine_module_is_an_alias_for_one_release() -> None:
    import importlib
    import sys

    sys.modules.pop("hitl_agent.memory.db", None)
    with pytest.warns(DeprecationWarning, match="hitl_agent.storage.engine"):
        old = importlib.import_module("hitl_agent.memory.db")
    from hitl_agent.storage import engine

    assert old.make_engine is engine.make_engine
    assert old.normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_revision_0004_fills_the_correction_keys_of_a_0003_ledger(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    engine = make_engine(path)
    upgrade_ledger(engine, revision="0003_item_context")
    assert "input_key" not in _columns(path, "corrections")
    old = [Correction(id=f"c{i}", task="spam", thread_id=f"t{i}", review_id=f"r{i}",
                      input=text, model_output="spam", final_output="ham", action="edit",
                      split_group=f"t{i}", model_id=model)
           for i, (text, model) in enumerate([("Win  a PRIZE", "m1"),
                                             ({"b": 1, "a": [2]}, None)])]
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO corrections (id, item_id, review_id, task, action, split_group, "
            "payload_json, created_at, decided_at, forgotten) VALUES (?, ?, ?, 'spam', 'edit', "
            "?, ?, '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000', 0)",
            [(c.id, c.thread_id, c.review_id, c.split_group, c.model_dump_json()) for c in old])
    assert upgrade_ledger(engine).after == LEDGER_MIGRATIONS.head
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT id, input_key, model_id FROM corrections ORDER BY seq").fetchall()
        plan = " ".join(str(r) for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM corrections WHERE task = 'spam' AND "
            "input_key = 'x'"))
    assert rows == [("c0", input_key("win a prize"), "m1"),
                    ("c1", input_key({"a": [2], "b": 1}), None)]
    assert "ix_corrections_task_input_key" in plan
    ledger = Ledger(path)
    assert [cid for cid, _ in ledger.corrections_with_input_key("spam", input_key(
        "WIN a prize"))] == ["c0"]


@pytest.mark.postgres
@pytest.mark.parametrize("where", ["sqlite", "postgres"])
def test_the_memory_lookups_on_both_databases(where: str, tmp_path: Path,
                                              request: pytest.FixtureRequest) -> None:
    url = (request.getfixturevalue("postgres_server").create_database() if where == "postgres"
           else str(tmp_path / "ledger.db"))
    ledger = Ledger(url)
    cs = [Correction(id=f"c{i}", task="spam", thread_id=f"t{i}", review_id=f"r{i}",
                     input=f"text {i % 2}", model_output="spam", final_output="ham",
                     action="edit", split_group=f"t{i}", model_id="m1") for i in range(3)]
    ledger.record_correction(cs[0])
    ledger.forget_corrections(["c0"])
    # One transaction: new rows inserted, a held one re-keyed (not rewritten), forgotten named,
    # and which ids it held before (the only ones the index may hold already).
    recorded = ledger.record_corrections_for_index(
        [(c, input_key("other" if c.id == "c0" else c.input)) for c in cs])
    assert (recorded.forgotten, recorded.held) == ({"c0"}, {"c0"})
    assert ledger.record_corrections_for_index([(cs[1], input_key(cs[1].input))]).held == {"c1"}
    assert ledger.record_indexed_corrections([(c, input_key(c.input)) for c in cs]) == {"c0"}
    assert ledger.correction_payloads(["c0", "c1", "nope"]).keys() == {"c1"}
    assert [cid for cid, _ in ledger.corrections_with_input_key(
        "spam", input_key("TEXT 0"))] == ["c2"]
    record = ledger.get_correction("c0")
    assert record is not None and record.forgotten and record.correction == cs[0]
