"""Retraining: scikit-learn refits on digits; Bedrock/JumpStart requests checked by Stubber."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from botocore.exceptions import ParamValidationError
from botocore.stub import Stubber
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from typer.testing import CliRunner

from hitl_agent.export import ExportOptions, export_dataset
from hitl_agent.export.retrain import (
    bedrock_request,
    jumpstart_request,
    retrain_sklearn,
    save_bundle,
    start_bedrock_job,
    start_jumpstart_job,
)
from hitl_agent.memory.ledger import Ledger
from hitl_agent.types import Correction
from tests.helpers.exports import cli_app, make_correction

app = cli_app()
ROLE = "arn:aws:iam::123456789012:role/hitl-training"
JOB_ARN = (
    "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/amazon.nova-micro-v1:0/abc123"
)
TRAINING_ARN = "arn:aws:sagemaker:us-east-1:123456789012:training-job/hitl-jumpstart-1"
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-training:2.1-gpu"


def aws_client(service: str) -> Any:
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing")


@pytest.fixture(scope="module")
def digits() -> dict[str, Any]:
    X, y = load_digits(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(y))
    X, y = X[order], y[order]
    train, pool, test = slice(0, 60), slice(60, 900), slice(900, None)
    model = LogisticRegression(max_iter=300).fit(X[train], y[train])
    pred = model.predict(X[pool])
    hard = np.flatnonzero(pred != y[pool])  # the items reviewers would have corrected
    corrections = [
        make_correction(int(i), input=[float(v) for v in X[pool][i]], model_output=int(pred[i]),
                        final_output=int(y[pool][i]), task="digits")
        for i in hard
    ]
    return {"X_train": X[train], "y_train": y[train], "X_test": X[test], "y_test": y[test],
            "model": model, "corrections": corrections}


def test_retrain_sklearn_buys_accuracy_with_corrections(digits: dict[str, Any]) -> None:
    d = digits
    report = retrain_sklearn(d["model"], d["X_train"], d["y_train"], d["corrections"],
                             d["X_test"], d["y_test"])
    assert report.n_corrections == len(d["corrections"]) > 50
    assert report.n_train_after == 60 + report.n_corrections
    assert report.accuracy_after > report.accuracy_before + 0.03
    assert report.estimator is not d["model"]
    assert report.to_dict()["gain"] == pytest.approx(report.gain)


def test_retrain_sklearn_skips_what_does_not_fit(digits: dict[str, Any]) -> None:
    d = digits
    odd: list[Correction] = [
        make_correction(1, input="text, not features"),
        make_correction(2, input=[1.0, 2.0]),  # wrong width
        make_correction(3, input=[0.0] * 64, final_output="not a digit"),
        make_correction(4, input=[0.0] * 64, action="reject", final_output=None),
    ]
    unfitted = KNeighborsClassifier(n_neighbors=1)
    report = retrain_sklearn(unfitted, d["X_train"], d["y_train"], odd, d["X_test"],
                             d["y_test"])
    assert (report.n_corrections, report.n_skipped) == (0, 4)
    assert report.accuracy_after == pytest.approx(report.accuracy_before)


def test_cli_retrain_sklearn(digits: dict[str, Any], ledger: Ledger, tmp_path: Path) -> None:
    d = digits
    for c in d["corrections"]:
        ledger.record_correction(c)
    knn = KNeighborsClassifier(n_neighbors=1)  # fits in no time; the CLI path is the point
    bundle = save_bundle(tmp_path / "model.joblib", knn, d["X_train"], d["y_train"],
                         d["X_test"], d["y_test"])
    result = CliRunner().invoke(app, ["retrain", "sklearn", "--model", str(bundle), "--ledger",
                                      ledger.url, "--json", "--save", str(tmp_path / "new.joblib")])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["accuracy_after"] > report["accuracy_before"] + 0.03
    assert (tmp_path / "new.joblib").is_file()
    result = CliRunner().invoke(app, ["retrain", "sklearn", "--model", str(bundle), "--ledger",
                                      ledger.url])
    assert result.exit_code == 0
    assert "accuracy" in result.stdout and "->" in result.stdout
    bad = CliRunner().invoke(app, ["retrain", "sklearn", "--model", str(tmp_path / "none"),
                                   "--ledger", ledger.url])
    assert bad.exit_code == 2


def test_bedrock_request_passes_botocore_validation() -> None:
    request = bedrock_request(
        dataset="s3://datasets/exports/v1", base_model="amazon.nova-micro-v1:0:128k",
        role_arn=ROLE, job_name="hitl-bedrock-1", custom_model_name="hitl-nova",
        validation_path="validation.jsonl", hyperparameters={"epochCount": 2},
    )
    assert request == {
        "jobName": "hitl-bedrock-1",
        "customModelName": "hitl-nova",
        "roleArn": ROLE,
        "baseModelIdentifier": "amazon.nova-micro-v1:0:128k",
        "customizationType": "FINE_TUNING",
        "trainingDataConfig": {"s3Uri": "s3://datasets/exports/v1/train.jsonl"},
        "validationDataConfig": {
            "validators": [{"s3Uri": "s3://datasets/exports/v1/validation.jsonl"}]
        },
        "outputDataConfig": {"s3Uri": "s3://datasets/exports/v1/output/"},
        "hyperParameters": {"epochCount": "2"},
    }
    client = aws_client("bedrock")
    with Stubber(client) as stub:
        stub.add_response("create_model_customization_job", {"jobArn": JOB_ARN},
                          expected_params=request)
        assert start_bedrock_job(request, client=client)["jobArn"] == JOB_ARN
        stub.assert_no_pending_responses()
        broken = {k: v for k, v in request.items() if k != "roleArn"}
        stub.add_response("create_model_customization_job", {"jobArn": JOB_ARN})
        with pytest.raises(ParamValidationError, match="roleArn"):
            start_bedrock_job(broken, client=client)


def test_jumpstart_request_passes_botocore_validation() -> None:
    request = jumpstart_request(
        dataset="s3://datasets/js", role_arn=ROLE, job_name="hitl-jumpstart-1",
        training_image=IMAGE, model_uri="s3://jumpstart-cache/llama/model/",
        script_uri="s3://jumpstart-cache/llama/sourcedir.tar.gz", validation=True,
        hyperparameters={"epoch": 3},
    )
    assert request["HyperParameters"] == {
        "instruction_tuned": "True", "epoch": "3", "sagemaker_program": "transfer_learning.py",
        "sagemaker_submit_directory": "s3://jumpstart-cache/llama/sourcedir.tar.gz",
    }
    assert [c["ChannelName"] for c in request["InputDataConfig"]] == [
        "training", "validation", "model"
    ]
    assert request["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] == (
        "s3://datasets/js/train/"
    )
    client = aws_client("sagemaker")
    with Stubber(client) as stub:
        stub.add_response("create_training_job", {"TrainingJobArn": TRAINING_ARN},
                          expected_params=request)
        assert start_jumpstart_job(request, client=client)["TrainingJobArn"] == TRAINING_ARN
        stub.assert_no_pending_responses()


def test_cli_bedrock_dry_run_and_send(ledger: Ledger, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(20):
        ledger.record_correction(make_correction(i))
    export_dataset(ledger, tmp_path / "o", ExportOptions(format="bedrock-conversation",
                                                         val_fraction=0.2))
    args = ["retrain", "bedrock", "--dataset", "s3://datasets/v1", "--base-model",
            "amazon.nova-micro-v1:0:128k", "--role-arn", ROLE, "--export", str(tmp_path / "o"),
            "--job-name", "job-1", "-p", "epochCount=2"]
    dry = CliRunner().invoke(app, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    request = json.loads(dry.stdout)
    assert request["validationDataConfig"]["validators"][0]["s3Uri"] == (
        "s3://datasets/v1/validation.jsonl"
    )
    client = aws_client("bedrock")
    stub = Stubber(client)
    stub.add_response("create_model_customization_job", {"jobArn": JOB_ARN},
                      expected_params=request)
    stub.activate()
    monkeypatch.setattr("hitl_agent.cli.retrain.make_client", lambda service, region: client)
    sent = CliRunner().invoke(app, args)
    assert sent.exit_code == 0, sent.output
    assert json.loads(sent.stdout)["response"] == {"jobArn": JOB_ARN}
    stub.assert_no_pending_responses()
    stub.add_client_error("create_model_customization_job", "ValidationException", "bad model")
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 1 and "bad model" in refused.stderr
    wrong = CliRunner().invoke(app, [*args[:-4], "--export", str(tmp_path / "nope"), "--dry-run"])
    assert wrong.exit_code == 2


def test_cli_jumpstart_dry_run(tmp_path: Path) -> None:
    args = ["retrain", "jumpstart", "--dataset", "s3://datasets/js", "--role-arn", ROLE,
            "--training-image", IMAGE, "--model-uri", "s3://cache/model/", "--script-uri",
            "s3://cache/sourcedir.tar.gz", "--job-name", "js-1", "--dry-run"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == jumpstart_request(
        dataset="s3://datasets/js", role_arn=ROLE, job_name="js-1", training_image=IMAGE,
        model_uri="s3://cache/model/", script_uri="s3://cache/sourcedir.tar.gz",
    )
    missing = CliRunner().invoke(app, args[:6] + ["--dry-run"])
    assert missing.exit_code == 2
