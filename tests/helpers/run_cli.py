"""Run ``hitl-agent templates …`` without importing the whole library (as run_service.py):
``python -m tests.helpers.run_cli preview …`` with the repository on ``PYTHONPATH``."""

from __future__ import annotations

if __name__ == "__main__":
    from tests.helpers.run_service import bare_package

    bare_package()
    from hitl_agent.cli.templates import app

    app()
