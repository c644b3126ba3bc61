"""Gold tasks: items with a known answer, mixed into reviewers' queues to measure them.

An operator adds gold items to a flow definition (``hitl-agent workers gold add``, or
``POST /hitl/flows/{flow}/gold``). When a loop of that flow starts and the flow's gold rate is
below its target, the service starts a *gold loop* too: an ordinary human loop of the same flow,
named like any other, with the gold item's input; the reviewers cannot tell it apart. Each answer
to a gold loop is scored against the known answer (:func:`gold_scores`), and Dawid–Skene is
seeded with those answers (``live_aggregation.py``).

A flow's quality settings are tags of its flow definition (``CreateFlowDefinition``'s ``Tags`` or
``AddTags``):

- ``hitl:aggregation``: ``majority``, ``wawa`` or ``dawid-skene``: the verdict of a loop with
  several reviewers is written into its ``output.json`` (``live_aggregation.py``). Without it the
  output keeps A2I's exact shape and ``parse_output`` takes the majority;
- ``hitl:gold-rate``: the share of a flow's loops that are gold, 0 (default) to 0.5;
- ``hitl:accuracy-floor``: reviewers estimated below it are flagged (default 0.7).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from hitl_agent.review.consensus import METHODS, Method, answer_label

from .clock import Clock, now_us
from .errors import ResourceNotFoundException, ValidationException
from .models import Answer, Base, FlowDefinition, HumanLoop, ResourceTag
from .storage import Store

MAX_GOLD_ITEMS = 1000
MAX_GOLD_INPUT_CHARS = 100_000
DEFAULT_FLOOR = 0.7
MAX_RATE = 0.5
RATE_TTL_US = 5 * 1_000_000


class GoldItem(Base):
    __tablename__ = "gold_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    flow_name: Mapped[str] = mapped_column(String(63), index=True)
    input_content: Mapped[str] = mapped_column(Text)  # JSON, as StartHumanLoop's InputContent
    label: Mapped[str] = mapped_column(Text)  # the known answer, as ``answer_label`` reads it
    created_us: Mapped[int] = mapped_column(BigInteger)
    uses: Mapped[int] = mapped_column(Integer, default=0)


class GoldLoop(Base):
    """Marks a human loop as gold (the loop row itself looks like any other)."""

    __tablename__ = "gold_loops"

    loop_pk: Mapped[int] = mapped_column(
        ForeignKey("human_loops.id", ondelete="CASCADE"), primary_key=True
    )
    gold_pk: Mapped[int] = mapped_column(ForeignKey("gold_items.id", ondelete="CASCADE"))
    flow_name: Mapped[str] = mapped_column(String(63), index=True)


@dataclass(frozen=True)
class FlowQuality:
    method: Method = "majority"
    gold_rate: float = 0.0
    accuracy_floor: float = DEFAULT_FLOOR
    chosen: bool = False  # the flow names its aggregation method (hitl:aggregation)


def flow_quality(session: Session, flow_arn: str) -> FlowQuality:
    """The quality settings a flow definition's tags hold (bad values fall back to defaults)."""
    tags = {
        key: value
        for key, value in session.execute(
            select(ResourceTag.key, ResourceTag.value).where(
                ResourceTag.resource_arn == flow_arn, ResourceTag.key.startswith("hitl:")
            )
        )
    }
    named = tags.get("hitl:aggregation")
    chosen = named in METHODS
    method: Method = named if chosen else "majority"  # type: ignore[assignment]
    try:
        rate = float(tags.get("hitl:gold-rate") or 0.0)
        floor = float(tags.get("hitl:accuracy-floor") or DEFAULT_FLOOR)
    except ValueError:
        return FlowQuality(method, chosen=chosen)
    return FlowQuality(
        method, min(max(rate, 0.0), MAX_RATE), min(max(floor, 0.0), 1.0), chosen=chosen
    )


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
        self._rates: dict[str, tuple[float, int]] = {}

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

    def due_item(self, session: Session, flow: FlowDefinition) -> GoldItem | None:
        """The gold item to start now for ``flow``, if its gold share is below its rate."""
        quality = flow_quality(session, flow.arn)
        if quality.gold_rate <= 0:
            return None
        gold = (
            session.scalar(
                select(func.count(GoldLoop.loop_pk)).where(GoldLoop.flow_name == flow.name)
            )
            or 0
        )
        loops = (
            session.scalar(
                select(func.count(HumanLoop.id)).where(HumanLoop.flow_definition_name == flow.name)
            )
            or 0
        )
        if gold >= quality.gold_rate * (loops + 1):
            return None
        return session.scalars(
            select(GoldItem)
            .where(GoldItem.flow_name == flow.name)
            .order_by(GoldItem.uses, GoldItem.id)
            .limit(1)
        ).first()

    def after_start(self, flow_arn: str, start_loop: Any) -> None:
        """Called after a client's loop started: start a gold loop when one is due.

        ``start_loop(name, flow_arn, input_content)`` is the runtime's own StartHumanLoop, so the
        gold loop is a loop like any other.
        """
        now = self.clock()
        rate, read_us = self._rates.get(flow_arn, (0.0, -RATE_TTL_US))
        if now - read_us >= RATE_TTL_US:  # tags change rarely (AddTags): read them now and then
            with self.store.read() as s:
                rate = flow_quality(s, flow_arn).gold_rate
            self._rates[flow_arn] = (rate, now)
        if rate <= 0:
            return
        with self.store.write() as s:
            flow = s.scalars(select(FlowDefinition).where(FlowDefinition.arn == flow_arn)).first()
            item = self.due_item(s, flow) if flow is not None else None
            if item is None or flow is None:
                return
            item.uses += 1
            gold_pk, content, flow_name = item.id, item.input_content, flow.name
        name = secrets.token_hex(16)
        start_loop(name, flow_arn, content)
        with self.store.write() as s:
            loop = self.store.get_loop(s, name)
            if loop is not None:
                s.add(GoldLoop(loop_pk=loop.id, gold_pk=gold_pk, flow_name=flow_name))

    def gold_of_loop(self, session: Session, loop_pk: int) -> str | None:
        return session.scalar(
            select(GoldItem.label)
            .join(GoldLoop, GoldLoop.gold_pk == GoldItem.id)
            .where(GoldLoop.loop_pk == loop_pk)
        )


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
