"""The sagemaker-a2i-runtime backend: one method per operation, holding validation and state."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from sqlalchemy import Connection, bindparam, delete, exists, func, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from hitl_agent.storage.engine import reader

from .clock import Clock, iso_ms, now_us
from .errors import (
    AwsError,
    ConflictException,
    InternalServerException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ThrottlingException,
    ValidationException,
)
from .flow_plan import FlowPlan
from .lifecycle import ACTIVE, Lifecycle, active_claims
from .models import Answer, Claim, FlowDefinition, GoldLoop, HumanLoop, HumanTaskUi, Workteam
from .pagination import paginate
from .queue_keys import keys_of, sort_keys
from .settings import ServiceSettings
from .start_async import AsyncStarts
from .start_sql import PlannedInsert, SqliteStatements, StartRequest
from .storage import Store
from .throttle import TokenBucket
from .validation import FLOW_ARN, LENIENT_LOOP_NAME, NAME, SORT_ORDERS, Fields, invalid

log = logging.getLogger(__name__)

MAX_INPUT_CHARS = 3_145_728
CONTENT_CLASSIFIERS = ("FreeOfPersonallyIdentifiableInformation", "FreeOfAdultContent")
DEFAULT_MAX_RESULTS = 100
MAX_PLANS = 1024
ASYNC_CONNECTIONS = 8  # Postgres: connections of the starts run from the event loop

# The hot path runs prebuilt Core statements on one connection (compiled once per dialect, no
# ORM session): StartHumanLoop is BEGIN (IMMEDIATE on SQLite), the flow, its task UI and team,
# one INSERT, COMMIT. A name already taken shows as an IntegrityError and is decided after.
_INSERT_LOOP = insert(HumanLoop)
_SELECT_SAME_NAME = select(
    HumanLoop.status, HumanLoop.input_sha256, HumanLoop.flow_definition_arn, HumanLoop.arn
).where(HumanLoop.name == bindparam("name"))
_SELECT_SAME_NAME_LOCKED = _SELECT_SAME_NAME.with_for_update()
# (by name: the unique index; the ARN then pins the account and Region)
_SELECT_FLOW = select(
    FlowDefinition.name,
    FlowDefinition.arn,
    FlowDefinition.status,
    FlowDefinition.human_loop_config,
    FlowDefinition.output_path,
    FlowDefinition.request_source,
).where(FlowDefinition.name == bindparam("name"), FlowDefinition.arn == bindparam("arn"))
_UI = (
    select(HumanTaskUi.id)
    .where(HumanTaskUi.name == bindparam("ui_name"), HumanTaskUi.arn == bindparam("ui_arn"))
    .scalar_subquery()
    .label("ui")
)
_TEAM = (
    select(Workteam.id)
    .where(Workteam.name == bindparam("team_name"), Workteam.arn == bindparam("team_arn"))
    .scalar_subquery()
    .label("team")
)
_SELECT_SERVABLE = select(_UI, _TEAM)
# The flow and, in the same statement, the task UI and team its last known plan names (one
# round trip when the plan is current, which it is from a flow's second start on).
_SELECT_FLOW_SERVABLE = _SELECT_FLOW.add_columns(_UI, _TEAM)
_UNKNOWN = {"ui_name": None, "ui_arn": None, "team_name": None, "team_arn": None}
_COUNT_ACTIVE = select(func.count(HumanLoop.id)).where(HumanLoop.status.in_(ACTIVE))
_NOT_GOLD = ~exists().where(GoldLoop.loop_pk == HumanLoop.id)
# DescribeHumanLoop: the columns it shows; a gold loop (gold.py) is no loop of the client's.
_DESCRIBE = select(
    HumanLoop.name,
    HumanLoop.arn,
    HumanLoop.status,
    HumanLoop.created_us,
    HumanLoop.expires_us,
    HumanLoop.flow_definition_arn,
    HumanLoop.output_uri,
    HumanLoop.output_pending,
    HumanLoop.failure_reason,
    HumanLoop.failure_code,
).where(HumanLoop.name == bindparam("name"), _NOT_GOLD)
_LOOP_ID = select(HumanLoop.id).where(HumanLoop.name == bindparam("name"))
_GOLD_OF_LOOP = select(GoldLoop.loop_pk).where(GoldLoop.loop_pk == bindparam("pk"))
_IS_GOLD = (
    select(GoldLoop.loop_pk)
    .join(HumanLoop, HumanLoop.id == GoldLoop.loop_pk)
    .where(HumanLoop.name == bindparam("name"))
)


def describe_loop(loop: Any) -> dict[str, Any]:
    """DescribeHumanLoop's answer for a loop row (ORM object or Core row)."""
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


StartLoop = Callable[[Connection, "FlowPlan", str, str], int]
"""``(connection, plan, name, input_content) -> loop id``: insert one more loop of the flow."""
AfterStart = Callable[[Connection, FlowPlan, StartLoop], None]
"""Called inside a StartHumanLoop's transaction once the client's loop is inserted (gold.py)."""


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
        self.after_start: AfterStart | None = None
        self.gold_idle: Callable[[str], bool] | None = None  # a flow's starts need no gold work
        self._planned = PlannedInsert() if store.dialect == "postgresql" else None
        self._async = (
            AsyncStarts(store.engine, self._planned, ASYNC_CONNECTIONS)
            if self._planned is not None
            else None
        )
        self._plans: dict[tuple[str, str | None, str, str | None], FlowPlan] = {}
        self._last_plan: dict[str, FlowPlan] = {}  # by flow ARN
        self._reader = reader(store.engine)
        # SQLite runs one write transaction at a time: this process's starts queue on a lock,
        # woken the moment it is free, instead of on SQLite's busy handler, which sleeps 1, 2,
        # 5, 10… ms between tries (other processes and writers still meet the busy handler).
        self._start_lock = threading.Lock()
        self._writer: AbstractContextManager[Any] = (
            self._start_lock if store.dialect == "sqlite" else nullcontext()
        )
        self._now_engine = store.no_wait  # StartHumanLoop on the event loop (start_now)
        self._now_conn: Connection | None = None  # its one connection, held open
        self._sqlite = (
            SqliteStatements(_SELECT_FLOW_SERVABLE, HumanLoop.__tablename__)
            if store.dialect == "sqlite"
            else None
        )

    def throttle(self) -> None:
        if self.bucket is not None and not self.bucket.take():
            raise ThrottlingException("Rate exceeded")

    def _loop_name(self, f: Fields, member: str = "HumanLoopName") -> str:
        pattern = NAME if self.settings.strict_names else LENIENT_LOOP_NAME
        return f.req_string(member, min_len=1, max_len=63, pattern=pattern)

    # --- StartHumanLoop ------------------------------------------------------------------------
    def start_human_loop(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.start_checked(self.check_start(body))

    def check_start(self, body: dict[str, Any]) -> StartRequest:
        """A StartHumanLoop request checked by A2I's rules (ValidationException otherwise)."""
        f = Fields(body)
        name = self._loop_name(f)
        flow_arn = f.req_string("FlowDefinitionArn", max_len=1024, pattern=FLOW_ARN)
        content = f.req_obj("HumanLoopInput").req_string("InputContent", max_len=MAX_INPUT_CHARS)
        try:
            keys = keys_of(json.loads(content))  # the queue's sort keys, from the one decoding
        except ValueError as exc:
            raise invalid(
                "HumanLoopInput.InputContent", None, f"Member must be valid JSON ({exc})"
            ) from exc
        classifiers: str | None = None
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
            classifiers = json.dumps(list(raw))
        digest = hashlib.sha256(content.encode()).hexdigest()
        return StartRequest(name, flow_arn, content, digest, classifiers, keys)

    def start_checked(self, req: StartRequest, *, planned: bool = True) -> dict[str, Any]:
        """Start a checked request: committed before it returns (it may wait for the lock).
        ``planned=False``: the one-statement start already ran and started nothing."""
        for attempt in range(3):
            try:
                started = self._start_planned(req) if attempt == 0 and planned else None
                if started is not None:
                    return started
                with self._writer:
                    return self._start(self.store.engine.begin, req)
            except IntegrityError:  # the name is taken (maybe just now, by another process)
                pass
            except DBAPIError as exc:
                # A connection the server dropped (the pool does not ping, storage.py): once, on
                # a new one. Safe even when the commit had gone through: the same start again
                # finds its loop and answers its ARN.
                if not exc.connection_invalidated or attempt:
                    raise
                continue
            same = self._same_name(req.name, req.flow_arn, req.digest)
            if same is not None:
                return same
        raise ConflictException(f"HumanLoop '{req.name}' is being started concurrently")

    def _planned_start(
        self, req: StartRequest
    ) -> tuple[str, dict[str, Any], dict[str, Any]] | None:
        """Postgres: the new loop's ARN, row and plan parameters for the start as one statement
        (start_sql.PlannedInsert) when the flow's plan is known and neither a quota nor a gold
        loop has to be looked at; None otherwise."""
        plan = self._last_plan.get(req.flow_arn)
        if (
            self._planned is None
            or plan is None
            or self.settings.max_active_loops is not None
            or (self.after_start is not None and not (self.gold_idle and self.gold_idle(plan.arn)))
        ):
            return None
        arn, values = self._values(plan, req)
        params = {
            "plan_flow_name": plan.name,
            "plan_flow_arn": plan.arn,
            "plan_config": plan.human_loop_config,
            "plan_output_path": plan.output_path,
            "plan_source": plan.request_source,
            **plan.servable,
        }
        return arn, values, params

    def _start_planned(self, req: StartRequest) -> dict[str, Any] | None:
        """The start as one statement (:meth:`_planned_start`); None when that does not apply
        or the flow changed (nothing written then)."""
        planned = self._planned_start(req)
        if planned is None or self._planned is None:
            return None
        arn, values, params = planned
        started = self._planned.run(self.store.engine, values, params)
        return {"HumanLoopArn": arn} if started else None

    async def start_async(self, req: StartRequest) -> tuple[dict[str, Any] | None, bool]:
        """Postgres: :meth:`_start_planned` from the event loop, on a connection of
        :class:`.start_async.AsyncStarts` (no hop to a worker thread). The answer, or None
        when it does not apply, no connection is free, or anything failed (nothing written,
        or a commit whose answer was lost): ``start_checked`` then decides in a worker thread,
        as it always does. Beside it, whether the one statement ran to an answer (then
        ``start_checked`` need not run it again: ``planned=False``)."""
        planned = self._planned_start(req) if self._async is not None else None
        if planned is None or self._async is None:
            return None, False
        arn, values, params = planned
        started = await self._async.run(values, params)
        return ({"HumanLoopArn": arn} if started else None), started is not None

    def close(self) -> None:
        """Close the connections of the event loop's starts (the store closes the rest)."""
        if self._async is not None:
            self._async.close()
        with self._start_lock:
            if self._now_conn is not None:
                self._now_conn.close()
                self._now_conn = None

    def start_now(self, req: StartRequest) -> dict[str, Any] | None:
        """Start a checked request when that cannot wait (the event loop runs it, saving the
        hop to a worker thread): on SQLite only, when no start of this process is under way and
        the database's write lock is free (BEGIN IMMEDIATE on a connection that never waits),
        and the name is new. None otherwise, and nothing written: ``start_checked`` decides in
        a worker thread, as it always does on Postgres."""
        if self._now_engine is None or not self._start_lock.acquire(blocking=False):
            return None
        try:
            return self._start(self._now_transaction, req)
        except (IntegrityError, OperationalError):  # name taken; lock busy, or any other failure
            return None  # (rolled back: start_checked redoes it and answers what it finds)
        finally:
            self._start_lock.release()

    def _plan(self, flow: Any) -> FlowPlan:
        key = (flow.arn, flow.human_loop_config, flow.output_path, flow.request_source)
        plan = self._plans.get(key)
        if plan is None:
            plan = FlowPlan.build(flow, self.settings)
            if len(self._plans) >= MAX_PLANS:
                self._plans.clear()
            self._plans[key] = plan
        if len(self._last_plan) >= MAX_PLANS:
            self._last_plan.clear()
        self._last_plan[plan.arn] = plan
        return plan

    @contextmanager
    def _now_transaction(self) -> Iterator[Connection]:
        """A transaction on ``start_now``'s connection, kept open between starts (a pool's
        checkout and return cost as much as the transaction's statements)."""
        conn = self._now_conn
        if conn is None or conn.closed or conn.invalidated:
            engine = self._now_engine
            if engine is None:
                raise InternalServerException("no connection for starts on the event loop")
            conn = self._now_conn = engine.connect()
        with conn.begin():
            yield conn

    def _start(
        self, begin: Callable[[], AbstractContextManager[Connection]], req: StartRequest
    ) -> dict[str, Any]:
        """One write transaction (``begin``: the engine's, or ``_now_transaction``): the flow,
        its task UI and team, the new loop (and a gold loop when one is due). Raises
        IntegrityError when the name is taken. The caller holds ``_writer``."""
        s = self.settings
        name, flow_arn, digest = req.name, req.flow_arn, req.digest
        with begin() as conn:  # BEGIN IMMEDIATE on SQLite
            flow_name = flow_arn.rsplit("/", 1)[-1]
            known = self._last_plan.get(flow_arn)
            asked = known.servable if known is not None else _UNKNOWN
            params = {"name": flow_name, "arn": flow_arn, **asked}
            flow = (
                self._sqlite.flow(conn, params)
                if self._sqlite is not None
                else conn.execute(_SELECT_FLOW_SERVABLE, params).first()
            )
            problem: AwsError | None = None
            plan: FlowPlan | None = None
            if flow is None or flow.status != "Active":
                problem = ResourceNotFoundException(
                    f"Flow definition '{flow_arn}' does not exist", field="FlowDefinitionArn"
                )
            else:
                plan = self._plan(flow)
                found = (
                    flow
                    if plan.servable == asked
                    else conn.execute(_SELECT_SERVABLE, plan.servable).one()
                )
                problem = plan.unservable(found)
            quota = s.max_active_loops
            if problem is None and quota is not None and (conn.scalar(_COUNT_ACTIVE) or 0) >= quota:
                problem = ServiceQuotaExceededException(
                    f"You have reached the quota of {s.max_active_loops} active human loops"
                )
            if problem is not None or plan is None:
                # A loop of that name decides first (A2I answers a retried start with its ARN).
                same = self._decide_same_name(conn, name, flow_arn, digest)
                if same is not None:
                    return same
                raise problem or InternalServerException("no flow plan")
            arn = self._insert(conn, plan, req)
            if self.after_start is not None:  # gold tasks (gold.py) mix in here
                self.after_start(conn, plan, self._insert_plain)
            return {"HumanLoopArn": arn}

    def _insert(self, conn: Connection, plan: FlowPlan, req: StartRequest) -> str:
        arn, values = self._values(plan, req)
        if self._sqlite is not None:
            self._sqlite.insert(conn, values)
        else:
            conn.execute(_INSERT_LOOP, values)
        return arn

    def _values(self, plan: FlowPlan, req: StartRequest) -> tuple[str, dict[str, Any]]:
        """A new loop's ARN and row."""
        name, keys = req.name, req.keys
        now = self.clock() // 1000 * 1000  # A2I reports milliseconds: store what it shows
        arn = self.settings.arn("human-loop", name)
        values = {
            "name": name,
            "arn": arn,
            "flow_definition_name": plan.name,
            "flow_definition_arn": plan.arn,
            "input_content": req.content,
            "input_sha256": req.digest,
            "content_classifiers": req.classifiers,
            "status": "InProgress",
            "created_us": now,
            "updated_us": now,
            "expires_us": now + plan.lifetime_us,
            "output_uri": plan.output_uri(now, name),
            "output_pending": 0,
            "task_count": plan.task_count,
            "task_time_limit_s": plan.task_time_limit_s,
            "workteam_name": plan.workteam_name,
            "human_task_ui_arn": plan.human_task_ui_arn,
            "task_title": plan.task_title,
            "task_description": plan.task_description,
            "task_keywords": plan.task_keywords,
            "request_source": plan.request_source,
            "priority_key": keys[0],  # given: the column defaults would decode the input again
            "confidence_key": keys[1],
        }
        return arn, values

    def _insert_plain(self, conn: Connection, plan: FlowPlan, name: str, content: str) -> int:
        """Insert a loop of ``plan``'s flow (a gold loop); returns its id."""
        digest = hashlib.sha256(content.encode()).hexdigest()
        self._insert(
            conn, plan, StartRequest(name, plan.arn, content, digest, None, sort_keys(content))
        )
        loop_id: int = conn.execute(_LOOP_ID, {"name": name}).scalar_one()
        return loop_id

    def _decide_same_name(
        self, conn: Connection, name: str, flow_arn: str, digest: str
    ) -> dict[str, Any] | None:
        """When a loop named ``name`` exists: its ARN for the same start again, else the error
        A2I answers. None when there is no such loop."""
        mine = _SELECT_SAME_NAME_LOCKED if self.store.dialect == "postgresql" else _SELECT_SAME_NAME
        existing = conn.execute(mine, {"name": name}).first()
        if existing is None:
            return None
        if conn.execute(_IS_GOLD, {"name": name}).first() is not None:
            raise ConflictException(  # a gold loop took the name: say nothing of it
                f"HumanLoop '{name}' already exists with different input data",
                field="HumanLoopName",
            )
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

    def _same_name(self, name: str, flow_arn: str, digest: str) -> dict[str, Any] | None:
        with self._writer, self.store.engine.begin() as conn:
            return self._decide_same_name(conn, name, flow_arn, digest)

    # --- DescribeHumanLoop ---------------------------------------------------------------------
    def _described(self, name: str) -> Any:
        with self._reader.begin() as conn:
            return conn.execute(_DESCRIBE, {"name": name}).first()

    def describe_human_loop(self, name: str) -> dict[str, Any]:
        name = self._loop_name(Fields({"HumanLoopName": name}))
        loop = self._described(name)
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
            loop = self._described(name)
            if loop is None:
                raise ResourceNotFoundException(
                    f"HumanLoop '{name}' does not exist", field="HumanLoopName"
                )
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
                select(FlowDefinition.id).where(
                    FlowDefinition.name == flow_arn.rsplit("/", 1)[-1],
                    FlowDefinition.arn == flow_arn,
                )
            ).first()
        if flow is None:
            raise ResourceNotFoundException(
                f"Flow definition '{flow_arn}' does not exist", field="FlowDefinitionArn"
            )
        self.lifecycle.sweep(flow_arn)
        with self.store.read() as session:
            stmt = select(HumanLoop).where(HumanLoop.flow_definition_arn == flow_arn, _NOT_GOLD)
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

    def _client_loop(self, session: Session, name: str) -> HumanLoop | None:
        """The loop row, locked; None for no loop or a gold loop (never the client's)."""
        loop = self.store.lock_loop(session, name)
        if loop is None or session.scalar(_GOLD_OF_LOOP, {"pk": loop.id}) is not None:
            return None
        return loop

    # --- StopHumanLoop -------------------------------------------------------------------------
    def stop_human_loop(self, body: dict[str, Any]) -> dict[str, Any]:
        name = self._loop_name(Fields(body))
        ended = False
        with self.store.write() as session:
            loop = self._client_loop(session, name)
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
            loop = self._client_loop(session, name)
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
