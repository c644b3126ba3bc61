"""The SageMaker control-plane subset A2I needs: flow definitions, task UIs, work teams, render."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hitl_agent._lazy import lazy_exports
from hitl_agent.errors import ValidationError as ConditionError
from hitl_agent.policy.activation import parse_activation_conditions

from .clock import Clock, epoch_s, now_us
from .errors import (
    ResourceInUse,
    ResourceNotFound,
    UnknownOperation,
    ValidationException,
)
from .models import FlowDefinition, HumanLoop, HumanTaskUi, Workteam
from .pagination import paginate
from .portal_auth import load_keys
from .settings import ServiceSettings
from .signing import LocalUrlSigner, S3Presigner
from .storage import Store
from .tagging import Tagging, drop_tags, read_tags, save_tags
from .validation import (
    KEYWORD,
    NAME,
    ROLE_ARN,
    SORT_ORDERS,
    TASK_UI_ARN,
    WORKTEAM_ARN,
    Fields,
    invalid,
)
from .workforces import WorkforceBackend
from .workteams import WorkteamBackend

if TYPE_CHECKING:
    from .liquid import UrlSigner

REQUEST_SOURCES = (
    "AWS/Rekognition/DetectModerationLabels/Image/V3",
    "AWS/Textract/AnalyzeDocument/Forms/V1",
)
OUTPUT_PATH = r"((https|s3)://([^/]+)/?(.*)|file://.+|[^:]+)"

__getattr__, __dir__ = lazy_exports(globals(), deprecated={
    "MAX_WORKTEAMS": "hitl_agent.service.workteams",  # work teams have their own module
})


def _opt(d: dict[str, Any], key: str, raw: str | None) -> None:
    if raw is not None:
        d[key] = json.loads(raw)


class ControlPlaneBackend:
    def __init__(self, store: Store, settings: ServiceSettings, clock: Clock = now_us) -> None:
        self.store, self.settings, self.clock = store, settings, clock
        self.operations: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            name: getattr(self, _snake(name))
            for name in (
                "CreateFlowDefinition",
                "DescribeFlowDefinition",
                "ListFlowDefinitions",
                "DeleteFlowDefinition",
                "CreateHumanTaskUi",
                "DescribeHumanTaskUi",
                "ListHumanTaskUis",
                "DeleteHumanTaskUi",
            )
        }
        self._presigner: S3Presigner | None = None
        self.workteams = WorkteamBackend(store, settings, clock)
        self.workforces = WorkforceBackend(store, settings, clock)
        self.tagging = Tagging(store)
        self.operations.update(self.tagging.operations())
        # The operations whose answers show the portal's address (SubDomain, UiTemplate.Url).
        self.addressed: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {
            "DescribeHumanTaskUi": self.describe_human_task_ui,
            "RenderUiTemplate": self.render_ui_template,
            **{
                f"{verb}{kind}": getattr(backend, f"{_snake(verb)}_{kind.lower()}")
                for kind, backend in (
                    ("Workteam", self.workteams),
                    ("Workforce", self.workforces),
                )
                for verb in ("Create", "Describe", "Update", "Delete")
            },
            "ListWorkteams": self.workteams.list_workteams,
            "ListWorkforces": self.workforces.list_workforces,
        }

    def dispatch(
        self, operation: str, body: dict[str, Any], *, base_url: str = ""
    ) -> dict[str, Any]:
        """Run ``SageMaker.<operation>``; ``base_url`` is where this request reached the service."""
        addressed = self.addressed.get(operation)
        if addressed is not None:
            return addressed(body, base_url)
        handler = self.operations.get(operation)
        if handler is None:
            raise UnknownOperation(
                f"Operation SageMaker.{operation} is not supported by this service",
                field="X-Amz-Target",
            )
        return handler(body)

    # --- flow definitions ----------------------------------------------------------------------
    def create_flow_definition(self, body: dict[str, Any]) -> dict[str, Any]:
        f = Fields(body)
        name = f.req_string("FlowDefinitionName", min_len=1, max_len=63, pattern=NAME)
        out = f.req_obj("OutputConfig")
        output_path = out.req_string("S3OutputPath", max_len=1024, pattern=OUTPUT_PATH)
        kms = out.string("KmsKeyId", max_len=2048, pattern=r"[a-zA-Z0-9:/_-]*")
        role = f.req_string("RoleArn", min_len=20, max_len=2048, pattern=ROLE_ARN)
        source = f.obj("HumanLoopRequestSource")
        request_source = (
            source.req_string("AwsManagedHumanLoopRequestSource", enum=REQUEST_SOURCES)
            if source
            else None
        )
        conditions = self._activation_conditions(f.obj("HumanLoopActivationConfig"), request_source)
        hlc = f.obj("HumanLoopConfig")
        config = self._human_loop_config(hlc) if hlc is not None else None
        tags = read_tags(f)
        arn = self.settings.arn("flow-definition", name)
        with self.store.write() as s:
            if config is not None:
                self._check_servable(s, config)
            if s.scalars(select(FlowDefinition.id).where(FlowDefinition.name == name)).first():
                raise ResourceInUse(
                    f"Flow definition '{name}' already exists", field="FlowDefinitionName"
                )
            s.add(
                FlowDefinition(
                    name=name,
                    arn=arn,
                    status="Active",
                    created_us=self.clock(),
                    role_arn=role,
                    output_path=output_path,
                    kms_key_id=kms,
                    human_loop_config=json.dumps(config) if config is not None else None,
                    request_source=request_source,
                    activation_conditions=conditions,
                )
            )
            save_tags(s, arn, tags)
        return {"FlowDefinitionArn": arn}

    @staticmethod
    def _activation_conditions(activation: Fields | None, request_source: str | None) -> str | None:
        """The conditions document, checked as A2I checks it (known ConditionTypes, the types
        of the request source, parameters, nesting)."""
        if activation is None:
            return None
        member = "HumanLoopActivationConfig.HumanLoopActivationConditionsConfig"
        conditions = activation.req_obj("HumanLoopActivationConditionsConfig").req_string(
            "HumanLoopActivationConditions", max_len=10_240
        )
        source = {REQUEST_SOURCES[0]: "rekognition", REQUEST_SOURCES[1]: "textract"}.get(
            request_source or ""
        )
        try:
            parse_activation_conditions(conditions, source=source)  # type: ignore[arg-type]
        except ConditionError as exc:
            path = f"{member}.HumanLoopActivationConditions.{exc.field or 'Conditions'}"
            raise ValidationException(f"{path}: {exc}", field=path) from exc
        return conditions

    def _check_servable(self, s: Session, config: dict[str, Any]) -> None:
        """A loop of this flow can be shown to someone: the team and the task UI exist here."""
        team_arn = str(config["WorkteamArn"])
        member = "HumanLoopConfig.WorkteamArn"
        if ":workteam/public-crowd/" in team_arn or ":workteam/vendor-crowd/" in team_arn:
            kind = "public (Amazon Mechanical Turk)" if "public-crowd" in team_arn else "vendor"
            raise ValidationException(
                f"{member}: the {kind} workforce cannot be served by this service; use a private "
                "work team (CreateWorkteam)",
                field=member,
            )
        if s.scalars(select(Workteam.id).where(Workteam.arn == team_arn)).first() is None:
            raise ValidationException(
                f"{member}: work team '{team_arn}' does not exist (create it with CreateWorkteam)",
                field=member,
            )
        ui_arn = str(config["HumanTaskUiArn"])
        if s.scalars(select(HumanTaskUi.id).where(HumanTaskUi.arn == ui_arn)).first() is None:
            raise ValidationException(
                f"HumanLoopConfig.HumanTaskUiArn: HumanTaskUi '{ui_arn}' does not exist",
                field="HumanLoopConfig.HumanTaskUiArn",
            )

    def _human_loop_config(self, f: Fields) -> dict[str, Any]:
        cfg: dict[str, Any] = {
            "WorkteamArn": f.req_string("WorkteamArn", max_len=256, pattern=WORKTEAM_ARN),
            "HumanTaskUiArn": f.req_string("HumanTaskUiArn", max_len=1024, pattern=TASK_UI_ARN),
            "TaskTitle": f.req_string(
                "TaskTitle", min_len=1, max_len=128, pattern=r"[\t\n\r -\ud7ff\ue000-\ufffd]*"
            ),
            "TaskDescription": f.req_string("TaskDescription", min_len=1, max_len=255),
            "TaskCount": f.integer(
                "TaskCount", required=True, minimum=1, maximum=self.settings.max_task_count
            ),
        }
        lifetime = f.integer("TaskAvailabilityLifetimeInSeconds", minimum=1)
        if lifetime is not None:
            cfg["TaskAvailabilityLifetimeInSeconds"] = lifetime
        limit = f.integer("TaskTimeLimitInSeconds", minimum=30)
        if limit is not None:
            cfg["TaskTimeLimitInSeconds"] = limit
        keywords = f.items("TaskKeywords", min_items=1, max_items=5)
        if keywords is not None:
            kw = Fields({str(i + 1): k for i, k in enumerate(keywords)}, f"{f.path}.TaskKeywords")
            cfg["TaskKeywords"] = [
                kw.req_string(str(i + 1), min_len=1, max_len=30, pattern=KEYWORD)
                for i in range(len(keywords))
            ]
        price = f.obj("PublicWorkforceTaskPrice")
        if price is not None:
            usd = price.obj("AmountInUsd")
            if usd is not None:
                usd.integer("Dollars", minimum=0, maximum=2)
                usd.integer("Cents", minimum=0, maximum=99)
                usd.integer("TenthFractionsOfACent", minimum=0, maximum=9)
            cfg["PublicWorkforceTaskPrice"] = price.data
        return cfg

    def _flow(self, f: Fields) -> FlowDefinition:
        name = f.req_string("FlowDefinitionName", min_len=1, max_len=63, pattern=NAME)
        with self.store.read() as s:
            flow = s.scalars(select(FlowDefinition).where(FlowDefinition.name == name)).first()
        if flow is None:
            raise ResourceNotFound(
                f"Flow definition '{name}' does not exist", field="FlowDefinitionName"
            )
        return flow

    def describe_flow_definition(self, body: dict[str, Any]) -> dict[str, Any]:
        flow = self._flow(Fields(body))
        out: dict[str, Any] = {
            "FlowDefinitionArn": flow.arn,
            "FlowDefinitionName": flow.name,
            "FlowDefinitionStatus": flow.status,
            "CreationTime": epoch_s(flow.created_us),
            "OutputConfig": {"S3OutputPath": flow.output_path},
            "RoleArn": flow.role_arn,
        }
        if flow.kms_key_id:
            out["OutputConfig"]["KmsKeyId"] = flow.kms_key_id
        _opt(out, "HumanLoopConfig", flow.human_loop_config)
        if flow.request_source:
            out["HumanLoopRequestSource"] = {
                "AwsManagedHumanLoopRequestSource": flow.request_source
            }
        if flow.activation_conditions is not None:
            out["HumanLoopActivationConfig"] = {
                "HumanLoopActivationConditionsConfig": {
                    "HumanLoopActivationConditions": flow.activation_conditions
                }
            }
        return out

    def list_flow_definitions(self, body: dict[str, Any]) -> dict[str, Any]:
        rows, token = self._list(Fields(body), FlowDefinition)
        out: dict[str, Any] = {
            "FlowDefinitionSummaries": [
                {
                    "FlowDefinitionName": r.name,
                    "FlowDefinitionArn": r.arn,
                    "FlowDefinitionStatus": r.status,
                    "CreationTime": epoch_s(r.created_us),
                }
                for r in rows
            ]
        }
        if token:
            out["NextToken"] = token
        return out

    def delete_flow_definition(self, body: dict[str, Any]) -> dict[str, Any]:
        flow = self._flow(Fields(body))
        with self.store.write() as s:
            busy = s.scalars(
                select(HumanLoop.id).where(
                    HumanLoop.flow_definition_arn == flow.arn,
                    HumanLoop.status.in_(("InProgress", "Stopping")),
                )
            ).first()
            if busy is not None:
                raise ResourceInUse(
                    f"Flow definition '{flow.name}' has active human loops",
                    field="FlowDefinitionName",
                )
            row = s.get(FlowDefinition, flow.id)
            if row is not None:
                s.delete(row)
            drop_tags(s, flow.arn)
        return {}

    # --- human task UIs ------------------------------------------------------------------------
    def create_human_task_ui(self, body: dict[str, Any]) -> dict[str, Any]:
        f = Fields(body)
        name = f.req_string("HumanTaskUiName", min_len=1, max_len=63, pattern=NAME)
        content = f.req_obj("UiTemplate").req_string("Content", min_len=1, max_len=128_000)
        tags = read_tags(f)
        arn = self.settings.arn("human-task-ui", name)
        try:
            with self.store.write() as s:
                if s.scalars(select(HumanTaskUi.id).where(HumanTaskUi.name == name)).first():
                    raise ResourceInUse(
                        f"HumanTaskUi '{name}' already exists", field="HumanTaskUiName"
                    )
                s.add(
                    HumanTaskUi(
                        name=name,
                        arn=arn,
                        created_us=self.clock(),
                        content=content,
                        sha256=hashlib.sha256(content.encode()).hexdigest(),
                    )
                )
                save_tags(s, arn, tags)
        except IntegrityError as exc:
            raise ResourceInUse(
                f"HumanTaskUi '{name}' already exists", field="HumanTaskUiName"
            ) from exc
        return {"HumanTaskUiArn": arn}

    def _ui(self, f: Fields) -> HumanTaskUi:
        name = f.req_string("HumanTaskUiName", min_len=1, max_len=63, pattern=NAME)
        ui = self.task_ui(name)
        if ui is None:
            raise ResourceNotFound(f"HumanTaskUi '{name}' does not exist", field="HumanTaskUiName")
        return ui

    def task_ui(self, name: str) -> HumanTaskUi | None:
        with self.store.read() as s:
            return s.scalars(select(HumanTaskUi).where(HumanTaskUi.name == name)).first()

    def describe_human_task_ui(self, body: dict[str, Any], base_url: str = "") -> dict[str, Any]:
        ui = self._ui(Fields(body))
        base = (self.settings.public_url or base_url).rstrip("/")
        return {
            "HumanTaskUiArn": ui.arn,
            "HumanTaskUiName": ui.name,
            "HumanTaskUiStatus": "Active",
            "CreationTime": epoch_s(ui.created_us),
            "UiTemplate": {
                "Url": f"{base}/hitl/human-task-uis/{ui.name}/template",
                "ContentSha256": ui.sha256,
            },
        }

    def list_human_task_uis(self, body: dict[str, Any]) -> dict[str, Any]:
        rows, token = self._list(Fields(body), HumanTaskUi)
        out: dict[str, Any] = {
            "HumanTaskUiSummaries": [
                {
                    "HumanTaskUiName": r.name,
                    "HumanTaskUiArn": r.arn,
                    "CreationTime": epoch_s(r.created_us),
                }
                for r in rows
            ]
        }
        if token:
            out["NextToken"] = token
        return out

    def delete_human_task_ui(self, body: dict[str, Any]) -> dict[str, Any]:
        ui = self._ui(Fields(body))
        with self.store.write() as s:
            busy = s.scalars(
                select(HumanLoop.name).where(
                    HumanLoop.human_task_ui_arn == ui.arn,
                    HumanLoop.status.in_(("InProgress", "Stopping")),
                )
            ).first()
            if busy is not None:
                # Its loops would have nothing to show their workers (AWS keeps the template of
                # a started task; this service keeps the task UI until they end).
                raise ResourceInUse(
                    f"HumanTaskUi '{ui.name}' is shown by active human loop '{busy}': stop or "
                    "finish its loops first",
                    field="HumanTaskUiName",
                )
            row = s.get(HumanTaskUi, ui.id)
            if row is not None:
                s.delete(row)
            drop_tags(s, ui.arn)
        return {}

    def url_signer(self, base_url: str) -> UrlSigner:
        """``grant_read_access`` as the portal does it: presigned through the service's S3
        endpoint when it has one, else a signed URL of the portal's file route."""
        s = self.settings
        if s.s3_endpoint_url:
            if self._presigner is None:
                self._presigner = S3Presigner(
                    endpoint_url=s.s3_endpoint_url,
                    region_name=s.s3_region or s.region,
                    aws_access_key_id=s.aws_access_key_id,
                    aws_secret_access_key=s.aws_secret_access_key,
                )
            return self._presigner
        base = (s.public_url or base_url or "").rstrip("/")
        return LocalUrlSigner(load_keys(s.data_dir).files, base_url=f"{base}/portal/files")

    def render_ui_template(self, body: dict[str, Any], base_url: str = "") -> dict[str, Any]:
        """Render like the portal renders a task, ``grant_read_access`` URLs signed alike."""
        f = Fields(body)
        raw_input = f.req_obj("Task").req_string("Input", min_len=2, max_len=128_000)
        f.req_string("RoleArn", min_len=20, max_len=2048, pattern=ROLE_ARN)
        template = f.obj("UiTemplate")
        ui_arn = f.string("HumanTaskUiArn", max_len=1024, pattern=TASK_UI_ARN)
        if template is not None and ui_arn is not None:
            raise ValidationException(
                "UiTemplate and HumanTaskUiArn: give one of them, not both", field="UiTemplate"
            )
        if template is not None:
            source = template.req_string("Content", min_len=1, max_len=128_000)
        elif ui_arn is not None:
            ui = self.task_ui(ui_arn.split(":human-task-ui/", 1)[1])
            if ui is None:
                raise ResourceNotFound(
                    f"HumanTaskUi '{ui_arn}' does not exist", field="HumanTaskUiArn"
                )
            source = ui.content
        else:
            raise ValidationException(
                "Either UiTemplate or HumanTaskUiArn is required", field="UiTemplate"
            )
        try:
            task_input = json.loads(raw_input)
        except ValueError as exc:
            raise invalid("Task.Input", None, f"Member must be valid JSON ({exc})") from exc
        if not isinstance(task_input, dict):
            raise invalid("Task.Input", None, "Member must be a JSON object")
        from . import liquid  # imported lazily: the renderer is its own module

        try:
            signer = self.url_signer(base_url)
            rendered = liquid.render_template(source, task_input, url_signer=signer)
        except liquid.TemplateError as exc:
            code = getattr(exc, "code", None) or "TemplateError"
            return {"RenderedContent": "", "Errors": [{"Code": code, "Message": exc.message}]}
        return {"RenderedContent": rendered, "Errors": []}

    # --- shared listing ------------------------------------------------------------------------
    def _list(
        self, f: Fields, model: type[FlowDefinition] | type[HumanTaskUi]
    ) -> tuple[list[Any], str | None]:
        after = f.timestamp("CreationTimeAfter")
        before = f.timestamp("CreationTimeBefore")
        order = f.string("SortOrder", enum=SORT_ORDERS) or "Descending"
        limit = f.integer("MaxResults", minimum=1, maximum=100) or 10
        token = f.string("NextToken", max_len=8192)
        with self.store.read() as s:
            stmt = select(model)
            if after is not None:  # AWS: "greater than or equal to"
                stmt = stmt.where(model.created_us >= after)
            if before is not None:
                stmt = stmt.where(model.created_us < before)
            return paginate(
                s,
                stmt,
                model.created_us,
                model.id,
                ascending=order == "Ascending",
                limit=limit,
                token=token,
            )


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
