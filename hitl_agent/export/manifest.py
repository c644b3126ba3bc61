"""``manifest.json``: what an export holds, how it was made, and where in the ledger it stopped."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from hitl_agent.errors import ConfigError

MANIFEST_NAME = "manifest.json"
CARD_NAME = "README.md"


class FileEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="Relative to the export folder, '/'-separated.")
    split: str | None = None
    rows: int | None = None
    bytes: int
    sha256: str


class InvalidRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    correction_id: str
    seq: int
    rule: str
    field: str
    message: str


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    format: str
    created: datetime
    generator: str
    ledger: str
    task: str | None
    after_seq: int = Field(description="Rows with seq > after_seq were considered ...")
    up_to_seq: int = Field(description="... up to and including this seq: the snapshot.")
    since: str | None = Field(default=None, description="The manifest this export continues.")
    options: dict[str, Any]
    counts: dict[str, int]
    labels: dict[str, int] = Field(default_factory=dict)
    task_types: dict[str, int] = Field(
        default_factory=dict, description="Exported corrections by task type (classification, "
        "generation, extraction, tool_call).")
    class_map: dict[str, int] | None = None
    files: list[FileEntry]
    state: FileEntry | None = Field(
        default=None, description="Not data: the dedup and split state this export ended with, "
        "which an export continuing it (since) starts from (hitl_agent.export.state).")
    invalid: list[InvalidRow] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    s3_uri: str | None = None

    def file(self, split: str) -> FileEntry | None:
        return next((f for f in self.files if f.split == split), None)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_path(path: str | Path) -> Path:
    p = Path(path)
    return p / MANIFEST_NAME if p.is_dir() else p


def load_manifest(path: str | Path) -> Manifest:
    """Read a manifest from its file or from the export folder that holds it."""
    p = manifest_path(path)
    try:
        return Manifest.model_validate_json(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no export manifest at {str(p)!r}", field="since") from None
    except (PydanticValidationError, ValueError) as exc:
        raise ConfigError(f"{str(p)!r} is not an export manifest: {exc}", field="since") from exc


def verify_files(folder: str | Path) -> list[str]:
    """Problems with an export folder: missing files or sha256 mismatches (empty when sound)."""
    root = Path(folder)
    manifest = load_manifest(root)
    problems = []
    for entry in manifest.files:
        p = root / entry.path
        if not p.is_file():
            problems.append(f"{entry.path}: missing")
        elif sha256_file(p) != entry.sha256:
            problems.append(f"{entry.path}: sha256 differs from the manifest")
    return problems
