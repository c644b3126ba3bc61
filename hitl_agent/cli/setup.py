"""``hitl-agent setup``: create the task UI and flow definition for a template, on AWS or on the
review service."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hitl_agent.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_NOT_READY,
    console,
    exit_for,
    fail,
    print_json,
)
from hitl_agent.errors import HitlError
from hitl_agent.resources import templates_dir
from hitl_agent.review.setup import PLACEHOLDER_ROLE, create_review_flow


def setup(
    name: Annotated[str, typer.Argument(help="Flow definition name (the task UI is NAME-ui).")],
    template: Annotated[str, typer.Option(help="Template file, or a shipped template name "
                                          "(classification, text-correction, …).")],
    output: Annotated[str, typer.Option(help="S3OutputPath: s3://bucket/prefix, or a folder "
                                        "relative to the working directory (review service "
                                        "only; under one of its output roots).")],
    endpoint: Annotated[str | None, typer.Option(
        help="Review service URL; leave out for AWS.",
        envvar="HITL_ENDPOINT")] = None,
    team: Annotated[str | None, typer.Option(help="Work team to create (review service).")] = None,
    workteam_arn: Annotated[str | None, typer.Option(help="Existing work team (AWS).")] = None,
    role_arn: Annotated[str, typer.Option(help="IAM role A2I assumes (AWS).")] = PLACEHOLDER_ROLE,
    task_count: Annotated[int, typer.Option(help="Reviewers per item (1-3).")] = 1,
    title: Annotated[str, typer.Option(help="Task title workers see.")] = "Review a model output",
    region: Annotated[str, typer.Option(help="AWS region.")] = "us-east-1",
    json_out: Annotated[bool, typer.Option("--json", help="Print the ARNs as JSON.")] = False,
) -> None:
    """Create (or find) the task UI, work team and flow definition for a template."""
    # boto3 here, not at the CLI's start: every other command (the demo first) goes without.
    import boto3
    from botocore.exceptions import EndpointConnectionError, NoCredentialsError

    from hitl_agent._boto import RETRY_CONFIG

    path = Path(template)
    if not path.is_file():
        shipped = templates_dir() / f"{template}.liquid.html"  # e.g. aws/textract-forms
        if not shipped.is_file():
            raise typer.BadParameter(f"{template!r} is no file and no shipped template",
                                     param_hint="--template")
        path = shipped
    if "://" not in output:
        # A folder is taken as given, relative to the working directory; the service accepts it
        # only under one of its output roots (its security model), and says so if not.
        output = str(Path(output).expanduser().resolve())
    kwargs: dict[str, str] = {}
    if endpoint:
        # boto3's own chain (env, AWS_PROFILE, ~/.aws/credentials); failing that, the admin key
        # `hitl-agent serve` wrote to the data folder.
        from hitl_agent.credentials import service_credentials

        kwargs = service_credentials()
    client = boto3.client("sagemaker", endpoint_url=endpoint, region_name=region,
                          config=RETRY_CONFIG, **kwargs)
    try:
        flow = create_review_flow(client, name=name, template=path, output_path=output,
                                  workteam_arn=workteam_arn, team=team, role_arn=role_arn,
                                  task_count=task_count, title=title)
    except NoCredentialsError:
        fail("no credentials to sign with: start the service with `hitl-agent serve` in this "
             "data folder (it writes its admin key to the folder's credentials file), or set "
             "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)", code=EXIT_NOT_READY)
    except EndpointConnectionError:
        fail(f"nothing answers at {endpoint or 'AWS'}: is `hitl-agent serve` running there? "
             "(--endpoint or HITL_ENDPOINT)", code=EXIT_NOT_READY)
    except HitlError as exc:
        if _output_refused(exc, output):
            fail(f"the service refused --output {output}: {str(exc).rstrip('.')}. To write "
                 f"there, start the service with `hitl-agent serve --output-root {output}` "
                 "(repeatable), or give a folder under one of its output roots (its data "
                 "folder's output/ by default) or an s3:// URI.", code=EXIT_BAD_INPUT)
        exit_for(exc)
    result = {"FlowDefinitionArn": flow.flow_definition_arn,
              "HumanTaskUiArn": flow.human_task_ui_arn, "WorkteamArn": flow.workteam_arn,
              "S3OutputPath": flow.output_path}
    if json_out:
        print_json(result)
    else:
        for k, v in result.items():
            console.print(f"{k}: {v}", highlight=False)


def _output_refused(exc: HitlError, output: str) -> bool:
    """Whether the service refused the flow definition for its S3OutputPath (a local folder
    outside its output roots)."""
    return ("://" not in output and exc.context.get("code") == "ValidationException"
            and "output roots" in str(exc))
