"""Gold tasks: items with a known answer, mixed into reviewers' queues to measure them.

An operator adds gold items to a flow definition (``hitl-agent workers gold add``, or
``POST /hitl/flows/{flow}/gold``). When a loop of that flow starts and the flow's gold rate is
below its target, the service starts a *gold loop* too: an ordinary human loop of the same flow,
named like any other, with the gold item's input; the reviewers cannot tell it apart. It is
inserted and marked in ``gold_loops`` in the client's StartHumanLoop transaction, and the A2I
runtime API (Describe/List/Stop/DeleteHumanLoop) never shows it: the client's flow holds only its
own loops. Each answer to a gold loop is scored against the known answer (:func:`gold_scores`), and
Dawid–Skene is seeded with those answers (``live_aggregation.py``).

A flow's quality settings are tags of its flow definition (``CreateFlowDefinition``'s ``Tags`` or
``AddTags``):

- ``hitl:aggregation``: ``majority``, ``wawa`` or ``dawid-skene``: the verdict of a loop with
  several reviewers is written into its ``output.json`` (``live_aggregation.py``). Without it the
  output keeps A2I's exact shape and ``parse_output`` takes the majority;
- ``hitl:gold-rate``: the share of a flow's loops that are gold, 0 (default) to 0.5;
- ``hitl:accuracy-floor``: reviewers estimated below it are flagged (default 0.7).

The ``hitl:`` prefix is this service's: a tag with another ``hitl:`` key, or a value outside its
rule, is a ValidationException naming ``Tags.N.Key`` or ``Tags.N.Value`` and the rule where tags
are set (``tagging.read_tags``); one stored before that check refuses StartHumanLoop the same way.
"""

from __future__ import annotations

import json
import logging
import math
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from hitl_agent.review.consensus import METHODS, Method, answer_label

from .clock import Clock, now_us
from .errors import ResourceNotFoundException, ValidationException
from .models import Answer, FlowDefinition, GoldItem, GoldLoop, HumanLoop, ResourceTag
from .storage import Store

if TYPE_CHECKING:
    from .runtime import FlowPlan, StartLoop

log = logging.getLogger(__name__)

MAX_GOLD_ITEMS = 1000
MAX_GOLD_INPUT_CHARS = 100_000
DEFAULT_FLOOR = 0.7
MAX_RATE = 0.5
RATE_TTL_US = 5 * 1_000_000


@dataclass(frozen=True)
class FlowQuality:
    method: Method = "majority"
    gold_rate: float = 0.0
    accuracy_floor: float = DEFAULT_FLOOR
    chosen: bool = False  # the flow names its aggregation method (hitl:aggregation)


def _number_rule(low: float, high: float) -> Callable[[str], str | None]:
    def rule(value: str) -> str | None:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or not low <= number <= high:
            return f"Member must be a number from {low:g} to {high:g}"
        return None

    return rule


QUALITY_TAGS: dict[str, Callable[[str], str | None]] = {
    "hitl:aggregation": lambda v: (
        None if v in METHODS else f"Member must satisfy enum value set: [{', '.join(METHODS)}]"
    ),
    "hitl:gold-rate": _number_rule(0.0, MAX_RATE),
    "hitl:accuracy-floor": _number_rule(0.0, 1.0),
}
"""The ``hitl:`` tags this service reads, each with the rule its value must follow."""
TAG_PREFIX = "hitl:"


def quality_tag_problem(key: str, value: str) -> tuple[str, str] | None:
    """``("Key" | "Value", rule)`` when a ``hitl:`` tag is malformed (the prefix is this
    service's: an unknown key is a typo that would otherwise be ignored); None when it is fine
    or not a ``hitl:`` tag."""
    if not key.lower().startswith(TAG_PREFIX):
        return None
    rule = QUALITY_TAGS.get(key)
    if rule is None:
        return (
            "Key",
            f"Member must be one of the hitl: tags this service reads: [{', '.join(QUALITY_TAGS)}]",
        )
    problem = rule(value)
    return ("Value", problem) if problem is not None else None


def _tags(db: Session | Connection, flow_arn: str) -> dict[str, str]:
    return {key: value for key, value in db.execute(_QUALITY_TAGS, {"arn": flow_arn})}


_QUALITY_TAGS = select(ResourceTag.key, ResourceTag.value).where(
    ResourceTag.resource_arn == bindparam("arn"), ResourceTag.key.startswith(TAG_PREFIX)
)


def flow_quality(db: Session | Connection, flow_arn: str) -> FlowQuality:
    """The quality settings a flow definition's tags hold (tags set before their values were
    checked fall back to the defaults; :func:`check_flow_quality` refuses them)."""
    tags = _tags(db, flow_arn)
    named = tags.get("hitl:aggregation")
    chosen = named in METHODS
    method: Method = named if chosen else "majority"  # type: ignore[assignment]
    rate, floor = tags.get("hitl:gold-rate"), tags.get("hitl:accuracy-floor")
    return FlowQuality(
        method,
        float(rate)
        if rate is not None and quality_tag_problem("hitl:gold-rate", rate) is None
        else 0.0,
        float(floor)
        if floor is not None and quality_tag_problem("hitl:accuracy-floor", floor) is None
        else DEFAULT_FLOOR,
        chosen=chosen,
    )


def check_flow_quality(db: Session | Connection, flow_arn: str) -> FlowQuality:
    """:func:`flow_quality`, refusing a malformed ``hitl:`` tag (one stored before tags were
    checked) with a ValidationException that names the tag and its rule."""
    for key, value in sorted(_tags(db, flow_arn).items()):
        problem = quality_tag_problem(key, value)
        if problem is not None:
            member, rule = problem
            raise ValidationException(
                f"FlowDefinitionArn: the flow definition's tag {key!r} has a malformed {member} "
                f"({value[:80]!r}): {rule}; correct it with AddTags or DeleteTags",
                field="FlowDefinitionArn",
            )
    return flow_quality(db, flow_arn)


def known_label(answer: Any) -> str:
    """The label of a gold answer given as a plain value or as an ``answerContent`` object."""
    if isinstance(answer, Mapping):
        return answer_label(answer)
    if isinstance(answer, str | int | float) and not isinstance(answer, bool):
        return str(answer)
    raise ValidationException(
        "answer must be a label (string or number) or an answerContent object", field="answer"
    )


class GoldBook:
    """Gold items and gold loops over the service's store."""

    def __init__(self, store: Store, clock: Clock = now_us) -> None:
        self.store, self.clock = store, clock
        self._rates: dict[str, tuple[FlowQuality | ValidationException, int]] = {}

    def add_items(self, flow_name: str, items: Sequence[Mapping[str, Any]]) -> int:
        """Add ``[{"input": {...}, "answer": ...}]`` to a flow; returns how many it now has."""
        if not isinstance(items, Sequence) or isinstance(items, str) or not items:
            raise ValidationException("items must be a non-empty list", field="items")
        rows = []
        for i, item in enumerate(items):
            if not isinstance(item, Mapping) or "input" not in item or "answer" not in item:
                raise ValidationException(
                    f"items[{i}] must be an object with input and answer", field=f"items[{i}]"
                )
            encoded = json.dumps(item["input"], ensure_ascii=False)
            if len(encoded) > MAX_GOLD_INPUT_CHARS:
                raise ValidationException(
                    f"items[{i}].input must be at most {MAX_GOLD_INPUT_CHARS} characters",
                    field=f"items[{i}].input",
                )
            try:
                label = known_label(item["answer"])
            except ValidationException as exc:
                raise ValidationException(exc.message, field=f"items[{i}].answer") from exc
            rows.append(
                GoldItem(
                    flow_name=flow_name,
                    input_content=encoded,
                    label=label,
                    created_us=self.clock(),
                    uses=0,
                )
            )
        with self.store.write() as s:
            if s.scalar(select(FlowDefinition.id).where(FlowDefinition.name == flow_name)) is None:
                raise ResourceNotFoundException(
                    f"Flow definition '{flow_name}' does not exist", field="flow"
                )
            have = s.scalar(select(func.count(GoldItem.id)).where(GoldItem.flow_name == flow_name))
            if (have or 0) + len(rows) > MAX_GOLD_ITEMS:
                raise ValidationException(
                    f"a flow holds at most {MAX_GOLD_ITEMS} gold items", field="items"
                )
            s.add_all(rows)
            return (have or 0) + len(rows)

    def list_items(self, flow_name: str) -> list[dict[str, Any]]:
        with self.store.read() as s:
            return [
                {
                    "id": g.id,
                    "input": json.loads(g.input_content),
                    "answer": g.label,
                    "uses": g.uses,
                }
                for g in s.scalars(
                    select(GoldItem).where(GoldItem.flow_name == flow_name).order_by(GoldItem.id)
                )
            ]

    def _quality(self, conn: Connection, flow_arn: str) -> FlowQuality:
        """The flow's checked quality settings, read again every :data:`RATE_TTL_US` (tags
        change rarely: AddTags)."""
        now = self.clock()
        cached = self._rates.get(flow_arn)
        if cached is None or now - cached[1] >= RATE_TTL_US:
            try:
                cached = (check_flow_quality(conn, flow_arn), now)
            except ValidationException as exc:
                cached = (exc, now)
            if len(self._rates) > 10_000:
                self._rates.clear()
            self._rates[flow_arn] = cached
        if isinstance(cached[0], ValidationException):
            raise cached[0]
        return cached[0]

    def no_gold_due(self, flow_arn: str) -> bool:
        """True when the flow's quality settings, read within :data:`RATE_TTL_US`, ask for no
        gold loops: a start of the flow has no gold work (``after_start`` would do nothing)."""
        cached = self._rates.get(flow_arn)
        return (
            cached is not None
            and self.clock() - cached[1] < RATE_TTL_US
            and isinstance(cached[0], FlowQuality)
            and cached[0].gold_rate <= 0
        )

    def after_start(self, conn: Connection, plan: FlowPlan, start_loop: StartLoop) -> None:
        """Called in a StartHumanLoop's transaction, after the client's loop is inserted: start
        a gold loop too when one is due, in the same transaction (one commit for both).

        ``start_loop`` is the runtime's own insert, so the gold loop is a loop like any other;
        it is marked in ``gold_loops`` before the commit, so the A2I runtime API never shows it.
        A malformed ``hitl:`` tag refuses the start (ValidationException); a gold loop that
        cannot start leaves the client's loop started.
        """
        rate = self._quality(conn, plan.arn).gold_rate
        if rate <= 0:
            return
        try:
            with conn.begin_nested():
                gold = conn.scalar(_GOLD_COUNT, {"flow": plan.name}) or 0
                loops = conn.scalar(_LOOP_COUNT, {"flow": plan.name}) or 0
                if gold >= rate * (loops + 1):  # (the client's loop is counted already)
                    return
                item = conn.execute(_DUE_ITEM, {"flow": plan.name}).first()
                if item is None:
                    return
                conn.execute(_USE_ITEM, {"pk": item.id})
                loop_pk = start_loop(conn, plan, secrets.token_hex(16), item.input_content)
                conn.execute(
                    insert(GoldLoop),
                    {"loop_pk": loop_pk, "gold_pk": item.id, "flow_name": plan.name},
                )
        except SQLAlchemyError:
            log.exception("starting a gold loop for %s failed", plan.arn)

    def gold_of_loop(self, session: Session, loop_pk: int) -> str | None:
        return session.scalar(
            select(GoldItem.label)
            .join(GoldLoop, GoldLoop.gold_pk == GoldItem.id)
            .where(GoldLoop.loop_pk == loop_pk)
        )


_GOLD_COUNT = select(func.count(GoldLoop.loop_pk)).where(GoldLoop.flow_name == bindparam("flow"))
_LOOP_COUNT = select(func.count(HumanLoop.id)).where(
    HumanLoop.flow_definition_name == bindparam("flow")
)
_DUE_ITEM = (
    select(GoldItem.id, GoldItem.input_content)
    .where(GoldItem.flow_name == bindparam("flow"))
    .order_by(GoldItem.uses, GoldItem.id)
    .limit(1)
)
_USE_ITEM = update(GoldItem).where(GoldItem.id == bindparam("pk")).values(uses=GoldItem.uses + 1)


def gold_answers(session: Session, flow_name: str | None = None) -> list[tuple[str, str, str]]:
    """``(worker_id, given label, known label)`` of every answer to a gold loop."""
    stmt = (
        select(Answer.worker_id, Answer.answer_content, GoldItem.label)
        .join(GoldLoop, GoldLoop.loop_pk == Answer.loop_pk)
        .join(GoldItem, GoldItem.id == GoldLoop.gold_pk)
    )
    if flow_name is not None:
        stmt = stmt.where(GoldLoop.flow_name == flow_name)
    return [
        (worker, answer_label(json.loads(content)), known)
        for worker, content, known in session.execute(stmt)
    ]


def gold_scores(rows: Sequence[tuple[str, str, str]]) -> dict[str, tuple[int, int]]:
    """Worker → (right, answered) on gold loops."""
    scores: dict[str, tuple[int, int]] = {}
    for worker, given, known in rows:
        right, total = scores.get(worker, (0, 0))
        scores[worker] = (right + (given == known), total + 1)
    return scores
