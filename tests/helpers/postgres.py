"""A real PostgreSQL server for tests: Debian's ``postgresql`` binaries, started on 127.0.0.1.

The ``postgres_server`` fixture of tests/conftest.py starts one for the session::

    @pytest.mark.postgres
    def test_x(postgres_server):
        url = postgres_server.create_database("mydb")   # postgresql+psycopg://…/mydb

The fixture is session-scoped: one ``initdb`` and one server per test session, a fresh database
per ``create_database`` call. As root it runs the server as an unprivileged user (``hitltest``,
created with ``useradd`` when missing, else ``nobody``; ``Popen(user=…)``), because PostgreSQL
refuses to run as root. Tests are skipped, with the reason, when no PostgreSQL binary is installed.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

from hitl_agent.service.process import free_port

from .wait import wait_until

PG_USER = "hitltest"


def find_pg_bin() -> Path | None:
    """The newest ``/usr/lib/postgresql/*/bin`` with ``initdb``, or the one on ``PATH``."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _run_as_user() -> str | None:
    """The user to run the server as (None: the current, non-root user)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(PG_USER)
        return PG_USER
    except KeyError:
        pass
    if shutil.which("useradd"):
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER],
            check=False,
            capture_output=True,
        )
        try:
            pwd.getpwnam(PG_USER)
            return PG_USER
        except KeyError:
            pass
    return "nobody"


class PostgresServer:
    """One throwaway PostgreSQL cluster in a temporary folder; ``durable=False`` (the tests')
    runs it with ``fsync=off``."""

    def __init__(self, bin_dir: Path, *, durable: bool = False) -> None:
        self.bin_dir = bin_dir
        self.durable = durable
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="hitl-pg-"))
        self.data = self.root / "data"
        self.user = _run_as_user()
        self.process: subprocess.Popen[bytes] | None = None
        self._counter = 0

    def _ids(self) -> tuple[int | None, int | None]:
        """The uid and gid to drop to (None, None when not root)."""
        if not self.user:
            return None, None
        info = pwd.getpwnam(self.user)
        return info.pw_uid, info.pw_gid

    def start(self) -> None:
        uid, gid = self._ids()
        groups: list[int] | None = [] if uid is not None else None
        if self.user:
            info = pwd.getpwnam(self.user)
            os.chown(self.root, info.pw_uid, info.pw_gid)
        subprocess.run(
            [
                str(self.bin_dir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ],
            check=True,
            capture_output=True,
            cwd=self.root,
            user=uid,
            group=gid,
            extra_groups=groups,
        )
        log = open(self.root / "server.log", "wb")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [
                str(self.bin_dir / "postgres"),
                "-D",
                str(self.data),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-k",
                str(self.root),
                "-c",
                f"fsync={'on' if self.durable else 'off'}",
                "-c",
                "max_connections=200",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.root,
            user=uid,
            group=gid,
            extra_groups=groups,
        )
        wait_until(self._accepts, 30, every=0.1, message="postgres did not start")

    def _accepts(self) -> bool:
        """True once the server takes connections; raises when it exited."""
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(
                "postgres exited: " + (self.root / "server.log").read_text(errors="replace")
            )
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                pass
            import psycopg

            with psycopg.connect(self.dsn("postgres"), connect_timeout=2):
                return True
        except Exception:  # noqa: BLE001 - not up yet
            return False

    def dsn(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def url(self, dbname: str) -> str:
        """A SQLAlchemy URL (psycopg 3 driver)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str | None = None) -> str:
        """Create a fresh database and return its SQLAlchemy URL."""
        import psycopg

        self._counter += 1
        name = name or f"test_{self._counter}"
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown: ends open sessions
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)

