"""Custom task types: Comprehend, Translate, Transcribe, tabular rows and SageMaker endpoints.
Each adapter is tested with botocore's Stubber on realistic responses (requests and responses
checked against the service models); answers in the templates' shapes go through the graph, and
the corrections export as plain text pairs and labels."""

from __future__ import annotations

import io
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from langgraph.checkpoint.memory import InMemorySaver
from sklearn.linear_model import LogisticRegression

from hitl_agent import ThresholdPolicy, build_review_graph
from hitl_agent.errors import ModelError
from hitl_agent.export import ExportOptions, export_dataset
from hitl_agent.models.comprehend import (
    SENTIMENTS,
    ComprehendClassifier,
    ComprehendEntities,
    ComprehendSentiment,
)
from hitl_agent.models.sagemaker import SageMakerEndpoint
from hitl_agent.models.tabular import CsvRowHandler, TabularClassifier
from hitl_agent.models.transcribe import TranscribeJobs, default_job_name
from hitl_agent.models.translate import Translation, token_f1
from hitl_agent.review.a2i import default_task_input
from hitl_agent.review.builtin import parse_task_output
from hitl_agent.review.in_process import InProcessReviews
from hitl_agent.types import ReviewOutcome, ReviewRequest
from hitl_agent.uncertainty.scorers import MaxProbabilityScorer, MeanLogprobScorer
from hitl_agent.uncertainty.service_confidence import ServiceConfidenceScorer

REVIEW = "Der Akku hält kaum einen Tag, aber der Kundendienst war freundlich."
CLASSIFIER = "arn:aws:comprehend:us-east-1:123456789012:document-classifier-endpoint/tickets"


def test_detect_sentiment(client: Any) -> None:
    comprehend = client("comprehend")
    with Stubber(comprehend) as stub:
        stub.add_response("detect_sentiment", {
            "Sentiment": "MIXED", "SentimentScore": {"Positive": 0.31, "Negative": 0.27,
                                                     "Neutral": 0.04, "Mixed": 0.38}},
            {"Text": REVIEW, "LanguageCode": "de"})
        p = ComprehendSentiment(comprehend, language_code="de").predict(REVIEW)
    assert p.output == "MIXED"
    assert p.probabilities == {"POSITIVE": 0.31, "NEGATIVE": 0.27, "NEUTRAL": 0.04, "MIXED": 0.38}
    assert MaxProbabilityScorer()(p).confidence == 0.38


def test_detect_entities(client: Any) -> None:
    text = "Ana Silva flew to Lisbon on 3 May for Acme Corp."
    comprehend = client("comprehend")
    with Stubber(comprehend) as stub:
        stub.add_response("detect_entities", {"Entities": [
            {"Score": 0.998, "Type": "PERSON", "Text": "Ana Silva", "BeginOffset": 0,
             "EndOffset": 9},
            {"Score": 0.991, "Type": "LOCATION", "Text": "Lisbon", "BeginOffset": 18,
             "EndOffset": 24},
            {"Score": 0.62, "Type": "DATE", "Text": "3 May", "BeginOffset": 28, "EndOffset": 33},
            {"Score": 0.71, "Type": "ORGANIZATION", "Text": "Acme", "BeginOffset": 38,
             "EndOffset": 42}]}, {"Text": text, "LanguageCode": "en"})
        p = ComprehendEntities(comprehend).predict(text)
    assert [e["type"] for e in p.output["entities"]] == ["PERSON", "LOCATION", "DATE",
                                                         "ORGANIZATION"]
    assert ServiceConfidenceScorer()(p).confidence == 0.62

    # the reviewer extends "Acme" to "Acme Corp." in crowd-entity-annotation
    request = _request(text, p.output)
    answer = {"entities": {"entities": [
        {"label": "PERSON", "startOffset": 0, "endOffset": 9},
        {"label": "LOCATION", "startOffset": 18, "endOffset": 24},
        {"label": "DATE", "startOffset": 28, "endOffset": 33},
        {"label": "ORGANIZATION", "startOffset": 38, "endOffset": 48}],
        "initialValueModified": True}}
    out = parse_task_output(_output(request, answer))
    assert out.action == "edit"
    assert out.final_output["entities"][-1] == {"text": "Acme Corp.", "type": "ORGANIZATION",
                                                "beginOffset": 38, "endOffset": 48}
    same = {"entities": {"entities": [{"label": e["type"], "startOffset": e["beginOffset"],
                                       "endOffset": e["endOffset"]}
                                      for e in p.output["entities"]]}}
    assert parse_task_output(_output(request, same)).action == "accept"


def test_empty_entities_is_not_an_empty_output(client: Any) -> None:
    comprehend = client("comprehend")
    with Stubber(comprehend) as stub:
        stub.add_response("detect_entities", {"Entities": []}, None)
        p = ComprehendEntities(comprehend).predict("nothing to see here")
    assert p.output == {"entities": []}


def test_custom_classifier_multi_class_and_multi_label(client: Any) -> None:
    comprehend = client("comprehend")
    model = ComprehendClassifier(CLASSIFIER, comprehend)
    with Stubber(comprehend) as stub:
        stub.add_response("classify_document", {"Classes": [
            {"Name": "billing", "Score": 0.55}, {"Name": "outage", "Score": 0.3},
            {"Name": "other", "Score": 0.15}]},
            {"Text": "charged twice", "EndpointArn": CLASSIFIER})
        stub.add_response("classify_document", {"Labels": [
            {"Name": "billing", "Score": 0.9}, {"Name": "urgent", "Score": 0.6},
            {"Name": "outage", "Score": 0.1}]}, None)
        p = model.predict("charged twice")
        multi = model.predict("charged twice, fix now")
    assert (p.output, (p.probabilities or {})["billing"]) == ("billing", 0.55)
    assert multi.output == {"labels": ["billing", "urgent"]}
    assert multi.metadata["confidence"] == 0.6


def test_translate_with_round_trip_quality(client: Any) -> None:
    translate = client("translate")
    model = Translation(translate, source_language="de", target_language="en", round_trip=True)
    with Stubber(translate) as stub:
        stub.add_response("translate_text", {
            "TranslatedText": "The battery barely lasts a day, but customer service was "
                              "friendly.", "SourceLanguageCode": "de", "TargetLanguageCode": "en"},
            {"Text": REVIEW, "SourceLanguageCode": "de", "TargetLanguageCode": "en"})
        stub.add_response("translate_text", {
            "TranslatedText": "Der Akku hält kaum einen Tag, aber der Kundenservice war "
                              "freundlich.",
            "SourceLanguageCode": "en", "TargetLanguageCode": "de"},
            {"Text": ANY, "SourceLanguageCode": "en", "TargetLanguageCode": "de"})
        good = model.predict(REVIEW)
        stub.add_response("translate_text", {
            "TranslatedText": "Der Akku hält kaum", "SourceLanguageCode": "de",
            "TargetLanguageCode": "en"}, None)
        stub.add_response("translate_text", {
            "TranslatedText": "Der Akku hält kaum", "SourceLanguageCode": "en",
            "TargetLanguageCode": "de"}, None)
        bad = model.predict(REVIEW)
    assert good.output.startswith("The battery")
    assert good.metadata["confidence"] > 0.8
    assert bad.metadata["confidences"]["untranslated"] < 0.7
    assert bad.metadata["confidence"] < good.metadata["confidence"]
    assert token_f1("a b", "a b") == 1.0


def _transcript() -> bytes:
    words = [("Hello", 0.998), ("this", 0.97), ("is", 0.99), ("Ana", 0.41), ("speaking", 0.95)]
    items: list[dict[str, Any]] = []
    t = 0.0
    for w, c in words:
        items.append({"start_time": f"{t:.2f}", "end_time": f"{t + 0.4:.2f}",
                      "alternatives": [{"confidence": f"{c}", "content": w}],
                      "type": "pronunciation"})
        t += 0.45
    items.append({"alternatives": [{"confidence": "0.0", "content": "."}],
                  "type": "punctuation"})
    return json.dumps({"jobName": "hitl-x", "accountId": "123456789012", "status": "COMPLETED",
                       "results": {"transcripts": [{"transcript": "Hello this is Ana speaking."}],
                                   "items": items}}).encode()


def test_transcribe_waits_for_the_job_and_reads_the_transcript(client: Any) -> None:
    media = "s3://call-recordings/2026/11/0042.wav"
    name = default_job_name(media)
    transcribe, s3 = client("transcribe"), client("s3")
    job = {"TranscriptionJobName": name, "LanguageCode": "en-US", "MediaFormat": "wav",
           "Media": {"MediaFileUri": media},
           "CreationTime": datetime(2026, 11, 21, 9, 0, tzinfo=UTC)}
    uri = f"https://s3.us-east-1.amazonaws.com/call-transcripts/{name}.json"
    body = _transcript()
    with Stubber(transcribe) as ts, Stubber(s3) as ss:
        ts.add_client_error("get_transcription_job", "BadRequestException",
                            "The requested job couldn't be found. Check the job name and try "
                            "your request again.", expected_params={"TranscriptionJobName": name})
        ts.add_response("start_transcription_job", {"TranscriptionJob": {
            **job, "TranscriptionJobStatus": "IN_PROGRESS"}},
            {"TranscriptionJobName": name, "Media": {"MediaFileUri": media},
             "LanguageCode": "en-US"})
        ts.add_response("get_transcription_job", {"TranscriptionJob": {
            **job, "TranscriptionJobStatus": "COMPLETED", "Transcript": {
                "TranscriptFileUri": uri}}}, {"TranscriptionJobName": name})
        ss.add_response("get_object", {"Body": StreamingBody(io.BytesIO(body), len(body)),
                                       "ContentLength": len(body)},
                        {"Bucket": "call-transcripts", "Key": f"{name}.json"})
        p = TranscribeJobs(transcribe, s3_client=s3, start_missing=True, language_code="en-US",
                           poll_s=0).predict(media)
    assert p.output == "Hello this is Ana speaking."
    assert p.token_logprobs is not None and len(p.token_logprobs) == 5
    assert abs(p.token_logprobs[3] - math.log(0.41)) < 1e-9
    assert MeanLogprobScorer()(p).confidence < 0.9


def test_transcribe_failed_job_is_a_model_error(client: Any) -> None:
    transcribe = client("transcribe")
    with Stubber(transcribe) as ts:
        ts.add_response("get_transcription_job", {"TranscriptionJob": {
            "TranscriptionJobName": "call-7", "TranscriptionJobStatus": "FAILED",
            "FailureReason": "The media format provided does not match the detected format."}},
            None)
        with pytest.raises(ModelError, match="FAILED"):
            TranscribeJobs(transcribe, job_name={"s3://b/7.wav": "call-7"}).predict("s3://b/7.wav")


ROWS = [{"tenure_months": 2, "monthly_charges": 95.0, "support_calls": 6},
        {"tenure_months": 48, "monthly_charges": 40.0, "support_calls": 0}]
COLUMNS = ["tenure_months", "monthly_charges", "support_calls"]


def test_tabular_classifier_and_csv_endpoint(client: Any) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3)) * [20, 30, 2] + [24, 60, 2]
    y = (x[:, 2] - x[:, 0] / 12 > 0).astype(int)
    model = TabularClassifier(LogisticRegression().fit(x, y), COLUMNS,
                              label_names=["stays", "churns"])
    p = model.predict(ROWS[0])
    assert p.output == "churns" and set(p.probabilities or {}) == {"stays", "churns"}
    with pytest.raises(ModelError, match="lacks columns"):
        model.predict({"tenure_months": 1})

    runtime = client("sagemaker-runtime")
    endpoint = SageMakerEndpoint("churn-xgb", handler=CsvRowHandler(COLUMNS, ["stays", "churns"]),
                                 client=runtime)
    with Stubber(runtime) as stub:
        stub.add_response("invoke_endpoint", {
            "Body": StreamingBody(io.BytesIO(b"0.8731"), 6), "ContentType": "text/csv",
            "InvokedProductionVariant": "AllTraffic"},
            {"EndpointName": "churn-xgb", "Body": b"2,95.0,6\n", "ContentType": "text/csv",
             "Accept": "text/csv"})
        q = endpoint.predict(ROWS[0])
    assert q.output == "churns" and q.probabilities == {"stays": 1 - 0.8731, "churns": 0.8731}


# --- through the graph, then exported -------------------------------------------------------


def _request(input: Any, model_output: Any) -> ReviewRequest:
    from hitl_agent.types import Decision, Uncertainty

    return ReviewRequest(review_id="r-1", thread_id="t-1", task="t", input=input,
                         model_output=model_output,
                         uncertainty=Uncertainty(confidence=0.5, scorer="s"),
                         decision=Decision(action="escalate", reason="threshold", propensity=1.0,
                                           policy_id="p"),
                         deadline=datetime(2026, 12, 1, tzinfo=UTC))


def _output(request: ReviewRequest, answer: dict[str, Any]) -> dict[str, Any]:
    return {"flowDefinitionArn": "arn:aws:sagemaker:us-east-1:123456789012:flow-definition/x",
            "humanLoopName": request.review_id, "inputContent": default_task_input(request),
            "humanAnswers": [{"answerContent": answer, "workerId": "w1"}]}


def reviewer_answering(answer: Any) -> Any:
    """An in-process reviewer that answers with a template's answer shape, read back exactly as
    output.json is (parse_task_output)."""
    def review(request: ReviewRequest) -> ReviewOutcome:
        return parse_task_output(_output(request, answer(request)))
    return review


def test_translations_export_as_text_pairs(client: Any, tmp_path: Path) -> None:
    translate = client("translate")
    model = Translation(translate, source_language="de", target_language="en")
    fixed = "The battery barely lasts a day, but customer service was friendly."
    graph = build_review_graph(
        model=model, scorer=ServiceConfidenceScorer(), policy=ThresholdPolicy(0.99),
        reviews=InProcessReviews(reviewer_answering(lambda r: {
            "corrected_text": fixed, "unusable": {"on": False}, "comment": ""})),
        ledger=tmp_path / "ledger.db", checkpointer=InMemorySaver(), task="translate-de-en")
    with Stubber(translate) as stub:
        stub.add_response("translate_text", {"TranslatedText": "The battery holds hardly a day, "
                                             "but the Kundendienst was friendly.",
                                             "SourceLanguageCode": "de",
                                             "TargetLanguageCode": "en"}, None)
        out = graph.invoke({"input": REVIEW}, {"configurable": {"thread_id": "de-1"}})
    assert (out["output"], out["output_source"]) == (fixed, "human")
    result = export_dataset(tmp_path / "ledger.db", tmp_path / "sft",
                            ExportOptions(format="trl-sft", val_fraction=0.0,
                                          prompt_template="Translate into English: {input}"))
    [row] = [json.loads(line) for f in sorted(result.out.rglob("*.jsonl"))
             for line in f.read_text().splitlines()]
    assert row["messages"] == [{"role": "user", "content": f"Translate into English: {REVIEW}"},
                               {"role": "assistant", "content": fixed}]


def test_sentiment_labels_export_as_ground_truth_manifest(client: Any, tmp_path: Path) -> None:
    comprehend = client("comprehend")
    graph = build_review_graph(
        model=ComprehendSentiment(comprehend, language_code="de"), scorer=MaxProbabilityScorer(),
        policy=ThresholdPolicy(0.9),
        reviews=InProcessReviews(reviewer_answering(lambda r: {"label": {"label": "NEGATIVE"},
                                                               "comment": ""})),
        ledger=tmp_path / "ledger.db", checkpointer=InMemorySaver(), task="sentiment",
        labels=SENTIMENTS)
    with Stubber(comprehend) as stub:
        stub.add_response("detect_sentiment", {
            "Sentiment": "MIXED", "SentimentScore": {"Positive": 0.31, "Negative": 0.27,
                                                     "Neutral": 0.04, "Mixed": 0.38}}, None)
        graph.invoke({"input": REVIEW}, {"configurable": {"thread_id": "s-1"}})
    result = export_dataset(tmp_path / "ledger.db", tmp_path / "gt",
                            ExportOptions(format="ground-truth-manifest", val_fraction=0.0))
    [row] = [json.loads(line) for f in sorted(result.out.rglob("*.manifest"))
             for line in f.read_text().splitlines()]
    assert row["source"] == REVIEW
    assert row["label-metadata"]["class-name"] == "NEGATIVE"
