"""The sagemaker-a2i-runtime backend: one method per operation, holding validation and state."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .clock import Clock, iso_ms, now_us
from .errors import (
    ConflictException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ThrottlingException,
    ValidationException,
)
from .lifecycle import ACTIVE, Lifecycle, active_claims
from .models import Answer, Claim, FlowDefinition, HumanLoop, HumanTaskUi, Workteam
from .output import output_uri
from .pagination import paginate
from .settings import ServiceSettings
from .storage import Store
from .validation import FLOW_ARN, LENIENT_LOOP_NAME, NAME, SORT_ORDERS, Fields, invalid

log = logging.getLogger(__name__)

MAX_INPUT_CHARS = 3_145_728
# The hot path of the API runs prebuilt Core statements (compiled once, no per-call coercion).
_INSERT_LOOP = insert(HumanLoop)
_SELECT_SAME_NAME = select(
    HumanLoop.status, HumanLoop.input_sha256, HumanLoop.flow_definition_arn, HumanLoop.arn
).where(HumanLoop.name == bindparam("name"))
_SELECT_SAME_NAME_LOCKED = _SELECT_SAME_NAME.with_for_update()
_SELECT_FLOW = select(
    FlowDefinition.name,
    FlowDefinition.arn,
    FlowDefinition.status,
    FlowDefinition.human_loop_config,
    FlowDefinition.output_path,
    FlowDefinition.request_source,
).where(FlowDefinition.arn == bindparam("arn"))
CONTENT_CLASSIFIERS = ("FreeOfPersonallyIdentifiableInformation", "FreeOfAdultContent")
DEFAULT_MAX_RESULTS = 100


def describe_loop(loop: HumanLoop) -> dict[str, Any]:
    out: dict[str, Any] = {
        "CreationTime": iso_ms(loop.created_us),
        "HumanLoopStatus": loop.status,
        "HumanLoopName": loop.name,
        "HumanLoopArn": loop.arn,
        "FlowDefinitionArn": loop.flow_definition_arn,
        "HumanLoopOutput": {"OutputS3Uri": loop.output_uri},
    }
    if loop.failure_reason is not None:
        out["FailureReason"] = loop.failure_reason
    if loop.failure_code is not None:
        out["FailureCode"] = loop.failure_code
    return out


def _require_servable(session: Session, cfg: dict[str, Any]) -> None:
    """A loop is started only when its workers can be shown it: the flow's task UI and work team
    still exist (either may have been deleted since the flow was created)."""
    ui_arn, team_arn = cfg.get("HumanTaskUiArn"), cfg.get("WorkteamArn")
    # (by name first: the unique index; the ARN then pins the account and Region)
    ui = select(HumanTaskUi.id).where(
        HumanTaskUi.name == str(ui_arn).rsplit("/", 1)[-1], HumanTaskUi.arn == ui_arn
    )
    if ui_arn and session.scalar(ui) is None:
        raise ValidationException(
            f"FlowDefinitionArn: the flow definition's HumanTaskUi '{ui_arn}' was deleted; no "
            "worker could be shown this human loop",
            field="FlowDefinitionArn",
        )
    team = select(Workteam.id).where(
        Workteam.name == str(team_arn).rsplit("/", 1)[-1], Workteam.arn == team_arn
    )
    if team_arn and session.scalar(team) is None:
        raise ValidationException(
            f"FlowDefinitionArn: the flow definition's work team '{team_arn}' was deleted; no "
            "worker could answer this human loop",
            field="FlowDefinitionArn",
        )


class TokenBucket:
    """A per-process request-rate limit (``ServiceSettings.throttle_rps``)."""

    def __init__(self, rate: float) -> None:
        self.rate, self.tokens, self.at = rate, rate, time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


class RuntimeBackend:
    def __init__(
        self,
        store: Store,
        settings: ServiceSettings,
        lifecycle: Lifecycle,
        clock: Clock = now_us,
    ) -> None:
        self.store, self.settings, self.lifecycle, self.clock = store, settings, lifecycle, clock
        self.bucket = TokenBucket(settings.throttle_rps) if settings.throttle_rps else None
        self.after_start: Callable[[str, Callable[[str, str, str], Any]], None] | None = None

    def throttle(self) -> None:
        if self.bucket is not None and not self.bucket.take():
            raise ThrottlingException("Rate exceeded")

    def _loop_name(self, f: Fields, member: str = "HumanLoopName") -> str:
        pattern = NAME if self.settings.strict_names else LENIENT_LOOP_NAME
        return f.req_string(member, min_len=1, max_len=63, pattern=pattern)

    # --- StartHumanLoop ------------------------------------------------------------------------
    def start_human_loop(self, body: dict[str, Any]) -> dict[str, Any]:
        f = Fields(body)
        name = self._loop_name(f)
        flow_arn = f.req_string("FlowDefinitionArn", max_len=1024, pattern=FLOW_ARN)
        content = f.req_obj("HumanLoopInput").req_string("InputContent", max_len=MAX_INPUT_CHARS)
        try:
            json.loads(content)
        except ValueError as exc:
            raise invalid(
                "HumanLoopInput.InputContent", None, f"Member must be valid JSON ({exc})"
            ) from exc
        classifiers: list[str] | None = None
        attrs = f.obj("DataAttributes")
        if attrs is not None:
            raw = attrs.items("ContentClassifiers", required=True, max_items=256) or []
            for i, value in enumerate(raw):
                if value not in CONTENT_CLASSIFIERS:
                    raise invalid(
                        f"DataAttributes.ContentClassifiers.{i + 1}",
                        str(value),
                        f"Member must satisfy enum value set: [{', '.join(CONTENT_CLASSIFIERS)}]",
                    )
            classifiers = list(raw)
        digest = hashlib.sha256(content.encode()).hexdigest()
        for _attempt in range(3):
            try:
                result = self._start(name, flow_arn, content, digest, classifiers)
            except IntegrityError:  # another process inserted the same name: decide again
                continue
            if self.after_start is not None:  # gold tasks (gold.py) mix in here
                try:
                    self.after_start(flow_arn, self._start_plain)
                except Exception:  # noqa: BLE001 - the client's loop has started regardless
                    log.exception("starting a gold loop for %s failed", flow_arn)
            return result
        raise ConflictException(f"HumanLoop '{name}' is being started concurrently")

    def _start_plain(self, name: str, flow_arn: str, content: str) -> dict[str, Any]:
        digest = hashlib.sha256(content.encode()).hexdigest()
        return self._start(name, flow_arn, content, digest, None)

    def _start(
        self, name: str, flow_arn: str, content: str, digest: str, classifiers: list[str] | None
    ) -> dict[str, Any]:
        s = self.settings
        with self.store.write() as session:
            conn = session.connection()
            locked = self.store.dialect == "postgresql"
            mine = _SELECT_SAME_NAME_LOCKED if locked else _SELECT_SAME_NAME
            existing = conn.execute(mine, {"name": name}).first()
            if existing is not None:
                if existing.status not in ACTIVE:
                    raise ValidationException(
                        f"HumanLoop '{name}' already exists and is finished. To start a new "
                        "HumanLoop, you can try your request again with a different HumanLoopName.",
                        field="HumanLoopName",
                    )
                if existing.input_sha256 != digest or existing.flow_definition_arn != flow_arn:
                    raise ConflictException(
                        f"HumanLoop '{name}' already exists with different input data",
                        field="HumanLoopName",
                    )
                return {"HumanLoopArn": existing.arn}
            flow = conn.execute(_SELECT_FLOW, {"arn": flow_arn}).first()
            if flow is None or flow.status != "Active":
                raise ResourceNotFoundException(
                    f"Flow definition '{flow_arn}' does not exist", field="FlowDefinitionArn"
                )
            if s.max_active_loops is not None:
                active = (
                    session.scalar(
                        select(func.count(HumanLoop.id)).where(HumanLoop.status.in_(ACTIVE))
                    )
                    or 0
                )
                if active >= s.max_active_loops:
                    raise ServiceQuotaExceededException(
                        f"You have reached the quota of {s.max_active_loops} active human loops"
                    )
            cfg: dict[str, Any] = json.loads(flow.human_loop_config or "{}")
            _require_servable(session, cfg)
            now = self.clock() // 1000 * 1000  # A2I reports milliseconds: store what it shows
            lifetime = int(
                cfg.get("TaskAvailabilityLifetimeInSeconds") or s.default_task_availability_s
            )
            workteam_arn = cfg.get("WorkteamArn")
            arn = s.arn("human-loop", name)
            conn.execute(
                _INSERT_LOOP,
                dict(
                    name=name,
                    arn=arn,
                    flow_definition_name=flow.name,
                    flow_definition_arn=flow.arn,
                    input_content=content,
                    input_sha256=digest,
                    content_classifiers=json.dumps(classifiers)
                    if classifiers is not None
                    else None,
                    status="InProgress",
                    created_us=now,
                    updated_us=now,
                    expires_us=now + lifetime * 1_000_000,
                    output_uri=output_uri(flow.output_path, flow.name, now, name, s.data_dir),
                    output_pending=0,
                    task_count=int(cfg.get("TaskCount") or 1),
                    task_time_limit_s=int(
                        cfg.get("TaskTimeLimitInSeconds") or s.default_task_time_limit_s
                    ),
                    workteam_name=workteam_arn.rsplit("/", 1)[-1] if workteam_arn else None,
                    human_task_ui_arn=cfg.get("HumanTaskUiArn"),
                    task_title=cfg.get("TaskTitle"),
                    task_description=cfg.get("TaskDescription"),
                    task_keywords=json.dumps(cfg["TaskKeywords"])
                    if cfg.get("TaskKeywords")
                    else None,
                    request_source=flow.request_source,
                ),
            )
            return {"HumanLoopArn": arn}

    # --- DescribeHumanLoop ---------------------------------------------------------------------
    def describe_human_loop(self, name: str) -> dict[str, Any]:
        name = self._loop_name(Fields({"HumanLoopName": name}))
        with self.store.read() as session:
            loop = self.store.get_loop(session, name)
        if loop is None:
            raise ResourceNotFoundException(
                f"HumanLoop '{name}' does not exist", field="HumanLoopName"
            )
        if (
            loop.output_pending
            or loop.status == "Stopping"
            or (loop.status == "InProgress" and self.clock() >= loop.expires_us)
        ):
            self.lifecycle.settle(name)
            with self.store.read() as session:
                loop = self.store.get_loop(session, name)
            if loop is None:
                raise ResourceNotFoundException(f"HumanLoop '{name}' does not exist")
        return describe_loop(loop)

    # --- ListHumanLoops ------------------------------------------------------------------------
    def list_human_loops(self, query: dict[str, Any]) -> dict[str, Any]:
        f = Fields(query)
        flow_arn = f.req_string("FlowDefinitionArn", max_len=1024, pattern=FLOW_ARN)
        after = f.timestamp("CreationTimeAfter")
        before = f.timestamp("CreationTimeBefore")
        order = f.string("SortOrder", enum=SORT_ORDERS) or "Descending"
        limit = f.integer("MaxResults", minimum=1, maximum=100) or DEFAULT_MAX_RESULTS
        token = f.string("NextToken", max_len=8192)
        with self.store.read() as session:
            flow = session.scalars(
                select(FlowDefinition.id).where(FlowDefinition.arn == flow_arn)
            ).first()
        if flow is None:
            raise ResourceNotFoundException(
                f"Flow definition '{flow_arn}' does not exist", field="FlowDefinitionArn"
            )
        self.lifecycle.sweep(flow_arn)
        with self.store.read() as session:
            stmt = select(HumanLoop).where(HumanLoop.flow_definition_arn == flow_arn)
            if after is not None:  # AWS: "greater than or equal to"
                stmt = stmt.where(HumanLoop.created_us >= after)
            if before is not None:
                stmt = stmt.where(HumanLoop.created_us < before)
            rows, next_token = paginate(
                session,
                stmt,
                HumanLoop.created_us,
                HumanLoop.id,
                ascending=order == "Ascending",
                limit=limit,
                token=token,
            )
        summaries = []
        for loop in rows:
            item: dict[str, Any] = {
                "HumanLoopName": loop.name,
                "HumanLoopStatus": loop.status,
                "CreationTime": iso_ms(loop.created_us),
                "FlowDefinitionArn": loop.flow_definition_arn,
            }
            if loop.failure_reason is not None:
                item["FailureReason"] = loop.failure_reason
            summaries.append(item)
        out: dict[str, Any] = {"HumanLoopSummaries": summaries}
        if next_token:
            out["NextToken"] = next_token
        return out

    # --- StopHumanLoop -------------------------------------------------------------------------
    def stop_human_loop(self, body: dict[str, Any]) -> dict[str, Any]:
        name = self._loop_name(Fields(body))
        ended = False
        with self.store.write() as session:
            loop = self.store.lock_loop(session, name)
            if loop is None:
                raise ResourceNotFoundException(
                    f"HumanLoop '{name}' does not exist", field="HumanLoopName"
                )
            if loop.status in ("Completed", "Failed"):
                raise ValidationException(
                    f"HumanLoop '{name}' is {loop.status} and cannot be stopped",
                    field="HumanLoopName",
                )
            if loop.status == "InProgress" and not loop.output_pending:
                if active_claims(session, loop.id, self.clock()) > 0:
                    loop.status = "Stopping"  # a worker is mid-task: stop when it is done
                    loop.updated_us = self.clock()
                else:
                    self.lifecycle.end(session, loop, "Stopped")
                    ended = True
        if ended:
            self.lifecycle.notify()
        return {}

    # --- DeleteHumanLoop -----------------------------------------------------------------------
    def delete_human_loop(self, name: str) -> dict[str, Any]:
        name = self._loop_name(Fields({"HumanLoopName": name}))
        self.lifecycle.settle(name)
        with self.store.write() as session:
            loop = self.store.lock_loop(session, name)
            if loop is None:
                raise ResourceNotFoundException(
                    f"HumanLoop '{name}' does not exist", field="HumanLoopName"
                )
            if loop.status not in ("Completed", "Failed", "Stopped"):
                raise ValidationException(
                    f"HumanLoop '{name}' is {loop.status}: only Completed, Failed or Stopped "
                    "human loops can be deleted (stop it first)",
                    field="HumanLoopName",
                )
            session.execute(delete(Claim).where(Claim.loop_pk == loop.id))
            session.execute(delete(Answer).where(Answer.loop_pk == loop.id))
            session.delete(loop)
        return {}
