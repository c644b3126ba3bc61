"""StartHumanLoop's short paths answer as its full transaction does: on Postgres a start of a
known flow is one statement (``start_sql.PlannedInsert``), and anything that changed since (a
task UI deleted) or a name already taken is decided by the full transaction."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from hitl_agent.service.errors import ConflictException, ValidationException
from hitl_agent.service.services import ReviewServices, build_services
from hitl_agent.service.settings import ServiceSettings
from tests.helpers.service import service_flow


def _flow(services: ReviewServices, out: Path) -> tuple[str, str]:
    ui = str(services.control.create_human_task_ui(
        {"HumanTaskUiName": "ui", "UiTemplate": {"Content": "x"}})["HumanTaskUiArn"])
    return ui, service_flow(services, out, task_ui=ui)


def _start(services: ReviewServices, name: str, flow: str, content: Any) -> dict[str, Any]:
    return services.runtime.start_human_loop(
        {
            "HumanLoopName": name,
            "FlowDefinitionArn": flow,
            "HumanLoopInput": {"InputContent": json.dumps(content)},
        }
    )


@pytest.mark.postgres
def test_postgres_starts_of_a_known_flow_answer_as_the_full_transaction(
    postgres_server: Any, tmp_path: Path
) -> None:
    url = postgres_server.create_database()
    services = build_services(
        ServiceSettings(
            database_url=url, data_dir=tmp_path, background=False, output_roots=[tmp_path]
        )
    )
    try:
        ui, flow = _flow(services, tmp_path / "out")
        first = _start(services, "l1", flow, {"i": 1})  # the full transaction: the plan is made
        second = _start(services, "l2", flow, {"priority": 3, "confidence": 0.5})
        assert second["HumanLoopArn"] == first["HumanLoopArn"].replace("/l1", "/l2")
        with services.store.read() as session:
            loop = services.store.get_loop(session, "l2")
            assert loop is not None and loop.status == "InProgress"
            assert (loop.priority_key, loop.confidence_key) == (-3.0, 0.5)
            assert loop.output_uri.endswith("/l2/output.json")
        assert services.runtime.describe_human_loop("l2")["HumanLoopStatus"] == "InProgress"

        # the same start again: its ARN; other input under the name: A2I's conflict
        assert _start(services, "l2", flow, {"priority": 3, "confidence": 0.5}) == second
        with pytest.raises(ConflictException, match="different input"):
            _start(services, "l2", flow, {"other": True})

        # the task UI is deleted (its loops stopped first): nothing inserted, and the full
        # transaction says why
        for name in ("l1", "l2"):
            services.runtime.stop_human_loop({"HumanLoopName": name})
        services.control.delete_human_task_ui({"HumanTaskUiName": ui.rsplit("/", 1)[-1]})
        with pytest.raises(ValidationException, match="HumanTaskUi .* was deleted"):
            _start(services, "l3", flow, {"i": 3})
        with services.store.read() as session:
            assert services.store.get_loop(session, "l3") is None
    finally:
        services.close()


@pytest.mark.postgres
def test_postgres_starts_from_the_event_loop_write_only_the_plain_case(
    postgres_server: Any, tmp_path: Path
) -> None:
    """``start_async`` (the HTTP hot path on Postgres) starts a loop of a known flow on its own
    connections and commits it; anything else answers None with nothing written, and
    ``start_checked`` then answers as it always does, without running the statement again
    when it ran here and started nothing (a name taken, a flow changed)."""
    url = postgres_server.create_database()
    services = build_services(
        ServiceSettings(
            database_url=url, data_dir=tmp_path, background=False, output_roots=[tmp_path]
        )
    )
    runtime = services.runtime

    def request(name: str, content: Any) -> Any:
        return runtime.check_start(
            {
                "HumanLoopName": name,
                "FlowDefinitionArn": flow,
                "HumanLoopInput": {"InputContent": json.dumps(content)},
            }
        )

    try:
        ui, flow = _flow(services, tmp_path / "out")
        # no plan yet: nothing ran
        assert asyncio.run(runtime.start_async(request("l1", {"i": 1}))) == (None, False)
        first = _start(services, "l1", flow, {"i": 1})  # the full transaction: the plan is made
        second, tried = asyncio.run(runtime.start_async(request("l2", {"priority": 3})))
        assert tried and second == {"HumanLoopArn": first["HumanLoopArn"].replace("/l1", "/l2")}
        with services.store.read() as session:  # committed, as the full transaction writes it
            loop = services.store.get_loop(session, "l2")
            assert loop is not None and loop.status == "InProgress"
            assert loop.priority_key == -3.0 and loop.output_uri.endswith("/l2/output.json")

        async def twice(name: str, content: Any) -> list[Any]:  # one event loop, at once
            return list(
                await asyncio.gather(
                    runtime.start_async(request(name, content)),
                    runtime.start_async(request(name, content)),
                )
            )

        # a second event loop (the first one's connections are dropped); the same name twice
        # at once: one start inserts, the other is left to start_checked, which answers the ARN
        both = asyncio.run(twice("l3", {"i": 3}))
        assert sorted(map(str, both)) == sorted(
            [str((None, True)),
             str(({"HumanLoopArn": second["HumanLoopArn"].replace("/l2", "/l3")}, True))]
        )
        statements: list[Any] = []  # runs of the one-statement start (its plan_* parameters)

        def count(_conn: Any, _cursor: Any, _sql: str, params: Any, *_rest: Any) -> None:
            if isinstance(params, dict) and "plan_flow_arn" in params:
                statements.append(params)

        event.listen(services.store.engine, "before_cursor_execute", count)
        again = request("l3", {"i": 3})
        assert asyncio.run(runtime.start_async(again)) == (None, True)  # the name is taken
        assert runtime.start_checked(again, planned=False)["HumanLoopArn"].endswith("/l3")
        other = request("l3", {"other": True})
        assert asyncio.run(runtime.start_async(other)) == (None, True)
        with pytest.raises(ConflictException, match="different input"):
            runtime.start_checked(other, planned=False)
        assert statements == []  # the full transaction only: the statement did not run twice
        assert runtime.start_checked(again)["HumanLoopArn"].endswith("/l3")  # planned: it runs
        assert len(statements) == 1
        event.remove(services.store.engine, "before_cursor_execute", count)

        # the task UI deleted since the plan was made: nothing inserted
        for name in ("l1", "l2", "l3"):
            runtime.stop_human_loop({"HumanLoopName": name})
        services.control.delete_human_task_ui({"HumanTaskUiName": ui.rsplit("/", 1)[-1]})
        assert asyncio.run(runtime.start_async(request("l4", {"i": 4}))) == (None, True)
        with services.store.read() as session:
            assert services.store.get_loop(session, "l4") is None
    finally:
        services.close()
