"""The reviewer's queue: what to show of each task, how to sort and filter it, what comes next.

A queue *view* is three query parameters, validated at the edge and carried from the queue to every
task page and back, so submit-and-next keeps the order the reviewer chose:

- ``sort``: ``deadline`` (earliest first, the default), ``priority`` (highest first, then the
  least confident model answer, then the deadline) or ``created`` (oldest first);
- ``flow``: only the tasks of one flow definition (its name);
- ``due``: only tasks due within ``1h``, ``24h`` or ``7d``.

A task's *priority* is its input's ``priority`` (a number) or else its ``tier`` (escalated reviews
first), its *confidence* the model's (both read as :mod:`.queue_keys` says, and stored as sort
keys when the loop starts). Its *deadline* is the one the service enforces: the end of the loop's
availability (``TaskAvailabilityLifetimeInSeconds``). The queue, the task page and the team view
all show that one, and only through ``portal_pages.deadline_html``.

A page of the queue is read in index order from its position (keyset pagination: ``after``, a
signed token naming the last row shown), one ordered range scan per team of the reviewer (and the
view's flow), merged; the count is capped at ``COUNT_CAP`` (both in :mod:`.task_scan`, which the
worker API's task list reads through too). No request reads every open loop, so a page costs the
same with 10,000 open loops as with 100 (``benchmarks/portal.py``, ``benchmarks/scaling.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import ConflictException, ValidationException
from .models import FlowDefinition, HumanLoop
from .pagination import encode_position
from .queue_keys import confidence_of, priority_of
from .task_scan import COUNT_CAP as COUNT_CAP  # the portal pages say "more than" it
from .task_scan import Position, Scope, count_rows, decode_scan_position, scan_rows
from .tasks import TaskBoard, TaskSummary
from .validation import NAME
from .workforce import WorkerInfo

SORTS = ("deadline", "priority", "created")
FLOW_NAME = re.compile(rf"{NAME}")
DUE_WINDOWS = {"1h": 3_600, "24h": 86_400, "7d": 604_800}
PREVIEW_CHARS = 160
NEXT_CANDIDATES = 20


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


def input_facts(content: Any) -> dict[str, Any]:
    """Preview, model answer, confidence, task type and priority of a task input."""
    facts = {"confidence": confidence_of(content), "priority": priority_of(content)}
    if not isinstance(content, dict):
        return {**facts, "preview": _text(content), "model_answer": None, "task_type": "review"}
    item = content.get("input", content.get("text", content.get("taskObject")))
    model = content.get("model_output")
    task_type = content.get("task")
    return {
        **facts,
        "preview": _text(item if item is not None else content),
        "model_answer": None if model is None else _text(model, 80),
        "task_type": _text(task_type, 40) if isinstance(task_type, str) else "review",
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


# --- the query ---------------------------------------------------------------------------------


def scope_of(view: QueueView, now: int) -> Scope:
    """What the view reads (:mod:`.task_scan`): its order, flow and due limit at ``now``."""
    due_us = now + DUE_WINDOWS[view.due] * 1_000_000 if view.due else None
    return Scope(sort=view.sort, flow=view.flow, due_us=due_us)


def queue_rows(worker: WorkerInfo, view: QueueView, limit: int, s: Session, now: int,
               after: Position | None = None) -> list[tuple[int, Position]]:
    """The ids and positions of the first ``limit`` rows of the view after ``after``
    (:func:`.task_scan.scan_rows`: one ordered range scan per team of the worker, merged)."""
    return scan_rows(s, worker, scope_of(view, now), limit, now, after)


def queue_ids(worker: WorkerInfo, view: QueueView, limit: int, s: Session, now: int) -> list[int]:
    """The ids of the first ``limit`` rows of the view, in its order."""
    return [pk for pk, _ in queue_rows(worker, view, limit, s, now)]


def count_view(worker: WorkerInfo, view: QueueView, s: Session, now: int) -> int:
    """How many rows the view holds, counted up to ``COUNT_CAP + 1`` (a bounded cost)."""
    return count_rows(s, worker, scope_of(view, now), now)


def _team_of(config: str | None) -> str | None:
    arn = json.loads(config or "{}").get("WorkteamArn")
    return arn.rsplit("/", 1)[-1] if isinstance(arn, str) else None


_FLOWS = select(FlowDefinition.name, FlowDefinition.human_loop_config)


@dataclass(frozen=True)
class QueuePage:
    """One page of a view: its rows, how many the view holds (at most ``COUNT_CAP + 1``), the
    flows of the worker's teams, how many rows came before, and the next page's position."""

    rows: list[QueueRow]
    total: int
    flows: list[str]
    start: int = 0
    next_after: str | None = None


def list_queue(board: TaskBoard, worker: WorkerInfo, view: QueueView, *, limit: int,
               after: str | None = None) -> QueuePage:
    """The ``limit`` rows of the view from ``after`` (a position :attr:`QueuePage.next_after`
    gave; ``None``: the first page)."""
    if not worker.teams:
        return QueuePage([], 0, [])
    position, start = (decode_scan_position(after, view.sort, view.sort, field="after")
                       if after else (None, 0))
    now = board.clock()
    with board.store.read() as s:
        found = queue_rows(worker, view, limit + 1, s, now, position)
        page = found[:limit]
        total = start + len(page)
        if len(found) > limit or start:
            total = count_view(worker, view, s, now)
        flows = sorted(name for name, config in s.execute(_FLOWS)
                       if _team_of(config) in worker.teams)
        loaded = board.load(s, [pk for pk, _ in page], worker, now)
        rows = [row_of(loop, summary) for loop, summary in loaded]
    following = None
    if len(found) > limit:
        following = encode_position(view.sort, page[-1][1], start + len(page))
    return QueuePage(rows, total, flows, start, following)


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
        pks = queue_ids(worker, view, NEXT_CANDIDATES, s, now)
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
