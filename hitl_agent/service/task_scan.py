"""Which open loops a worker may take, read in index order a page at a time.

The worker API's task list (:meth:`.tasks.TaskBoard.page_tasks`) and the portal's queue
(:mod:`.portal_queue`) both read here: one rule says which loops a worker may take
(:func:`available`), and a page is read from its position in one of the ``human_loops`` indexes
(keyset pagination: the last row's sort keys, its id last), one ordered range scan per team of
the worker, merged. Counts stop at ``cap + 1`` (``COUNT_CAP``: "more than 1,000"). No request
reads every open loop, so a page costs the same with 100,000 open loops as with 1,000
(``benchmarks/scaling.py``).
"""

from __future__ import annotations

import functools
import heapq
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, func, or_, select, tuple_
from sqlalchemy.orm import Session

from .errors import ValidationException
from .models import Answer, Claim, HumanLoop
from .pagination import decode_position
from .workforce import WorkerInfo

COUNT_CAP = 1_000
FIRST_CHUNK = 64
LAST_CHUNK = 4096

# Each sort's keys, in the order of its indexes (all ascending; see models.HumanLoop): a page is
# read from its position in the index, so its cost does not grow with the open loops.
SORT_KEYS: dict[str, tuple[Any, ...]] = {
    "deadline": (HumanLoop.expires_us, HumanLoop.id),
    "priority": (HumanLoop.priority_key, HumanLoop.confidence_key, HumanLoop.expires_us,
                 HumanLoop.id),
    "created": (HumanLoop.created_us, HumanLoop.id),
}
Position = tuple[float | int, ...]
"""A row's sort keys (the last one its id): where a page starts, exclusive."""


def decode_scan_position(token: str, order: str, sort: str, *,
                         field: str) -> tuple[Position, int]:
    """The position and row count a page token holds (:func:`.pagination.encode_position`),
    checked: signed for ``order`` and holding ``sort``'s keys, else a ValidationException
    naming ``field``."""
    keys, start = decode_position(token, order, field=field)
    if len(keys) != len(SORT_KEYS[sort]):
        raise ValidationException(f"{field} is not a valid position", field=field)
    return keys, start


@dataclass(frozen=True)
class Scope:
    """What to read: the order (a key of ``SORT_KEYS``), one flow of the worker's teams or all,
    and loops due by ``due_us`` or any."""

    sort: str = "created"
    flow: str | None = None
    due_us: int | None = None


def available(worker: WorkerInfo, now: int) -> ColumnElement[bool]:
    """The WHERE clause of the loops ``worker`` can work on at ``now``.

    Each subquery is an index seek per candidate loop (answers and claims are unique on
    (loop, worker)), so the cost grows with the candidates read, not with the history of answers.
    """
    answers = (
        select(func.count(Answer.id)).where(Answer.loop_pk == HumanLoop.id).scalar_subquery()
    )
    others = (
        select(func.count(Claim.id))
        .where(
            Claim.loop_pk == HumanLoop.id,
            Claim.state == "active",
            Claim.expires_us > now,
            Claim.worker_pk != worker.pk,
        )
        .scalar_subquery()
    )
    mine = exists().where(
        Claim.loop_pk == HumanLoop.id,
        Claim.worker_pk == worker.pk,
        Claim.state == "active",
        Claim.expires_us > now,
    )
    declined = exists().where(
        Claim.loop_pk == HumanLoop.id, Claim.worker_pk == worker.pk, Claim.state == "declined"
    )
    answered = exists().where(Answer.loop_pk == HumanLoop.id, Answer.worker_pk == worker.pk)
    return and_(
        HumanLoop.status == "InProgress",
        HumanLoop.output_pending == 0,
        HumanLoop.expires_us > now,
        HumanLoop.workteam_name.in_(worker.teams),
        ~answered,
        or_(mine, and_(~declined, answers + others < HumanLoop.task_count)),
    )


@functools.cache
def _candidates(sort: str, by_flow: bool, due: bool, after: bool) -> Select[Any]:
    """Built once per shape: the next open loops of one team (or of one flow of the team) in the
    sort's order, from a position, read from the sort's index alone (team, flow and status are
    the index's equality prefix, its keys the order). The due limit is written
    ``expires_us + 0``, which no index serves, so that SQLite does not take the deadline index
    for it and sort."""
    keys = SORT_KEYS[sort]
    stmt = select(*keys).where(HumanLoop.workteam_name == bindparam("team"))
    if by_flow:
        stmt = stmt.where(HumanLoop.flow_definition_name == bindparam("flow"))
    stmt = stmt.where(HumanLoop.status == "InProgress")
    if due:
        expires = HumanLoop.expires_us if sort == "deadline" else HumanLoop.expires_us + 0
        stmt = stmt.where(expires <= bindparam("due_us"))
    if after:
        stmt = stmt.where(tuple_(*keys) > tuple_(*(bindparam(f"k{i}") for i in range(len(keys)))))
    return stmt.order_by(*keys).limit(bindparam("chunk"))


def _scan(s: Session, worker: WorkerInfo, scope: Scope, team: str, limit: int, now: int,
          after: Position | None) -> list[Position]:
    """The first ``limit`` rows of one team (and the scope's flow) the worker may take, after
    ``after``: candidates in index order a chunk at a time (growing), each checked by
    :func:`available`.

    The rule is an ``EXISTS`` on the candidate's own row (``id = c.id``: a primary-key lookup
    whatever else the rule says), so no planner can trade the candidates' index order for a scan
    of every open loop.
    """
    shape = (scope.sort, scope.flow is not None, scope.due_us is not None)
    params: dict[str, Any] = {"team": team, "flow": scope.flow, "due_us": scope.due_us}
    rule = available(worker, now)
    statements = {}
    for has_after in (False, True):
        candidates = _candidates(*shape, has_after).subquery("c")
        takeable = exists().where(HumanLoop.id == candidates.c.id, rule).label("takeable")
        statements[has_after] = select(*candidates.c, takeable).order_by(*candidates.c)
    found: list[Position] = []
    chunk = max(FIRST_CHUNK, limit + limit // 2)
    while True:
        if after is not None:
            params.update({f"k{i}": key for i, key in enumerate(after)})
        rows = s.execute(statements[after is not None], {**params, "chunk": chunk}).all()
        found.extend(tuple(row[:-1]) for row in rows if row[-1])
        if len(found) >= limit or len(rows) < chunk:
            return found[:limit]
        after, chunk = tuple(rows[-1][:-1]), min(chunk * 4, LAST_CHUNK)


def scan_rows(s: Session, worker: WorkerInfo, scope: Scope, limit: int, now: int,
              after: Position | None = None) -> list[tuple[int, Position]]:
    """The ids and positions of the first ``limit`` loops of ``scope`` the worker may take after
    ``after``, in the scope's order.

    Each team of the worker (with the scope's flow, if any) is read in its index's order until
    ``limit`` takeable rows are found; the teams' rows are merged by key, so a worker of several
    teams costs one such scan per team, and a flow of another team costs an empty range.
    """
    runs = [_scan(s, worker, scope, team, limit, now, after) for team in sorted(set(worker.teams))]
    if not runs:
        return []
    merged = runs[0] if len(runs) == 1 else list(heapq.merge(*runs))
    return [(int(row[-1]), row) for row in merged[:limit]]


def count_rows(s: Session, worker: WorkerInfo, scope: Scope, now: int,
               cap: int = COUNT_CAP) -> int:
    """How many loops of ``scope`` the worker may take, counted up to ``cap + 1`` (a bounded
    cost; more than ``cap`` reads "more than cap"): one statement per team, the rule evaluated
    inside the database."""
    rule = available(worker, now)
    total = 0
    for team in sorted(set(worker.teams)):
        where = [HumanLoop.workteam_name == team, HumanLoop.status == "InProgress", rule]
        if scope.flow:
            where.append(HumanLoop.flow_definition_name == scope.flow)
        if scope.due_us is not None:
            where.append(HumanLoop.expires_us <= scope.due_us)
        capped = select(HumanLoop.id).where(*where).limit(cap + 1 - total).subquery()
        total += int(s.scalar(select(func.count()).select_from(capped)) or 0)
        if total > cap:
            break
    return total
