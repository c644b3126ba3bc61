"""A Textract key-value review and a moderation review answered in the worker portal (Playwright
driving Debian's Chromium): the graph escalates, the loop starts with A2I's built-in input, a
worker signs in, corrects the pair / chooses the categories in the built-in templates, submits;
the resumer reads output.json and the correction lands in the ledger."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber
from playwright.sync_api import Browser, Frame, Page

import tests.helpers.chromium  # noqa: F401  (skips the module without Playwright or Chromium)
from hitl_agent.models.rekognition import RekognitionModeration
from hitl_agent.models.textract import TextractForms
from hitl_agent.review.builtin import (
    REKOGNITION_SOURCE,
    TEXTRACT_SOURCE,
)
from tests.helpers import aws_responses as aws
from tests.helpers.browser_pages import png
from tests.helpers.builtin_flows import builtin_graph
from tests.helpers.graphs import resume_until_done
from tests.helpers.service import PORTAL_PASSWORD as PASSWORD
from tests.helpers.service import unique

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-output" / "aws"


@pytest.fixture(scope="module")
def reviewer(review_service: Any) -> Iterator[str]:
    from hitl_agent.service.services import build_services
    from hitl_agent.service.settings import ServiceSettings

    local = build_services(ServiceSettings(data_dir=review_service.data, background=False))
    info, _ = local.workforce.add_worker(unique("w"), teams=["aws-portal"], password=PASSWORD)
    local.store.dispose()
    yield info.name


def sign_in_and_open(browser: Browser, url: str, name: str, loop: str) -> tuple[Page, Frame]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, base_url=url)
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
        (url, "data:", "blob:", "about:")) else route.abort())
    page = context.new_page()
    page.goto("/portal/tasks")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/portal/tasks$"))
    page.locator(f'li[data-loop="{loop}"] button.start').click()
    page.wait_for_url(re.compile(rf"/portal/tasks/{re.escape(loop)}$"))
    page.frame_locator("#task-frame").locator("crowd-form").first.wait_for()
    frame = page.frame(url=re.compile(r"/frame$"))
    assert frame is not None
    frame.wait_for_function("customElements.get('crowd-form') !== undefined")
    return page, frame


def submit(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    here = page.url
    page.frame_locator("#task-frame").get_by_role("button", name="Submit").click()
    page.wait_for_url(lambda url: url != here)  # the next task, or the list when none is left
    page.context.close()


def graph_for(review_service: Any, tmp_path: Path, **flow: Any) -> Any:
    return builtin_graph(review_service, tmp_path, team="aws-portal", **flow)[0]


def resume(graph: Any) -> Any:
    resume_until_done(graph)
    [row] = list(graph.hitl_parts.ledger.iter_corrections())
    return row.correction


def test_textract_key_value_review_in_the_portal(
        browser: Browser, review_service: Any, reviewer: str, client: Any,
        tmp_path: Path) -> None:
    image = review_service.data / "files" / "intake-forms" / "form-8.png"
    image.parent.mkdir(parents=True, exist_ok=True)
    image.write_bytes(png(600, 800))
    textract = client("textract")
    graph = graph_for(review_service, tmp_path, source=TEXTRACT_SOURCE,
                      template="textract-forms.liquid.html", conditions=aws.TEXTRACT_CONDITIONS,
                      model=TextractForms(textract))
    with Stubber(textract) as stub:
        stub.add_response("analyze_document", aws.textract_form(aws.INTAKE), None)
        out = graph.invoke({"input": "s3://intake-forms/form-8.png"},
                           {"configurable": {"thread_id": "form-8"}})
    loop = out["__interrupt__"][0].value["review_id"]

    page, _ = sign_in_and_open(browser, review_service.url, reviewer, loop)
    task = page.frame_locator("#task-frame")
    value = task.get_by_label("Value of Date of birth:")
    assert value.input_value() == "09/26/1980"
    value.fill("09/28/1980")
    task.get_by_role("button", name="Add key-value pair").click()
    task.get_by_label("Key").last.fill("Mailing Address")
    # a new pair starts with the first important key of the flow; the reviewer types another
    task.locator("input[aria-label^='Value of']").last.fill("12 Elm St, Springfield")
    submit(page, "textract-forms")

    c = resume(graph)
    assert c.action == "edit"
    assert c.final_output == {"fields": {"Full Name:": "Jane Doe", "Date of birth:": "09/28/1980",
                                         "Phone Number:": "555-0100",
                                         "Mailing Address": "12 Elm St, Springfield"}}
    assert TEXTRACT_SOURCE in c.answers[0].answer_content


def test_moderation_review_in_the_portal(
        browser: Browser, review_service: Any, reviewer: str, client: Any,
        tmp_path: Path) -> None:
    rekognition = client("rekognition")
    graph = graph_for(review_service, tmp_path, source=REKOGNITION_SOURCE,
                      template="rekognition-moderation.liquid.html",
                      conditions=aws.REKOGNITION_CONDITIONS,
                      model=RekognitionModeration(rekognition))
    with Stubber(rekognition) as stub:
        stub.add_response("detect_moderation_labels", aws.moderation(aws.SWIMWEAR), None)
        out = graph.invoke({"input": "s3://uploads/u-90.jpg"},
                           {"configurable": {"thread_id": "img-90"}})
    loop = out["__interrupt__"][0].value["review_id"]

    page, _ = sign_in_and_open(browser, review_service.url, reviewer, loop)
    task = page.frame_locator("#task-frame")
    task.get_by_role("checkbox", name="Swimwear or Underwear", exact=True).check()
    submit(page, "rekognition-moderation")

    c = resume(graph)
    assert c.action == "edit"
    assert c.final_output == {"moderationLabels": [
        {"name": "Swimwear or Underwear", "parentName": ""}]}
    assert c.answers[0].answer_content == {REKOGNITION_SOURCE: {"moderationLabels": [
        {"name": "Swimwear or Underwear", "parentName": ""}]}}
