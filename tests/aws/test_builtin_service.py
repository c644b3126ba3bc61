"""Built-in task types end to end against the project's review service: flow definitions with
``HumanLoopRequestSource`` created through boto3's SageMaker client, the graph (Textract or
Rekognition stubbed: AWS cannot be reached), activation conditions evaluated locally, the loop
started with A2I's built-in input, a reviewer answering with the built-in answer shapes through
the worker API, the resumer reading output.json, the correction in the ledger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.stub import ANY, Stubber
from langgraph.checkpoint.memory import InMemorySaver

from hitl_agent.models.rekognition import RekognitionModeration
from hitl_agent.models.textract import TextractForms
from hitl_agent.review.builtin import (
    REKOGNITION_SOURCE,
    TEXTRACT_SOURCE,
    create_builtin_flow,
)
from tests.helpers.aws_responses import (
    INTAKE,
    REKOGNITION_CONDITIONS,
    SWIMWEAR,
    TEXTRACT_CONDITIONS,
    moderation,
    textract_form,
)
from tests.helpers.builtin_flows import builtin_graph
from tests.helpers.graphs import cfg, resume_until_done
from tests.helpers.service import ensure_team, unique

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_textract_forms_review_through_the_service(
        review_service: Any, add_worker: Any, client: Any, tmp_path: Path) -> None:
    textract = client("textract")
    graph, flow = builtin_graph(
        review_service, tmp_path, source=TEXTRACT_SOURCE, template="textract-forms.liquid.html",
        conditions=TEXTRACT_CONDITIONS, model=TextractForms(textract), team="forms")
    worker = add_worker("forms")
    doc = "s3://intake-forms/form-7.png"
    with Stubber(textract) as stub:
        stub.add_response("analyze_document", textract_form(INTAKE), {
            "Document": ANY, "FeatureTypes": ["FORMS"]})
        out = graph.invoke({"input": doc}, cfg("form-7"))
    [intr] = out["__interrupt__"]
    loop = intr.value["review_id"]
    [task] = [t for t in worker.tasks() if t["humanLoopName"] == loop]

    # what the template sees is A2I's built-in input
    runtime = review_service.client("sagemaker-a2i-runtime")
    described = runtime.describe_human_loop(HumanLoopName=loop)
    assert described["FlowDefinitionArn"] == flow
    page = worker.http.get(f"/worker-api/tasks/{loop}")
    assert page.status_code == 200, page.text
    content = page.json()["input"]
    assert set(content) >= {"aiServiceRequest", "aiServiceResponse",
                            "humanTaskActivationConditionResults", "selectedAiServiceResponse"}
    assert content["aiServiceRequest"]["document"] == {
        "s3Object": {"bucket": "intake-forms", "name": "form-7.png"}}
    assert content["aiServiceRequest"]["humanLoopConfig"] == {
        "flowDefinitionArn": flow, "humanLoopName": loop}

    assert task["humanLoopName"] == loop
    answer = {TEXTRACT_SOURCE: {"blocks": _reviewed_pairs(intr.value, "09/28/1980")}}
    assert worker.answer(loop, answer).status_code == 200
    resume_until_done(graph)

    final = graph.get_state(cfg("form-7")).values
    assert final["output"]["fields"]["Date of birth:"] == "09/28/1980"
    [row] = list(graph.hitl_parts.ledger.iter_corrections())
    c = row.correction
    assert (c.action, c.source, c.input) == ("edit", "service", doc)
    assert c.final_output == {"fields": {"Full Name:": "Jane Doe",
                                         "Date of birth:": "09/28/1980",
                                         "Phone Number:": "555-0100"}}
    assert c.answers[0].answer_content == answer


def _reviewed_pairs(request: Any, new_value: str) -> list[dict[str, Any]]:
    """What crowd-textract-analyze-document submits when the value of the one pair shown is
    corrected (the local element's shape: text on the KEY_VALUE_SET blocks)."""
    shown = request["decision"]["details"]["a2i_input"]["selectedAiServiceResponse"]["blocks"]
    key = next(b for b in shown if "KEY" in b.get("entityTypes", []))
    value = next(b for b in shown if "VALUE" in b.get("entityTypes", []))
    return [
        {"blockType": "KEY_VALUE_SET", "entityTypes": ["KEY"], "id": key["id"],
         "relationships": [{"type": "VALUE", "ids": [value["id"]]}], "text": "Date of birth:"},
        {"blockType": "KEY_VALUE_SET", "entityTypes": ["VALUE"], "id": value["id"],
         "relationships": [], "text": new_value},
    ]


def test_moderation_review_through_the_service(
        review_service: Any, add_worker: Any, client: Any, tmp_path: Path) -> None:
    rekognition = client("rekognition")
    graph, _ = builtin_graph(
        review_service, tmp_path, source=REKOGNITION_SOURCE,
        template="rekognition-moderation.liquid.html", conditions=REKOGNITION_CONDITIONS,
        model=RekognitionModeration(rekognition), team="moderators")
    worker = add_worker("moderators")
    with Stubber(rekognition) as stub:
        stub.add_response("detect_moderation_labels", moderation(SWIMWEAR), None)
        stub.add_response("detect_moderation_labels", moderation([]), None)
        out = graph.invoke({"input": "s3://uploads/u-81.jpg"}, cfg("img-81"))
        clean = graph.invoke({"input": "s3://uploads/u-82.jpg"}, cfg("img-82"))
    assert clean["output"] == {"moderationLabels": []}  # no label: no condition true
    [intr] = out["__interrupt__"]
    loop = intr.value["review_id"]
    answer = {REKOGNITION_SOURCE: {"moderationLabels": [
        {"name": "Swimwear or Underwear", "parentName": ""},
        {"name": "Female Swimwear or Underwear", "parentName": "Swimwear or Underwear"}]}}
    assert worker.answer(loop, answer).status_code == 200
    resume_until_done(graph)
    [row] = list(graph.hitl_parts.ledger.iter_corrections())
    assert row.correction.action == "edit"
    assert row.correction.final_output == {"moderationLabels": [
        {"name": "Female Swimwear or Underwear", "parentName": "Swimwear or Underwear"},
        {"name": "Swimwear or Underwear", "parentName": ""}]}


def test_the_aws_forms_graph_reads_conditions_from_the_service(
        review_service: Any, client: Any, tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("aws_forms", ROOT / "graphs" / "aws_forms.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sagemaker = review_service.client("sagemaker")
    flow = create_builtin_flow(
        sagemaker, name=unique("fd"), request_source=TEXTRACT_SOURCE,
        template=ROOT / "templates" / "aws" / "textract-forms.liquid.html",
        output_path=str(tmp_path / "outputs"), workteam_arn=ensure_team(sagemaker, "forms"),
        conditions=TEXTRACT_CONDITIONS)
    textract = client("textract")
    graph = module.build(checkpointer=InMemorySaver(), ledger=tmp_path / "ledger.db",
                         flow_arn=flow, a2i_endpoint=review_service.url, textract=textract,
                         sagemaker=sagemaker,
                         runtime=review_service.client("sagemaker-a2i-runtime"))
    with Stubber(textract) as stub:
        stub.add_response("analyze_document", textract_form(INTAKE[:1]), None)
        stub.add_response("analyze_document", textract_form(
            INTAKE[:1] + [("Mailing Address:", "1 Main St", 99.0, 99.0)]), None)
        missing = graph.invoke({"input": "s3://intake-forms/a.png"}, cfg("a"))
        complete = graph.invoke({"input": "s3://intake-forms/b.png"}, cfg("b"))
    assert "__interrupt__" in missing  # no mailing address: MissingImportantFormKey
    assert complete["output_source"] == "model"
