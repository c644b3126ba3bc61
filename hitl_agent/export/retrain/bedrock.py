"""Start an Amazon Bedrock fine-tuning job on an exported dataset (``CreateModelCustomizationJob``).

The request follows botocore's ``bedrock`` service model: ``jobName``, ``customModelName``,
``roleArn``, ``baseModelIdentifier``, ``trainingDataConfig.s3Uri``, optional
``validationDataConfig.validators[].s3Uri``, ``outputDataConfig.s3Uri`` and string-valued
``hyperParameters`` (e.g. ``epochCount``, ``batchSize``, ``learningRate`` for Nova/Titan,
``learningRateMultiplier`` for Claude 3 Haiku).
"""

from __future__ import annotations

from typing import Any

from hitl_agent.errors import ConfigError
from hitl_agent.export.manifest import Manifest
from hitl_agent.export.s3 import s3_join
from hitl_agent.s3_uri import parse_s3_prefix

BEDROCK_FORMATS = ("bedrock-conversation", "bedrock-prompt-completion")


def dataset_layout(
    manifest: Manifest | None, *, formats: tuple[str, ...]
) -> tuple[str, str | None]:
    """The train file and the validation file (if any) an export holds, relative to its root."""
    if manifest is None:
        return "train.jsonl", None
    if manifest.format not in formats:
        raise ConfigError(f"an export in {manifest.format!r} cannot be used here; export with "
                          f"--format {' or '.join(formats)}", field="export")
    train = manifest.file("train")
    if train is None:
        raise ConfigError("the export has no training file", field="export")
    val = manifest.file("validation")
    return train.path, None if val is None else val.path


def bedrock_request(
    *,
    dataset: str,
    base_model: str,
    role_arn: str,
    job_name: str,
    custom_model_name: str,
    train_path: str = "train.jsonl",
    validation_path: str | None = None,
    output: str | None = None,
    hyperparameters: dict[str, Any] | None = None,
    customization_type: str = "FINE_TUNING",
) -> dict[str, Any]:
    """The ``create_model_customization_job`` parameters for a dataset under ``dataset`` (S3)."""
    parse_s3_prefix(dataset, field="dataset")
    request: dict[str, Any] = {
        "jobName": job_name,
        "customModelName": custom_model_name,
        "roleArn": role_arn,
        "baseModelIdentifier": base_model,
        "customizationType": customization_type,
        "trainingDataConfig": {"s3Uri": s3_join(dataset, train_path)},
        "outputDataConfig": {"s3Uri": output or s3_join(dataset, "output/")},
    }
    if validation_path is not None:
        request["validationDataConfig"] = {
            "validators": [{"s3Uri": s3_join(dataset, validation_path)}]
        }
    if hyperparameters:
        request["hyperParameters"] = {k: str(v) for k, v in hyperparameters.items()}
    return request


def start_bedrock_job(request: dict[str, Any], *, client: Any = None) -> dict[str, Any]:
    """Send the request; returns Bedrock's answer (``jobArn``)."""
    if client is None:
        import boto3

        client = boto3.client("bedrock")
    response: dict[str, Any] = client.create_model_customization_job(**request)
    return response
