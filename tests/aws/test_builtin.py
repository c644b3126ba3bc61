"""Textract and Rekognition built-in task types against AWS's contract: botocore's Stubber checks
every request and response against the service models; activation conditions evaluated locally
as A2I documents them; A2I's built-in input and answer shapes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from botocore.stub import ANY, Stubber

from hitl_agent.models.aws import AwsHumanLoop
from hitl_agent.models.rekognition import RekognitionModeration
from hitl_agent.models.textract import TextractForms
from hitl_agent.policy.builtin_loop import BuiltinLoopPolicy
from hitl_agent.review.builtin import (
    REKOGNITION_SOURCE,
    TEXTRACT_SOURCE,
    BuiltinReviews,
    parse_task_output,
)
from hitl_agent.types import Decision, Prediction, ReviewRequest
from hitl_agent.uncertainty.service_confidence import ServiceConfidenceScorer
from tests.helpers.aws_responses import (
    FLOW_ARN,
    INTAKE,
    REKOGNITION_CONDITIONS,
    SWIMWEAR,
    TEXTRACT_CONDITIONS,
    aws_loop_output,
    moderation,
    textract_form,
    textract_lines_only,
)

DOC = "s3://intake-forms/2026/11/form-0042.png"
IMAGE = "s3://uploads/avatars/u-81.jpg"
SCORER = ServiceConfidenceScorer()


def analyze(client: Any, response: dict[str, Any], *, human_loop: AwsHumanLoop | None = None,
            document: str = DOC) -> Prediction:
    model = TextractForms(client, human_loop=human_loop)
    expected: dict[str, Any] = {
        "Document": {"S3Object": {"Bucket": "intake-forms", "Name": "2026/11/form-0042.png"}},
        "FeatureTypes": ["FORMS"]}
    if human_loop is not None:
        expected["HumanLoopConfig"] = {"HumanLoopName": ANY, "FlowDefinitionArn": FLOW_ARN}
    with Stubber(client) as stub:
        stub.add_response("analyze_document", response, expected)
        prediction = model.predict(document)
        stub.assert_no_pending_responses()
    return prediction


def detect(client: Any, response: dict[str, Any], **kwargs: Any) -> Prediction:
    model = RekognitionModeration(client, **kwargs)
    with Stubber(client) as stub:
        stub.add_response("detect_moderation_labels", response,
                          {"Image": {"S3Object": {"Bucket": "uploads", "Name": "avatars/u-81.jpg"}},
                           **({"HumanLoopConfig": ANY} if "human_loop" in kwargs else {}),
                           **({"MinConfidence": kwargs["min_confidence"]}
                              if "min_confidence" in kwargs else {})})
        return model.predict(IMAGE)


def test_textract_forms_prediction(client: Any) -> None:
    p = analyze(client("textract"), textract_form(INTAKE))
    assert p.output == {"fields": {"Full Name:": "Jane Doe", "Date of birth:": "09/26/1980",
                                   "Phone Number:": "555-0100"}}
    assert p.metadata["confidence"] == 0.58
    assert SCORER(p).components["Date of birth:"] == 0.58
    blocks = p.metadata["ai_service_response"]["blocks"]
    assert {"blockType", "geometry", "id", "relationships", "entityTypes"} <= set(blocks[-1])
    assert p.metadata["ai_service_request"]["document"] == {
        "s3Object": {"bucket": "intake-forms", "name": "2026/11/form-0042.png"}}
    assert p.model_version == "1.0"


def test_textract_local_activation_and_builtin_input(client: Any) -> None:
    p = analyze(client("textract"), textract_form(INTAKE))
    decision = BuiltinLoopPolicy(TEXTRACT_CONDITIONS).decide("form-42", SCORER(p), p)
    assert (decision.action, decision.reason, decision.propensity) == ("escalate", "rule", 1.0)
    content = decision.details["a2i_input"]
    assert set(content) == {"aiServiceRequest", "aiServiceResponse",
                            "humanTaskActivationConditionResults", "selectedAiServiceResponse",
                            "humanLoopContext"}
    tree = content["humanTaskActivationConditionResults"]["Conditions"]
    assert [c["EvaluationResult"] for c in tree] == [True, True]  # low DOB, no mailing address
    selected = content["selectedAiServiceResponse"]["blocks"]
    kinds = sorted((b["blockType"], tuple(b.get("entityTypes", []))) for b in selected)
    assert kinds == [("KEY_VALUE_SET", ("KEY",)), ("KEY_VALUE_SET", ("VALUE",)),
                     ("WORD", ()), ("WORD", ()), ("WORD", ()), ("WORD", ())]
    assert {b.get("text") for b in selected if b["blockType"] == "WORD"} == {
        "Date", "of", "birth:", "09/26/1980"}
    assert content["humanLoopContext"] == {"importantFormKeys": ["Date of birth",
                                                                 "Mailing Address"]}
    # the backend names this flow and loop in aiServiceRequest.humanLoopConfig
    reviews = BuiltinReviews(FLOW_ARN, runtime_client=client("sagemaker-a2i-runtime"))
    sent = reviews.input_content(_request(p, decision))
    assert sent["aiServiceRequest"]["humanLoopConfig"] == {
        "flowDefinitionArn": FLOW_ARN, "humanLoopName": "hitl-form-42"}


def test_textract_without_key_value_sets_is_missing_key_not_a_crash(client: Any) -> None:
    p = analyze(client("textract"), textract_lines_only())
    assert p.output == {"fields": {}}
    assert SCORER(p).confidence == 0.0
    decision = BuiltinLoopPolicy(TEXTRACT_CONDITIONS).decide("letter-1", SCORER(p), p)
    tree = decision.details["humanTaskActivationConditionResults"]["Conditions"]
    assert [c["ConditionType"] for c in tree if c["EvaluationResult"]] == [
        "MissingImportantFormKey"]
    assert decision.action == "escalate"
    # A2I sends such a form with no predicted pairs
    assert decision.details["a2i_input"]["selectedAiServiceResponse"] == {"blocks": []}


def test_sampling_selects_the_whole_response(client: Any) -> None:
    p = analyze(client("textract"), textract_form(INTAKE[:1]))
    sampling = {"Conditions": [{"ConditionType": "Sampling",
                                "ConditionParameters": {"RandomSamplingPercentage": 100}}]}
    decision = BuiltinLoopPolicy(sampling).decide("form-1", SCORER(p), p)
    assert (decision.action, decision.reason) == ("escalate", "audit")
    content = decision.details["a2i_input"]
    assert content["selectedAiServiceResponse"] == content["aiServiceResponse"]


def test_no_conditions_sends_everything_to_people(client: Any) -> None:
    p = detect(client("rekognition"), moderation([]))
    decision = BuiltinLoopPolicy().decide("img-0", SCORER(p), p)
    assert decision.action == "escalate"


def test_textract_on_aws_passes_human_loop_config_and_reads_activation(client: Any) -> None:
    results = {"Conditions": [dict(TEXTRACT_CONDITIONS["Conditions"][0], EvaluationResult=True)]}
    loop = AwsHumanLoop(FLOW_ARN, content_classifiers=["FreeOfPersonallyIdentifiableInformation"])
    name = loop.name_for(DOC)
    textract = client("textract")
    model = TextractForms(textract, human_loop=loop)
    with Stubber(textract) as stub:
        stub.add_response("analyze_document",
                          textract_form(INTAKE, human_loop=aws_loop_output(name, results)),
                          {"Document": ANY, "FeatureTypes": ["FORMS"],
                           "HumanLoopConfig": {"HumanLoopName": name,
                                               "FlowDefinitionArn": FLOW_ARN,
                                               "DataAttributes": {"ContentClassifiers": [
                                                   "FreeOfPersonallyIdentifiableInformation"]}}})
        p = model.predict(DOC)
    assert p.metadata["human_loop"]["HumanLoopArn"].endswith(f"human-loop/{name}")
    decision = BuiltinLoopPolicy().decide("form-42", SCORER(p), p)
    assert (decision.action, decision.reason) == ("escalate", "rule")
    assert decision.details["human_loop"]["HumanLoopName"] == name

    # the review follows the loop AWS started: nothing is started again
    runtime = client("sagemaker-a2i-runtime")
    reviews = BuiltinReviews(FLOW_ARN, runtime_client=runtime)
    request = _request(p, decision)
    with Stubber(runtime) as stub:
        assert reviews.start(request) == request.review_id
        stub.add_response("describe_human_loop", {
            "CreationTime": datetime(2026, 11, 21, tzinfo=UTC), "HumanLoopStatus": "InProgress",
            "HumanLoopName": name, "HumanLoopArn": f"arn:aws:sagemaker:us-east-1:123456789012:"
            f"human-loop/{name}", "FlowDefinitionArn": FLOW_ARN}, {"HumanLoopName": name})
        assert reviews.status(request.review_id).state == "pending"
        stub.assert_no_pending_responses()

    # AWS did not start one: accepted
    with Stubber(textract) as stub:
        stub.add_response("analyze_document", textract_form(INTAKE[:1]), None)
        quiet = model.predict(DOC)
    assert BuiltinLoopPolicy().decide("f", SCORER(quiet), quiet).action == "accept"


def test_moderation_prediction_and_local_activation(client: Any) -> None:
    p = detect(client("rekognition"), moderation(SWIMWEAR))
    assert p.output == {"moderationLabels": [
        {"name": "Female Swimwear or Underwear", "parentName": "Swimwear or Underwear"},
        {"name": "Suggestive", "parentName": ""},
        {"name": "Swimwear or Underwear", "parentName": ""}]}
    assert p.probabilities is not None and abs(p.probabilities["unsafe"] - 0.713) < 1e-9
    assert p.metadata["ai_service_response"]["moderationLabels"][1]["parentName"] == (
        "Swimwear or Underwear")
    decision = BuiltinLoopPolicy(REKOGNITION_CONDITIONS).decide("img-81", SCORER(p), p)
    assert decision.action == "escalate"
    selected = decision.details["a2i_input"]["selectedAiServiceResponse"]
    assert [lab["name"] for lab in selected["moderationLabels"]] == [
        "Swimwear or Underwear", "Female Swimwear or Underwear", "Suggestive"]
    assert selected["moderationModelVersion"] == "7.0"


def test_moderation_without_labels_checks_nothing_not_a_crash(client: Any) -> None:
    p = detect(client("rekognition"), moderation([]), min_confidence=60)
    assert p.output == {"moderationLabels": []}
    assert p.probabilities == {"unsafe": 0.0, "safe": 1.0}
    decision = BuiltinLoopPolicy(REKOGNITION_CONDITIONS).decide("img-0", SCORER(p), p)
    assert decision.action == "accept"
    tree = decision.details["humanTaskActivationConditionResults"]["Conditions"]
    assert tree[0]["EvaluationResult"] is False


def test_rekognition_on_aws(client: Any) -> None:
    loop = AwsHumanLoop(FLOW_ARN, loop_name=lambda uri: "avatar-u-81")
    results = {"Conditions": [{"ConditionType": "Sampling", "ConditionParameters": {
        "RandomSamplingPercentage": 5}, "EvaluationResult": True}]}
    p = detect(client("rekognition"), moderation(SWIMWEAR, aws_loop_output("avatar-u-81", results)),
               human_loop=loop)
    decision = BuiltinLoopPolicy().decide("img-81", SCORER(p), p)
    assert (decision.action, decision.reason, decision.propensity) == ("escalate", "audit", 0.05)


# --- answers ------------------------------------------------------------------------------------


def _request(p: Prediction, decision: Decision, review: str = "hitl-form-42") -> ReviewRequest:
    return ReviewRequest(review_id=review, thread_id="t", task="forms", input=DOC,
                         model_output=p.output, uncertainty=SCORER(p), decision=decision,
                         deadline=datetime(2026, 12, 1, tzinfo=UTC))


def _output(content: dict[str, Any], source: str, answers: list[dict[str, Any]]) -> dict[str, Any]:
    return {"flowDefinitionArn": FLOW_ARN, "humanLoopName": "hitl-form-42",
            "awsManagedHumanLoopRequestSource": source, "inputContent": content,
            "humanAnswers": [{"answerContent": a, "workerId": f"w{i}",
                              "submissionTime": f"2026-11-21T10:0{i}:00.000Z"}
                             for i, a in enumerate(answers)]}


def test_textract_answers_become_corrected_fields(client: Any) -> None:
    p = analyze(client("textract"), textract_form(INTAKE))
    decision = BuiltinLoopPolicy(TEXTRACT_CONDITIONS).decide("form-42", SCORER(p), p)
    content = decision.details["a2i_input"]
    shown = content["selectedAiServiceResponse"]["blocks"]
    key = next(b for b in shown if "KEY" in b.get("entityTypes", []))
    value = next(b for b in shown if "VALUE" in b.get("entityTypes", []))

    # A2I's own answer shape: KEY_VALUE_SET blocks whose text is in child WORD blocks
    a2i_answer = {TEXTRACT_SOURCE: {"blocks": [
        {**key, "relationships": [{"type": "VALUE", "ids": [value["id"]]},
                                  {"type": "CHILD", "ids": ["kw1", "kw2", "kw3"]}]},
        {**value, "relationships": [{"type": "CHILD", "ids": ["vw1"]}]},
        {"blockType": "WORD", "id": "kw1", "text": "Date"},
        {"blockType": "WORD", "id": "kw2", "text": "of"},
        {"blockType": "WORD", "id": "kw3", "text": "birth:"},
        {"blockType": "WORD", "id": "vw1", "text": "09/28/1980"}]}}
    # the local crowd element's shape (text on the blocks), plus a pair the reviewer added
    local_answer = {TEXTRACT_SOURCE: {"blocks": [
        {"blockType": "KEY_VALUE_SET", "entityTypes": ["KEY"], "id": key["id"],
         "relationships": [{"type": "VALUE", "ids": [value["id"]]}], "text": "Date of birth:"},
        {"blockType": "KEY_VALUE_SET", "entityTypes": ["VALUE"], "id": value["id"],
         "relationships": [], "text": "09/28/1980"},
        {"blockType": "KEY_VALUE_SET", "entityTypes": ["KEY"], "id": "new-key-1",
         "relationships": [{"type": "VALUE", "ids": ["new-key-1-value"]}],
         "text": "Mailing Address"},
        {"blockType": "KEY_VALUE_SET", "entityTypes": ["VALUE"], "id": "new-key-1-value",
         "relationships": [], "text": "12 Elm St, Springfield"}]}}

    out = parse_task_output(_output(content, TEXTRACT_SOURCE, [a2i_answer]))
    assert out.action == "edit"
    assert out.final_output == {"fields": {**p.output["fields"], "Date of birth:": "09/28/1980"}}
    assert out.answers[0].answer_content == a2i_answer

    out = parse_task_output(_output(content, TEXTRACT_SOURCE, [local_answer]))
    assert out.final_output["fields"]["Mailing Address"] == "12 Elm St, Springfield"

    unchanged = {TEXTRACT_SOURCE: {"blocks": [
        {**key, "text": "Date of birth:"}, {**value, "text": "09/26/1980"}]}}
    out = parse_task_output(_output(content, TEXTRACT_SOURCE, [unchanged]))
    assert (out.action, out.final_output) == ("accept", p.output)

    # not a key-value pair: the reviewer removed it
    removed: dict[str, Any] = {TEXTRACT_SOURCE: {"blocks": []}}
    out = parse_task_output(_output(content, TEXTRACT_SOURCE, [removed, removed, unchanged]))
    assert "Date of birth:" not in out.final_output["fields"]
    assert out.agreement is not None and abs(out.agreement - 2 / 3) < 1e-9


def test_moderation_answers_become_labels(client: Any) -> None:
    p = detect(client("rekognition"), moderation(SWIMWEAR + [("Violence", "", 97.0, 1)]))
    decision = BuiltinLoopPolicy(REKOGNITION_CONDITIONS).decide("img-81", SCORER(p), p)
    content = json.loads(json.dumps(decision.details["a2i_input"]))
    chosen = {REKOGNITION_SOURCE: {"moderationLabels": [
        {"name": "Swimwear or Underwear", "parentName": ""}]}}
    out = parse_task_output(_output(content, REKOGNITION_SOURCE, [chosen]))
    assert out.action == "edit"
    # Violence (97 %) was not shown to the reviewer and is kept
    assert out.final_output == {"moderationLabels": [
        {"name": "Swimwear or Underwear", "parentName": ""},
        {"name": "Violence", "parentName": ""}]}
    everything = {REKOGNITION_SOURCE: {"moderationLabels": [
        {"name": n, "parentName": par} for n, par, _, _ in SWIMWEAR]}}
    out = parse_task_output(_output(content, REKOGNITION_SOURCE, [everything]))
    assert (out.action, out.final_output) == ("accept", p.output)
