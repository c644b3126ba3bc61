"""Loop lifecycle through the worker API: claims, answers, output.json, expiry, S3, webhooks."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from hitl_agent.service.services import build_services
from hitl_agent.service.settings import ServiceSettings
from hitl_agent.service.workforce import WorkerInfo
from tests.helpers.service import (
    InProcessService,
    create_flow,
    new_worker,
    service_flow,
    start_loop,
    unique,
    wait_status,
)
from tests.helpers.wait import wait_until


def _iso(value: str) -> datetime:
    assert value.endswith("Z") and len(value) == 24, value  # 2020-02-24T23:21:45.123Z
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_output_written_after_task_count_answers(
    clocked_service: InProcessService, webhook: Any
) -> None:
    service = clocked_service
    runtime = service.client("sagemaker-a2i-runtime")
    flow = create_flow(service.client("sagemaker"), output=str(service.data / "outputs"),
                       task_count=2)
    name = start_loop(runtime, flow, {"text": "is this spam?", "n": [1, 2]})
    out_uri = runtime.describe_human_loop(HumanLoopName=name)["HumanLoopOutput"]["OutputS3Uri"]
    alice, bob = (new_worker(service.services, service.url) for _ in range(2))
    assert name in alice.task_names() and name in bob.task_names()

    claim = alice.claim(name)
    assert claim.status_code == 200, claim.text
    service.clock.advance(0.05)  # alice reads the task
    outside = alice.answer(name, {"category": {"label": "spam"}})  # the template offers a, b
    assert outside.status_code == 400 and "answerContent.category.label" in outside.text
    first = alice.answer(name, {"category": {"label": "a"}})
    assert first.status_code == 200, first.text
    assert first.json()["answerCount"] == 1 and first.json()["humanLoopStatus"] == "InProgress"
    assert not Path(out_uri).exists()  # nothing is written until every answer is in
    again = alice.answer(name, {"category": {"label": "b"}})
    assert again.status_code == 409 and again.json()["__type"] == "ConflictException"
    assert name not in alice.task_names()

    done = bob.answer(name, {"category": {"label": "b"}})  # no claim first: claims implicitly
    assert done.status_code == 200 and done.json()["humanLoopStatus"] == "Completed"
    got = runtime.describe_human_loop(HumanLoopName=name)
    assert got["HumanLoopStatus"] == "Completed"

    created = got["CreationTime"].astimezone(UTC)
    flow_name = flow.rsplit("/", 1)[1]
    expected = (
        service.data
        / "outputs"
        / flow_name
        / created.strftime("%Y/%m/%d/%H/%M/%S")
        / name
        / "output.json"
    )
    assert out_uri == str(expected) and expected.exists()
    doc = json.loads(expected.read_text())
    assert set(doc) == {"flowDefinitionArn", "humanAnswers", "humanLoopName", "inputContent"}
    assert doc["flowDefinitionArn"] == flow and doc["humanLoopName"] == name
    assert doc["inputContent"] == {"text": "is this spam?", "n": [1, 2]}
    answers = doc["humanAnswers"]
    assert [a["answerContent"] for a in answers] == [
        {"category": {"label": "a"}},
        {"category": {"label": "b"}},
    ]
    me = alice.http.get("/worker-api/me").json()
    a0 = answers[0]
    assert a0["workerId"] == me["workerId"] and len(a0["workerId"]) == 16
    assert a0["acceptanceTime"] == claim.json()["acceptanceTime"]
    assert _iso(a0["submissionTime"]) > _iso(a0["acceptanceTime"])
    assert 0.04 <= a0["timeSpentInSeconds"] < 30
    identity = a0["workerMetadata"]["identityData"]
    assert identity["sub"] == me["sub"] and identity["identityProviderType"] == "Oidc"
    assert answers[1]["timeSpentInSeconds"] == 0.0  # answered without a prior claim

    event = webhook.wait_for(lambda e: e["detail"]["humanLoopName"] == name)
    assert event["detail-type"] == "SageMaker A2I HumanLoop Status Change"
    assert event["source"] == "aws.sagemaker" and event["region"] == "us-east-1"
    assert event["resources"] == [got["HumanLoopArn"]]
    assert event["detail"] == {
        "creationTime": created.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{created.microsecond // 1000:03d}Z",
        "failureCode": None,
        "failureReason": None,
        "flowDefinitionArn": flow,
        "humanLoopArn": got["HumanLoopArn"],
        "humanLoopName": name,
        "humanLoopOutput": {"outputS3Uri": out_uri},
        "humanLoopStatus": "Completed",
    }
    log = service.http().get("/hitl/events").json()["events"]
    mine = [e for e in log if e["event"]["detail"]["humanLoopName"] == name]
    assert len(mine) == 1 and mine[0]["event"]["id"] == event["id"]
    later = service.http().get("/hitl/events", params={"after": mine[0]["seq"]}).json()
    assert all(e["seq"] > mine[0]["seq"] for e in later["events"])


def test_claims_capacity_release_decline_and_teams(
    runtime: Any, make_flow: Any, make_worker: Any
) -> None:
    name = start_loop(runtime, make_flow(task_count=1))
    alice, bob, outsider = make_worker(), make_worker(), make_worker("team-b")
    assert name not in outsider.task_names()
    assert outsider.claim(name).status_code == 404
    assert outsider.answer(name, {"x": 1}).status_code == 404

    assert alice.claim(name).status_code == 200
    assert alice.claim(name).status_code == 200  # idempotent
    mine = [t for t in alice.tasks() if t["humanLoopName"] == name][0]
    assert mine["claimedByMe"] and mine["claimExpiresAt"]
    assert name not in bob.task_names()  # the only assignment is held
    taken = bob.claim(name)
    assert taken.status_code == 409 and "taken" in taken.json()["message"]
    assert alice.release(name).status_code == 200
    assert name in bob.task_names()
    assert bob.release(name, decline=True).status_code == 200
    assert name not in bob.task_names()  # declined tasks are no longer offered
    assert name in alice.task_names()


def test_worker_api_auth_and_bad_input(
    service: Any, make_worker: Any, runtime: Any, make_flow: Any
) -> None:
    assert httpx.get(f"{service.url}/worker-api/tasks").status_code == 401
    bad = httpx.get(f"{service.url}/worker-api/tasks", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json()["__type"] == "UnauthorizedException"
    worker = make_worker()
    name = start_loop(runtime, make_flow())
    not_json = worker.http.post(f"/worker-api/tasks/{name}/answer", content=b"{oops")
    assert not_json.status_code == 400 and not_json.json()["field"] == "body"
    missing = worker.http.post(f"/worker-api/tasks/{name}/answer", json={})
    assert missing.status_code == 400 and missing.json()["field"] == "answerContent"
    wrong = worker.http.post(f"/worker-api/tasks/{name}/answer", json={"answerContent": [1]})
    assert wrong.status_code == 400
    detail = worker.http.get(f"/worker-api/tasks/{name}").json()
    assert detail["input"] == {"text": name} and "crowd-classifier" in detail["uiTemplate"]


def test_expiry_fails_the_loop(clocked_service: InProcessService, webhook: Any) -> None:
    service = clocked_service
    runtime = service.client("sagemaker-a2i-runtime")
    flow = create_flow(service.client("sagemaker"), output=str(service.data / "outputs"),
                       task_count=2, lifetime=60)
    read, swept = start_loop(runtime, flow), start_loop(runtime, flow)
    worker = new_worker(service.services, service.url)
    assert worker.answer(read, {"x": 1}).status_code == 200
    service.clock.advance(61)  # past the 60 s lifetime, without waiting for it
    got = runtime.describe_human_loop(HumanLoopName=read)  # evaluated lazily on read
    assert got["HumanLoopStatus"] == "Failed" and got["FailureCode"] == "Expired"
    assert "1 of 2" in got["FailureReason"]
    assert worker.answer(swept, {"x": 1}).status_code == 409
    # the periodic sweep fails loops that nobody reads, and announces it
    event = webhook.wait_for(lambda e: e["detail"]["humanLoopName"] == swept)
    assert event["detail"]["humanLoopStatus"] == "Failed"
    assert event["detail"]["failureCode"] == "Expired"
    assert not Path(got["HumanLoopOutput"]["OutputS3Uri"]).exists()
    summaries = runtime.list_human_loops(FlowDefinitionArn=flow)["HumanLoopSummaries"]
    assert {s["HumanLoopStatus"] for s in summaries} == {"Failed"}


def test_s3_output_through_moto(
    runtime: Any, make_flow: Any, make_worker: Any, moto_s3: str
) -> None:
    s3 = boto3.client(
        "s3",
        endpoint_url=moto_s3,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    bucket = unique("bucket")
    s3.create_bucket(Bucket=bucket)
    flow = make_flow(output=f"s3://{bucket}/a2i-results/")
    name = start_loop(runtime, flow, {"text": "s3"})
    uri = runtime.describe_human_loop(HumanLoopName=name)["HumanLoopOutput"]["OutputS3Uri"]
    assert uri.startswith(f"s3://{bucket}/a2i-results/{flow.rsplit('/', 1)[1]}/")
    assert uri.endswith(f"/{name}/output.json")
    assert make_worker().answer(name, {"category": {"label": "b"}}).status_code == 200
    wait_status(runtime, name, "Completed")
    key = uri.split(f"s3://{bucket}/", 1)[1]
    doc = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert doc["humanLoopName"] == name and doc["inputContent"] == {"text": "s3"}
    assert doc["humanAnswers"][0]["answerContent"] == {"category": {"label": "b"}}


def test_webhook_retried_with_backoff_and_replayed(
    runtime: Any, make_flow: Any, webhook: Any, service: Any
) -> None:
    name = start_loop(runtime, make_flow())
    with webhook.cond:
        webhook.fail_next = 2  # the receiver answers 503 twice
    runtime.stop_human_loop(HumanLoopName=name)
    event = webhook.wait_for(lambda e: e["detail"]["humanLoopName"] == name, timeout=15)
    assert event["detail"]["humanLoopStatus"] == "Stopped"
    assert webhook.fail_next == 0
    # the log can be replayed to the webhooks (at-least-once delivery, same event id)
    log = service.http().get("/hitl/events", params={"limit": 1000}).json()["events"]
    seq = next(e["seq"] for e in log if e["event"]["id"] == event["id"])
    replay = service.http().post("/hitl/events/replay", params={"after": seq - 1})
    assert replay.status_code == 200 and replay.json()["queued"] >= 1

    def copies() -> int:
        with webhook.cond:
            return sum(1 for e in webhook.events if e["id"] == event["id"])

    wait_until(lambda: copies() >= 2, 10, message="the replayed event never arrived")
    assert copies() == 2


def test_claim_expires_after_time_limit(tmp_path: Path) -> None:
    """The service layer with a controllable clock: a claim lapses after TaskTimeLimitInSeconds."""
    now = [1_700_000_000_000_000]
    services = build_services(
        ServiceSettings(data_dir=tmp_path, background=False, output_roots=[tmp_path]),
        clock=lambda: now[0],
    )
    try:
        flow = service_flow(services, tmp_path / "out", TaskTimeLimitInSeconds=60)
        services.runtime.start_human_loop(
            {
                "HumanLoopName": "l1",
                "FlowDefinitionArn": flow,
                "HumanLoopInput": {"InputContent": "{}"},
            }
        )
        alice: WorkerInfo = services.workforce.add_worker("alice", teams=["t"])[0]
        bob: WorkerInfo = services.workforce.add_worker("bob", teams=["t"])[0]
        services.tasks.claim(alice, "l1")
        assert services.tasks.list_tasks(bob) == []
        now[0] += 61_000_000
        assert [t.humanLoopName for t in services.tasks.list_tasks(bob)] == ["l1"]
        services.tasks.claim(bob, "l1")
        from hitl_agent.service.errors import ConflictException

        with pytest.raises(ConflictException):
            services.tasks.submit(alice, "l1", {"late": True})
        result = services.tasks.submit(bob, "l1", {"ok": True})
        assert result.humanLoopStatus == "Completed"
        doc = json.loads(
            Path(
                services.runtime.describe_human_loop("l1")["HumanLoopOutput"]["OutputS3Uri"]
            ).read_text()
        )
        assert doc["humanAnswers"][0]["timeSpentInSeconds"] == 0.0
        assert doc["humanAnswers"][0]["acceptanceTime"] == "2023-11-14T22:14:21.000Z"
    finally:
        services.close()


def test_passwords_are_bcrypt_hashed(local: Any) -> None:
    info, token = local.workforce.add_worker(
        unique("pw"), teams=["team-a"], password="correct horse"
    )
    assert local.workforce.authenticate_password(info.name, "correct horse") == info
    assert local.workforce.authenticate_password(info.name, "wrong password") is None
    assert local.workforce.authenticate_token(token) == info
    from sqlalchemy import select

    from hitl_agent.service.models import Worker

    with local.store.read() as s:
        row = s.scalars(select(Worker).where(Worker.name == info.name)).one()
    assert row.password_hash.startswith("$2") and "correct" not in row.password_hash
    assert token not in row.token_sha256
