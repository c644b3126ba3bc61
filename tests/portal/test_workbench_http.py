"""The workbench over HTTP: queue views, submit-and-next, skip, the team view and the admin API."""

from __future__ import annotations

import json
import re

import httpx
from typer.testing import CliRunner

from hitl_agent.cli.main import app as cli
from tests.helpers.portal import Portal
from tests.helpers.templates import sample, source


def row_names(page: str) -> list[str]:
    return re.findall(r'<li class="task-row" data-loop="([^"]+)"', page)


def test_queue_sorts_and_filters_and_refuses_bad_views(portal: Portal) -> None:
    low = portal.flow(source("classification"), team="team-views", title="Views")
    other = portal.flow(source("classification"), team="team-views", title="Other")
    names = {}
    for key, flow, extra in (
        ("calm", low, {"priority": 1}),
        ("urgent", low, {"priority": 5}),
        ("unsure", low, {"priority": 1, "uncertainty": {"confidence": 0.2, "scorer": "x"}}),
        ("elsewhere", other, {}),
    ):
        names[key] = portal.start(flow, {**sample("classification"), **extra})
    client, _ = portal.http(portal.worker("team-views"))
    by_deadline = row_names(client.get("/portal/tasks").text)
    assert by_deadline == [names[k] for k in ("calm", "urgent", "unsure", "elsewhere")]
    by_priority = row_names(client.get("/portal/tasks?sort=priority").text)
    assert by_priority[:3] == [names["urgent"], names["unsure"], names["calm"]]
    flow_name = low.rsplit("/", 1)[1]
    only = row_names(client.get(f"/portal/tasks?flow={flow_name}").text)
    assert names["elsewhere"] not in only and len(only) == 3
    assert row_names(client.get("/portal/tasks?due=1h").text) == []
    assert len(row_names(client.get("/portal/tasks?due=7d&sort=created").text)) == 0
    assert len(row_names(client.get("/portal/tasks?due=24h").text)) == 0
    for query, field in (("sort=random", "sort"), ("flow=NOT_A_FLOW", "flow"), ("due=2y", "due")):
        r = client.get(f"/portal/tasks?{query}")
        assert r.status_code == 400, query
        assert field in r.text
    page = client.get("/portal/tasks").text
    assert 'id="start-working"' in page and "<time class=" in page


def test_start_working_submit_and_next_then_skip(portal: Portal) -> None:
    flow = portal.flow(source("classification"), team="team-next", title="Next")
    loops = [portal.start(flow, sample("classification")) for _ in range(3)]
    client, csrf = portal.http(portal.worker("team-next"))
    r = client.post("/portal/work", data={"csrf": csrf, "sort": "created"})
    assert (
        r.status_code == 303 and r.headers["location"] == f"/portal/tasks/{loops[0]}?sort=created"
    )
    answer = {"answerContent": {"label": {"label": "billing"}}, "queue": "sort=created"}
    r = client.post(f"/portal/tasks/{loops[0]}/answer", json=answer, headers={"X-CSRF-Token": csrf})
    assert r.json()["next"] == f"/portal/tasks/{loops[1]}?sort=created"  # already claimed
    assert "claimedByMe" not in r.text
    r = client.post(
        f"/portal/tasks/{loops[1]}/release",
        data={"csrf": csrf, "next": "1", "sort": "created"},
    )
    assert r.headers["location"] == f"/portal/tasks/{loops[2]}?sort=created"
    bad = {**answer, "queue": "sort=sideways"}
    r = client.post(f"/portal/tasks/{loops[2]}/answer", json=bad, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 400 and "sort" in r.json()["message"]
    r = client.post(f"/portal/tasks/{loops[2]}/answer", json=answer, headers={"X-CSRF-Token": csrf})
    assert r.json()["next"] == f"/portal/tasks/{loops[1]}?sort=created"  # the skipped one
    r = client.post(f"/portal/tasks/{loops[1]}/answer", json=answer, headers={"X-CSRF-Token": csrf})
    assert r.json()["next"] == f"/portal/tasks?sort=created&done={loops[1]}"


def test_the_task_rendered_ahead_is_claimed_with_the_answer(portal: Portal) -> None:
    """Submit-and-next in place: the page loads the upcoming task's frame before it is claimed,
    names it with the answer, and gets its header back; a task taken meanwhile is passed over."""
    flow = portal.flow(source("classification"), team="team-ahead", title="Ahead")
    loops = [portal.start(flow, sample("classification")) for _ in range(4)]
    client, csrf = portal.http(portal.worker("team-ahead"))
    client.post("/portal/work", data={"csrf": csrf, "sort": "created"})
    upcoming = client.get(f"/portal/tasks/{loops[0]}/upcoming?sort=created").json()["name"]
    assert upcoming == loops[1]
    ahead = client.get(f"/portal/tasks/{upcoming}/frame?upcoming=1")
    assert ahead.status_code == 200 and "crowd-classifier" in ahead.text
    assert client.get(f"/portal/tasks/{upcoming}/frame").status_code == 409  # not claimed yet
    answer = {"answerContent": {"label": {"label": "billing"}}, "queue": "sort=created"}
    headers = {"X-CSRF-Token": csrf}
    r = client.post(
        f"/portal/tasks/{loops[0]}/answer", json={**answer, "upcoming": loops[2]}, headers=headers
    ).json()
    assert r["name"] == loops[2] and r["next"] == f"/portal/tasks/{loops[2]}?sort=created"
    assert f'data-loop="{loops[2]}"' in r["header"] and 'id="skip-form"' in r["header"]
    assert r["title"] == "Ahead"
    # another reviewer takes the task this one has rendered ahead: the queue's next instead
    rival = portal.local.workforce.get_worker(portal.worker("team-ahead"))
    portal.local.tasks.claim(rival, loops[1])
    assert client.get(f"/portal/tasks/{loops[1]}/frame?upcoming=1").status_code == 409
    r = client.post(
        f"/portal/tasks/{loops[2]}/answer", json={**answer, "upcoming": loops[1]}, headers=headers
    ).json()
    assert r["name"] == loops[3]


def test_team_view_and_admin_api(portal: Portal) -> None:
    flow = portal.flow(source("classification"), team="team-q", title="Quality", task_count=2)
    flow_name = flow.rsplit("/", 1)[1]
    admin_info, admin_token = portal.local.workforce.add_worker(
        "lead-" + flow_name, teams=["admins"], password="correct-horse-1"
    )
    plain_info, plain_token = portal.local.workforce.add_worker(
        "plain-" + flow_name, teams=["team-q"]
    )
    api = httpx.Client(base_url=portal.url)
    gold = {"items": [{"input": sample("classification"), "answer": "billing"}]}
    url = f"/portal/api/flows/{flow_name}/gold"
    assert api.post(url, json=gold).status_code == 401
    r = api.post(url, json=gold, headers={"Authorization": f"Bearer {plain_token}"})
    assert r.status_code == 403
    admin = {"Authorization": f"Bearer {admin_token}"}
    r = api.post(url, json={"items": [{"input": {}}]}, headers=admin)
    assert r.status_code == 400 and "items[0]" in r.text
    assert api.post(url, content=b"{", headers=admin).status_code == 400
    assert api.post("/portal/api/flows/NOPE/gold", json=gold, headers=admin).status_code == 400
    r = api.post(url, json=gold, headers=admin)
    assert r.status_code == 200 and r.json()["goldItems"] == 1
    assert api.get(url, headers=admin).json()["items"][0]["answer"] == "billing"
    stats = api.get("/portal/api/team/stats", headers=admin).json()
    assert {"flows", "atRisk", "reviewers", "windowHours"} <= set(stats)
    assert any(f["flow"] == flow_name for f in stats["flows"])
    # the same figures from the CLI
    result = CliRunner().invoke(cli, ["workers", "stats", "--json", "--data", str(portal.data)])
    assert result.exit_code == 0, result.output
    assert any(f["flow"] == flow_name for f in json.loads(result.output)["flows"])
    # the team page: admins only, inline SVG plots, no script
    client, _ = portal.http(admin_info.name)
    page = client.get("/portal/team")
    assert page.status_code == 200
    assert page.text.count("<svg") == 5 and "Krippendorff" in page.text
    assert 'href="/portal/team"' in page.text
    plain_client, _ = portal.http(portal.worker("team-q"))
    assert plain_client.get("/portal/team").status_code == 403
    assert 'href="/portal/team"' not in plain_client.get("/portal/tasks").text
    del plain_info


def test_gold_items_from_the_cli(portal: Portal, tmp_path: object) -> None:
    from pathlib import Path

    flow = portal.flow(source("classification"), team="team-cli")
    flow_name = flow.rsplit("/", 1)[1]
    items = Path(str(tmp_path)) / "gold.jsonl"
    items.write_text(
        "\n".join(json.dumps({"input": {"n": i}, "answer": "billing"}) for i in range(3))
    )
    runner = CliRunner()
    args = ["--data", str(portal.data), "--json"]
    result = runner.invoke(cli, ["workers", "gold", "add", flow_name, str(items), *args])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"flow": flow_name, "added": 3, "goldItems": 3}
    result = runner.invoke(cli, ["workers", "gold", "add", "no-such-flow", str(items), *args])
    assert result.exit_code != 0 and "does not exist" in result.output
    listed = runner.invoke(cli, ["workers", "gold", "list", flow_name, "--data", str(portal.data)])
    assert [json.loads(line)["input"] for line in listed.output.splitlines()] == [
        {"n": 0},
        {"n": 1},
        {"n": 2},
    ]
