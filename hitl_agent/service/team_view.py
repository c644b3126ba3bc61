"""The team view for admins, and the admin API of gold items and team figures.

An admin is a worker of the work team ``admins`` (``hitl-agent workers add lead --team admins``).

GET  /portal/team                       the team view (signed-in admins): figures and plots
GET  /portal/api/team/stats             the same figures as JSON (``team_stats.py``)
GET  /portal/api/flows/{flow}/gold      the flow's gold items
POST /portal/api/flows/{flow}/gold      {"items": [{"input": {...}, "answer": "label"}]}

The API authenticates with an admin worker's bearer token (``Authorization: Bearer hitl_…``).
Plots are inline SVG built here (no script, no external asset).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from . import portal_pages as pages
from .errors import AwsError, Forbidden, Unauthorized, ValidationException
from .portal_pages import e
from .portal_queue import FLOW_NAME
from .portal_web import (
    current_viewer,
    error_response,
    html_response,
    json_response,
    read_json_object,
    services_of,
    to_login,
)
from .responses import aws_error
from .team_stats import ADMIN_TEAM, TeamFigures, backlog_text, is_admin
from .workforce import WorkerInfo

MAX_GOLD_BODY = 4 * 1024 * 1024
team_router = APIRouter()


# --- plots --------------------------------------------------------------------------------------


def bar_chart(
    title: str,
    rows: Sequence[tuple[str, float | None, tuple[float, float] | None]],
    *,
    scale: float | None = None,
    floor: float | None = None,
    unit: str = "",
) -> str:
    """Horizontal bars (with an optional interval whisker per row) as an inline SVG."""
    shown = list(rows)[:40]
    values = [v for _, v, _ in shown if v is not None]
    top = scale or max([*values, 1e-9])
    width, label_w, row_h = 420, 130, 18
    height = 24 + row_h * max(len(shown), 1)
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{e(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="11" font-family="sans-serif">'
        f"<title>{e(title)}</title>"
    ]
    plot_w = width - label_w - 50
    for i, (label, value, interval) in enumerate(shown):
        y = 18 + i * row_h
        parts.append(f'<text x="0" y="{y + 11}">{e(label[:20])}</text>')
        if value is None:
            parts.append(f'<text x="{label_w}" y="{y + 11}" fill="#687078">n/a</text>')
            continue
        w = max(0.0, min(value / top, 1.0)) * plot_w
        parts.append(
            f'<rect x="{label_w}" y="{y + 2}" width="{w:.1f}" height="{row_h - 6}" fill="#0073bb"/>'
        )
        if interval is not None:
            lo, hi = (label_w + max(0.0, min(v / top, 1.0)) * plot_w for v in interval)
            mid = y + row_h / 2 - 1
            parts.append(
                f'<line x1="{lo:.1f}" x2="{hi:.1f}" y1="{mid}" y2="{mid}" stroke="#16191f"/>'
            )
        parts.append(
            f'<text x="{label_w + w + 4:.1f}" y="{y + 11}">{value:.2f}{e(unit)}</text>'
            if isinstance(value, float) and top <= 1.0
            else f'<text x="{label_w + w + 4:.1f}" y="{y + 11}">{value:g}{e(unit)}</text>'
        )
    if floor is not None:
        x = label_w + min(floor / top, 1.0) * plot_w
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="12" y2="{height}" stroke="#d13212" '
            'stroke-dasharray="3 2"/>'
        )
    parts.append("</svg>")
    return f'<figure class="card"><figcaption>{e(title)}</figcaption>{"".join(parts)}</figure>'


def _interval(est: dict[str, Any] | None) -> tuple[float | None, tuple[float, float] | None]:
    if not est or est.get("accuracy") is None:
        return None, None
    return float(est["accuracy"]), (float(est["low"]), float(est["high"]))


def _pct(est: dict[str, Any] | None) -> str:
    if not est or est.get("accuracy") is None:
        return "–"
    return (
        f'{est["accuracy"] * 100:.0f}% <span class="muted small">'
        f"({est['low'] * 100:.0f}–{est['high'] * 100:.0f}, n={est['answers']})</span>"
    )


def _fixed(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def team_page(worker: str, csrf: str, stats: dict[str, Any], now_us: int) -> str:
    flows, reviewers = stats["flows"], stats["reviewers"]
    floor = min((f["accuracyFloor"] for f in flows), default=None)
    figures = "".join(
        (
            bar_chart(
                "Backlog per flow (open loops)",
                [(f["flow"], float(f["openLoops"]), None) for f in flows],
            ),
            bar_chart(
                "Agreement per flow (Krippendorff's alpha)",
                [(f["flow"], f["alpha"], None) for f in flows],
                scale=1.0,
            ),
            bar_chart(
                "Answers per hour per reviewer (last 24 h)",
                [(r["name"], float(r["answersPerHour"]), None) for r in reviewers],
            ),
            bar_chart(
                "Estimated accuracy per reviewer (Dawid–Skene, 95% interval)",
                [(r["name"], *_interval(r["dawidSkene"])) for r in reviewers],
                scale=1.0,
                floor=floor,
            ),
            bar_chart(
                "Accuracy on gold tasks (95% interval)",
                [(r["name"], *_interval(r["gold"])) for r in reviewers if r["gold"]],
                scale=1.0,
                floor=floor,
            ),
        )
    )
    flow_rows = "".join(
        f'<tr data-flow="{e(f["flow"])}"><td>{e(f["flow"])}</td><td class="num">{e(opened)}'
        f'</td><td class="num">{e(needed)}</td><td class="num">{f["atRisk"]}</td>'
        f'<td class="num">{f["answersPerHour"]}</td><td>{e(f["method"])}</td>'
        f'<td class="num">{_fixed(f["alpha"])}</td></tr>'
        for f in flows
        for opened, needed in [backlog_text(f)]
    )
    risk_rows = "".join(
        f'<tr data-loop="{e(r["humanLoopName"])}"><td>{e(r["flow"])}</td>'
        f"<td>{pages.deadline_html(pages.parse_timestamp(r['deadline']), now_us)}</td>"
        f'<td class="num">{r["answers"]}/{r["taskCount"]}</td></tr>'
        for r in stats["atRisk"]
    )
    reviewer_rows = "".join(
        f'<tr data-worker="{e(r["workerId"])}"><td>{e(r["name"])}'
        f"{' <span class=flag>flagged</span>' if r['flagged'] else ''}</td>"
        f'<td class="num">{r["answers24h"]}</td><td class="num">{r["answersPerHour"]}</td>'
        f"<td>{_pct(r['gold'])}</td><td>{_pct(r['dawidSkene'])}</td></tr>"
        for r in reviewers
    )
    body = (
        "<h1>Team</h1>"
        f'<p class="muted">Figures of the last {stats["windowHours"]} hours; '
        f"{stats['atRiskCount']} open tasks at risk of missing their deadline.</p>"
        f'<div class="figures" id="team-figures">{figures}</div>'
        '<h2>Flows</h2><div class="scroll"><table class="grid" id="team-flows"><thead><tr>'
        "<th>Flow</th><th>Open</th><th>Answers needed</th><th>At risk</th><th>Answers/h</th>"
        f"<th>Aggregation</th><th>Alpha</th></tr></thead><tbody>{flow_rows}</tbody></table></div>"
        '<h2>At risk</h2><div class="scroll"><table class="grid" id="team-risk"><thead><tr>'
        "<th>Flow</th><th>Deadline</th><th>Answers</th></tr></thead>"
        f"<tbody>{risk_rows}</tbody></table></div>"
        '<h2>Reviewers</h2><div class="scroll"><table class="grid" id="team-reviewers"><thead>'
        "<tr><th>Reviewer</th><th>Answers (24 h)</th><th>Per hour</th><th>Gold accuracy</th>"
        f"<th>Dawid–Skene accuracy</th></tr></thead><tbody>{reviewer_rows}</tbody></table></div>"
    )
    return pages.layout("Team", body, worker=worker, csrf=csrf, active="team", admin=True)


# --- routes -------------------------------------------------------------------------------------


def team_figures(request: Request) -> dict[str, Any]:
    """The figures, kept between views by the app's :class:`TeamFigures`."""
    kept: TeamFigures | None = getattr(request.app.state, "team_figures", None)
    if kept is None:
        kept = request.app.state.team_figures = TeamFigures(services_of(request))
    return kept.figures()


@team_router.get("/team")
async def team(request: Request) -> Response:
    viewer = await current_viewer(request)
    if viewer is None:
        return to_login(request)
    if not is_admin(viewer.worker):
        return error_response(
            viewer, 403, "Admins only", f"The team view is for the team {ADMIN_TEAM}."
        )
    services = services_of(request)
    stats = await run_in_threadpool(team_figures, request)
    return html_response(team_page(viewer.worker.name, viewer.csrf, stats, services.tasks.clock()))


async def _api_admin(request: Request) -> WorkerInfo:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Missing bearer token", field="Authorization")
    worker = await run_in_threadpool(
        services_of(request).workforce.authenticate_token, token.strip()
    )
    if worker is None:
        raise Unauthorized("Invalid bearer token", field="Authorization")
    if not is_admin(worker):
        raise Forbidden(f"Only workers of the team {ADMIN_TEAM} may do this", field="Authorization")
    return worker


def _flow(flow: str) -> str:
    if len(flow) > 63 or not FLOW_NAME.fullmatch(flow):
        raise ValidationException("flow must be a flow definition name", field="flow")
    return flow


@team_router.get("/api/team/stats")
async def stats_api(request: Request) -> Response:
    try:
        await _api_admin(request)
        stats = await run_in_threadpool(team_figures, request)
    except AwsError as exc:
        return aws_error(exc, "application/json")
    return json_response(stats)


@team_router.get("/api/flows/{flow}/gold")
async def list_gold(flow: str, request: Request) -> Response:
    try:
        await _api_admin(request)
        items = await run_in_threadpool(services_of(request).gold.list_items, _flow(flow))
    except AwsError as exc:
        return aws_error(exc, "application/json")
    return json_response({"flow": flow, "items": items})


@team_router.post("/api/flows/{flow}/gold")
async def add_gold(flow: str, request: Request) -> Response:
    try:
        await _api_admin(request)
        body = await read_json_object(request, MAX_GOLD_BODY)
        items = body.get("items")
        if not isinstance(items, list):
            raise ValidationException("items must be a list", field="items")
        count = await run_in_threadpool(services_of(request).gold.add_items, _flow(flow), items)
    except AwsError as exc:
        return aws_error(exc, "application/json")
    return json_response({"flow": flow, "goldItems": count})
