"""Issue 14 in a real browser (Playwright driving Debian's Chromium).

- bullet 3: a page of another site, open in the same browser as a signed-in worker, tries the
  drive-by requests of the issue (``no-cors`` ``text/plain`` fetches to the runtime API, a form
  POST to the portal): nothing changes;
- bullet 5: a task template whose script posts the submit message on page load does not complete
  the task; the answer counts only after the worker's own click.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

import tests.helpers.chromium  # noqa: F401  (skips the module without Playwright or Chromium)
from tests.helpers.service import (
    PORTAL_PASSWORD,
    ServiceProcess,
    create_flow,
    start_loop,
    unique,
)
from tests.helpers.wait import holds_for

pytestmark = pytest.mark.browser

AUTO_SUBMIT = (
    '<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>\n'
    "<script>window.parent.postMessage("
    "{type: 'hitl-submit', answerContent: {auto: true}}, '*');</script>\n"
    "<crowd-form><p>{{ task.input.text }}</p>\n"
    '<crowd-classifier name="c" categories="[\'a\', \'b\']" header="Pick"></crowd-classifier>'
    "\n</crowd-form>"
)


def _flow(sagemaker: Any, service: ServiceProcess, template: str, team: str) -> str:
    return create_flow(sagemaker, output=str(service.data / "output"), template=template,
                       team=team, title="t", description="d")


def _sign_in(page: Page, name: str) -> None:
    page.goto("/portal/tasks")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PORTAL_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/portal/tasks$"))


def test_a_frame_cannot_submit_without_the_worker(
    browser: Browser, service: ServiceProcess, sagemaker: Any, runtime: Any, local: Any
) -> None:
    team = unique("team")
    loop = start_loop(runtime, _flow(sagemaker, service, AUTO_SUBMIT, team), {"text": "hi"})
    name = unique("w")
    local.workforce.add_worker(name, teams=[team], password=PORTAL_PASSWORD)
    context = browser.new_context(base_url=service.url)
    try:
        page = context.new_page()
        _sign_in(page, name)
        page.locator(f'li.task-row[data-loop="{loop}"]').get_by_role("button", name="Start").click()
        page.wait_for_url(re.compile(f"/portal/tasks/{loop}$"))
        confirm = page.locator("#portal-confirm-submit")
        confirm.wait_for(state="visible", timeout=15_000)  # the frame asked; nobody clicked

        def status() -> str:
            return str(runtime.describe_human_loop(HumanLoopName=loop)["HumanLoopStatus"])

        holds_for(lambda: status() == "InProgress", 0.5, message="submitted without a click")
        confirm.click()  # the worker's own click
        page.wait_for_url(re.compile(r"/portal/tasks\?done="))
        got = runtime.describe_human_loop(HumanLoopName=loop)
        assert got["HumanLoopStatus"] == "Completed"
        with open(got["HumanLoopOutput"]["OutputS3Uri"]) as fh:
            assert json.load(fh)["humanAnswers"][0]["answerContent"] == {"auto": True}
    finally:
        context.close()


def test_another_site_cannot_drive_the_service(
    browser: Browser, service: ServiceProcess, sagemaker: Any, runtime: Any, local: Any
) -> None:
    team = unique("team")
    flow = _flow(sagemaker, service, AUTO_SUBMIT, team)
    loop = start_loop(runtime, flow, {"text": "hi"})
    name = unique("w")
    local.workforce.add_worker(name, teams=[team], password=PORTAL_PASSWORD)
    new_loop = unique("evil")
    evil_origin = f"http://localhost:{service.port + 1 if service.port < 65535 else 1}"
    attack = f"""<!doctype html><html><body>
<form id="f" method="POST" action="{service.url}/portal/tasks/{loop}/start"></form>
<script>
const base = {json.dumps(service.url)};
const plain = {{"Content-Type": "text/plain"}};
Promise.all([
  fetch(base + "/human-loops/stop", {{method: "POST", mode: "no-cors", headers: plain,
        body: JSON.stringify({{HumanLoopName: {json.dumps(loop)}}})}}),
  fetch(base + "/human-loops", {{method: "POST", mode: "no-cors", headers: plain,
        body: JSON.stringify({{HumanLoopName: {json.dumps(new_loop)},
          FlowDefinitionArn: {json.dumps(flow)}, HumanLoopInput: {{InputContent: "{{}}"}}}})}}),
].map(p => p.catch(() => null))).then(() => {{ document.title = "sent";
  document.getElementById("f").submit(); }});
</script></body></html>"""
    context = browser.new_context(base_url=service.url)
    try:
        page = context.new_page()
        _sign_in(page, name)  # the worker is signed in in this browser
        context.route(
            f"{evil_origin}/**",
            lambda route: route.fulfill(status=200, content_type="text/html", body=attack),
        )
        evil = context.new_page()
        evil.goto(f"{evil_origin}/attack")
        evil.wait_for_load_state("load")
        evil.wait_for_url(re.compile(re.escape(service.url)), timeout=15_000)  # the form posted
        holds_for(lambda: runtime.describe_human_loop(HumanLoopName=loop)["HumanLoopStatus"]
                  == "InProgress", 0.3, message="the cross-site form answered the task")
    finally:
        context.close()
    assert runtime.describe_human_loop(HumanLoopName=loop)["HumanLoopStatus"] == "InProgress"
    with pytest.raises(Exception, match="ResourceNotFound"):
        runtime.describe_human_loop(HumanLoopName=new_loop)
    # the cross-site form POST claimed nothing: the task is still free for the worker
    claimed = [
        t
        for t in local.tasks.list_tasks(local.workforce.get_worker(name))
        if t.humanLoopName == loop
    ]
    assert claimed and not claimed[0].claimedByMe
