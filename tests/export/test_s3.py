"""Uploads through real boto3 clients to moto's S3 server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from hitl_agent.export import ExportOptions, export_dataset, load_manifest, upload_export
from hitl_agent.memory.ledger import Ledger
from tests.helpers.exports import cli_app
from tests.helpers.servers import moto_server

app = cli_app()


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL_S3": s3_endpoint,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="datasets")
    return client


def test_upload_puts_every_file_and_the_manifest_last(
    s3: Any, fill: Callable[..., Ledger], tmp_path: Path
) -> None:
    ledger = fill(30)
    export_dataset(ledger, tmp_path / "o", ExportOptions(format="bedrock-conversation"))
    uploaded = upload_export(tmp_path / "o", "s3://datasets/exports/v1/", client=s3)
    manifest = load_manifest(tmp_path / "o")
    assert uploaded[-1] == "s3://datasets/exports/v1/manifest.json"
    assert manifest.s3_uri == "s3://datasets/exports/v1"
    listed = s3.list_objects_v2(Bucket="datasets", Prefix="exports/v1/")
    keys = {o["Key"] for o in listed["Contents"]}
    assert keys == {f"exports/v1/{f.path}" for f in manifest.files} | {"exports/v1/manifest.json"}
    for f in manifest.files:
        body = s3.get_object(Bucket="datasets", Key=f"exports/v1/{f.path}")["Body"].read()
        assert hashlib.sha256(body).hexdigest() == f.sha256
    remote = json.loads(s3.get_object(Bucket="datasets", Key="exports/v1/manifest.json")["Body"]
                        .read())
    assert remote["s3_uri"] == "s3://datasets/exports/v1"


def test_cli_uploads_with_s3_option(s3: Any, fill: Callable[..., Ledger], tmp_path: Path) -> None:
    ledger = fill(20)
    result = CliRunner().invoke(app, [
        "export", "--format", "trl-dpo", "--out", str(tmp_path / "o"), "--ledger", ledger.url,
        "--s3", "s3://datasets/cli", "--json",
    ])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert "s3://datasets/cli/train.jsonl" in payload["uploaded"]
    assert payload["manifest"]["s3_uri"] == "s3://datasets/cli"


def test_cli_reports_a_missing_bucket(s3: Any, fill: Callable[..., Ledger],
                                      tmp_path: Path) -> None:
    ledger = fill(20)
    result = CliRunner().invoke(app, [
        "export", "--format", "csv", "--out", str(tmp_path / "o"), "--ledger", ledger.url,
        "--s3", "s3://no-such-bucket/x",
    ])
    assert result.exit_code == 1
    assert "upload of" in result.stderr
