"""The reviewer's queue: what to show of each task, how to sort and filter it, what comes next.

A queue *view* is three query parameters, validated at the edge and carried from the queue to every
task page and back, so submit-and-next keeps the order the reviewer chose:

- ``sort``: ``deadline`` (earliest first, the default), ``priority`` (highest first, then the
  least confident model answer, then the deadline) or ``created`` (oldest first);
- ``flow``: only the tasks of one flow definition (its name);
- ``due``: only tasks due within ``1h``, ``24h`` or ``7d``.

A task's *priority* is its input's ``priority`` (a number) or else its ``tier`` (escalated reviews
first). Its *deadline* is the one the service enforces: the end of the loop's availability
(``TaskAvailabilityLifetimeInSeconds``). The queue, the task page and the team view all show that
one, and only through ``portal_pages.deadline_html``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import JSON, Float, cast, func, select, type_coerce
from sqlalchemy.orm import Session

from .errors import ConflictException, ValidationException
from .models import FlowDefinition, HumanLoop
from .tasks import TaskBoard, TaskSummary
from .validation import NAME
from .workforce import WorkerInfo

SORTS = ("deadline", "priority", "created")
FLOW_NAME = re.compile(rf"{NAME}")
DUE_WINDOWS = {"1h": 3_600, "24h": 86_400, "7d": 604_800}
PREVIEW_CHARS = 160
NEXT_CANDIDATES = 20
COUNT_CAP = 1_000


@dataclass(frozen=True)
class QueueView:
    sort: str = "deadline"
    flow: str | None = None
    due: str | None = None

    def query(self) -> str:
        """The view as a query string (empty for the default view)."""
        pairs = [
            (k, v)
            for k, v in (("sort", self.sort), ("flow", self.flow), ("due", self.due))
            if v and not (k == "sort" and v == "deadline")
        ]
        return urlencode(pairs)

    def suffix(self) -> str:
        q = self.query()
        return f"?{q}" if q else ""


def parse_view(params: Mapping[str, Any]) -> QueueView:
    """The view named by ``params``; a bad value is a ValidationException naming the field."""
    sort = params.get("sort") or "deadline"
    if sort not in SORTS:
        raise ValidationException(f"sort must be one of {', '.join(SORTS)}", field="sort")
    flow = params.get("flow") or None
    if flow is not None and (len(flow) > 63 or not FLOW_NAME.fullmatch(flow)):
        raise ValidationException(
            "flow must be a flow definition name (lowercase letters, digits, hyphens)",
            field="flow",
        )
    due = params.get("due") or None
    if due is not None and due not in DUE_WINDOWS:
        raise ValidationException(f"due must be one of {', '.join(DUE_WINDOWS)}", field="due")
    return QueueView(sort=sort, flow=flow, due=due)


def task_url(name: str, view: QueueView) -> str:
    return f"/portal/tasks/{quote(name, safe='')}{view.suffix()}"


def queue_url(view: QueueView, **extra: str) -> str:
    query = "&".join(p for p in (view.query(), urlencode(extra)) if p)
    return "/portal/tasks" + (f"?{query}" if query else "")


def view_from_query(query: str) -> QueueView:
    from urllib.parse import parse_qs

    if len(query) > 512:
        raise ValidationException("queue must be at most 512 characters", field="queue")
    parsed = parse_qs(query, keep_blank_values=True)
    if any(len(v) != 1 for v in parsed.values()) or set(parsed) - {"sort", "flow", "due"}:
        raise ValidationException("queue may hold sort, flow and due once each", field="queue")
    return parse_view({k: v[0] for k, v in parsed.items()})


# --- what a row shows ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    task: TaskSummary
    flow: str
    preview: str
    model_answer: str | None
    confidence: float | None
    task_type: str
    priority: float
    deadline_us: int


def _text(value: Any, limit: int = PREVIEW_CHARS) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def input_facts(content: Any) -> dict[str, Any]:
    """Preview, model answer, confidence, task type and priority of a task input."""
    if not isinstance(content, dict):
        return {
            "preview": _text(content),
            "model_answer": None,
            "confidence": None,
            "task_type": "review",
            "priority": 0.0,
        }
    uncertainty = content.get("uncertainty")
    confidence = _number(uncertainty.get("confidence")) if isinstance(uncertainty, dict) else None
    if confidence is None:
        confidence = _number(content.get("confidence"))
    item = content.get("input", content.get("text", content.get("taskObject")))
    model = content.get("model_output")
    priority = _number(content.get("priority"))
    if priority is None:
        priority = _number(content.get("tier")) or 0.0
    task_type = content.get("task")
    return {
        "preview": _text(item if item is not None else content),
        "model_answer": None if model is None else _text(model, 80),
        "confidence": confidence,
        "task_type": _text(task_type, 40) if isinstance(task_type, str) else "review",
        "priority": priority,
    }


def row_of(loop: HumanLoop, summary: TaskSummary) -> QueueRow:
    facts = input_facts(json.loads(loop.input_content))
    return QueueRow(
        task=summary,
        flow=loop.flow_definition_name,
        preview=facts["preview"],
        model_answer=facts["model_answer"],
        confidence=facts["confidence"],
        task_type=facts["task_type"],
        priority=facts["priority"],
        deadline_us=loop.expires_us,
    )


# --- the query ----------------------------------------------------------------------------------


def _json_field(dialect: str, *path: str) -> Any:
    doc = (
        cast(HumanLoop.input_content, JSON)
        if dialect == "postgresql"
        else type_coerce(HumanLoop.input_content, JSON)
    )
    return doc[path if len(path) > 1 else path[0]].as_float()


def _ordering(view: QueueView, dialect: str) -> list[Any]:
    if view.sort == "created":
        return [HumanLoop.created_us, HumanLoop.id]
    if view.sort == "priority":
        priority = func.coalesce(
            _json_field(dialect, "priority"), _json_field(dialect, "tier"), cast(0, Float)
        )
        confidence = func.coalesce(_json_field(dialect, "uncertainty", "confidence"), 1.0)
        return [priority.desc(), confidence, HumanLoop.expires_us, HumanLoop.id]
    return [HumanLoop.expires_us, HumanLoop.created_us, HumanLoop.id]


def _filtered(board: TaskBoard, worker: WorkerInfo, view: QueueView, now: int) -> Any:
    where = [board._available(worker, now)]  # noqa: SLF001 - the board's one availability rule
    if view.flow:
        where.append(HumanLoop.flow_definition_name == view.flow)
    if view.due:
        where.append(HumanLoop.expires_us <= now + DUE_WINDOWS[view.due] * 1_000_000)
    return where


def queue_ids(
    board: TaskBoard, worker: WorkerInfo, view: QueueView, limit: int, s: Session, now: int
) -> list[int]:
    stmt = (
        select(HumanLoop.id)
        .where(*_filtered(board, worker, view, now))
        .order_by(*_ordering(view, board.store.dialect))
        .limit(limit)
    )
    return list(s.scalars(stmt))


def _team_of(config: str | None) -> str | None:
    arn = json.loads(config or "{}").get("WorkteamArn")
    return arn.rsplit("/", 1)[-1] if isinstance(arn, str) else None


def list_queue(
    board: TaskBoard, worker: WorkerInfo, view: QueueView, *, limit: int
) -> tuple[list[QueueRow], int, list[str]]:
    """The first ``limit`` rows of the view, how many the view holds (at most ``COUNT_CAP + 1``),
    the flows of the worker's teams."""
    if not worker.teams:
        return [], 0, []
    now = board.clock()
    with board.store.read() as s:
        pks = queue_ids(board, worker, view, limit, s, now)
        total = len(pks)
        if total >= limit:  # counted up to COUNT_CAP: the cost stays bounded in a deep queue
            capped = (
                select(HumanLoop.id)
                .where(*_filtered(board, worker, view, now))
                .limit(COUNT_CAP + 1)
                .subquery()
            )
            total = int(s.scalar(select(func.count()).select_from(capped)) or 0)
        flows = sorted(
            name
            for name, config in s.execute(
                select(FlowDefinition.name, FlowDefinition.human_loop_config)
            )
            if _team_of(config) in worker.teams
        )
        rows = [row_of(loop, summary) for loop, summary in board.load(s, pks, worker, now)]
    return rows, total, flows


def claim_next(
    board: TaskBoard, worker: WorkerInfo, view: QueueView, *, after: str | None = None
) -> str | None:
    """Claim the next task of the view and return its name (``None`` when the view is empty).

    ``after``: the task just left (skipped or answered); the next one is the task that follows it
    in the view's order, wrapping round to the top, and never ``after`` itself. A task another
    reviewer took meanwhile is passed over.
    """
    if not worker.teams:
        return None
    now = board.clock()
    with board.store.read() as s:
        pks = queue_ids(board, worker, view, NEXT_CANDIDATES, s, now)
        names = {
            pk: name
            for pk, name in s.execute(
                select(HumanLoop.id, HumanLoop.name).where(HumanLoop.id.in_(pks))
            )
        }
    order = [names[pk] for pk in pks if pk in names]
    if after in order:
        at = order.index(after)
        order = order[at + 1 :] + order[:at]
    for name in order:
        try:
            board.claim(worker, name)
        except ConflictException:
            continue
        return name
    return None
