"""Read the fenced code blocks of README.md and docs/*.md, with the marker that precedes each.

A block is run as written unless the HTML comment right above it says otherwise:

- ``<!-- docs-test: skip REASON -->``: not run (``make test`` itself, a long-running command);
- ``<!-- docs-test: service -->``: needs a running review service; the test provides one and
  sets ``HITL_ENDPOINT`` (and credentials that work) before the block runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .paths import REPO as ROOT

FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```\s*$", re.S | re.M)
MARKER = re.compile(r"<!--\s*docs-test:\s*([\w-]+)([^>]*)-->\s*$")
RUNNABLE = {"python": "python", "py": "python", "bash": "shell", "sh": "shell",
            "shell": "shell"}


@dataclass(frozen=True)
class Block:
    path: Path
    line: int
    kind: str  # python | shell
    code: str
    marker: str | None

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        kind = RUNNABLE.get(match.group(1))
        if kind is None:
            continue
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = MARKER.search(before)
        found.append(Block(path, text.count("\n", 0, match.start()) + 1, kind, match.group(2),
                           marker.group(1) if marker else None))
    return found
