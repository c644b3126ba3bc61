"""The worker API's task list a page at a time (``nextToken``) and the board's capped count."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from hitl_agent.service.errors import ValidationException
from hitl_agent.service.pagination import encode_position
from hitl_agent.service.portal_queue import QueueView, list_queue
from hitl_agent.service.workforce import WorkerInfo
from tests.helpers.service import (
    InProcessService,
    WorkerClient,
    create_flow,
    new_worker,
    start_loop,
    unique,
)


def _pages(worker: Any, limit: int) -> list[list[str]]:
    """Every page of the worker's tasks, following ``nextToken`` to the last page."""
    pages, token = [], None
    while True:
        params: dict[str, Any] = {"limit": limit, **({"nextToken": token} if token else {})}
        r = worker.http.get("/worker-api/tasks", params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        pages.append([t["humanLoopName"] for t in body["tasks"]])
        token = body.get("nextToken")
        if token is None:
            return pages
        assert len(pages) < 50, "the pages never end"


def _flows(service: InProcessService, *teams: str) -> dict[str, str]:
    sagemaker = service.client("sagemaker")
    return {team: create_flow(sagemaker, output=str(service.data / "outputs"), team=team)
            for team in teams}


def _team_with_loops(
    service: InProcessService, prefix: str, n: int
) -> tuple[list[str], WorkerClient, WorkerInfo]:
    """``n`` loops started one after the other for a new team, and a worker of the team (its
    worker API client and its service-layer record)."""
    team = unique(prefix)
    flow = _flows(service, team)[team]
    runtime = service.client("sagemaker-a2i-runtime")
    names = []
    for _ in range(n):
        service.clock.advance(0.01)
        names.append(start_loop(runtime, flow))
    client = new_worker(service.services, service.url, team)
    info = service.services.workforce.get_worker(client.name)
    assert info is not None
    return names, client, info


def test_pages_of_two_teams_come_oldest_first_each_task_once(
    clocked_service: InProcessService,
) -> None:
    service = clocked_service
    runtime = service.client("sagemaker-a2i-runtime")
    teams = (unique("pa"), unique("pb"))
    flows = _flows(service, *teams)
    started = []
    for i in range(7):  # the two teams' loops interleaved in time
        service.clock.advance(0.01)
        started.append(start_loop(runtime, flows[teams[i % 2]]))
    worker = new_worker(service.services, service.url, *teams)
    other = new_worker(service.services, service.url, *teams)
    declined = new_worker(service.services, service.url, *teams)

    pages = _pages(worker, limit=3)
    assert pages == [started[0:3], started[3:6], started[6:7]]
    assert _pages(worker, limit=7) == [started]

    # A task another worker holds, and one this worker declined, are not on its pages; a task
    # started between two pages comes last, and no task repeats.
    assert other.claim(started[1]).status_code == 200
    assert declined.release(started[4], decline=True).status_code == 200
    first = worker.http.get("/worker-api/tasks", params={"limit": 2}).json()
    assert [t["humanLoopName"] for t in first["tasks"]] == [started[0], started[2]]
    service.clock.advance(0.01)
    late = start_loop(runtime, flows[teams[0]])
    rest = worker.http.get("/worker-api/tasks",
                           params={"limit": 10, "nextToken": first["nextToken"]}).json()
    assert [t["humanLoopName"] for t in rest["tasks"]] == [*started[3:], late]
    assert "nextToken" not in rest
    assert [n for page in _pages(declined, limit=2) for n in page] == [
        n for n in [*started, late] if n not in (started[1], started[4])]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"nextToken": "not-a-token"}, "nextToken"),
        ({"nextToken": ""}, "nextToken"),
        ({"nextToken": "x" * 1025}, "nextToken"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
    ],
)
def test_a_bad_page_request_is_a_400_naming_the_field(
    clocked_service: InProcessService, params: dict[str, Any], field: str
) -> None:
    worker = new_worker(clocked_service.services, clocked_service.url, unique("pc"))
    r = worker.http.get("/worker-api/tasks", params=params)
    assert r.status_code == 400, r.text
    assert r.json()["__type"] == "ValidationException" and field in r.text


def test_a_token_edited_or_issued_for_the_portal_queue_is_refused(
    clocked_service: InProcessService,
) -> None:
    service = clocked_service
    _, worker, info = _team_with_loops(service, "pd", 3)
    token = worker.http.get("/worker-api/tasks", params={"limit": 1}).json()["nextToken"]
    payload, _, mac = token.partition(".")
    edited = f"{payload[:-1]}{'A' if payload[-1] != 'A' else 'B'}.{mac}"
    portal = encode_position("created", (1, 1), 0)  # a signed queue position of another order
    for bad in (edited, portal):
        r = worker.http.get("/worker-api/tasks", params={"nextToken": bad})
        assert r.status_code == 400 and "nextToken" in r.text, r.text
    with pytest.raises(ValidationException) as caught:
        service.services.tasks.page_tasks(info, token=portal)
    assert caught.value.field == "nextToken"
    three_keys = encode_position("worker-tasks", (1, 2, 3), 0)  # signed, but not our keys
    r = worker.http.get("/worker-api/tasks", params={"nextToken": three_keys})
    assert r.status_code == 400 and "nextToken is not a valid position" in r.text, r.text
    not_numbers = encode_position("worker-tasks", ("a", 1), 0)  # type: ignore[arg-type]
    r = worker.http.get("/worker-api/tasks", params={"nextToken": not_numbers})
    assert r.status_code == 400 and "nextToken is not a valid position" in r.text, r.text


def test_count_stops_past_its_cap_and_skips_what_the_worker_may_not_take(
    clocked_service: InProcessService,
) -> None:
    service = clocked_service
    names, client, worker = _team_with_loops(service, "pe", 5)
    board = service.services.tasks
    assert board.count_tasks(worker) == 5
    assert board.count_tasks(worker, cap=5) == 5
    assert board.count_tasks(worker, cap=3) == 4  # "more than 3"
    assert client.release(names[0], decline=True).status_code == 200
    assert board.count_tasks(worker) == 4 == len(board.list_tasks(worker))
    nobody = service.services.workforce.add_worker(unique("w"), teams=[])[0]
    assert board.count_tasks(nobody) == 0 and board.page_tasks(nobody).tasks == []


def test_a_count_reads_the_deadline_index_alone(clocked_service: InProcessService) -> None:
    """The capped count (the worker API's and the portal queue's, of a team or of one flow)
    tests the taking rule on index entries: no row of the loops table is read, so it costs the
    same however large and scattered that table grows."""
    service = clocked_service
    names, _client, worker = _team_with_loops(service, "pc", 3)
    engine = service.services.store.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("the plan is SQLite's")
    with service.services.store.read() as s:
        flow = service.services.store.get_loop(s, names[0]).flow_definition_name
    seen: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
        if "count(*)" in statement:
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        assert service.services.tasks.count_tasks(worker) == 3
        assert list_queue(service.services.tasks, worker, QueueView(flow=flow), limit=2).total == 3
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert len(seen) == 2
    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        for statement, params in seen:
            plan = [row[3] for row in driver.execute(f"EXPLAIN QUERY PLAN {statement}", params)]
            loops = [step for step in plan if "human_loops" in step]
            assert loops and all("COVERING INDEX ix_loops_team_" in step for step in loops), plan
