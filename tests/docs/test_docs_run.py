"""Every Python and shell block of README.md and docs/ runs as written.

Blocks of one page run in order, each on its own (a Python block has its own imports), in one
fresh working directory with ``HITL_DATA`` pointing into it. A page with a ``service`` block
gets a review-service process for the whole page.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.docs_blocks import ROOT, Block, blocks, documents

PAGES = [p for p in documents() if blocks(p)]


def _env(tmp: Path, extra: dict[str, str]) -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "HITL_DATA": str(tmp / ".hitl"),
            "PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHONPATH": str(ROOT), **extra}


def _run(block: Block, cwd: Path, env: dict[str, str]) -> None:
    command = (["bash", "-euo", "pipefail", "-c", block.code] if block.kind == "shell"
               else [sys.executable, "-c", block.code])
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, (
        f"{block.id} failed (exit {result.returncode}):\n{block.code}\n--- stdout\n"
        f"{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}")


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_page_runs_as_written(page: Path, tmp_path: Path) -> None:
    page_blocks = [b for b in blocks(page) if b.marker != "skip"]
    extra: dict[str, str] = {}
    service = None
    if any(b.marker == "service" for b in page_blocks):
        from hitl_agent.service.process import ServiceProcess

        service = ServiceProcess(tmp_path / ".hitl").start()
        extra = {"HITL_ENDPOINT": service.url, "AWS_DEFAULT_REGION": "us-east-1"}
    try:
        env = _env(tmp_path, extra)
        for block in page_blocks:
            _run(block, tmp_path, env)
    finally:
        if service is not None:
            service.stop()


def test_every_skip_says_why() -> None:
    for page in documents():
        text = page.read_text(encoding="utf-8")
        for line in text.splitlines():
            if "docs-test: skip" in line:
                assert line.split("skip", 1)[1].strip(" ->"), f"{page}: a skip without a reason"


def test_nothing_points_outside_the_repository() -> None:
    for page in [*documents(), ROOT / "mkdocs.yml"]:
        assert "../shared" not in page.read_text(encoding="utf-8"), page
