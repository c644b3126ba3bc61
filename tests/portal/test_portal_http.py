"""The worker portal over plain HTTP: sign-in, CSRF, team isolation, answers, signed file URLs.

No browser needed: these run wherever the service runs.
"""

from __future__ import annotations

import json
import re
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from hitl_agent.service.portal_auth import SESSION_COOKIE, load_keys
from hitl_agent.service.signing import LocalUrlSigner
from tests.helpers.portal import Portal
from tests.helpers.templates import sample, source

IMG_TEMPLATE = (
    '<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>'
    '<crowd-form><img id="pic" src="{{ task.input.image | grant_read_access }}"></crowd-form>'
)


def test_signed_out_requests_get_a_redirect_or_401(portal: Portal) -> None:
    http = httpx.Client(base_url=portal.url)
    for path in ("/portal", "/portal/tasks", "/portal/history", "/portal/tasks/x"):
        r = http.get(path)
        assert r.status_code == 303, path
        if path != "/portal":
            assert r.headers["location"].startswith("/portal/login?next=")
    r = http.post("/portal/tasks/x/answer", json={"answerContent": {}})
    assert r.status_code == 401
    assert r.json()["__type"] == "UnauthorizedException"
    assert http.get("/portal/tasks/x/frame").status_code == 401
    assert http.post("/portal/tasks/x/start", data={"csrf": "x"}).status_code == 303


def test_session_cookie_attributes_and_tampering(portal: Portal) -> None:
    name = portal.worker("team-a")
    client, _csrf = portal.http(name)
    cookie = next(c for c in client.cookies.jar if c.name == SESSION_COOKIE)
    assert cookie.path == "/portal"
    assert cookie.has_nonstandard_attr("HttpOnly")
    # A changed payload or signature is no session.
    value = cookie.value or ""
    payload, mac = value.split(".")
    other = "A" if mac[10] != "A" else "B"  # a character that differs, whatever the MAC is
    for bad in (f"{payload}x.{mac}", f"{payload}.{mac[:10]}{other}{mac[11:]}", "garbage"):
        r = httpx.get(f"{portal.url}/portal/tasks", cookies={SESSION_COOKIE: bad})
        assert r.status_code == 303
    # Removing the worker ends its sessions at once.
    portal.local.workforce.remove_worker(name)
    assert client.get("/portal/tasks").status_code == 303


def test_session_cookie_is_secure_over_https(portal: Portal) -> None:
    name = portal.worker("team-a")
    https = {"X-Forwarded-Proto": "https"}  # as a TLS proxy on 127.0.0.1 sends it
    client = httpx.Client(base_url=portal.url)
    form = client.get("/portal/login", headers=https)
    assert "secure" in form.headers["set-cookie"].lower()
    assert 'id="sign-in-oidc"' not in form.text  # no OIDC provider here (tests/aws has one)
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None
    # (httpx keeps no Secure cookie for an http:// URL: hand the pre-session cookie over)
    client.cookies.set("hitl_portal_login", form.cookies["hitl_portal_login"])
    r = client.post(
        "/portal/login",
        data={"csrf": token.group(1), "name": name, "password": "correct-horse-1"},
        headers=https,
    )
    assert r.status_code == 303
    cookie = r.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_sign_in_needs_its_form_token(portal: Portal) -> None:
    name = portal.worker("team-a")
    r = httpx.post(f"{portal.url}/portal/login", data={"name": name, "password": "correct-horse-1"})
    assert r.status_code == 403
    assert SESSION_COOKIE not in r.cookies


def test_security_headers(portal: Portal) -> None:
    client, csrf = portal.http(portal.worker("team-a"))
    loop = portal.start(portal.flow(source("classification")), sample("classification"))
    r = client.get("/portal/tasks")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"
    assert client.post(f"/portal/tasks/{loop}/start", data={"csrf": csrf}).status_code == 303
    frame = client.get(f"/portal/tasks/{loop}/frame")
    assert frame.status_code == 200
    fcsp = frame.headers["content-security-policy"]
    assert fcsp.startswith("sandbox allow-scripts allow-forms;")
    assert "frame-ancestors 'self'" in fcsp and "form-action 'none'" in fcsp
    # Our crowd elements replace AWS's script; nothing is loaded from assets.crowd.aws.
    assert "assets.crowd.aws" not in frame.text
    hashed = re.search(
        r'<script src="(/portal/static/crowd-elements.js\?v=[0-9a-f]{16})">', frame.text
    )
    assert hashed is not None
    # A content-hashed URL is kept for a year; the bare name must be revalidated (ETag, 304).
    cached = client.get(hashed.group(1))
    assert "immutable" in cached.headers["cache-control"]
    js = client.get("/portal/static/crowd-elements.js")
    assert js.status_code == 200 and "customElements" in js.text and js.text == cached.text
    assert js.headers["content-type"].startswith("text/javascript")
    assert js.headers["cache-control"] == "public, no-cache"
    again = client.get(
        "/portal/static/crowd-elements.js", headers={"If-None-Match": js.headers["etag"]}
    )
    assert again.status_code == 304 and not again.content
    assert client.get("/portal/static/..%2Fportal.py").status_code == 404
    assert client.get("/portal/static/nope.js").status_code == 404


def test_every_post_needs_the_csrf_token(portal: Portal) -> None:
    client, csrf = portal.http(portal.worker("team-a"))
    loop = portal.start(portal.flow(source("classification")), sample("classification"))
    for data in ({}, {"csrf": "forged"}):
        r = client.post(f"/portal/tasks/{loop}/start", data=data)
        assert r.status_code == 403
        assert "security token" in r.text
    assert client.post("/portal/logout", data={}).status_code == 403
    # A cross-site form post is refused even with the token.
    r = client.post(
        f"/portal/tasks/{loop}/start", data={"csrf": csrf}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert r.status_code == 403
    assert client.post(f"/portal/tasks/{loop}/start", data={"csrf": csrf}).status_code == 303
    answer = {"answerContent": {"label": {"label": "billing"}}}
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        r = client.post(f"/portal/tasks/{loop}/answer", json=answer, headers=headers)
        assert r.status_code == 403
        assert r.json()["__type"] == "AccessDeniedException"
    r = client.post(f"/portal/tasks/{loop}/answer", json=answer, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    following = r.json()["next"]  # the next task (claimed) or, when none is left, the list
    assert following == f"/portal/tasks?done={loop}" or (
        following.startswith("/portal/tasks/") and loop not in following
    )
    assert portal.output(loop)["humanAnswers"][0]["answerContent"] == answer["answerContent"]


def test_another_team_can_neither_see_nor_answer(portal: Portal) -> None:
    loop = portal.start(portal.flow(source("classification")), sample("classification"))
    outsider, csrf = portal.http(portal.worker("team-b"))
    assert loop not in outsider.get("/portal/tasks").text
    assert outsider.get(f"/portal/tasks/{loop}").status_code == 404
    assert outsider.get(f"/portal/tasks/{loop}/frame").status_code == 404
    assert outsider.post(f"/portal/tasks/{loop}/start", data={"csrf": csrf}).status_code == 404
    assert outsider.post(f"/portal/tasks/{loop}/decline", data={"csrf": csrf}).status_code == 404
    r = outsider.post(
        f"/portal/tasks/{loop}/answer",
        json={"answerContent": {"label": {"label": "other"}}},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 404
    desc = portal.runtime.describe_human_loop(HumanLoopName=loop)
    assert desc["HumanLoopStatus"] == "InProgress"


def test_no_worker_answers_a_loop_twice(portal: Portal) -> None:
    loop = portal.start(
        portal.flow(source("classification"), task_count=2), sample("classification")
    )
    client, csrf = portal.http(portal.worker("team-a"))
    client.post(f"/portal/tasks/{loop}/start", data={"csrf": csrf})
    body = {"answerContent": {"label": {"label": "billing"}}}
    headers = {"X-CSRF-Token": csrf}
    assert (
        client.post(f"/portal/tasks/{loop}/answer", json=body, headers=headers).status_code == 200
    )
    again = client.post(f"/portal/tasks/{loop}/answer", json=body, headers=headers)
    assert again.status_code == 409
    assert "already answered" in again.json()["message"]
    assert f'data-loop="{loop}"' not in client.get("/portal/tasks").text
    r = client.post(f"/portal/tasks/{loop}/start", data={"csrf": csrf})
    assert r.status_code == 409 and "already answered" in r.text
    # The history lists it.
    assert f'data-loop="{loop}"' in client.get("/portal/history").text


def test_bad_answer_bodies_are_400(portal: Portal) -> None:
    client, csrf = portal.http(portal.worker("team-a"))
    headers = {"X-CSRF-Token": csrf, "Content-Type": "application/json"}
    for body in (b"not json", b"[]", b'{"answerContent": [1]}', b"{}"):
        r = client.post("/portal/tasks/x/answer", content=body, headers=headers)
        assert r.status_code == 400, body


def test_queue_shows_50_and_the_count(portal: Portal) -> None:
    flow = portal.flow(source("classification"), team="team-big", title="Bulk")
    loops = [portal.start(flow, {"n": i}) for i in range(53)]
    client, _ = portal.http(portal.worker("team-big"))
    page = client.get("/portal/tasks").text
    assert 'data-total="53"' in page
    assert "Showing the first 50 of 53 tasks." in page
    assert page.count('<li class="task-row" data-loop=') == 50
    assert f'data-loop="{loops[0]}"' in page and f'data-loop="{loops[-1]}"' not in page


def _signed_src(client: httpx.Client, csrf: str, loop: str) -> str:
    client.post(f"/portal/tasks/{loop}/start", data={"csrf": csrf})
    frame = client.get(f"/portal/tasks/{loop}/frame").text
    match = re.search(r'<img id="pic" src="([^"]+)"', frame)
    assert match is not None, frame
    return match.group(1).replace("&amp;", "&")


def test_signed_file_urls(portal: Portal) -> None:
    image = portal.data / "files" / "bucket" / "dir" / "pic.png"
    image.parent.mkdir(parents=True, exist_ok=True)
    image.write_bytes(b"\x89PNG fake")
    (portal.data / "files" / "secret.txt").write_text("not in any bucket")
    loop = portal.start(portal.flow(IMG_TEMPLATE), {"image": "s3://bucket/dir/pic.png"})
    client, csrf = portal.http(portal.worker("team-a"))
    src = _signed_src(client, csrf, loop)
    assert src.startswith("/portal/files?")
    anon = httpx.Client(base_url=portal.url)  # the signature is the only credential
    ok = anon.get(src)
    assert ok.status_code == 200 and ok.content == b"\x89PNG fake"
    assert ok.headers["access-control-allow-origin"] == "*"
    assert ok.headers["content-type"] == "image/png"
    assert "sandbox" in ok.headers["content-security-policy"]
    params = {k: v[0] for k, v in parse_qs(urlsplit(src).query).items()}
    tampered = [
        {**params, "key": "dir/other.png"},
        {**params, "sig": params["sig"][:-2] + ("AA" if params["sig"][-2:] != "AA" else "BB")},
        {**params, "expires": str(int(params["expires"]) + 3600)},
        {k: v for k, v in params.items() if k != "sig"},
    ]
    for query in tampered:
        r = anon.get(f"/portal/files?{urlencode(query)}")
        assert r.status_code == 403, query
        assert r.text.startswith("refused:")
    assert anon.get(f"{src}&sig=again").status_code == 403  # a repeated parameter
    keys = load_keys(portal.data)
    expired = LocalUrlSigner(keys.files, clock=lambda: time.time() - 3600)(
        "s3://bucket/dir/pic.png"
    )
    r = anon.get(expired)
    assert r.status_code == 403 and r.text == "refused: expired"
    # A valid signature over a path that leaves its bucket serves nothing.
    sneaky = LocalUrlSigner(keys.files)("s3://bucket/../secret.txt")
    assert anon.get(sneaky).status_code == 404


def test_answer_json_posted_by_crowd_form_contract(portal: Portal) -> None:
    """The answer endpoint takes exactly what crowd-form POSTs: {"answerContent": {...}}."""
    loop = portal.start(portal.flow(source("classification")), sample("classification"))
    client, csrf = portal.http(portal.worker("team-a"))
    client.post(f"/portal/tasks/{loop}/start", data={"csrf": csrf})
    r = client.post(
        f"/portal/tasks/{loop}/answer",
        content=json.dumps({"answerContent": {"label": {"label": "other"}, "comment": "x"}}),
        headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
    )
    assert r.status_code == 200
    # the answer is in; output.json is written right after the reply
    assert r.json()["humanLoopStatus"] in ("InProgress", "Completed")
    assert r.json()["answerCount"] == r.json()["taskCount"] == 1
    assert portal.output(loop)["humanAnswers"][0]["answerContent"]["label"] == {"label": "other"}
