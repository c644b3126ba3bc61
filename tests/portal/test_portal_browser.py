# ruff: noqa: E501  (embedded scripts and templates read better unwrapped)
"""The worker portal in a real browser (Playwright driving Debian's Chromium).

A live service process; loops started with the real boto3 clients; a worker signs in through the
sign-in form, opens tasks from the queue, works in the sandboxed task frame with the mouse and the
keyboard, and submits; the loop's ``output.json`` must then hold A2I's answer shape. Screenshots of
every task page go to ``test-output/portal/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Frame, Page

from tests.helpers.browser_pages import REPO, png, shadow_text_box
from tests.helpers.chromium import stays_false  # (skips the module without Playwright or Chromium)
from tests.helpers.portal import PASSWORD, Portal
from tests.helpers.templates import XSS, sample, source, xss_input

pytestmark = pytest.mark.browser
SHOTS = REPO / "test-output" / "portal"
AWS_SCRIPT = '<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>'


class Session:
    """A browser context signed in (or not) as one worker, recording what its pages do."""

    def __init__(self, browser: Browser, portal: Portal) -> None:
        self.portal = portal
        self.context: BrowserContext = browser.new_context(
            viewport={"width": 1280, "height": 1000}, base_url=portal.url
        )
        self.external: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(self.portal.url) or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def page(self) -> Page:
        page = self.context.new_page()
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on(
            "console",
            lambda m: (
                self.errors.append(m.text)
                if m.type == "error" and "Content Security Policy" in m.text
                else None
            ),
        )
        return page

    def sign_in(self, name: str) -> Page:
        page = self.page()
        page.goto("/portal/tasks")
        assert "/portal/login" in page.url
        page.get_by_label("Name").fill(name)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/portal/tasks$"))
        return page

    def close(self) -> None:
        self.context.close()
        assert self.external == [], f"external requests: {self.external}"
        assert self.errors == [], f"page errors: {self.errors}"


@pytest.fixture(scope="module")
def team_a(browser: Browser, portal: Portal) -> Iterator[tuple[Session, str]]:
    """A worker of team-a, signed in once for the module."""
    name = portal.worker("team-a")
    session = Session(browser, portal)
    session.sign_in(name).close()
    yield session, name
    session.close()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def open_task(session: Session, loop: str) -> tuple[Page, Frame]:
    """Open the queue, start ``loop`` from its row, and wait for the task frame's elements."""
    page = session.page()
    page.goto("/portal/tasks")
    page.locator(f'li[data-loop="{loop}"] button.start').click()
    page.wait_for_url(re.compile(rf"/portal/tasks/{re.escape(loop)}$"))
    frame = page.frame_locator("#task-frame")
    frame.locator("crowd-form, crowd-entity-annotation").first.wait_for()
    handle = page.frame(url=re.compile(r"/frame$"))
    assert handle is not None
    handle.wait_for_function("customElements.get('crowd-form') !== undefined")
    return page, handle


def submit(page: Page, name: str = "Submit") -> None:
    """Submit from the frame; the portal then opens the next task, or the list when none is left."""
    here = page.url
    page.frame_locator("#task-frame").get_by_role("button", name=name).click()
    page.wait_for_url(lambda url: url != here)


def check_answer(portal: Portal, loop: str, worker: str) -> dict[str, Any]:
    out = portal.output(loop)
    assert out["humanLoopName"] == loop
    (answer,) = out["humanAnswers"]
    worker_id = portal.local.workforce.get_worker(worker).worker_id
    assert answer["workerId"] == worker_id
    assert answer["acceptanceTime"] <= answer["submissionTime"]
    assert answer["timeSpentInSeconds"] >= 0
    content: dict[str, Any] = answer["answerContent"]
    return content


def frame_origin(page: Page) -> tuple[float, float]:
    at: dict[str, float] = page.evaluate(
        """() => { const f = document.getElementById('task-frame');
                   const r = f.getBoundingClientRect();
                   return {x: r.x + f.clientLeft, y: r.y + f.clientTop}; }"""
    )
    return at["x"], at["y"]


# --- the tasks -----------------------------------------------------------------------------------


def test_classification_from_sign_in_to_output(team_a: tuple[Session, str], portal: Portal) -> None:
    session, name = team_a
    flow = portal.flow(
        source("classification"), title="Classify the ticket", keywords=["support", "triage"]
    )
    loop = portal.start(flow, sample("classification"))
    page = session.page()
    page.goto("/portal/tasks")
    row = page.locator(f'li[data-loop="{loop}"]')
    assert "Classify the ticket" in row.inner_text()
    assert row.locator(".chip.kw").all_inner_texts() == ["support", "triage"]
    # the queue row previews the item and shows the model's answer, its confidence, one deadline
    assert "My card was charged twice" in row.locator(".preview").inner_text()
    assert row.locator(".model").inner_text() == "Model: billing · 58%"
    assert re.fullmatch(r"due in (9 d 23 h|10 d 0 h)", row.locator("time.due").inner_text())
    page.close()

    page, frame = open_task(session, loop)
    assert re.fullmatch(r"(59:\d\d|1:00:00) left", page.locator("#timer").inner_text())
    assert frame.locator("#hitl-model-label").inner_text() == "billing"
    # The template runs in an opaque origin: no cookies, no access to the portal page.
    assert (
        frame.evaluate("() => { try { return document.cookie; } catch (e) { return e.name; } }")
        == "SecurityError"
    )
    assert (
        frame.evaluate(
            "() => { try { return parent.document.title; } catch (e) { return e.name; } }"
        )
        == "SecurityError"
    )
    frame.get_by_role("radio", name="complaint").check()
    frame.get_by_label("Comment (optional)").fill("a refund request")
    shot(page, "classification")
    submit(page)
    page.goto("/portal/tasks")
    assert page.locator(f'li[data-loop="{loop}"]').count() == 0
    assert check_answer(portal, loop, name) == {
        "label": {"label": "complaint"},
        "comment": "a refund request",
    }
    page.goto("/portal/history")
    assert '"complaint"' in (
        page.locator(f'#history tr[data-loop="{loop}"] pre').text_content() or ""
    )
    page.close()


def test_text_correction(team_a: tuple[Session, str], portal: Portal) -> None:
    session, name = team_a
    loop = portal.start(portal.flow(source("text-correction")), sample("text-correction"))
    page, frame = open_task(session, loop)
    fixed = "The Berlin Wall fell on 9 November 1989. Germany was reunified on 3 October 1990."
    frame.get_by_label("Edit the answer until it is right").fill(fixed)
    assert frame.locator("#hitl-diff ins").all_inner_texts() == ["on", "3 October 1990."]
    shot(page, "text-correction")
    submit(page)
    assert check_answer(portal, loop, name) == {
        "corrected_text": fixed,
        "unusable": {"on": False},
        "comment": "",
    }
    page.close()


BBOX_TEMPLATE = (
    AWS_SCRIPT
    + """
<crowd-form>
  <crowd-bounding-box name="annotatedResult" src="{{ task.input.image | grant_read_access }}"
    header="Box every {{ task.input.what }}" labels="['cat', 'dog']">
    <short-instructions>Box each animal.</short-instructions>
  </crowd-bounding-box>
</crowd-form>"""
)


def test_bounding_box_over_a_signed_local_image(
    team_a: tuple[Session, str], portal: Portal
) -> None:
    session, name = team_a
    image = portal.data / "files" / "pics" / "animals" / "one.png"
    image.parent.mkdir(parents=True, exist_ok=True)
    image.write_bytes(png(400, 300))
    loop = portal.start(
        portal.flow(BBOX_TEMPLATE), {"image": "s3://pics/animals/one.png", "what": "animal"}
    )
    page, frame = open_task(session, loop)
    src = frame.evaluate("document.querySelector('crowd-bounding-box').getAttribute('src')")
    assert src.startswith("/portal/files?bucket=pics&key=animals%2Fone.png&expires=")
    frame.wait_for_function(
        "document.querySelector('crowd-bounding-box').value.inputImageProperties.width === 400"
    )
    box = frame.locator("crowd-bounding-box svg.overlay").bounding_box()
    assert box is not None and round(box["width"]) == 400
    x, y = box["x"], box["y"]
    page.mouse.move(x + 50, y + 40)
    page.mouse.down()
    page.mouse.move(x + 100, y + 100, steps=4)
    page.mouse.move(x + 150, y + 140, steps=4)
    page.mouse.up()
    shot(page, "bounding-box")
    submit(page)
    result = check_answer(portal, loop, name)["annotatedResult"]
    assert result["inputImageProperties"] == {"height": 300, "width": 400}
    (drawn,) = result["boundingBoxes"]
    # (the frame's layout may put the image at a fractional offset: allow a pixel of rounding)
    assert drawn["label"] == "cat" and (drawn["width"], drawn["height"]) == (100, 100)
    assert abs(drawn["left"] - 50) <= 1 and abs(drawn["top"] - 40) <= 1
    page.close()


NER_TEMPLATE = (
    AWS_SCRIPT
    + """
<crowd-entity-annotation name="entities" header="Highlight names"
  labels="[{label: 'person', shortDisplayName: 'per', fullDisplayName: 'Person'},
           {label: 'location', shortDisplayName: 'loc', fullDisplayName: 'Location'}]"
  text="{{ task.input.text }}">
  <short-instructions><p>Select a span, then pick its type.</p></short-instructions>
</crowd-entity-annotation>"""
)


def text_box(frame: Frame, page: Page, text: str) -> dict[str, float]:
    """The page coordinates of ``text`` inside the entity annotation's shadow DOM."""
    box = shadow_text_box(frame, "crowd-entity-annotation", ".text", text)
    ox, oy = frame_origin(page)
    return {**box, "x": box["x"] + ox, "y": box["y"] + oy}


def test_entity_annotation(team_a: tuple[Session, str], portal: Portal) -> None:
    session, name = team_a
    loop = portal.start(portal.flow(NER_TEMPLATE), {"text": "Ann lives in Paris, France."})
    page, frame = open_task(session, loop)
    frame.wait_for_function(
        "document.querySelector('crowd-entity-annotation').shadowRoot.querySelector('.text')"
    )
    fl = page.frame_locator("#task-frame")
    fl.get_by_role("radio", name="Location").check()
    paris = text_box(frame, page, "Paris")
    page.mouse.dblclick(paris["x"] + paris["w"] / 2, paris["y"] + paris["h"] / 2)
    fl.get_by_role("radio", name="Person").check()
    ann = text_box(frame, page, "Ann")
    mid = ann["y"] + ann["h"] / 2
    page.mouse.move(ann["x"] + 1, mid)
    page.mouse.down()
    page.mouse.move(ann["x"] + ann["w"] - 1, mid, steps=5)
    page.mouse.up()
    fl.get_by_role("button", name="Remove person entity").wait_for()
    shot(page, "entity-annotation")
    submit(page)
    assert check_answer(portal, loop, name) == {
        "entities": {
            "entities": [
                {"endOffset": 3, "label": "person", "startOffset": 0},
                {"endOffset": 18, "label": "location", "startOffset": 13},
            ]
        }
    }
    page.close()


# --- untrusted model output ------------------------------------------------------------------


def test_model_output_shows_as_text_and_runs_nothing(
    team_a: tuple[Session, str], portal: Portal
) -> None:
    session, name = team_a
    flow = portal.flow(source("classification"), title=XSS)
    loop = portal.start(flow, xss_input("classification"))
    page, frame = open_task(session, loop)
    stays_false(frame, "typeof window.__xss !== 'undefined'", 200)
    assert page.locator("#task-title").inner_text() == XSS  # the title is text on the page too
    assert frame.locator("#hitl-model-label").inner_text() == XSS + "billing"
    assert frame.locator("#hitl-input").inner_text().startswith(XSS)
    assert frame.evaluate("typeof window.__xss") == "undefined"
    assert page.evaluate("typeof window.__xss") == "undefined"
    frame.get_by_role("radio", name=XSS + "billing").check()
    shot(page, "xss-classification")
    submit(page)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert check_answer(portal, loop, name)["label"] == {"label": XSS + "billing"}
    page.close()


# --- access --------------------------------------------------------------------------------------


def test_a_worker_of_another_team_gets_no_access(
    browser: Browser, portal: Portal, team_a: tuple[Session, str]
) -> None:
    loop = portal.start(portal.flow(source("classification")), sample("classification"))
    other = Session(browser, portal)
    try:
        page = other.sign_in(portal.worker("team-b"))
        assert page.locator(f'li[data-loop="{loop}"]').count() == 0
        response = page.goto(f"/portal/tasks/{loop}")
        assert response is not None and response.status == 404
        assert page.locator("#error-title").inner_text() == "Task not found"
        response = page.goto(f"/portal/tasks/{loop}/frame")
        assert response is not None and response.status == 404
        page.close()
    finally:
        other.close()
    # The loop is still there for team-a.
    session, _ = team_a
    page = session.page()
    page.goto("/portal/tasks")
    assert page.locator(f'li[data-loop="{loop}"]').count() == 1
    page.close()


def test_signed_out_visitors_are_sent_to_sign_in(browser: Browser, portal: Portal) -> None:
    visitor = Session(browser, portal)
    try:
        page = visitor.page()
        page.goto("/portal/history")
        assert re.search(r"/portal/login\?next=%2Fportal%2Fhistory$", page.url)
        page.get_by_label("Name").fill("nobody")
        page.get_by_label("Password").fill("not-the-password")
        page.get_by_role("button", name="Sign in").click()
        assert page.locator("#login-error").inner_text() == "Wrong name or password."
        name = portal.worker("team-a")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Name").fill(name)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/portal/history$"))
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(re.compile(r"/portal/login$"))
        page.goto("/portal/tasks")
        assert "/portal/login" in page.url
        page.close()
    finally:
        visitor.close()


def test_release_and_decline(team_a: tuple[Session, str], portal: Portal) -> None:
    session, _ = team_a
    loop = portal.start(portal.flow(source("classification")), sample("classification"))
    page, _frame = open_task(session, loop)
    page.get_by_role("button", name="Release").click()
    page.wait_for_url(re.compile(r"/portal/tasks$"))
    assert page.locator(f'li[data-loop="{loop}"]').count() == 1
    page.close()
    page, _frame = open_task(session, loop)
    page.get_by_role("button", name="Decline").click()
    page.wait_for_url(re.compile(r"/portal/tasks$"))
    assert page.locator(f'li[data-loop="{loop}"]').count() == 0
    page.close()


def test_a_broken_template_shows_a_clear_error_page(
    team_a: tuple[Session, str], portal: Portal
) -> None:
    session, _ = team_a
    broken = (
        AWS_SCRIPT
        + "<crowd-form>\n<p>{{ task.input.text }}</p>\n<p>{{ task.input.text | nope }}</p>\n</crowd-form>"
    )
    loop = portal.start(portal.flow(broken), {"text": "hello"})
    page = session.page()
    page.goto("/portal/tasks")
    page.locator(f'li[data-loop="{loop}"] button.start').click()
    page.wait_for_url(re.compile(rf"/portal/tasks/{re.escape(loop)}$"))
    assert page.locator("#error-title").inner_text() == "This task cannot be shown"
    assert "line 3: unknown filter 'nope'" in page.locator("#error-detail").inner_text()
    assert page.locator("#error").get_attribute("data-status") == "500"
    shot(page, "template-error")
    page.get_by_role("button", name="Release the task").click()
    page.wait_for_url(re.compile(r"/portal/tasks$"))
    page.close()
    assert "cannot be rendered" in portal.proc.log()


def test_screenshots_of_the_queue_and_history(team_a: tuple[Session, str]) -> None:
    session, _ = team_a
    page = session.page()
    page.goto("/portal/tasks")
    shot(page, "queue")
    page.goto("/portal/history")
    assert page.locator("#history tr").count() >= 2
    shot(page, "history")
    page.close()


def test_preview_command_shows_the_answer(
    browser: Browser, tmp_path: Any, preview: Callable[..., Any]
) -> None:
    proc, url = preview("classification", tmp_path, sample("classification"), "--once")
    page = browser.new_page()
    try:
        page.goto(url)
        frame = page.frame_locator("#task-frame")
        frame.get_by_role("radio", name="technical").check()
        frame.get_by_role("button", name="Submit").click()
        page.wait_for_url(re.compile(r"/portal/preview/answer"))
        shown = page.locator("#preview-answer").inner_text()
        shot(page, "preview-answer")
    finally:
        page.close()
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    import json

    doc = json.loads(out)
    assert json.loads(shown) == doc
    assert doc["humanAnswers"][0]["answerContent"] == {
        "label": {"label": "technical"},
        "comment": "",
    }
