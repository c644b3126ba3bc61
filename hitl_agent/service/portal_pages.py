"""The worker portal's own pages, built with f-strings; every dynamic value goes through ``e()``.

The pages load only ``/portal/static/portal.css`` and ``/portal/static/portal.js`` (no inline script
or style: their Content-Security-Policy forbids it). The task template itself is not rendered here:
it runs in a sandboxed frame (see ``portal.py``).
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from .clock import iso_s, parse_timestamp, to_datetime
from .portal_queue import COUNT_CAP, QueuePage, QueueView, queue_url
from .portal_static import static_url
from .tasks import TaskDetail, TaskSummary


def e(value: object) -> str:
    """HTML-escape any value for text and (quoted) attribute positions."""
    return html.escape("" if value is None else str(value), quote=True)


def path_segment(name: str) -> str:
    return quote(name, safe="")


def _parse_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def time_left(iso: str | None, *, now: datetime | None = None) -> str:
    """``2 d 3 h``, ``14 min``, ``expired`` for an ISO 8601 time."""
    end = _parse_iso(iso)
    if end is None:
        return ""
    seconds = int((end - (now or datetime.now(UTC))).total_seconds())
    if seconds <= 0:
        return "expired"
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{max(minutes, 1)} min" if seconds >= 60 else f"{seconds} s"


def layout(
    title: str,
    body: str,
    *,
    worker: str | None = None,
    csrf: str | None = None,
    active: str = "",
    admin: bool = False,
) -> str:
    meta = f'<meta name="csrf-token" content="{e(csrf)}">' if csrf else ""
    nav = ""
    if worker is not None:
        links = "".join(
            f'<a href="{href}"{" aria-current=page" if key == active else ""}>{label}</a>'
            for key, href, label in (
                ("queue", "/portal/tasks", "Tasks"),
                ("history", "/portal/history", "My answers"),
                *((("team", "/portal/team", "Team"),) if admin else ()),
            )
        )
        nav = (
            f'<nav class="top"><span class="brand">hitl-agent</span>{links}'
            f'<span class="who">{e(worker)}</span>'
            f'<form method="post" action="/portal/logout" class="inline">'
            f'<input type="hidden" name="csrf" value="{e(csrf)}">'
            f'<button type="submit" class="link" id="sign-out">Sign out</button></form></nav>'
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{meta}<title>{e(title)} · hitl-agent</title>"
        f'<link rel="icon" href="data:,"><link rel="stylesheet" href="{static_url("portal.css")}">'
        f'<script src="{static_url("portal.js")}" defer></script>'
        f"</head><body>{nav}<main>{body}</main>{keys_help() if worker else ''}</body></html>"
    )


def login_page(
    *,
    token: str,
    next_url: str,
    error: str | None = None,
    name: str = "",
    provider: str | None = None,
) -> str:
    """The sign-in form; with ``provider`` (the workforce's OpenID Connect provider) a link that
    signs in there instead."""
    alert = f'<p class="alert" role="alert" id="login-error">{e(error)}</p>' if error else ""
    oidc = (
        f'<p class="sso"><a href="/portal/oidc/login?next={e(quote(next_url, safe=""))}" '
        f'id="sign-in-oidc" class="button">Sign in with {e(provider)}</a></p>'
        '<p class="muted small">or with a name and password:</p>'
        if provider
        else ""
    )
    body = (
        '<section class="card narrow"><h1>Sign in</h1>'
        f"{alert}{oidc}"
        '<form method="post" action="/portal/login" id="login-form">'
        f'<input type="hidden" name="csrf" value="{e(token)}">'
        f'<input type="hidden" name="next" value="{e(next_url)}">'
        '<label>Name <input name="name" id="name" autocomplete="username" required autofocus '
        f'value="{e(name)}"></label>'
        '<label>Password <input name="password" id="password" type="password" '
        'autocomplete="current-password" required></label>'
        '<button type="submit" class="primary" id="sign-in">Sign in</button>'
        "</form></section>"
    )
    return layout("Sign in", body)


def _keywords(words: Iterable[str], cls: str = "chip") -> str:
    return "".join(f'<span class="{cls}">{e(w)}</span>' for w in words)


def _hidden_csrf(csrf: str) -> str:
    return f'<input type="hidden" name="csrf" value="{e(csrf)}">'


KEYS_HELP = (
    ("1 – 9", "choose the n-th answer (toggles it in a multi-select task)"),
    ("Enter", "submit the answer (Ctrl+Enter in a text box); the next task opens by itself"),
    ("s", "skip: give the task back and open the next one"),
    ("Esc", "back to the task list"),
    ("?", "show or hide these keys"),
)


def keys_help() -> str:
    """The ``?`` overlay: the keyboard contract, on every signed-in page."""
    rows = "".join(f"<dt><kbd>{e(k)}</kbd></dt><dd>{e(v)}</dd>" for k, v in KEYS_HELP)
    return (
        '<div id="keys-help" class="overlay" role="dialog" aria-modal="true" '
        'aria-labelledby="keys-title" hidden><div class="card">'
        f'<h2 id="keys-title">Keyboard</h2><dl class="keys">{rows}</dl>'
        '<p class="muted small">Press <kbd>?</kbd> or <kbd>Esc</kbd> to close.</p></div></div>'
    )


def deadline_html(deadline_us: int, now_us: int) -> str:
    """The one way a deadline is shown: ``due in 2 d 3 h`` with the exact UTC time on hover."""
    exact = iso_s(deadline_us)
    left = time_left(exact, now=to_datetime(now_us))
    text = "overdue" if left == "expired" else f"due in {left}"
    soon = " soon" if deadline_us - now_us < 3_600_000_000 else ""
    return f'<time class="due{soon}" datetime="{e(exact)}" title="{e(exact)}">{e(text)}</time>'


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f}%"


def _view_fields(view: QueueView) -> str:
    return "".join(
        f'<input type="hidden" name="{k}" value="{e(v)}">'
        for k, v in (("sort", view.sort), ("flow", view.flow), ("due", view.due))
        if v
    )


def _queue_controls(csrf: str, view: QueueView, flows: Sequence[str]) -> str:
    def options(current: str | None, choices: Sequence[tuple[str, str]]) -> str:
        return "".join(
            f'<option value="{e(v)}"{" selected" if (current or "") == v else ""}>{e(t)}</option>'
            for v, t in choices
        )

    sorts = (("deadline", "Deadline"), ("priority", "Priority"), ("created", "Oldest"))
    flow_choices = [("", "All flows"), *((f, f) for f in flows)]
    if view.flow and view.flow not in flows:
        flow_choices.append((view.flow, view.flow))
    dues = (("", "Any time"), ("1h", "Within 1 h"), ("24h", "Within 24 h"), ("7d", "Within 7 d"))
    return (
        '<div class="controls">'
        '<form method="post" action="/portal/work" class="inline" id="work-form">'
        f"{_hidden_csrf(csrf)}{_view_fields(view)}"
        '<button type="submit" class="primary" id="start-working" autofocus>Start working</button>'
        "</form>"
        '<form method="get" action="/portal/tasks" class="filters" id="queue-filters">'
        f'<label>Sort <select name="sort" id="sort">{options(view.sort, sorts)}</select></label>'
        f'<label>Flow <select name="flow" id="flow">{options(view.flow, flow_choices)}</select>'
        "</label>"
        f'<label>Due <select name="due" id="due">{options(view.due, dues)}</select></label>'
        '<button type="submit" id="apply">Apply</button></form></div>'
    )


def _shown(page: QueuePage) -> str:
    n, total = len(page.rows), page.total
    of = f"more than {COUNT_CAP:,}" if total > COUNT_CAP else f"{total}"
    if page.start:
        return f"Showing tasks {page.start + 1}–{page.start + n} of {of}."
    if total > n:
        return f"Showing the first {n} of {of} tasks."
    return f"{total} task{'s' if total != 1 else ''} available."


def _page_links(page: QueuePage, view: QueueView) -> str:
    links = []
    if page.start:
        links.append(f'<a href="{e(queue_url(view))}" id="first-page">First page</a>')
    if page.next_after:
        links.append(
            f'<a href="{e(queue_url(view, after=page.next_after))}" id="next-page" '
            'rel="next">Next tasks</a>'
        )
    return f'<nav class="pages">{" · ".join(links)}</nav>' if links else ""


def queue_page(
    worker: str,
    csrf: str,
    page: QueuePage,
    *,
    view: QueueView,
    notice: str | None = None,
    now_us: int,
    admin: bool = False,
) -> str:
    """The queue: one page of the view (``page``), its filters, and links to the next page and
    back to the first."""
    rows, total, flows = page.rows, page.total, page.flows
    suffix = e(view.suffix())
    if rows:
        items = []
        for r in rows:
            t = r.task
            seg = e(path_segment(t.humanLoopName))
            label = "Continue" if t.claimedByMe else "Start"
            model = (
                f'<span class="model">Model: <strong>{e(r.model_answer)}</strong>'
                f"{' · ' + _percent(r.confidence) if r.confidence is not None else ''}</span>"
                if r.model_answer is not None
                else ""
            )
            items.append(
                f'<li class="task-row" data-loop="{e(t.humanLoopName)}">'
                f'<div class="what"><a href="/portal/tasks/{seg}{suffix}" class="title">'
                f"{e(t.taskTitle or 'Review')}</a>"
                f'<p class="preview">{e(r.preview)}</p>'
                f'<p class="facts">{model}<span class="chip">{e(r.task_type)}</span>'
                f'<span class="chip">{e(r.flow)}</span>{_keywords(t.taskKeywords, "chip kw")}'
                "</p></div>"
                f'<div class="when">{deadline_html(r.deadline_us, now_us)}'
                f'<span class="muted small">{t.answerCount}/{t.taskCount} answers</span>'
                f'<form method="post" action="/portal/tasks/{seg}/start{suffix}" class="inline">'
                f'{_hidden_csrf(csrf)}<button type="submit" class="start">{label}</button>'
                "</form></div></li>"
            )
        table = (
            f'<p class="muted" id="task-count" data-total="{total}">'
            f"{e(_shown(page))}</p>"
            f'<ol class="queue" id="queue" start="{page.start + 1}">{"".join(items)}</ol>'
            f"{_page_links(page, view)}"
        )
    else:
        table = '<p class="empty" id="task-count" data-total="0">No tasks for you right now.</p>'
    note = f'<p class="notice" role="status">{e(notice)}</p>' if notice else ""
    return layout(
        "Tasks",
        f"<h1>Tasks</h1>{note}{_queue_controls(csrf, view, flows)}{table}",
        worker=worker,
        csrf=csrf,
        active="queue",
        admin=admin,
    )


KEYS_HINT = (
    '<p class="keys-hint muted small" id="keys-hint"><kbd>1</kbd>–<kbd>9</kbd> choose · '
    "<kbd>Enter</kbd> submit · <kbd>s</kbd> skip · <kbd>Esc</kbd> list · <kbd>?</kbd> keys</p>"
)


def task_header(
    csrf: str, task: TaskDetail | TaskSummary, *, view: QueueView, now_us: int | None = None
) -> str:
    """The task page's header: title, deadline, the claim's timer, skip/release/decline.

    The page swaps it in place when submit-and-next opens the following task (``portal.js``).
    """
    seg = e(path_segment(task.humanLoopName))
    expires = parse_timestamp(task.expiresAt)
    due = deadline_html(expires, now_us if now_us is not None else expires)
    timer, actions = "", ""
    if task.claimedByMe:
        timer = (
            f'<span class="timer" id="timer" data-expires="{e(task.claimExpiresAt)}" '
            'title="Your hold on this task">'
            f"{e(time_left(task.claimExpiresAt))} left</span>"
        )
        fields = _hidden_csrf(csrf) + _view_fields(view)
        actions = (
            f'<form method="post" action="/portal/tasks/{seg}/release" class="inline" '
            f'id="skip-form">{fields}<input type="hidden" name="next" value="1">'
            '<button type="submit" id="skip" title="Skip (s)">Skip</button></form>'
            f'<form method="post" action="/portal/tasks/{seg}/release" class="inline">'
            f'{fields}<button type="submit" id="release">Release</button></form>'
            f'<form method="post" action="/portal/tasks/{seg}/decline" class="inline">'
            f'{fields}<button type="submit" id="decline">Decline</button></form>'
        )
    return (
        f'<header class="task" data-loop="{e(task.humanLoopName)}" '
        f'data-answer-url="/portal/tasks/{seg}/answer" '
        f'data-queue="{e(view.query())}" data-back="{e(f"/portal/tasks{view.suffix()}")}">'
        f'<div><h1 id="task-title">{e(task.taskTitle or "Review")}</h1>'
        f'<p class="muted">{e(task.taskDescription)}</p>'
        f"<div>{_keywords(task.taskKeywords)}</div></div>"
        f'<div class="side">{due}{timer}{actions}</div></header>'
    )


def task_frame(name: str) -> str:
    """The sandboxed frame that runs the task's template (``portal.py``'s security model)."""
    return (
        f'<iframe id="task-frame" title="Task" src="/portal/tasks/{e(path_segment(name))}/frame" '
        'sandbox="allow-scripts allow-forms" referrerpolicy="no-referrer"></iframe>'
    )


def task_page(
    worker: str,
    csrf: str,
    task: TaskDetail,
    *,
    view: QueueView | None = None,
    now_us: int | None = None,
    admin: bool = False,
) -> str:
    """The task shell: header, deadline, the sandboxed frame with the template, skip/decline."""
    view = view or QueueView()
    if task.claimedByMe:
        work, hint = task_frame(task.humanLoopName), KEYS_HINT
    else:
        work = (
            f'<form method="post" action="/portal/tasks/{e(path_segment(task.humanLoopName))}'
            f'/start{e(view.suffix())}" class="card">{_hidden_csrf(csrf)}<p>Start the task to '
            "see it; you then have the task's time limit to answer.</p>"
            '<button type="submit" class="primary" id="start" autofocus>Start task</button></form>'
        )
        hint = ""
    body = (
        f"{task_header(csrf, task, view=view, now_us=now_us)}{hint}"
        f'<p class="alert" role="alert" id="portal-alert" hidden></p>{work}'
    )
    return layout(
        task.taskTitle or "Task", body, worker=worker, csrf=csrf, active="queue", admin=admin
    )


@dataclass(frozen=True)
class HistoryRow:
    loop_name: str
    title: str | None
    status: str
    submitted: str
    time_spent_s: float
    answer: Any


def history_page(worker: str, csrf: str, rows: Sequence[HistoryRow], total: int) -> str:
    if rows:
        body_rows = "".join(
            f'<tr data-loop="{e(r.loop_name)}"><td>{e(r.title or r.loop_name)}'
            f'<div class="muted small">{e(r.loop_name)}</div></td>'
            f"<td>{e(r.submitted)}</td><td class=num>{r.time_spent_s:.1f} s</td>"
            f"<td>{e(r.status)}</td>"
            f"<td><details><summary>answer</summary><pre>"
            f"{e(json.dumps(r.answer, indent=2, ensure_ascii=False))}</pre></details></td></tr>"
            for r in rows
        )
        shown = f"Your last {len(rows)} of {total} answers." if total > len(rows) else ""
        content = (
            f'<p class="muted">{e(shown)}</p>'
            '<table class="grid" id="history"><thead><tr><th>Task</th><th>Submitted</th>'
            "<th>Time spent</th><th>Loop status</th><th>Your answer</th></tr></thead>"
            f"<tbody>{body_rows}</tbody></table>"
        )
    else:
        content = '<p class="empty">You have not answered any task yet.</p>'
    return layout(
        "My answers", f"<h1>My answers</h1>{content}", worker=worker, csrf=csrf, active="history"
    )


def error_page(
    status: int,
    title: str,
    message: str,
    *,
    detail: str | None = None,
    worker: str | None = None,
    csrf: str | None = None,
    release_loop: str | None = None,
) -> str:
    """An error page; ``release_loop`` adds a button that gives that task back."""
    extra = f'<pre class="detail" id="error-detail">{e(detail)}</pre>' if detail else ""
    release = ""
    if release_loop is not None and csrf is not None:
        release = (
            f'<form method="post" action="/portal/tasks/{e(path_segment(release_loop))}/release">'
            f'{_hidden_csrf(csrf)}<button type="submit" id="release">Release the task</button>'
            "</form>"
        )
    body = (
        f'<section class="card error" id="error" data-status="{status}">'
        f'<h1 id="error-title">{e(title)}</h1><p id="error-message">{e(message)}</p>{extra}'
        f'{release}<p><a href="/portal/tasks">Back to your tasks</a></p></section>'
    )
    return layout(title, body, worker=worker, csrf=csrf)


def preview_answer_page(worker: str, csrf: str, document: dict[str, Any], again: str) -> str:
    pretty = json.dumps(document, indent=2, ensure_ascii=False)
    body = (
        "<h1>Preview: the answer A2I would store</h1>"
        '<p class="muted">Nothing was stored. This is the <code>output.json</code> the loop '
        "would get with your answer (its <code>humanAnswers[0].answerContent</code> is what the "
        "form produced).</p>"
        f'<pre class="answer" id="preview-answer">{e(pretty)}</pre>'
        f'<p><a href="{e(again)}" id="preview-again">Open the task again</a></p>'
    )
    return layout("Preview answer", body, worker=worker, csrf=csrf)


def frame_document(rendered: str) -> str:
    """The sandboxed frame's document: the portal bridge script, then the rendered template."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="referrer" content="no-referrer">'
        f'<script src="{static_url("portal-frame.js")}"></script>'
        f"</head><body>\n{rendered}\n</body></html>"
    )


def frame_error_document(title: str, message: str, detail: str | None) -> str:
    extra = f"<pre>{e(detail)}</pre>" if detail else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"></head><body>'
        f'<div id="error"><h1>{e(title)}</h1><p>{e(message)}</p>{extra}</div></body></html>'
    )
