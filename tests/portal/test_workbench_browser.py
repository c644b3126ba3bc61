"""The reviewer's workbench in a real browser: keyboard-only review, the keys overlay, skip, the
multi-choice elements, and every page at 360 px without horizontal scrolling.

A trusted mouse or pointer event anywhere (the portal page or the sandboxed task frame) is logged
to the console by an init script, and the keyboard tests fail on any.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

import tests.helpers.chromium  # noqa: F401  (skips the module without Playwright or Chromium)
from tests.helpers.portal import PASSWORD, Portal
from tests.helpers.templates import sample, source

pytestmark = pytest.mark.browser
AWS_SCRIPT = '<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>'
# Enter on a button fires a trusted "click" with detail 0; a mouse click has detail >= 1.
NO_MOUSE = """
for (const type of ['mousedown', 'mouseup', 'click', 'pointerdown', 'dblclick', 'wheel']) {
  window.addEventListener(type, (e) => {
    if (e.isTrusted && !(type === 'click' && e.detail === 0)) console.error('MOUSE ' + type);
  }, true);
}
"""


class Keyboard:
    """A browser context that records console errors (trusted mouse events among them)."""

    def __init__(self, browser: Browser, portal: Portal, width: int = 1280) -> None:
        self.context: BrowserContext = browser.new_context(
            viewport={"width": width, "height": 900}, base_url=portal.url
        )
        self.context.add_init_script(NO_MOUSE)
        self.errors: list[str] = []

    def page(self) -> Page:
        page = self.context.new_page()
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        return page

    def sign_in(self, name: str) -> Page:
        """Sign in with the keyboard only: the name field has the focus."""
        page = self.page()
        page.goto("/portal/tasks")
        focused(page, "name")
        page.keyboard.type(name)
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"^[^?]*/portal/tasks$"))
        focused(page, "start-working")
        return page

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def keyboard(browser: Browser, portal: Portal) -> Iterator[Keyboard]:
    kb = Keyboard(browser, portal)
    yield kb
    kb.close()


def focused(page: Page, element_id: str) -> None:
    """Wait until the page's autofocus has put the focus on ``element_id``."""
    page.wait_for_function(
        "id => document.activeElement && document.activeElement.id === id", arg=element_id
    )


def wait_ready(page: Page) -> None:
    page.wait_for_selector("body[data-frame-ready='true']", state="attached")


def test_thirty_tasks_reviewed_with_the_keyboard_only(keyboard: Keyboard, portal: Portal) -> None:
    flow = portal.flow(source("classification"), team="team-kb", title="Classify")
    labels = sample("classification")["labels"]
    expected: dict[str, str] = {}
    for i in range(30):
        task = {**sample("classification"), "input": f"ticket number {i}"}
        expected[portal.start(flow, task)] = labels[(i * 7) % len(labels)]
    page = keyboard.sign_in(portal.worker("team-kb"))
    page.keyboard.press("Enter")  # "Start working" has the focus
    page.wait_for_url(re.compile(r"/portal/tasks/[^/?]+$"))
    wait_ready(page)
    loads: list[str] = []  # the next tasks open in place: no page load until the list
    page.on("load", lambda p: loads.append(p.url))
    seen: list[str] = []
    per_task: list[float] = []
    for _ in range(30):
        page.wait_for_url(re.compile(r"/portal/tasks/[^/?]+$"))
        wait_ready(page)
        loop = page.url.rsplit("/", 1)[1]
        assert loop in expected and loop not in seen
        seen.append(loop)
        digit = str(labels.index(expected[loop]) + 1)
        page.keyboard.press(digit)
        here = page.url  # (read before Enter: the next task may open before the press returns)
        t0 = time.perf_counter()
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url, here=here: url != here)  # type: ignore[misc]
        if len(seen) < 30:
            wait_ready(page)
            per_task.append(time.perf_counter() - t0)
    page.wait_for_url(re.compile(r"/portal/tasks\?done="))
    assert "was recorded" in page.locator(".notice").inner_text()
    assert len(loads) == 1 and "done=" in loads[0], loads
    for loop, label in expected.items():
        (answer,) = portal.output(loop)["humanAnswers"]
        assert answer["answerContent"]["label"] == {"label": label}, loop
    assert not [e for e in keyboard.errors if "MOUSE" in e], keyboard.errors
    per_task.sort()
    assert per_task[len(per_task) // 2] < 2.0  # the benchmark measures it; this catches stalls


def test_skip_escape_and_the_keys_overlay(keyboard: Keyboard, portal: Portal) -> None:
    flow = portal.flow(source("classification"), team="team-skip", title="Skip me")
    first = portal.start(flow, sample("classification"))
    second = portal.start(flow, sample("classification"))
    page = keyboard.sign_in(portal.worker("team-skip"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/portal/tasks/{first}$"))
    wait_ready(page)
    page.keyboard.press("?")
    assert page.locator("#keys-help").is_visible()
    assert "choose the n-th answer" in page.locator("#keys-help").inner_text()
    page.keyboard.press("Escape")
    assert page.locator("#keys-help").is_hidden()
    page.keyboard.press("s")  # skip: released, and the next one opens
    page.wait_for_url(re.compile(rf"/portal/tasks/{second}$"))
    wait_ready(page)
    page.keyboard.press("s")  # wraps round to the skipped one
    page.wait_for_url(re.compile(rf"/portal/tasks/{first}$"))
    wait_ready(page)
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(r"^[^?]*/portal/tasks$"))
    focused(page, "start-working")
    assert page.locator("li.task-row").count() == 2
    # Keys pressed inside the frame (focus in the comment box): digits type, Ctrl+Enter submits.
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/portal/tasks/[^/?]+$"))
    wait_ready(page)
    page.keyboard.press("3")
    frame = page.frame_locator("#task-frame")
    frame.get_by_label("Comment (optional)").focus()
    page.keyboard.type("see 2 tickets")
    here = page.url
    page.keyboard.press("Control+Enter")
    page.wait_for_url(lambda url: url != here)
    loop = first if second in page.url else second
    answer = portal.output(loop)["humanAnswers"][0]["answerContent"]
    assert answer == {"label": {"label": "technical"}, "comment": "see 2 tickets"}
    assert not [e for e in keyboard.errors if "MOUSE" in e]


RADIO_AND_TOGGLES = (
    AWS_SCRIPT
    + """
<crowd-form>
  <crowd-radio-group>
    <crowd-radio-button name="tone" value="positive">Positive</crowd-radio-button>
    <crowd-radio-button name="tone" value="neutral">Neutral</crowd-radio-button>
    <crowd-radio-button name="tone" value="negative">Negative</crowd-radio-button>
  </crowd-radio-group>
</crowd-form>"""
)
MULTI = (
    AWS_SCRIPT
    + """
<crowd-form>
  <crowd-classifier-multi-select name="topics" categories="['a', 'b', 'c']" header="Topics">
    <classification-target>{{ task.input.text }}</classification-target>
  </crowd-classifier-multi-select>
</crowd-form>"""
)


@pytest.mark.parametrize(
    ("template", "keys", "answer"),
    [
        (RADIO_AND_TOGGLES, "3", {"tone": {"positive": False, "neutral": False, "negative": True}}),
        (MULTI, "13", {"topics": {"labels": ["a", "c"]}}),
        (MULTI, "122", {"topics": {"labels": ["a"]}}),
    ],
)
def test_digits_choose_in_radio_groups_and_toggle_multi_select(
    keyboard: Keyboard, portal: Portal, template: str, keys: str, answer: dict[str, object]
) -> None:
    team = f"team-digits-{len(keys)}-{keys}"
    loop = portal.start(portal.flow(template, team=team), {"text": "pick"})
    page = keyboard.sign_in(portal.worker(team))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/portal/tasks/{loop}$"))
    wait_ready(page)
    for key in keys:
        page.keyboard.press(key)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"done="))
    assert portal.output(loop)["humanAnswers"][0]["answerContent"] == answer


def test_every_page_fits_360_px(browser: Browser, portal: Portal) -> None:
    flow = portal.flow(
        source("classification"), team="admins", title="A rather long task title for phones"
    )
    long_input = {**sample("classification"), "input": "x" * 400 + " " + "word " * 80}
    portal.start(flow, long_input)
    portal.start(flow, sample("classification"))
    kb = Keyboard(browser, portal, width=360)
    try:
        page = kb.sign_in(portal.worker("admins"))
        widths = {}

        def measure(name: str) -> None:
            widths[name] = page.evaluate(
                "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )

        measure("queue")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/portal/tasks/[^/?]+$"))
        wait_ready(page)
        measure("task")
        page.keyboard.press("?")
        measure("keys")
        for path in ("/portal/history", "/portal/team", "/portal/tasks?sort=priority"):
            page.goto(path)
            measure(path)
        page.context.clear_cookies()
        page.goto("/portal/login")
        measure("login")
    finally:
        kb.close()
    too_wide = {k: v for k, v in widths.items() if v[0] > v[1]}
    assert not too_wide, too_wide
    assert all(v[1] <= 360 for v in widths.values())
