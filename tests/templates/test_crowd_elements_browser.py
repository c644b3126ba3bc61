# ruff: noqa: E501  (embedded HTML pages and expected answers read better unwrapped)
"""crowd-elements.js in a real browser (Playwright driving Debian's Chromium).

Each test opens a page on a local server, interacts like a worker (clicks, typing, mouse
drawing, text selection), submits, and compares the answer the <crowd-form> produced with A2I's
answer shape. Screenshots go to test-output/templates/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from hitl_agent.service.liquid import render_template
from tests.helpers.browser_pages import AWS_JS_URL, CROWD_JS, REPO, LocalServer, shadow_text_box
from tests.helpers.chromium import stays_false  # (skips the module without Playwright or Chromium)
from tests.helpers.templates import XSS, sample, source, xss_input

pytestmark = pytest.mark.browser
SHOTS = REPO / "test-output" / "templates"
SCRIPT = f'<script src="{AWS_JS_URL}"></script>'
CAPTURE = """
window.__answers = []; window.__submitted = []; window.__ready = false;
document.addEventListener('crowd-submit', (e) => {
  window.__answers.push(e.detail.answerContent);
  if (!window.__letThrough) e.preventDefault();
}, true);
document.addEventListener('crowd-submitted', (e) => window.__submitted.push(e.detail), true);
document.addEventListener('all-crowd-elements-ready', () => { window.__ready = true; });
"""


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    srv = LocalServer()
    yield srv
    srv.close()


class Worker:
    """One page, with the answers it submitted and every request it tried."""

    def __init__(self, page: Page, server: LocalServer) -> None:
        self.page = page
        self.server = server
        self.requests: list[str] = []
        self.external: list[str] = []
        self.errors: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.route("**/*", self._route)
        page.add_init_script(CAPTURE)

    def _route(self, route: Any) -> None:
        url = route.request.url
        self.requests.append(url)
        if url == AWS_JS_URL:
            route.fulfill(path=str(CROWD_JS), content_type="application/javascript")
        elif url.startswith(self.server.base) or url.startswith("data:"):
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def open(self, name: str, html: str) -> Page:
        self.page.goto(self.server.add(name, html))
        self.page.wait_for_function("window.__ready === true")
        return self.page

    def open_template(self, name: str, task_input: dict[str, Any], *, prefix: str = "") -> Page:
        return self.open(name, prefix + render_template(source(name), task_input))

    def submit(self) -> dict[str, Any]:
        before = self.page.evaluate("window.__answers.length")
        self.page.get_by_role("button", name="Submit").click()
        self.page.wait_for_function(f"window.__answers.length > {before}")
        answer: dict[str, Any] = self.page.evaluate("window.__answers[window.__answers.length - 1]")
        return answer

    def submit_refused(self) -> None:
        before = self.page.evaluate("window.__answers.length")
        self.page.get_by_role("button", name="Submit").click()
        stays_false(self.page, f"window.__answers.length !== {before}", 150)
        assert self.page.evaluate("window.__answers.length") == before

    def screenshot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def worker(browser: Browser, server: LocalServer) -> Iterator[Worker]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    w = Worker(context.new_page(), server)
    yield w
    context.close()
    assert w.external == [], f"external requests: {w.external}"
    assert w.errors == [], f"page errors: {w.errors}"


# --- the project's templates -------------------------------------------------------------------


def test_classification_label_and_comment(worker: Worker) -> None:
    page = worker.open_template("classification", sample("classification"))
    assert page.locator("#hitl-model-label").inner_text() == "billing"
    assert page.get_by_role("radio").count() == 5
    page.get_by_role("radio", name="complaint").check()
    page.get_by_label("Comment (optional)").fill("refund request, not a billing error")
    worker.screenshot("classification")
    assert worker.submit() == {
        "label": {"label": "complaint"},
        "comment": "refund request, not a billing error",
    }


def test_classification_needs_a_choice(worker: Worker) -> None:
    page = worker.open_template("classification", sample("classification"))
    worker.submit_refused()
    assert page.get_by_text("Choose a category.").first.is_visible()
    page.get_by_role("radio", name="billing").check()
    assert worker.submit() == {"label": {"label": "billing"}, "comment": ""}


def test_classification_by_keyboard_alone(worker: Worker) -> None:
    page = worker.open_template("classification", sample("classification"))
    page.get_by_role("radio", name="billing").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.get_by_role("button", name="Submit").focus()
    before = page.evaluate("window.__answers.length")
    page.keyboard.press("Enter")
    page.wait_for_function(f"window.__answers.length > {before}")
    assert page.evaluate("window.__answers[0]") == {"label": {"label": "technical"}, "comment": ""}


def test_answer_is_posted_to_the_submit_url(worker: Worker, server: LocalServer) -> None:
    page = worker.open_template(
        "classification",
        sample("classification"),
        prefix='<meta name="csrf-token" content="tok-123"><script>window.crowdSubmitUrl = "/submit";</script>',
    )
    page.evaluate("window.__letThrough = true")
    server.posts.clear()
    page.get_by_role("radio", name="account").check()
    page.get_by_role("button", name="Submit").click()
    page.wait_for_function("window.__submitted.length > 0")
    assert server.posts == [
        {
            "path": "/submit",
            "body": {"answerContent": {"label": {"label": "account"}, "comment": ""}},
            "csrf": "tok-123",
        }
    ]
    assert page.get_by_text("Submitted. Thank you.").is_visible()


def test_a_refused_post_is_shown_to_the_worker(worker: Worker, server: LocalServer) -> None:
    html = render_template(source("classification"), sample("classification"))
    html = html.replace("<crowd-form>", '<crowd-form data-submit-url="/submit-fails">', 1)
    page = worker.open("refused", html)
    page.evaluate("window.__letThrough = true")
    page.get_by_role("radio", name="other").check()
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("already answered").wait_for()
    assert page.evaluate("window.__submitted.length") == 0
    assert page.get_by_role("button", name="Submit").is_enabled()


def test_text_correction_with_visible_diff(worker: Worker) -> None:
    page = worker.open_template("text-correction", sample("text-correction"))
    fixed = "The Berlin Wall fell on 9 November 1989. Germany was reunified on 3 October 1990."
    page.get_by_label("Edit the answer until it is right").fill(fixed)
    diff = page.locator("#hitl-diff")
    assert diff.locator("del").all_inner_texts() == ["in", "1991."]
    assert diff.locator("ins").all_inner_texts() == ["on", "3 October 1990."]
    worker.screenshot("text-correction")
    assert worker.submit() == {"corrected_text": fixed, "unusable": {"on": False}, "comment": ""}


def test_extraction_field_by_field(worker: Worker) -> None:
    page = worker.open_template("extraction", sample("extraction"))
    total = page.get_by_label("Correct value of total")
    assert total.input_value() == "1248.5"
    total.fill("1284.5")
    page.get_by_label("The model got total wrong").check()
    worker.screenshot("extraction")
    assert worker.submit() == {
        "field:invoice_number": "INV-2026-0117",
        "wrong_fields": {"invoice_number": False, "date": False, "total": True, "currency": False},
        "field:date": "2026-11-14",
        "field:total": "1284.5",
        "field:currency": "EUR",
        "comment": "",
    }


def test_comparison_preference(worker: Worker) -> None:
    page = worker.open_template("comparison", sample("comparison"))
    assert "sorted list" in page.locator("#hitl-b").inner_text()
    page.get_by_role("radio", name="A", exact=True).check()
    page.get_by_label("Why? (optional)").fill("B is wrong")
    worker.screenshot("comparison")
    assert worker.submit() == {"preference": {"label": "A"}, "comment": "B is wrong"}


def test_tool_approval_veto_then_reject_with_reason(worker: Worker) -> None:
    page = worker.open_template("tool-approval", sample("tool-approval"))
    worker.submit_refused()
    assert "Choose approve, edit or reject." in page.locator("#hitl-problem").inner_text()
    page.get_by_role("radio", name="Reject the call").check()
    worker.submit_refused()
    assert "Give a reason" in page.locator("#hitl-problem").inner_text()
    page.get_by_label("Reason (required to reject)").fill("amount exceeds policy")
    worker.screenshot("tool-approval")
    answer = worker.submit()
    assert answer["decision"] == {"approve": False, "edit": False, "reject": True}
    assert answer["reason"] == "amount exceeds policy"
    assert json.loads(answer["arguments"]) == sample("tool-approval")["model_output"]["arguments"]


def test_tool_approval_edited_arguments_must_be_json(worker: Worker) -> None:
    page = worker.open_template("tool-approval", sample("tool-approval"))
    page.get_by_role("radio", name="Approve with the arguments edited below").check()
    args = page.get_by_label("Arguments (JSON)")
    args.fill('{"order_id": "8812", "amount": 200')
    worker.submit_refused()
    assert "not valid JSON" in page.locator("#hitl-problem").inner_text()
    args.fill('{"order_id": "8812", "amount": 200.0}')
    assert worker.submit() == {
        "decision": {"approve": False, "edit": True, "reject": False},
        "arguments": '{"order_id": "8812", "amount": 200.0}',
        "reason": "",
    }


# --- untrusted text --------------------------------------------------------------------------


def test_model_output_shows_as_text_and_runs_nothing(worker: Worker) -> None:
    page = worker.open_template("classification", xss_input("classification"))
    stays_false(page, "typeof window.__xss !== 'undefined'", 200)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("#hitl-model-label").inner_text() == XSS + "billing"
    assert page.locator("#hitl-input").inner_text().startswith(XSS)
    # The categories (model-controlled labels) are drawn as text, too.
    label = page.get_by_role("radio", name=XSS + "billing")
    assert label.count() == 1
    label.check()
    worker.screenshot("xss-classification")
    assert worker.submit()["label"] == {"label": XSS + "billing"}
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert not any(url.endswith("/x") for url in worker.requests)


@pytest.mark.parametrize("name", ["text-correction", "extraction", "comparison", "tool-approval"])
def test_other_templates_run_no_model_script(worker: Worker, name: str) -> None:
    page = worker.open_template(name, xss_input(name))
    stays_false(page, "typeof window.__xss !== 'undefined'", 100)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert XSS in page.locator("#hitl-input").inner_text()


def test_attribute_text_is_never_html(worker: Worker) -> None:
    payload = XSS.replace('"', "&quot;")
    page = worker.open(
        "attr-xss",
        SCRIPT
        + f"""
      <crowd-form>
        <crowd-entity-annotation name="e" header="{payload}" text="{payload} Paris"
          labels="[{{label: '{payload.replace("'", "")}', fullDisplayName: 'Place'}}]"></crowd-entity-annotation>
        <crowd-input name="i" label="{payload}" value="{payload}"></crowd-input>
        <crowd-classifier name="c" header="{payload}" categories="['{payload.replace("'", "")}']"></crowd-classifier>
      </crowd-form>""",
    )
    stays_false(page, "typeof window.__xss !== 'undefined'", 200)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert XSS in page.locator("crowd-entity-annotation .text").inner_text()


# --- drawing and selecting -----------------------------------------------------------------


def test_bounding_box_drawn_with_the_mouse(worker: Worker) -> None:
    page = worker.open(
        "bbox",
        SCRIPT
        + """
      <crowd-form>
        <crowd-bounding-box name="annotatedResult" src="/img.png" header="Box every animal"
          labels="['cat', 'dog']">
          <full-instructions header="Bounding box instructions">Draw tight boxes.</full-instructions>
          <short-instructions>Box each animal.</short-instructions>
        </crowd-bounding-box>
      </crowd-form>""",
    )
    overlay = page.locator("crowd-bounding-box svg.overlay")
    page.wait_for_function(
        "document.querySelector('crowd-bounding-box').value.inputImageProperties.width === 400"
    )
    box = overlay.bounding_box()
    assert box is not None and round(box["width"]) == 400
    x, y = box["x"], box["y"]
    page.mouse.move(x + 50, y + 40)
    page.mouse.down()
    page.mouse.move(x + 100, y + 100, steps=4)
    page.mouse.move(x + 150, y + 140, steps=4)
    page.mouse.up()
    page.get_by_role("radio", name="dog").check()
    page.mouse.move(x + 300, y + 250)
    page.mouse.down()
    page.mouse.move(x + 200, y + 100, steps=6)
    page.mouse.up()
    page.mouse.click(x + 10, y + 10)  # a click is not a box
    worker.screenshot("bounding-box")
    assert worker.submit() == {
        "annotatedResult": {
            "boundingBoxes": [
                {"height": 100, "label": "cat", "left": 50, "top": 40, "width": 100},
                {"height": 150, "label": "dog", "left": 200, "top": 100, "width": 100},
            ],
            "inputImageProperties": {"height": 300, "width": 400},
        }
    }


def test_entity_annotation_standalone_by_text_selection(worker: Worker) -> None:
    page = worker.open(
        "ner",
        SCRIPT
        + """
      <crowd-entity-annotation name="crowd-entity-annotation" header="Highlight names"
        labels="[{label: 'person', shortDisplayName: 'per', fullDisplayName: 'Person'},
                 {label: 'location', shortDisplayName: 'loc', fullDisplayName: 'Location'},]"
        text="😀 Ann lives in Paris, France.">
        <full-instructions header="Named entities"><p>People and places.</p></full-instructions>
        <short-instructions><p>Select a span, then pick its type.</p></short-instructions>
      </crowd-entity-annotation>""",
    )
    # No form on the page: the element brings its own, as on A2I.
    assert page.evaluate("document.querySelectorAll('crowd-form').length") == 0
    assert (
        page.evaluate(
            "document.querySelector('crowd-entity-annotation').shadowRoot.querySelector('crowd-form')"
            ".form.localName"
        )
        == "form"
    )
    page.get_by_role("radio", name="Location").check()
    paris = shadow_text_box(page, "crowd-entity-annotation", ".text", "Paris")
    page.mouse.dblclick(paris["x"] + paris["w"] / 2, paris["y"] + paris["h"] / 2)
    page.get_by_role("radio", name="Person").check()
    ann = shadow_text_box(page, "crowd-entity-annotation", ".text", "Ann")
    mid = ann["y"] + ann["h"] / 2
    page.mouse.move(ann["x"] + 1, mid)
    page.mouse.down()
    page.mouse.move(ann["x"] + ann["w"] - 1, mid, steps=5)
    page.mouse.up()
    page.get_by_role("button", name="Remove person entity").wait_for()
    worker.screenshot("entity-annotation")
    # Offsets count Unicode code points, as A2I's do: the emoji is one character.
    assert worker.submit() == {
        "crowd-entity-annotation": {
            "entities": [
                {"endOffset": 5, "label": "person", "startOffset": 2},
                {"endOffset": 20, "label": "location", "startOffset": 15},
            ]
        }
    }


def test_other_drawing_tools(worker: Worker) -> None:
    page = worker.open(
        "drawing",
        SCRIPT
        + """
      <crowd-form>
        <crowd-keypoint name="kp" src="/img.png" labels="['eye']"></crowd-keypoint>
        <crowd-polygon name="poly" src="/img.png" labels="['roof']"></crowd-polygon>
        <crowd-line name="ln" src="/img.png" labels="['lane']"></crowd-line>
        <crowd-polyline name="pl" src="/img.png" labels="['road']"></crowd-polyline>
      </crowd-form>""",
    )
    page.wait_for_function(
        "[...document.querySelectorAll('crowd-keypoint,crowd-polygon,crowd-line,crowd-polyline')]"
        ".every(e => e.value.inputImageProperties.width === 400)"
    )

    def origin(tag: str) -> tuple[float, float]:
        overlay = page.locator(f"{tag} svg.overlay")
        overlay.scroll_into_view_if_needed()
        b = overlay.bounding_box()
        assert b is not None
        return b["x"], b["y"]

    x, y = origin("crowd-keypoint")
    page.mouse.click(x + 20, y + 30)
    x, y = origin("crowd-polygon")
    for px, py in [(10, 10), (110, 10), (110, 90)]:
        page.mouse.click(x + px, y + py)
    page.mouse.click(x + 11, y + 11)  # back on the first vertex: closes the polygon
    x, y = origin("crowd-line")
    page.mouse.move(x + 5, y + 5)
    page.mouse.down()
    page.mouse.move(x + 205, y + 105, steps=5)
    page.mouse.up()
    x, y = origin("crowd-polyline")
    for px, py in [(0, 0), (50, 60), (120, 60)]:
        page.mouse.click(x + px, y + py)
    page.keyboard.press("Enter")
    image = {"height": 300, "width": 400}
    assert worker.submit() == {
        "kp": {"keypoints": [{"label": "eye", "x": 20, "y": 30}], "inputImageProperties": image},
        "poly": {
            "polygons": [
                {
                    "label": "roof",
                    "vertices": [{"x": 10, "y": 10}, {"x": 110, "y": 10}, {"x": 110, "y": 90}],
                }
            ],
            "inputImageProperties": image,
        },
        "ln": {
            "lines": [{"label": "lane", "vertices": [{"x": 5, "y": 5}, {"x": 205, "y": 105}]}],
            "inputImageProperties": image,
        },
        "pl": {
            "polylines": [
                {
                    "label": "road",
                    "vertices": [{"x": 0, "y": 0}, {"x": 50, "y": 60}, {"x": 120, "y": 60}],
                }
            ],
            "inputImageProperties": image,
        },
    }


# --- form controls, attributes and events --------------------------------------------------


def test_form_controls_and_native_inputs(worker: Worker) -> None:
    page = worker.open(
        "controls",
        SCRIPT
        + """
      <crowd-form>
        <crowd-classifier-multi-select name="topics" header="Topics"
          categories="[ 'Sports', /* comment */ 'Politics', // line comment
                        'Tech', ]" exclusion-category="{ text: 'None of these' }"></crowd-classifier-multi-select>
        <crowd-input name="website" label="Website"></crowd-input>
        <crowd-input name="empty" label="Left empty"></crowd-input>
        <div><crowd-checkbox name="image_attributes" value="blurry">Blurry</crowd-checkbox></div>
        <div><crowd-checkbox name="image_attributes" value="dim">Too dim</crowd-checkbox></div>
        <div><crowd-checkbox name="website-found">Website found</crowd-checkbox></div>
        <crowd-radio-group>
          <crowd-radio-button name="yes" value="yes">Yes</crowd-radio-button>
          <crowd-radio-button name="no" value="no">No</crowd-radio-button>
        </crowd-radio-group>
        <crowd-toggle-button name="theToggler" aria-label="Toggle it"></crowd-toggle-button>
        <crowd-slider name="howMuch" min="0" max="10" value="3" label="How much" pin></crowd-slider>
        <crowd-text-area name="notes" label="Notes"></crowd-text-area>
        <input type="hidden" name="instances" value='[{"a": 1}]'>
        <label>Color <select name="color"><option value="">-</option><option>red</option><option>blue</option></select></label>
        <label><input type="radio" name="rating" value="1"> one</label>
        <label><input type="radio" name="rating" value="2"> two</label>
        <label><input type="checkbox" name="agree"> agree</label>
        <textarea name="raw" aria-label="Raw"></textarea>
      </crowd-form>""",
    )
    page.get_by_role("checkbox", name="Politics").check()
    page.get_by_role("checkbox", name="Tech").check()
    page.get_by_label("Website", exact=True).fill("https://example.com")
    page.get_by_role("checkbox", name="Blurry").check()
    page.get_by_role("checkbox", name="Website found").check()
    page.get_by_role("radio", name="Yes").check()
    page.get_by_role("radio", name="Yes").press("ArrowDown")  # keyboard moves the group's choice
    page.get_by_role("switch", name="Toggle it").click()
    page.get_by_role("slider", name="How much").fill("7")
    page.get_by_label("Notes").fill("line 1\nline 2")
    page.get_by_label("Color").select_option("blue")
    page.get_by_role("radio", name="two").check()
    page.get_by_label("Raw").fill("raw text")
    worker.screenshot("controls")
    assert worker.submit() == {
        "topics": {"labels": ["Politics", "Tech"]},
        "website": "https://example.com",
        "image_attributes": {"blurry": True, "dim": False},
        "website-found": {"on": True},
        "yes": {"yes": False},
        "no": {"no": True},
        "theToggler": {"on": True},
        "howMuch": 7,
        "notes": "line 1\nline 2",
        "instances": '[{"a": 1}]',
        "color": "blue",
        "rating": {"1": False, "2": True},
        "agree": {"on": False},
        "raw": "raw text",
    }
    page.get_by_role("checkbox", name="None of these").check()
    assert worker.submit()["topics"] == {"labels": []}


def test_required_fields_block_submission(worker: Worker) -> None:
    page = worker.open(
        "required",
        SCRIPT
        + """
      <crowd-form>
        <crowd-input name="who" label="Who" required></crowd-input>
        <crowd-checkbox name="ok" required>I checked</crowd-checkbox>
      </crowd-form>""",
    )
    worker.submit_refused()
    assert page.get_by_text("This field is required.").is_visible()
    page.get_by_label("Who").fill("me")
    worker.submit_refused()
    page.get_by_role("checkbox", name="I checked").check()
    assert worker.submit() == {"who": "me", "ok": {"on": True}}


def test_onsubmit_veto_own_button_and_ready_event(worker: Worker) -> None:
    page = worker.open(
        "veto",
        SCRIPT
        + """
      <crowd-form>
        <crowd-input name="n" label="N"></crowd-input>
        <crowd-button form-action="submit" variant="primary">Send it</crowd-button>
      </crowd-form>
      <script>
        window.__vetoes = 0;
        document.addEventListener('all-crowd-elements-ready', () => {
          window.__readyAt = document.querySelectorAll('crowd-input').length;
          document.querySelector('crowd-form').onsubmit = (e) => {
            if (document.querySelector('crowd-input').value !== 'ok') { window.__vetoes++; e.preventDefault(); }
          };
        });
      </script>""",
    )
    assert page.evaluate("window.__readyAt") == 1
    # The form has its own submit button, so it adds none.
    assert page.get_by_role("button", name="Submit").count() == 0
    send = page.get_by_role("button", name="Send it")
    send.click()
    stays_false(page, "window.__answers.length > 0", 100)
    assert page.evaluate("[window.__vetoes, window.__answers.length]") == [1, 0]
    page.get_by_label("N").fill("ok")
    send.click()
    page.wait_for_function("window.__answers.length === 1")
    assert page.evaluate("window.__answers[0]") == {"n": "ok"}


def test_image_classifier_and_built_in_task_elements(worker: Worker) -> None:
    blocks = [
        {
            "blockType": "KEY_VALUE_SET",
            "id": "k1",
            "entityTypes": ["KEY"],
            "relationships": [{"type": "VALUE", "ids": ["v1"]}, {"type": "CHILD", "ids": ["w1"]}],
        },
        {
            "blockType": "KEY_VALUE_SET",
            "id": "v1",
            "entityTypes": ["VALUE"],
            "relationships": [{"type": "CHILD", "ids": ["w2"]}],
        },
        {"blockType": "WORD", "id": "w1", "text": "Name:"},
        {"blockType": "WORD", "id": "w2", "text": "Jane"},
    ]
    template = (
        SCRIPT
        + """
      <crowd-form>
        <crowd-image-classifier name="animal" src="/img.png" header="What is it?"
          categories="['cat', 'dog']"></crowd-image-classifier>
        <crowd-textract-analyze-document src="/img.png" header="Review the pairs"
          initial-value="{{ task.input.selectedAiServiceResponse.blocks }}" no-key-edit
          keys="{{ task.input.humanLoopContext.importantFormKeys }}" block-types="['KEY_VALUE_SET']">
        </crowd-textract-analyze-document>
        <crowd-rekognition-detect-moderation-labels src="/img.png" header="Moderate"
          categories='[{% for l in task.input.selectedAiServiceResponse.moderationLabels %}
            { name: "{{ l.name }}", parentName: "{{ l.parentName }}", },{% endfor %}]'>
        </crowd-rekognition-detect-moderation-labels>
      </crowd-form>"""
    )
    task_input = {
        "selectedAiServiceResponse": {
            "blocks": blocks,
            "moderationLabels": [
                {"name": "Weapons", "parentName": "Violence"},
                {"name": "Smoking", "parentName": "Tobacco"},
            ],
        },
        "humanLoopContext": {"importantFormKeys": ["Name:"]},
    }
    page = worker.open("builtins", render_template(template, task_input))
    page.get_by_role("radio", name="dog").check()
    value = page.get_by_role("textbox", name="Value of Name:")
    assert value.input_value() == "Jane"
    value.fill("Jane Doe")
    assert page.get_by_role("textbox", name="Key").first.get_attribute("readonly") is not None
    page.get_by_role("checkbox", name="Weapons").check()
    worker.screenshot("built-in-elements")
    assert worker.submit() == {
        "animal": {"label": "dog"},
        "AWS/Textract/AnalyzeDocument/Forms/V1": {
            "blocks": [
                {
                    "blockType": "KEY_VALUE_SET",
                    "entityTypes": ["KEY"],
                    "id": "k1",
                    "relationships": [{"type": "VALUE", "ids": ["v1"]}],
                    "text": "Name:",
                },
                {
                    "blockType": "KEY_VALUE_SET",
                    "entityTypes": ["VALUE"],
                    "id": "v1",
                    "relationships": [],
                    "text": "Jane Doe",
                },
            ]
        },
        "AWS/Rekognition/DetectModerationLabels/Image/V3": {
            "moderationLabels": [{"name": "Weapons", "parentName": "Violence"}]
        },
    }


def test_literal_parser(worker: Worker) -> None:
    page = worker.open("parser", SCRIPT + "<p>parser</p>")
    cases = {
        "['Positive', 'Negative']": ["Positive", "Negative"],
        "[{ name: \"a\", parentName: 'b', }, ]": [{"name": "a", "parentName": "b"}],
        "{ lines: [ { label: 'x', // c\n vertices: [{x: 1, y: -2.5e1}] } ] }": {
            "lines": [{"label": "x", "vertices": [{"x": 1, "y": -25}]}]
        },
        '"it\\u0027s"': "it's",
        "[true, false, null, 0x1F]": [True, False, None, 31],
    }
    for text, expected in cases.items():
        assert page.evaluate("(t) => window.crowdElements.parseLiteral(t)", text) == expected
    for bad in ["alert(1)", "[1, 2", "{a: window}", "'open", "[1] junk", "__proto__"]:
        assert (
            page.evaluate(
                "(t) => { try { window.crowdElements.parseLiteral(t); return 'parsed'; }"
                " catch (e) { return e.name; } }",
                bad,
            )
            == "SyntaxError"
        )
    polluted = page.evaluate(
        '() => { window.crowdElements.parseLiteral(\'{"__proto__": {"x": 1}}\'); return ({}).x; }'
    )
    assert polluted is None
