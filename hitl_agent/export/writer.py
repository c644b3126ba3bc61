"""Write an export into a temporary folder, then move it into place file by file.

Nothing appears under the output folder until every row has been written and checked; then each
file is moved with ``os.replace`` (atomic on one file system), ``manifest.json`` last, so a reader
that finds the manifest finds the files it lists. A failure midway leaves no new file behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from hitl_agent.errors import ExportError
from hitl_agent.export.manifest import MANIFEST_NAME, FileEntry, load_manifest


@dataclass
class _Open:
    path: str
    split: str | None
    fh: IO[bytes]
    digest: Any = field(default_factory=hashlib.sha256)
    rows: int = 0
    bytes: int = 0


class ExportWriter:
    def __init__(self, out: Path) -> None:
        self.out = out
        self._made_out = not out.exists()
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExportError(f"cannot create {str(out)!r}: {exc.strerror}", path=str(out)) from exc
        self.tmp = out / f".export-{uuid.uuid4().hex[:12]}.tmp"
        self.tmp.mkdir()
        self._open: dict[str, _Open] = {}
        self.entries: list[FileEntry] = []
        self.unlisted: list[FileEntry] = []
        """Files moved into place with the data but not part of it (the export's state)."""

    def rows(self, split: str) -> int:
        f = self._open.get(split)
        return f.rows if f else 0

    def write(self, split: str, path: str, lines: list[bytes], header: bytes | None = None) -> None:
        f = self._open.get(split)
        if f is None:
            target = self.tmp / path
            target.parent.mkdir(parents=True, exist_ok=True)
            f = self._open[split] = _Open(path, split, target.open("wb"))
            if header:
                self._put(f, header)
        self._put(f, b"".join(lines))
        f.rows += len(lines)

    @staticmethod
    def _put(f: _Open, data: bytes) -> None:
        f.fh.write(data)
        f.digest.update(data)
        f.bytes += len(data)

    def add_file(self, path: str, data: bytes, *, split: str | None = None,
                 listed: bool = True) -> FileEntry:
        """Write a whole file; ``listed=False``: not one of the dataset's files."""
        target = self.tmp / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        entry = FileEntry(path=path, split=split, bytes=len(data),
                          sha256=hashlib.sha256(data).hexdigest())
        (self.entries if listed else self.unlisted).append(entry)
        return entry

    def close_data(self) -> list[FileEntry]:
        """Close the data files; their entries come first in the manifest."""
        data = []
        for f in self._open.values():
            f.fh.flush()
            os.fsync(f.fh.fileno())
            f.fh.close()
            data.append(FileEntry(path=f.path, split=f.split, rows=f.rows, bytes=f.bytes,
                                  sha256=f.digest.hexdigest()))
        self._open.clear()
        self.entries = data + self.entries
        return data

    def commit(self, manifest_json: str) -> None:
        """Move every file into place, the manifest last; drop files a previous export left."""
        previous = set()
        if (self.out / MANIFEST_NAME).is_file():
            with contextlib.suppress(Exception):
                old = load_manifest(self.out)
                previous = {e.path for e in [*old.files, *([old.state] if old.state else [])]}
        (self.tmp / MANIFEST_NAME).write_text(manifest_json, encoding="utf-8")
        for entry in [*self.entries, *self.unlisted]:
            target = self.out / entry.path
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.tmp / entry.path, target)
        os.replace(self.tmp / MANIFEST_NAME, self.out / MANIFEST_NAME)
        for stale in previous - {e.path for e in [*self.entries, *self.unlisted]}:
            with contextlib.suppress(OSError):
                (self.out / stale).unlink()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def abort(self) -> None:
        for f in self._open.values():
            with contextlib.suppress(OSError):
                f.fh.close()
        self._open.clear()
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self._made_out:  # a refused export leaves no empty folder behind
            with contextlib.suppress(OSError):
                self.out.rmdir()
