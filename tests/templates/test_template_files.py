"""The shipped worker templates: each renders with its sample input, cleanly and safely."""

from __future__ import annotations

import re

import pytest

from hitl_agent.service.liquid import SUPPORTED_CROWD_ELEMENTS, check_template, render_template
from hitl_agent.types import ReviewRequest
from tests.helpers.templates import AWS_SCRIPT, NAMES, TEMPLATES, sample, source, xss_input


def test_every_template_has_a_sample_and_is_documented() -> None:
    shipped = sorted(p.name.removesuffix(".liquid.html") for p in TEMPLATES.glob("*.liquid.html"))
    assert shipped == sorted(NAMES)
    readme = (TEMPLATES / "README.md").read_text()
    for name in NAMES:
        assert f"{name}.liquid.html" in readme
        assert (TEMPLATES / "samples" / f"{name}.json").is_file()


@pytest.mark.parametrize("name", NAMES)
def test_sample_is_a_review_request(name: str) -> None:
    ReviewRequest.model_validate(sample(name))


@pytest.mark.parametrize("name", NAMES)
def test_template_renders_its_sample_without_warnings(name: str) -> None:
    report = check_template(source(name), sample(name))
    assert report.ok, report.errors
    assert report.warnings == []
    html = report.html or ""
    assert html.startswith(AWS_SCRIPT)
    assert "<crowd-form>" in html
    used = set(re.findall(r"<(crowd-[a-z-]+)", html))
    assert used <= SUPPORTED_CROWD_ELEMENTS


@pytest.mark.parametrize("name", NAMES)
def test_template_renders_a_full_review_request_dump(name: str) -> None:
    dumped = ReviewRequest.model_validate(sample(name)).model_dump(mode="json")
    report = check_template(source(name), dumped)
    assert report.ok and report.warnings == []


@pytest.mark.parametrize("name", NAMES)
def test_model_output_is_never_unescaped(name: str) -> None:
    html = render_template(source(name), xss_input(name))
    assert "<script>window.__xss" not in html
    assert "<img src=x" not in html
    assert 'onerror="window' not in html
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html


@pytest.mark.parametrize("name", NAMES)
def test_template_needs_no_external_assets_but_the_crowd_script(name: str) -> None:
    urls = re.findall(r"""(?:src|href)\s*=\s*["']?(https?://[^"' >]+)""", source(name))
    assert urls == ["https://assets.crowd.aws/crowd-html-elements.js"]
