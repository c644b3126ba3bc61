"""AWS's A2I sample notebooks, as their code runs them, against the review service: real boto3
clients create the task UI and the flow definition, start the human loop with the notebook's
input, a worker answers with what the notebook's template submits, and ``output.json`` is
checked field by field against the layout in AWS's "Amazon A2I output data" documentation and
AWS's real built-in output files (Textract and Rekognition: the AI service's request and response
at the top level). Then the project's own parser reads it back without losing a field.

The templates are short stand-ins written here with the notebooks' elements, names and inputs
(``crowd-classifier`` ``sentiment`` with ``initial-value``, ``crowd-classifier-multi-select``
``category``, Translate's ``translationPairs`` loop, the tabular ``skip_autoescape`` table,
Fraud Detector's ``category``, Transcribe's ``grant_read_access`` video, the object-detection
``crowd-bounding-box``), plus the two built-in task templates.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from hitl_agent.review.a2i import parse_output, task_input_of
from hitl_agent.review.builtin import parse_task_output
from tests.helpers.aws_responses import (
    INTAKE,
    REKOGNITION_CONDITIONS,
    SWIMWEAR,
    TEXTRACT_CONDITIONS,
)
from tests.helpers.service import ROLE, create_flow, unique, wait_status

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
TEAM = "notebooks"

CUSTOM: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "comprehend-sentiment": (
        '<crowd-form><crowd-classifier name="sentiment" categories="[\'POSITIVE\', \'NEGATIVE\','
        ' \'NEUTRAL\', \'MIXED\']" initial-value="{{ task.input.initialValue }}" header="What '
        'sentiment does this text convey?"><classification-target>{{ task.input.taskObject }}'
        "</classification-target></crowd-classifier></crowd-form>",
        {"initialValue": "NEUTRAL", "taskObject": "The food was fine, the wait was long."},
        {"sentiment": {"label": "MIXED"}},
    ),
    "comprehend-custom-classification": (
        '<crowd-form><crowd-classifier-multi-select name="category" categories="[\'action\', '
        "'drama', 'comedy']\" header=\"Pick the genres\"><classification-target>"
        "{{ task.input.taskObject }}</classification-target></crowd-classifier-multi-select>"
        "</crowd-form>",
        {"taskObject": "A detective chases a clown across Paris."},
        {"category": {"labels": ["action", "comedy"]}},
    ),
    "translate": (
        "<crowd-form>{% for pair in task.input.translationPairs %}<p>{{ pair.originalText }}</p>"
        '<crowd-text-area name="translation{{ forloop.index }}" value="{{ pair.translation }}">'
        '</crowd-text-area><input type="radio" name="rating{{ forloop.index }}" value="good">'
        "{% endfor %}</crowd-form>",
        {"sourceLanguage": "en", "targetLanguage": "es", "translationPairs": [
            {"originalText": "Good morning", "translation": "Buenos dias"},
            {"originalText": "See you", "translation": "Nos vemos"}]},
        {"translation1": "Buenos días", "rating1": {"good": True},
         "translation2": "Nos vemos", "rating2": {"good": True}},
    ),
    "tabular": (
        "<crowd-form>{{ task.input.table | skip_autoescape }}{% for pair in task.input.Pairs %}"
        '<crowd-radio-button name="predicted{{ forloop.index }}" value="{{ pair.prediction }}">'
        "</crowd-radio-button>{% endfor %}</crowd-form>",
        {"table": "<table><tr><td>5.1</td><td>3.5</td></tr></table>",
         "Pairs": [{"row": 1, "prediction": 0}, {"row": 2, "prediction": 1}]},
        {"predicted1": {"0": True}, "predicted2": {"1": False}},
    ),
    "fraud-detector": (
        '<crowd-form><crowd-classifier name="category" categories="[\'Legitimate\', '
        "'Fraudulent', 'Needs further review']\" header=\"Is this fraud?\">"
        "<classification-target>{{ task.input.taskObject | to_json }}</classification-target>"
        "</crowd-classifier></crowd-form>",
        {"taskObject": {"ip_address": "46.41.252.160", "email_address": "fake@example.com"}},
        {"category": {"label": "Needs further review"}},
    ),
    "transcribe-video": (
        '<crowd-form><video src="{{ task.input.filePath | grant_read_access }}"></video>'
        '<crowd-text-area name="transcription" value="{{ task.input.original_words }}">'
        "</crowd-text-area></crowd-form>",
        {"filePath": "s3://bucket/a2i/video.mp4", "original_words": "use lamda to turn",
         "start_time": 948.51, "end_time": 950.27},
        {"transcription": "use lambda to turn"},
    ),
    "object-detection": (
        '<crowd-form><crowd-bounding-box name="annotatedResult" src="{{ task.input.taskObject'
        ' | grant_read_access }}" labels="[\'bird\']" header="Draw a box around each bird">'
        "</crowd-bounding-box></crowd-form>",
        {"taskObject": "s3://bucket/images/bird.jpg"},
        {"annotatedResult": {"boundingBoxes": [
            {"height": 120, "label": "bird", "left": 30, "top": 40, "width": 90}],
            "inputImageProperties": {"height": 480, "width": 640}}},
    ),
}


@pytest.fixture(scope="module")
def clients(review_service: Any) -> tuple[Any, Any]:
    return review_service.client("sagemaker"), review_service.client("sagemaker-a2i-runtime")


def _flow(sm: Any, review_service: Any, template: str, **extra: Any) -> str:
    return create_flow(sm, output=str(review_service.data / "notebook-outputs"),
                       template=template, team=TEAM,
                       description="As the AWS sample notebook", **extra)


def _run(review_service: Any, add_worker: Any, flow: str, content: dict[str, Any],
         answer: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    _, rt = review_service.client("sagemaker"), review_service.client("sagemaker-a2i-runtime")
    loop = unique("loop")
    rt.start_human_loop(HumanLoopName=loop, FlowDefinitionArn=flow,
                        HumanLoopInput={"InputContent": json.dumps(content)})
    described = rt.describe_human_loop(HumanLoopName=loop)
    uri = described["HumanLoopOutput"]["OutputS3Uri"]  # known while InProgress, as on AWS
    worker = add_worker(TEAM)
    assert worker.claim(loop).status_code == 200
    got = worker.answer(loop, answer)
    assert got.status_code == 200, got.text
    assert wait_status(rt, loop, "Completed")["HumanLoopOutput"]["OutputS3Uri"] == uri
    flow_name = flow.rsplit("/", 1)[1]
    created = described["CreationTime"].strftime("%Y/%m/%d/%H/%M/%S")
    assert uri.endswith(f"/{flow_name}/{created}/{loop}/output.json")
    return loop, json.loads(Path(uri).read_text())


def _check_answer(entry: dict[str, Any], answer: dict[str, Any]) -> None:
    """One ``humanAnswers`` entry, as "Track Worker Activity" documents it (private workforce)."""
    assert set(entry) == {"acceptanceTime", "answerContent", "submissionTime",
                          "timeSpentInSeconds", "workerId", "workerMetadata"}
    assert entry["answerContent"] == answer
    assert TIME.fullmatch(entry["acceptanceTime"]) and TIME.fullmatch(entry["submissionTime"])
    assert entry["acceptanceTime"] <= entry["submissionTime"]
    assert isinstance(entry["timeSpentInSeconds"], float | int)
    assert entry["timeSpentInSeconds"] >= 0
    assert re.fullmatch(r"[0-9a-f]{16}", entry["workerId"])
    identity = entry["workerMetadata"]["identityData"]
    assert set(identity) == {"identityProviderType", "issuer", "sub"}
    assert identity["identityProviderType"] in ("Cognito", "Oidc")


@pytest.mark.parametrize("notebook", sorted(CUSTOM))
def test_custom_task_notebook(review_service: Any, add_worker: Any, clients: Any,
                              notebook: str) -> None:
    sm, _ = clients
    template, content, answer = CUSTOM[notebook]
    rendered = sm.render_ui_template(UiTemplate={"Content": template}, RoleArn=ROLE,
                                     Task={"Input": json.dumps(content)})
    assert rendered["Errors"] == [] and "s3://" not in rendered["RenderedContent"]
    flow = _flow(sm, review_service, template)
    loop, doc = _run(review_service, add_worker, flow, content, answer)
    assert list(doc) == ["flowDefinitionArn", "humanAnswers", "humanLoopName", "inputContent"]
    assert doc["flowDefinitionArn"] == flow and doc["humanLoopName"] == loop
    assert doc["inputContent"] == content  # the parsed object, not a string
    assert len(doc["humanAnswers"]) == 1
    _check_answer(doc["humanAnswers"][0], answer)
    outcome = parse_output(doc)
    assert outcome.answers[0].answer_content == answer
    assert outcome.answers[0].worker_metadata == doc["humanAnswers"][0]["workerMetadata"]


BUILTIN = {
    "textract": ("AWS/Textract/AnalyzeDocument/Forms/V1", "textract-forms.liquid.html",
                 TEXTRACT_CONDITIONS),
    "rekognition": ("AWS/Rekognition/DetectModerationLabels/Image/V3",
                    "rekognition-moderation.liquid.html", REKOGNITION_CONDITIONS),
}


def _builtin_input(source: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The built-in input (lowerCamel, as A2I writes it) and the reviewer's answer."""
    from hitl_agent.models.rekognition import RekognitionModeration
    from hitl_agent.models.textract import TextractForms
    from hitl_agent.policy.builtin_loop import BuiltinLoopPolicy
    from hitl_agent.types import Uncertainty

    if source.startswith("AWS/Textract"):
        from tests.helpers.aws_responses import textract_form
        model: Any = TextractForms(object())
        response = textract_form(INTAKE)
        conditions = TEXTRACT_CONDITIONS
    else:
        from tests.helpers.aws_responses import moderation
        model = RekognitionModeration(object())
        response = moderation(SWIMWEAR)
        conditions = REKOGNITION_CONDITIONS
    request = model.request_for("s3://bucket/doc.png")
    prediction = model.to_prediction(request, response, latency_ms=1.0, human_loop=None)
    decision = BuiltinLoopPolicy(conditions).decide(
        "item-1", Uncertainty(confidence=0.5, scorer="service"), prediction)
    content = dict(decision.details["a2i_input"])
    selected = content["selectedAiServiceResponse"]
    if source.startswith("AWS/Textract"):
        answer = {source: {"blocks": selected["blocks"]}}
    else:
        answer = {source: {"moderationLabels": [
            {"name": lab["name"], "parentName": lab.get("parentName", "")}
            for lab in selected["moderationLabels"][:1]]}}
    return content, answer


@pytest.mark.parametrize("kind", sorted(BUILTIN))
def test_builtin_task_notebook(review_service: Any, add_worker: Any, clients: Any,
                               kind: str) -> None:
    sm, _ = clients
    source, template, conditions = BUILTIN[kind]
    content, answer = _builtin_input(source)
    flow = _flow(sm, review_service, (ROOT / "templates" / "aws" / template).read_text(),
                 HumanLoopRequestSource={"AwsManagedHumanLoopRequestSource": source},
                 HumanLoopActivationConfig={"HumanLoopActivationConditionsConfig": {
                     "HumanLoopActivationConditions": json.dumps(conditions)}})
    loop, doc = _run(review_service, add_worker, flow, content, answer)
    aws_keys = ["aiServiceRequest", "aiServiceResponse", "awsManagedHumanLoopRequestSource",
                "flowDefinitionArn", "humanAnswers", "humanLoopName",
                "humanTaskActivationConditionResults", "selectedAiServiceResponse"]
    assert [k for k in doc if k in aws_keys] == aws_keys  # AWS's keys, in AWS's order
    assert set(doc) - set(aws_keys) <= {"humanLoopContext"}  # the templates' extra context
    assert "inputContent" not in doc
    assert doc["awsManagedHumanLoopRequestSource"] == source
    for key in ("aiServiceRequest", "aiServiceResponse", "humanTaskActivationConditionResults",
                "selectedAiServiceResponse"):
        assert doc[key] == content[key], key
    assert doc["flowDefinitionArn"] == flow and doc["humanLoopName"] == loop
    results = doc["humanTaskActivationConditionResults"]["Conditions"]
    assert all("EvaluationResult" in c for c in results)
    _check_answer(doc["humanAnswers"][0], answer)
    # the project's parser reads this layout and the documented (inputContent) one alike
    nested = {k: v for k, v in doc.items() if k in ("awsManagedHumanLoopRequestSource",
                                                    "flowDefinitionArn", "humanAnswers",
                                                    "humanLoopName")}
    nested["inputContent"] = {k: v for k, v in doc.items() if k not in nested}
    assert task_input_of(doc) == task_input_of(nested) == content
    flat, documented = parse_task_output(doc), parse_task_output(nested)
    assert flat.final_output == documented.final_output and flat.action == documented.action
    assert flat.answers[0].answer_content == answer


@pytest.mark.parametrize(("notebook", "wrong", "member"), [
    ("comprehend-sentiment", {"sentiment": {"label": "ANGRY"}}, "answerContent.sentiment.label"),
    ("comprehend-custom-classification", {"category": {"labels": ["action", "horror"]}},
     "answerContent.category.labels"),
    ("fraud-detector", {"category": {"label": ["Legitimate"]}}, "answerContent.category.label"),
])
def test_answers_outside_the_choices_are_refused(
        review_service: Any, add_worker: Any, clients: Any, notebook: str,
        wrong: dict[str, Any], member: str) -> None:
    sm, rt = clients
    template, content, answer = CUSTOM[notebook]
    flow = _flow(sm, review_service, template)
    loop = unique("loop")
    rt.start_human_loop(HumanLoopName=loop, FlowDefinitionArn=flow,
                        HumanLoopInput={"InputContent": json.dumps(content)})
    worker = add_worker(TEAM)
    refused = worker.answer(loop, wrong)
    assert refused.status_code == 400, refused.text
    body = refused.json()
    assert body["__type"] == "ValidationException" and member in body["message"]
    assert worker.answer(loop, answer).status_code == 200  # the refusal recorded nothing
