"""The data folder: one layout for the library, the CLI, the service and the served graphs.

A library user who passes ``ledger="DIR/ledger.db"`` and a CLI user who passes ``--data DIR``
read and write the same files:

=================  =====================================================================
``ledger.db``      the system of record: items, reviews, corrections
``checkpoints.db`` LangGraph checkpoints of waiting graphs
``memory/``        the chromadb correction index (rebuildable from the ledger)
``service.db``     the review service's database (``portal.secret`` beside it; ``output/``
                   for output.json files written to a local folder)
``credentials``    the access key ``hitl-agent serve`` made for local clients (an AWS
                   shared-credentials file)
``exports/``       datasets written by the demo (``hitl-agent export --out`` goes where told)
=================  =====================================================================

The folder is ``$HITL_DATA`` when set, else ``.hitl`` in the working directory: this module is
the one place that reads the variable (:func:`data_dir`), and the one place that names the files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "HITL_DATA"
DEFAULT_DIR = ".hitl"
LEDGER_FILE = "ledger.db"
CHECKPOINTS_FILE = "checkpoints.db"
MEMORY_DIR = "memory"
SERVICE_DB_FILE = "service.db"
OUTPUT_DIR = "output"
CREDENTIALS_FILE = "credentials"
EXPORTS_DIR = "exports"


def data_dir(explicit: str | Path | None = None) -> Path:
    """``explicit`` when given, else ``$HITL_DATA``, else ``.hitl`` (relative to the cwd)."""
    if explicit is not None and str(explicit) != "":
        return Path(explicit)
    return Path(os.environ.get(ENV_VAR) or DEFAULT_DIR)


def checkpoints_beside(ledger_path: str | Path) -> Path:
    """Where the durable checkpoints of a SQLite ledger live: ``checkpoints.db`` beside a
    ``ledger.db`` (the data-folder layout), else ``<stem>.checkpoints.db`` beside it."""
    path = Path(ledger_path)
    if path.name == LEDGER_FILE:
        return path.with_name(CHECKPOINTS_FILE)
    return path.with_name(path.stem + ".checkpoints.db")


@dataclass(frozen=True)
class DataFolder:
    """Where each part keeps its files inside the data folder."""

    root: Path

    @classmethod
    def resolve(cls, explicit: str | Path | None = None) -> DataFolder:
        return cls(data_dir(explicit))

    @property
    def ledger(self) -> Path:
        return self.root / LEDGER_FILE

    @property
    def ledger_url(self) -> str:
        return f"sqlite:///{self.ledger}"

    @property
    def checkpoints(self) -> Path:
        return self.root / CHECKPOINTS_FILE

    @property
    def memory(self) -> Path:
        return self.root / MEMORY_DIR

    @property
    def service(self) -> Path:
        """The folder the review service keeps its files in: the data folder itself, as
        ``hitl-agent serve --data DIR`` does."""
        return self.root

    @property
    def service_db(self) -> Path:
        """The review service's SQLite database (when no ``--database`` URL is given)."""
        return self.root / SERVICE_DB_FILE

    @property
    def output(self) -> Path:
        """Where the review service writes output.json files for a local ``S3OutputPath``."""
        return self.root / OUTPUT_DIR

    @property
    def credentials(self) -> Path:
        """The access key ``hitl-agent serve`` writes for local clients."""
        return self.root / CREDENTIALS_FILE

    @property
    def exports(self) -> Path:
        return self.root / EXPORTS_DIR

    def create(self) -> DataFolder:
        self.root.mkdir(parents=True, exist_ok=True)
        return self
