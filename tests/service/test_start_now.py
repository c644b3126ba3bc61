"""StartHumanLoop on the event loop (``RuntimeBackend.start_now``): it never waits, and what it
cannot start at once it leaves untouched for the worker-thread path (``start_checked``)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from hitl_agent.service.errors import ConflictException
from hitl_agent.service.services import ReviewServices
from hitl_agent.storage.engine import connect_sqlite, sqlite_path
from tests.helpers.service import unique
from tests.helpers.wait import wait_until


def _body(name: str, flow: str, text: str = "x") -> dict[str, object]:
    return {
        "HumanLoopName": name,
        "FlowDefinitionArn": flow,
        "HumanLoopInput": {"InputContent": json.dumps({"text": text, "priority": 2})},
    }


def test_start_now_gives_way_to_a_held_write_lock_and_to_a_taken_name(
    local: ReviewServices, make_flow: Callable[..., str]
) -> None:
    runtime, flow, name = local.runtime, make_flow(), unique("now")
    request = runtime.check_start(_body(name, flow))
    path = sqlite_path(local.store.url)
    assert path is not None
    other = connect_sqlite(path)  # another process's writer, holding the write lock
    other.execute("BEGIN IMMEDIATE")
    try:
        assert runtime.start_now(request) is None  # at once: no wait for the lock
    finally:
        other.execute("ROLLBACK")
        other.close()
    with local.store.read() as session:
        assert local.store.get_loop(session, name) is None  # nothing written

    started = runtime.start_now(request)
    assert started is not None and started["HumanLoopArn"].endswith(f"/{name}")
    with local.store.read() as session:
        loop = local.store.get_loop(session, name)
        assert loop is not None and loop.priority_key == -2.0 and loop.confidence_key == 1.0

    # The name is taken: the worker-thread path decides (A2I: the same start gets its ARN).
    assert runtime.start_now(request) is None
    assert runtime.start_checked(request) == started
    other_input = runtime.check_start(_body(name, flow, text="y"))
    assert runtime.start_now(other_input) is None
    with pytest.raises(ConflictException, match="different input"):
        runtime.start_checked(other_input)


def test_starts_on_the_event_loop_leave_wal_checkpoints_to_their_thread(
    local: ReviewServices, make_flow: Callable[..., str]
) -> None:
    runtime, flow = local.runtime, make_flow()
    checkpointer = local.store.checkpointer
    assert checkpointer is not None and local.store.no_wait is not None
    with local.store.no_wait.connect() as conn:  # that connection never checkpoints itself
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    before = checkpointer.checkpoints
    for _ in range(checkpointer.every):
        request = runtime.check_start(_body(unique("wal"), flow))
        assert runtime.start_now(request) is not None
    wait_until(lambda: checkpointer.checkpoints > before, message="no checkpoint ran")
