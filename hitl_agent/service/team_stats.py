"""The figures of the team view (``/portal/team``) and of ``hitl-agent workers stats --json``.

- ``flows``: per flow definition, its backlog (open loops and the answers they still need, counted
  up to :data:`BACKLOG_CAP` loops or a day's work at the flow's pace, ``backlogCapped`` beyond:
  a bounded read whatever the backlog), how many loops are at risk, its aggregation method and
  its agreement (Krippendorff's alpha, nominal, over the answers its worker model was fitted on,
  to loops that have two or more);
- ``atRisk``: open loops still short of answers whose deadline comes before the flow can clear its
  backlog at the pace of the last 24 hours (at least one hour ahead, at most a day);
- ``reviewers``: answers in the last 24 hours and per hour, accuracy on gold loops and as
  Dawid–Skene estimates it, each with a 95 % Wilson interval, and ``flagged`` when an estimate is
  below the flow's accuracy floor (gold when the reviewer has answered enough gold loops).

The portal reads them through :class:`TeamFigures`, which keeps the last figures and computes
them again when the team's make-up changed (a flow, gold item or worker), when its activity
changed (a new answer or loop, a loop that left ``InProgress``: its status-change event, or
``Stopping``) and they are more than
:data:`FRESH_US` old, or when they are more than :data:`MAX_AGE_US` old: a page view does not go
over every answer. ``hitl-agent workers stats``
computes them afresh.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from typing import Any

from sqlalchemy import func, select

from .clock import Clock, iso_ms
from .gold import GoldItem, flow_quality, gold_answers, gold_scores
from .models import Answer, Event, FlowDefinition, HumanLoop, Worker
from .services import ReviewServices
from .workforce import WorkerInfo

ADMIN_TEAM = "admins"
MODEL_CHECK_US = 10 * 1_000_000  # the team view's figures may be this old
WINDOW_H = 24
AT_RISK_LIMIT = 50
MIN_GOLD = 5
HOUR_US = 3_600 * 1_000_000
FRESH_US = MODEL_CHECK_US  # figures this young are shown even when the data has changed since
MAX_AGE_US = 60 * 1_000_000  # and figures this old are computed again even when it has not
BACKLOG_CAP = 1_000
"""Open loops counted per flow, or a day's answers at the flow's pace if more (``_backlog``)."""


def is_admin(worker: WorkerInfo) -> bool:
    """Admins (the work team ``admins``) see the team view and may use the admin API."""
    return ADMIN_TEAM in worker.teams


def wilson(right: float, n: float, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``right / n``."""
    if n <= 0:
        return 0.0, 1.0
    p = right / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _estimate(right: float, n: float) -> dict[str, Any]:
    low, high = wilson(right, n)
    return {
        "accuracy": round(right / n, 4) if n else None,
        "low": round(low, 4),
        "high": round(high, 4),
        "answers": int(n),
    }


def team_stats(services: ReviewServices, *, backlog_cap: int = BACKLOG_CAP) -> dict[str, Any]:
    """Every figure of the team view, as plain JSON (``backlog_cap``: see :func:`_backlog`)."""
    now = services.tasks.clock()
    since = now - WINDOW_H * HOUR_US
    with services.store.read() as s:
        flows = list(s.scalars(select(FlowDefinition).order_by(FlowDefinition.name)))
        recent = s.execute(
            select(HumanLoop.flow_definition_name, Answer.worker_pk, func.count(Answer.id))
            .join(HumanLoop, HumanLoop.id == Answer.loop_pk)
            .where(Answer.submission_us > since)
            .group_by(HumanLoop.flow_definition_name, Answer.worker_pk)
        ).all()
        workers = {w.id: (w.worker_id, w.name) for w in s.scalars(select(Worker))}
        pace: dict[str, float] = defaultdict(float)
        per_worker: dict[int, int] = defaultdict(int)
        for flow_name, worker_pk, n in recent:
            pace[flow_name] += n / WINDOW_H
            per_worker[worker_pk] += n
        # (A flow with open loops cannot be deleted: every open loop's flow is among ``flows``.)
        backlog = {}
        for flow in flows:
            day = math.ceil(pace[flow.name] * WINDOW_H)
            b = _backlog(s, flow.name, now, max(backlog_cap, day))
            if b["openLoops"]:
                backlog[flow.name] = b
        horizon = {
            name: now
            + int(
                min(max(b["answersNeeded"] / pace[name] if pace[name] else WINDOW_H, 1), WINDOW_H)
                * HOUR_US
            )
            for name, b in backlog.items()
        }
        at_risk = _at_risk(s, now, horizon)
        flow_out, ds_by_worker, floors = [], defaultdict(list), defaultdict(list)
        gold = gold_scores(gold_answers(s))
        for flow in flows:
            quality = flow_quality(s, flow.arn)
            model = services.aggregation.model(
                s, flow, "dawid-skene", checked_within_us=MODEL_CHECK_US
            )
            alpha = model.alpha
            for worker_id, acc in model.accuracy.items():
                ds_by_worker[worker_id].append((acc, model.answered.get(worker_id, 0)))
                floors[worker_id].append(quality.accuracy_floor)
            b = backlog.get(flow.name, {"openLoops": 0, "answersNeeded": 0,
                                        "backlogCapped": False})
            flow_out.append(
                {
                    "flow": flow.name,
                    "method": quality.method,
                    "goldRate": quality.gold_rate,
                    "accuracyFloor": quality.accuracy_floor,
                    **b,
                    "answersPerHour": round(pace.get(flow.name, 0.0), 2),
                    "atRisk": sum(1 for r in at_risk if r["flow"] == flow.name),
                    "alpha": alpha,
                }
            )
    reviewers = []
    for pk, (worker_id, name) in sorted(workers.items(), key=lambda kv: kv[1][1]):
        right, answered = gold.get(worker_id, (0, 0))
        ds = ds_by_worker.get(worker_id, [])
        n_ds = sum(n for _, n in ds)
        acc_ds = sum(a * n for a, n in ds) / n_ds if n_ds else None
        gold_est = _estimate(right, answered) if answered else None
        ds_est = _estimate((acc_ds or 0.0) * n_ds, n_ds) if n_ds else None
        floor = max(floors.get(worker_id, [0.0]))
        basis = gold_est if answered >= MIN_GOLD else ds_est
        reviewers.append(
            {
                "workerId": worker_id,
                "name": name,
                "answers24h": per_worker.get(pk, 0),
                "answersPerHour": round(per_worker.get(pk, 0) / WINDOW_H, 3),
                "gold": gold_est,
                "dawidSkene": ds_est,
                "flagged": bool(
                    basis and basis["accuracy"] is not None and basis["accuracy"] < floor
                ),
            }
        )
    return {
        "generatedAt": iso_ms(now),
        "windowHours": WINDOW_H,
        "flows": flow_out,
        "atRisk": at_risk[:AT_RISK_LIMIT],
        "atRiskCount": len(at_risk),
        "reviewers": reviewers,
    }


def backlog_text(flow: dict[str, Any]) -> tuple[str, str]:
    """A flow's open loops and answers needed as the team view and the CLI print them: "more
    than" the cap and "at least" what those loops need when the backlog was cut short."""
    if flow.get("backlogCapped"):
        return f"more than {flow['openLoops'] - 1:,}", f"at least {flow['answersNeeded']:,}"
    return str(flow["openLoops"]), str(flow["answersNeeded"])


def _backlog(s: Any, flow: str, now: int, cap: int) -> dict[str, Any]:
    """The flow's open loops and the answers they still need, over its first ``cap + 1`` open
    loops by deadline (an ordered range of ``ix_loops_status_flow`` and one answer lookup per
    loop): a bounded cost whatever the backlog. ``backlogCapped``: there are more than ``cap``
    (the team view says "more than"); the caller passes at least a day's answers at the flow's
    pace as ``cap``, so a backlog it cuts short would take more than the day the at-risk horizon
    looks ahead at most, and the horizon is the same as with every loop counted."""
    first = (
        select(HumanLoop.id, HumanLoop.task_count)
        .where(
            HumanLoop.status == "InProgress",
            HumanLoop.flow_definition_name == flow,
            HumanLoop.expires_us > now,
        )
        .order_by(HumanLoop.expires_us)
        .limit(cap + 1)
        .subquery()
    )
    answers = select(func.count(Answer.id)).where(Answer.loop_pk == first.c.id).scalar_subquery()
    n, need, given = s.execute(
        select(func.count(), func.sum(first.c.task_count), func.sum(answers)).select_from(first)
    ).one()
    return {"openLoops": int(n), "answersNeeded": int(need or 0) - int(given or 0),
            "backlogCapped": int(n) > cap}


def _at_risk(s: Any, now: int, horizon: dict[str, int]) -> list[dict[str, Any]]:
    if not horizon:
        return []
    answers = select(func.count(Answer.id)).where(Answer.loop_pk == HumanLoop.id).scalar_subquery()
    stmt = (
        select(
            HumanLoop.name,
            HumanLoop.flow_definition_name,
            HumanLoop.expires_us,
            HumanLoop.task_count,
            answers,
        )
        .where(
            HumanLoop.status == "InProgress",
            HumanLoop.output_pending == 0,
            HumanLoop.expires_us > now,
            HumanLoop.expires_us <= max(horizon.values()),
        )
        .order_by(HumanLoop.expires_us)
        .limit(1_000)
    )
    out = []
    for name, flow, expires, count, got in s.execute(stmt):
        if expires > horizon.get(flow, now) or got >= count:
            continue
        out.append(
            {
                "humanLoopName": name,
                "flow": flow,
                "deadline": iso_ms(expires),
                "answers": int(got),
                "taskCount": count,
            }
        )
    return out


def data_version(services: ReviewServices) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A cheap fingerprint of what the figures are computed from (index lookups only, whatever
    the backlog): the team's make-up (flows, gold items, workers), then its activity (the last
    answer, loop and status-change event, and how many loops are stopping). A loop leaves
    ``InProgress`` for a final status with an event (``Lifecycle.end``) or for ``Stopping``."""
    with services.store.read() as s:
        row = s.execute(
            select(
                select(func.count(FlowDefinition.id)).scalar_subquery(),
                select(func.max(GoldItem.id)).scalar_subquery(),
                select(func.max(Worker.id)).scalar_subquery(),
                select(func.count(Worker.id)).scalar_subquery(),
                select(func.max(Answer.id)).scalar_subquery(),
                select(func.max(HumanLoop.id)).scalar_subquery(),
                select(func.max(Event.seq)).scalar_subquery(),
                select(func.count(HumanLoop.id))
                .where(HumanLoop.status == "Stopping")
                .scalar_subquery(),
            )
        ).one()
    values = tuple(int(v or 0) for v in row)
    return values[:4], values[4:]


class TeamFigures:
    """The team view's figures, kept between page views (see the module's docstring)."""

    def __init__(self, services: ReviewServices, clock: Clock | None = None) -> None:
        self.services = services
        self.clock = clock or services.tasks.clock
        self._lock = threading.Lock()
        self._figures: dict[str, Any] | None = None
        self._version: tuple[tuple[int, ...], tuple[int, ...]] = ((), ())
        self._at = 0

    def figures(self) -> dict[str, Any]:
        with self._lock:  # one computation at a time; the others then take its figures
            now = self.clock()
            age = now - self._at
            version = data_version(self.services)
            make_up, activity = version
            if (
                self._figures is None
                or make_up != self._version[0]
                or (activity != self._version[1] and age >= FRESH_US)
                or age >= MAX_AGE_US
            ):
                self._figures = team_stats(self.services)
                self._version, self._at = version, now
            return self._figures
