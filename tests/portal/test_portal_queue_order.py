"""The portal's queue read in index order: every sort and filter gives the rows the board's rule
allows in the documented order, page after page (keyset positions), for a reviewer of several
teams, on SQLite and Postgres; positions are signed and bound to their sort; the sort keys are
stored when a loop starts."""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hitl_agent.service.errors import ValidationException
from hitl_agent.service.models import HumanLoop
from hitl_agent.service.portal_queue import DUE_WINDOWS, QueueView, list_queue
from hitl_agent.service.queue_keys import sort_keys
from hitl_agent.service.services import ReviewServices, build_services
from hitl_agent.service.settings import ServiceSettings
from hitl_agent.service.workforce import WorkerInfo
from tests.helpers.clock import ServiceClock
from tests.helpers.portal import Portal
from tests.helpers.service import TEMPLATE
from tests.helpers.templates import source

HOUR = 3600


@dataclass(frozen=True)
class Loop:
    name: str
    flow: str
    team: str
    priority: float
    confidence: float
    created_us: int
    expires_us: int


@dataclass
class World:
    services: ReviewServices
    clock: ServiceClock
    ann: WorkerInfo  # in team-a and team-b
    loops: list[Loop]
    hidden: set[str]  # loops ann may not take (taken by bob, declined, answered)


def _flow(services: ReviewServices, name: str, team: str, ui: str, lifetime: int) -> str:
    arn: str = services.control.create_flow_definition({
        "FlowDefinitionName": name,
        "RoleArn": "arn:aws:iam::000000000000:role/test",
        "HumanLoopConfig": {
            "WorkteamArn": services.workforce.ensure_team(team), "HumanTaskUiArn": ui,
            "TaskTitle": "Review", "TaskDescription": "Check", "TaskCount": 1,
            "TaskAvailabilityLifetimeInSeconds": lifetime,
        },
        "OutputConfig": {"S3OutputPath": str(services.settings.data_dir / "out")},
    })["FlowDefinitionArn"]
    return arn


def _inputs(i: int) -> dict[str, Any]:
    """Inputs with and without a priority, tier, confidence; ties on purpose."""
    shapes: list[dict[str, Any]] = [
        {"text": f"t{i}", "priority": i % 3, "uncertainty": {"confidence": (i % 5) / 5}},
        {"text": f"t{i}", "tier": 2},
        {"text": f"t{i}", "confidence": 0.5},
        {"text": f"t{i}"},
        {"text": f"t{i}", "priority": 2, "uncertainty": {"confidence": 0.1}},
    ]
    return shapes[i % len(shapes)]


def _world(tmp_path: Path, database_url: str | None = None) -> Iterator[World]:
    clock = ServiceClock()
    services = build_services(
        ServiceSettings(data_dir=tmp_path / "data", database_url=database_url,
                        background=False, output_roots=[tmp_path]),
        clock=clock)
    try:
        ui = services.control.create_human_task_ui(
            {"HumanTaskUiName": "ui", "UiTemplate": {"Content": TEMPLATE}})["HumanTaskUiArn"]
        flows = {  # name: (team, lifetime)
            "fast-a": ("team-a", 2 * HOUR), "slow-a": ("team-a", 200 * HOUR),
            "mid-b": ("team-b", 20 * HOUR), "far-c": ("team-c", HOUR),
        }
        arns = {name: _flow(services, name, team, ui, life)
                for name, (team, life) in flows.items()}
        ann, _ = services.workforce.add_worker("ann", teams=["team-a", "team-b"])
        bob, _ = services.workforce.add_worker("bob", teams=["team-a"])
        loops = []
        for i in range(40):
            flow = list(flows)[i % 4]
            name = f"loop-{i:03d}"
            content = _inputs(i)
            services.runtime.start_human_loop({
                "HumanLoopName": name, "FlowDefinitionArn": arns[flow],
                "HumanLoopInput": {"InputContent": json.dumps(content)}})
            with services.store.read() as s:
                row = s.scalars(select(HumanLoop).where(HumanLoop.name == name)).one()
            priority, confidence = sort_keys(json.dumps(content))
            loops.append(Loop(name, flow, flows[flow][0], -priority, confidence, row.created_us,
                              row.expires_us))
            clock.advance(61)
        hidden = {"loop-001", "loop-005", "loop-010"}
        services.tasks.claim(bob, "loop-001")  # one assignment, taken by bob
        services.tasks.release(ann, "loop-005", decline=True)
        services.tasks.submit(ann, "loop-010", {"category": {"label": "a"}})
        yield World(services, clock, ann, loops, hidden)
    finally:
        services.close()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    yield from _world(tmp_path)


def expected(world: World, view: QueueView) -> list[str]:
    now = world.clock()
    rows = [
        loop for loop in world.loops
        if loop.team in world.ann.teams and loop.name not in world.hidden
        and loop.expires_us > now and (view.flow is None or loop.flow == view.flow)
        and (view.due is None or loop.expires_us <= now + DUE_WINDOWS[view.due] * 1_000_000)
    ]

    def key(loop: Loop) -> tuple[Any, ...]:
        if view.sort == "priority":
            return (-loop.priority, loop.confidence, loop.expires_us, loop.created_us)
        if view.sort == "created":
            return (loop.created_us,)
        return (loop.expires_us, loop.created_us)

    return [loop.name for loop in sorted(rows, key=key)]


def every_page(world: World, view: QueueView, limit: int) -> tuple[list[str], list[int]]:
    """The view's rows, read page after page by their positions; and each page's total."""
    names: list[str] = []
    totals: list[int] = []
    after = None
    while True:
        page = list_queue(world.services.tasks, world.ann, view, limit=limit, after=after)
        assert page.start == len(names)
        names += [row.task.humanLoopName for row in page.rows]
        totals.append(page.total)
        if page.next_after is None:
            return names, totals
        after = page.next_after


VIEWS = [QueueView(sort=sort, flow=flow, due=due)
         for sort in ("deadline", "priority", "created")
         for flow in (None, "slow-a", "mid-b", "far-c")
         for due in (None, "24h")]


def test_every_view_in_its_order_page_after_page(world: World) -> None:
    world.clock.advance(HOUR + 1800)  # the first fast-a loops have expired (not yet swept)
    world.hidden.discard("loop-001")  # and bob's hold on loop-001 has lapsed: it is back
    for view in VIEWS:
        want = expected(world, view)
        for limit in (50, 4):
            got, totals = every_page(world, view, limit)
            assert got == want, (view, limit)
            assert set(totals) == {len(want)}, (view, limit)
    assert expected(world, QueueView(flow="far-c")) == []  # not ann's team
    assert len(expected(world, QueueView())) > 10


def test_the_first_page_counts_up_to_the_cap_and_says_what_follows(world: World) -> None:
    page = list_queue(world.services.tasks, world.ann, QueueView(), limit=5)
    want = expected(world, QueueView())
    assert [r.task.humanLoopName for r in page.rows] == want[:5]
    assert page.total == len(want) and page.start == 0 and page.next_after
    row = page.rows[0]
    loop = next(loop for loop in world.loops if loop.name == row.task.humanLoopName)
    assert row.deadline_us == loop.expires_us and row.priority == loop.priority


def test_a_position_is_signed_and_bound_to_its_sort(world: World) -> None:
    board, ann = world.services.tasks, world.ann
    token = list_queue(board, ann, QueueView(sort="priority"), limit=3).next_after
    assert token is not None
    with pytest.raises(ValidationException, match="another sort") as other:
        list_queue(board, ann, QueueView(sort="created"), limit=3, after=token)
    assert other.value.field == "after"
    payload, _, mac = token.partition(".")
    for forged in (payload + "x." + mac, payload + "." + mac[::-1], "garbage", "a" * 5000):
        with pytest.raises(ValidationException, match="after") as bad:
            list_queue(board, ann, QueueView(sort="priority"), limit=3, after=forged)
        assert bad.value.field == "after"


def test_sort_keys_are_stored_when_a_loop_starts_and_read_as_the_page_shows(
    world: World,
) -> None:
    with world.services.store.read() as s:
        stored = {name: (p, c) for name, p, c in s.execute(
            select(HumanLoop.name, HumanLoop.priority_key, HumanLoop.confidence_key))}
    for loop in world.loops:
        assert stored[loop.name] == (-loop.priority, loop.confidence)
    assert sort_keys('{"priority": 1e999, "confidence": NaN}') == (0.0, 1.0)  # not finite
    assert sort_keys('{"priority": true, "tier": 3}') == (-3.0, 1.0)
    assert sort_keys("[1, 2]") == (0.0, 1.0) and sort_keys("not json") == (0.0, 1.0)
    assert not math.copysign(1, sort_keys("{}")[0]) < 0  # no negative zero


@pytest.mark.postgres
def test_every_view_on_postgres(tmp_path: Path, postgres_server: Any) -> None:
    for world in _world(tmp_path, postgres_server.create_database()):
        for view in VIEWS[::3]:
            assert every_page(world, view, 4)[0] == expected(world, view), view


def test_the_queue_page_pages_on_and_refuses_a_bad_position(portal: Portal) -> None:
    flow = portal.flow(source("classification"), team="team-pages", title="Paged")
    loops = [portal.start(flow, {"n": i, "priority": i % 2}) for i in range(53)]
    client, _ = portal.http(portal.worker("team-pages"))
    first = client.get("/portal/tasks?sort=priority").text
    found = re.search(r'<a href="([^"]+)" id="next-page"', first)
    assert found is not None and "Showing the first 50 of 53 tasks." in first
    second = client.get(html.unescape(found.group(1)))
    assert second.status_code == 200
    shown = re.findall(r'<li class="task-row" data-loop="([^"]+)"', first + second.text)
    assert sorted(shown) == sorted(loops)  # every task once, over two pages
    assert "Showing tasks 51–53 of 53." in second.text and 'id="first-page"' in second.text
    assert 'id="next-page"' not in second.text
    for bad in ("garbage", found.group(1).rsplit("after=", 1)[1][:-3] + "AAA"):
        refused = client.get(f"/portal/tasks?sort=priority&after={bad}")
        assert refused.status_code == 400 and "after" in refused.text, bad
    token = html.unescape(found.group(1)).rsplit("after=", 1)[1]
    other = client.get(f"/portal/tasks?sort=created&after={token}")
    assert other.status_code == 400 and "another sort" in other.text
