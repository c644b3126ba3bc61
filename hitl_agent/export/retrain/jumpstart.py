"""Start a SageMaker JumpStart fine-tuning job on an exported dataset (``CreateTrainingJob``).

A JumpStart estimator is a training job with three things named by the model's JumpStart
specification: the training image, the model artifacts (the ``model`` channel) and the training
script archive (``sagemaker_submit_directory``, run as ``sagemaker_program``). The sagemaker SDK
looks them up from a model id (:func:`resolve_jumpstart_uris`, in the ``sagemaker`` extra);
without it, pass them. The dataset channels are the export's ``train/`` and ``validation/``
folders, each with its ``template.json`` (``jumpstart-instruction``), and
``instruction_tuned="True"`` selects instruction tuning.
"""

from __future__ import annotations

from typing import Any

from hitl_agent.errors import ConfigError
from hitl_agent.export.s3 import s3_join
from hitl_agent.s3_uri import parse_s3_prefix, parse_s3_url

ENTRY_POINT = "transfer_learning.py"


def _channel(name: str, uri: str) -> dict[str, Any]:
    return {
        "ChannelName": name,
        "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": uri, "S3DataDistributionType": "FullyReplicated",
        }},
    }


def jumpstart_request(
    *,
    dataset: str,
    role_arn: str,
    job_name: str,
    training_image: str,
    model_uri: str,
    script_uri: str | None = None,
    validation: bool = False,
    instance_type: str = "ml.g5.2xlarge",
    instance_count: int = 1,
    volume_gb: int = 100,
    max_runtime_s: int = 86_400,
    output: str | None = None,
    hyperparameters: dict[str, Any] | None = None,
    train_folder: str = "train/",
    validation_folder: str = "validation/",
) -> dict[str, Any]:
    """The ``create_training_job`` parameters for an export under ``dataset`` (S3)."""
    parse_s3_prefix(dataset, field="dataset")
    if parse_s3_url(model_uri) is None:
        raise ConfigError("--model-uri must be the s3:// URI of the JumpStart model artifacts",
                          field="model_uri")
    hp: dict[str, str] = {"instruction_tuned": "True"}
    hp.update({k: str(v) for k, v in (hyperparameters or {}).items()})
    if script_uri is not None:
        hp.setdefault("sagemaker_program", ENTRY_POINT)
        hp["sagemaker_submit_directory"] = script_uri
    channels = [_channel("training", s3_join(dataset, train_folder))]
    if validation:
        channels.append(_channel("validation", s3_join(dataset, validation_folder)))
    channels.append(_channel("model", model_uri))
    return {
        "TrainingJobName": job_name,
        "AlgorithmSpecification": {"TrainingImage": training_image, "TrainingInputMode": "File"},
        "RoleArn": role_arn,
        "HyperParameters": hp,
        "InputDataConfig": channels,
        "OutputDataConfig": {"S3OutputPath": output or s3_join(dataset, "output")},
        "ResourceConfig": {
            "InstanceType": instance_type,
            "InstanceCount": instance_count,
            "VolumeSizeInGB": volume_gb,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime_s},
    }


def resolve_jumpstart_uris(
    model_id: str, *, model_version: str = "*", instance_type: str = "ml.g5.2xlarge",
    region: str | None = None,
) -> dict[str, str]:
    """Training image, model artifacts and script URIs of a JumpStart model (sagemaker SDK)."""
    try:
        from sagemaker import image_uris, model_uris, script_uris
    except ImportError as exc:
        raise ImportError(
            'resolving a JumpStart model id needs the sagemaker SDK: pip install '
            '"hitl-agent[sagemaker]" (or pass --training-image, --model-uri, --script-uri)'
        ) from exc
    common = {"model_id": model_id, "model_version": model_version, "region": region}
    return {
        "training_image": image_uris.retrieve(
            framework=None, image_scope="training", instance_type=instance_type, **common
        ),
        "model_uri": model_uris.retrieve(model_scope="training", **common),
        "script_uri": script_uris.retrieve(script_scope="training", **common),
    }


def start_jumpstart_job(request: dict[str, Any], *, client: Any = None) -> dict[str, Any]:
    """Send the request; returns SageMaker's answer (``TrainingJobArn``)."""
    if client is None:
        import boto3

        client = boto3.client("sagemaker")
    response: dict[str, Any] = client.create_training_job(**request)
    return response
