"""The CLI as a Click command, for generated references (mkdocs-click reads ``command``)."""

from __future__ import annotations

import typer

from hitl_agent.cli.main import app

command = typer.main.get_command(app)
