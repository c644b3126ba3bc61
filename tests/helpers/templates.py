"""Shared helpers for the template tests: the shipped templates, their samples, an XSS input."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from .paths import REPO

TEMPLATES = REPO / "templates"
AWS_TEMPLATES = TEMPLATES / "aws"
NAMES = ["classification", "text-correction", "extraction", "comparison", "tool-approval"]
XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
AWS_SCRIPT = '<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>'


def sample(name: str, folder: Path = TEMPLATES) -> dict[str, Any]:
    """The sample task input of template ``name`` (``folder``: the shipped templates, or
    ``AWS_TEMPLATES``)."""
    data: dict[str, Any] = json.loads((folder / "samples" / f"{name}.json").read_text())
    return data


def source(name: str, folder: Path = TEMPLATES) -> str:
    return (folder / f"{name}.liquid.html").read_text()


def poison(value: Any) -> Any:
    """Replace every string in a JSON value with the XSS payload (keys kept)."""
    if isinstance(value, str):
        return XSS + value
    if isinstance(value, list):
        return [poison(v) for v in value]
    if isinstance(value, dict):
        return {k: poison(v) for k, v in value.items()}
    return value


def xss_input(name: str) -> dict[str, Any]:
    data = copy.deepcopy(sample(name))
    for field in ("input", "model_output", "similar", "labels"):
        if data.get(field) is not None:
            data[field] = poison(data[field])
    data["uncertainty"]["scorer"] = XSS
    return data
