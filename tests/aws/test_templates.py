"""The AWS task templates (``templates/aws/``): each renders its sample input cleanly, uses only
the crowd elements the service implements, loads nothing but the crowd script, and escapes model
output."""

from __future__ import annotations

import re
from typing import Any

import pytest

from hitl_agent.service.liquid import SUPPORTED_CROWD_ELEMENTS, check_template, render_template
from hitl_agent.types import ReviewRequest
from tests.helpers import templates
from tests.helpers.templates import AWS_SCRIPT, AWS_TEMPLATES, XSS

FOLDER = AWS_TEMPLATES
NAMES = sorted(p.name.removesuffix(".liquid.html") for p in FOLDER.glob("*.liquid.html"))
BUILTIN = {"textract-forms", "rekognition-moderation"}


def sample(name: str) -> dict[str, Any]:
    return templates.sample(name, FOLDER)


def source(name: str) -> str:
    return templates.source(name, FOLDER)


def test_every_template_has_a_sample_and_is_documented() -> None:
    assert len(NAMES) == 7
    readme = (FOLDER / "README.md").read_text()
    for name in NAMES:
        assert f"{name}.liquid.html" in readme
        assert (FOLDER / "samples" / f"{name}.json").is_file()
        if name not in BUILTIN:
            ReviewRequest.model_validate(sample(name))


@pytest.mark.parametrize("name", NAMES)
def test_template_renders_its_sample_cleanly(name: str) -> None:
    report = check_template(source(name), sample(name))
    assert report.ok, report.errors
    assert report.warnings == []
    html = report.html or ""
    assert html.startswith(AWS_SCRIPT) and "<crowd-form>" in html
    assert set(re.findall(r"<(crowd-[a-z-]+)", html)) <= SUPPORTED_CROWD_ELEMENTS
    urls = re.findall(r"""(?:src|href)\s*=\s*["']?(https?://[^"' >]+)""", source(name))
    assert urls == ["https://assets.crowd.aws/crowd-html-elements.js"]


@pytest.mark.parametrize("name", sorted(set(NAMES) - BUILTIN))
def test_model_output_is_escaped(name: str) -> None:
    data = sample(name)
    data["input"] = XSS if isinstance(data["input"], str) else {**data["input"], "note": XSS}
    data["model_output"] = XSS if isinstance(data["model_output"], str) else data["model_output"]
    html = render_template(source(name), data)
    assert "<script>window.__xss" not in html and "<img src=x" not in html


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_builtin_values_are_escaped(name: str) -> None:
    data = sample(name)
    if name == "textract-forms":
        data["selectedAiServiceResponse"]["blocks"][0]["text"] = XSS
    else:
        data["selectedAiServiceResponse"]["moderationLabels"][0]["name"] = XSS
    html = render_template(source(name), data)
    assert "<script>window.__xss" not in html and "<img src=x" not in html
