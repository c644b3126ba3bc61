"""Fixtures of every folder: a ledger, one headless Chromium per module, one PostgreSQL server
per session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers.postgres import PostgresServer, find_pg_bin
from tests.helpers.servers import started_by
from tests.helpers.service import InProcessService

if TYPE_CHECKING:
    from hitl_agent.memory.ledger import Ledger


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per test module (modules ``import tests.helpers.chromium`` to skip
    cleanly where Playwright or Chromium is missing)."""
    from playwright.sync_api import sync_playwright

    from tests.helpers import chromium

    with sync_playwright() as p:
        b = chromium.launch(p)
        yield b
        b.close()


@pytest.fixture(scope="session")
def start_clocked_service(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., InProcessService]]:
    """Serve the review service from this process on an injectable clock:
    ``start_clocked_service(**settings).clock.advance(seconds)`` instead of sleeping."""
    yield from started_by(
        lambda **settings: InProcessService(tmp_path_factory.mktemp("clocked-svc"), **settings)
    )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A running PostgreSQL server for the session (skips when PostgreSQL is not installed)::

        @pytest.mark.postgres
        def test_x(postgres_server):
            url = postgres_server.create_database("mydb")   # postgresql+psycopg://…/mydb
    """
    bin_dir = find_pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install 'hitl-agent[postgres]')")
    server = PostgresServer(bin_dir)
    try:
        server.start()
    except Exception:
        server.stop()
        raise
    yield server
    server.stop()


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    """An empty ledger in the test's folder."""
    from hitl_agent.memory.ledger import Ledger

    return Ledger(tmp_path / "ledger.db")
