"""``hitl-agent retrain``: refit a scikit-learn model, or start a Bedrock / JumpStart job.

Register with ``app.add_typer(retrain_app, name="retrain")``. Exit codes: 0 done, 1 the job or
refit failed (AWS refused, the ledger failed), 2 bad usage or input.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from hitl_agent.cli.common import EXIT_FAILED, describe, exit_code, fail, ledger_location
from hitl_agent.errors import ConfigError, HitlError
from hitl_agent.export.manifest import load_manifest
from hitl_agent.export.options import ExportOptions
from hitl_agent.export.pipeline import select_corrections
from hitl_agent.export.retrain.bedrock import (
    BEDROCK_FORMATS,
    bedrock_request,
    dataset_layout,
    start_bedrock_job,
)
from hitl_agent.export.retrain.jumpstart import (
    jumpstart_request,
    resolve_jumpstart_uris,
    start_jumpstart_job,
)
from hitl_agent.export.retrain.sklearn import load_bundle, retrain_sklearn, save_bundle

retrain_app = typer.Typer(
    name="retrain", help="Retrain a model on the corrections.", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
DataOpt = Annotated[Path | None, typer.Option(
    help="Data folder holding ledger.db (default $HITL_DATA or .hitl/).")]
LedgerOpt = Annotated[str | None, typer.Option(help="Ledger URL or SQLite path, not --data.")]
HpOpt = Annotated[list[str] | None, typer.Option(
    "--hyperparameter", "-p", help="KEY=VALUE, repeatable.")]
OutputOpt = Annotated[str | None, typer.Option(help="s3:// output (default DATASET/output).")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Print the request; send nothing.")]
DatasetOpt = Annotated[str, typer.Option(help="s3://bucket/prefix the export was uploaded to.")]
JobNameOpt = Annotated[str | None, typer.Option(help="Job name (default hitl-KIND-TIMESTAMP).")]
RegionOpt = Annotated[str | None, typer.Option(help="AWS region (default boto3's).")]


def make_client(service: str, region: str | None) -> Any:
    """The boto3 client a job goes through (tests replace this with a stubbed client)."""
    import boto3

    return boto3.client(service, region_name=region)


def _hyperparameters(pairs: list[str] | None) -> dict[str, str]:
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--hyperparameter {pair!r} is not KEY=VALUE", field="hyperparameter")
        out[key] = value
    return out


def _job_name(kind: str) -> str:
    return f"hitl-{kind}-{datetime.now(UTC):%Y%m%d-%H%M%S}"


def _emit(payload: dict[str, Any]) -> None:
    typer.echo(json.dumps(payload, indent=2, default=str))


def _build(build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A job's request, or exit 2 for bad options (3 when an extra they need is missing)."""
    try:
        return build()
    except (HitlError, ImportError) as exc:  # ImportError: the sagemaker extra (--model-id)
        fail(describe(exc), code=exit_code(exc, bad_input=(HitlError, ImportError)))


def _send(request: dict[str, Any], send: Any, service: str, region: str | None,
          dry_run: bool) -> None:
    if dry_run:
        _emit(request)
        return
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        response = send(request, client=make_client(service, region))
    except (BotoCoreError, ClientError) as exc:
        fail(f"{service} refused the job: {exc}", code=EXIT_FAILED)
    response = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    _emit({"request": request, "response": response})


@retrain_app.command("sklearn")
def sklearn_command(
    model: Annotated[Path, typer.Option(
        help="joblib bundle {estimator, X_train, y_train, X_test, y_test}.")],
    data: DataOpt = None,
    ledger: LedgerOpt = None,
    task: Annotated[str | None, typer.Option(help="Only corrections of this task.")] = None,
    min_agreement: Annotated[float | None, typer.Option(
        help="Only reviews whose reviewers agreed at least this much.")] = None,
    save: Annotated[Path | None, typer.Option(
        help="Write the refitted model to this bundle path.")] = None,
    json_output: JsonOpt = False,
) -> None:
    """Refit a scikit-learn model on its training data plus the corrections; show accuracy.

    The bundle (--model) is a joblib file holding a dict: ``estimator`` (the scikit-learn
    classifier), ``X_train``/``y_train`` (what it was trained on) and ``X_test``/``y_test``
    (held-out rows, scored before and after). Write one with
    ``hitl_agent.export.retrain.sklearn.save_bundle(path, estimator, X_train, y_train, X_test,
    y_test)``. Corrections whose input is also a test row are warned about.
    """
    try:
        bundle = load_bundle(model)
        options = ExportOptions(format="csv", task=task, min_agreement=min_agreement)
        source = ledger_location(data, ledger)
        if "://" not in source and not Path(source).is_file():
            raise ConfigError(f"no ledger at {source!r}", field="ledger")
    except (HitlError, ValueError) as exc:
        fail(describe(exc), code=exit_code(exc, bad_input=(HitlError, ValueError)))
    try:
        corrections = list(select_corrections(source, options))
        overlap = _test_overlap(corrections, bundle.X_test)
        if overlap:
            Console(stderr=True).print(
                f"[yellow]warning:[/] {overlap} correction(s) have an input that is also in the "
                "bundle's test split: the accuracy after retraining is measured partly on "
                "training data (take those rows out of X_test)", highlight=False)
        report = retrain_sklearn(bundle.estimator, bundle.X_train, bundle.y_train,
                                 corrections, bundle.X_test, bundle.y_test)
    except HitlError as exc:
        fail(describe(exc), code=exit_code(exc))
    if save is not None:
        save_bundle(save, report.estimator, bundle.X_train, bundle.y_train, bundle.X_test,
                    bundle.y_test)
    if json_output:
        _emit(report.to_dict())
        return
    table = Table(title=f"retrained {type(bundle.estimator).__name__}")
    table.add_column("")
    table.add_column("accuracy", justify="right")
    table.add_column("training rows", justify="right")
    table.add_row("before", f"{report.accuracy_before:.4f}", str(report.n_train_before))
    table.add_row("after", f"{report.accuracy_after:.4f}", str(report.n_train_after))
    Console().print(table)
    typer.echo(
        f"{report.n_corrections} corrections used ({report.n_skipped} skipped); accuracy "
        f"{report.accuracy_before:.1%} -> {report.accuracy_after:.1%} "
        f"({report.gain:+.1%} on {report.n_test} held-out items)"
    )


def _test_overlap(corrections: list[Any], x_test: Any) -> int:
    """How many corrections' inputs are rows of the test split."""
    import numpy as np

    test_rows = {tuple(np.asarray(row, dtype=float).ravel().tolist()) for row in x_test}
    overlap = 0
    for c in corrections:
        try:
            key = tuple(np.asarray(c.input, dtype=float).ravel().tolist())
        except (TypeError, ValueError):
            continue
        overlap += key in test_rows
    return overlap


@retrain_app.command("bedrock")
def bedrock_command(
    dataset: DatasetOpt,
    base_model: Annotated[str, typer.Option(help="Base model id or ARN.")],
    role_arn: Annotated[str, typer.Option(help="Service role Bedrock assumes.")],
    export: Annotated[Path | None, typer.Option(
        help="The local export folder (its manifest names the train/validation files).")] = None,
    custom_model_name: Annotated[str | None, typer.Option()] = None,
    job_name: JobNameOpt = None, output: OutputOpt = None, hyperparameter: HpOpt = None,
    region: RegionOpt = None, dry_run: DryRunOpt = False,
) -> None:
    """Start a Bedrock fine-tuning job (CreateModelCustomizationJob) on an exported dataset."""

    def build() -> dict[str, Any]:
        manifest = load_manifest(export) if export is not None else None
        train, validation = dataset_layout(manifest, formats=BEDROCK_FORMATS)
        name = job_name or _job_name("bedrock")
        return bedrock_request(
            dataset=dataset, base_model=base_model, role_arn=role_arn, job_name=name,
            custom_model_name=custom_model_name or name, train_path=train,
            validation_path=validation, output=output,
            hyperparameters=_hyperparameters(hyperparameter),
        )

    _send(_build(build), start_bedrock_job, "bedrock", region, dry_run)


@retrain_app.command("jumpstart")
def jumpstart_command(
    dataset: DatasetOpt,
    role_arn: Annotated[str, typer.Option(help="Execution role of the training job.")],
    model_id: Annotated[str | None, typer.Option(
        help="JumpStart model id; resolves the URIs below (needs the sagemaker extra).")] = None,
    training_image: Annotated[str | None, typer.Option(help="Training image URI.")] = None,
    model_uri: Annotated[str | None, typer.Option(help="s3:// model artifacts.")] = None,
    script_uri: Annotated[str | None, typer.Option(help="s3:// training script archive.")] = None,
    export: Annotated[Path | None, typer.Option(
        help="The local export folder (tells whether a validation channel exists).")] = None,
    instance_type: Annotated[str, typer.Option()] = "ml.g5.2xlarge",
    job_name: JobNameOpt = None, output: OutputOpt = None, hyperparameter: HpOpt = None,
    region: RegionOpt = None, dry_run: DryRunOpt = False,
) -> None:
    """Start a JumpStart instruction-tuning job (CreateTrainingJob) on an exported dataset."""

    def build() -> dict[str, Any]:
        image, model, script = training_image, model_uri, script_uri
        if model_id is not None:
            found = resolve_jumpstart_uris(model_id, instance_type=instance_type, region=region)
            image = image or found["training_image"]
            model = model or found["model_uri"]
            script = script or found["script_uri"]
        if image is None or model is None:
            raise ConfigError("give --model-id, or --training-image and --model-uri",
                              field="model_id")
        manifest = load_manifest(export) if export is not None else None
        _, validation = dataset_layout(manifest, formats=("jumpstart-instruction",))
        return jumpstart_request(
            dataset=dataset, role_arn=role_arn, job_name=job_name or _job_name("jumpstart"),
            training_image=image, model_uri=model, script_uri=script,
            validation=validation is not None, instance_type=instance_type, output=output,
            hyperparameters=_hyperparameters(hyperparameter),
        )

    _send(_build(build), start_jumpstart_job, "sagemaker", region, dry_run)
