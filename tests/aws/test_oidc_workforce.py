"""Workers sign in to the portal through the workforce's OpenID Connect provider, end to end in
Chromium against a real provider (node-oidc-provider, OpenID Certified, run under Node).

The workforce is configured through boto3 (``CreateWorkforce(OidcConfig=...)``), teams come from
``OidcMemberDefinition`` groups, and the answer's ``workerMetadata`` names the provider. The
provider's test switch makes its token endpoint hand out an ID token for another audience, an
expired one or one changed after signing: each is refused with a page that says why.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

import tests.helpers.chromium  # noqa: F401  (skips the module without Playwright or Chromium)
from hitl_agent.service.process import free_port
from tests.helpers.service import ROLE, TEMPLATE, ServiceProcess, unique, wait_status

pytest.importorskip("authlib", reason="the 'oidc' extra (authlib) is not installed")
pytestmark = [pytest.mark.browser, pytest.mark.slow]

SUPPORT = Path(__file__).with_name("oidc")
CLIENT_ID, CLIENT_SECRET = "hitl-portal", "portal-secret-for-tests"
USERS = {
    "alice": {"groups": ["reviewers"]},
    "bob": {"groups": ["marketing"]},  # in no work team
}


def _node_ready() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are needed to run the test OpenID Connect provider")
    if not (SUPPORT / "node_modules" / "oidc-provider").is_dir():
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--prefix", str(SUPPORT)],
            capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0:
            pytest.skip(f"npm could not install oidc-provider: {done.stderr[-500:]}")


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    service = ServiceProcess(tmp_path_factory.mktemp("oidc-svc"), "--sweep-interval", "0.3")
    yield service.start()
    service.stop()


@pytest.fixture(scope="module")
def provider(portal: ServiceProcess) -> Iterator[str]:
    _node_ready()
    port = free_port()
    config = {"port": port, "users": USERS, "clients": [{
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "redirect_uris": [f"{portal.url}/portal/oidc/callback"],
        "grant_types": ["authorization_code"], "response_types": ["code"],
        "scope": "openid profile groups"}]}
    proc = subprocess.Popen(["node", str(SUPPORT / "provider.mjs"), json.dumps(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        seen = []
        for line in proc.stdout:  # warnings first, then "ready <issuer>"
            seen.append(line)
            if line.startswith("ready ") or len(seen) > 50:
                break
        assert seen and seen[-1].startswith("ready "), "".join(seen)
        yield seen[-1].split()[1]
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def workforce(portal: ServiceProcess, provider: str) -> dict[str, Any]:
    sm = portal.client("sagemaker")
    meta = httpx.get(f"{provider}/.well-known/openid-configuration").json()
    oidc = {"ClientId": CLIENT_ID, "ClientSecret": CLIENT_SECRET, "Issuer": meta["issuer"],
            "AuthorizationEndpoint": meta["authorization_endpoint"],
            "TokenEndpoint": meta["token_endpoint"], "UserInfoEndpoint": meta["userinfo_endpoint"],
            "LogoutEndpoint": meta["end_session_endpoint"], "JwksUri": meta["jwks_uri"],
            "Scope": "openid profile groups"}
    sm.create_workforce(WorkforceName="staff", OidcConfig=oidc,
                        Tags=[{"Key": "team", "Value": "ml"}])
    described = sm.describe_workforce(WorkforceName="staff")["Workforce"]
    assert "ClientSecret" not in described["OidcConfig"]
    assert described["OidcConfig"]["Issuer"] == provider
    team = sm.create_workteam(
        WorkteamName="reviewers", WorkforceName="staff", Description="OIDC reviewers",
        MemberDefinitions=[{"OidcMemberDefinition": {"Groups": ["reviewers"]}}])["WorkteamArn"]
    ui = sm.create_human_task_ui(HumanTaskUiName=unique("ui"), UiTemplate={"Content": TEMPLATE})
    flow = sm.create_flow_definition(
        FlowDefinitionName=unique("fd"), RoleArn=ROLE,
        OutputConfig={"S3OutputPath": str(portal.data / "outputs")},
        HumanLoopConfig={"WorkteamArn": team, "HumanTaskUiArn": ui["HumanTaskUiArn"],
                         "TaskTitle": "Classify", "TaskDescription": "Pick a or b",
                         "TaskCount": 1})["FlowDefinitionArn"]
    return {"issuer": provider, "flow": flow}


def _mode(provider: str, mode: str) -> None:
    assert httpx.post(f"{provider}/test/mode", json={"mode": mode}).json() == {"mode": mode}


def _sign_in(browser: Any, portal: ServiceProcess, user: str, *, via: str | None = None) -> Any:
    """Sign in at the provider; ``via``: a portal page to start from, through the sign-in
    page's "Sign in with <provider>" link."""
    page = browser.new_page()
    if via is None:
        page.goto(f"{portal.url}/portal/oidc/login")
    else:
        page.goto(f"{portal.url}{via}")  # not signed in: the sign-in page
        page.locator("#sign-in-oidc").click()
    page.fill("input[name=login]", user)
    page.fill("input[name=password]", "any-password")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    if page.locator("button[autofocus], form button[type=submit]").count() and \
            "/portal/" not in page.url:
        page.locator("form button[type=submit]").first.click()  # the consent screen
        page.wait_for_load_state()
    return page


def test_member_signs_in_answers_and_the_output_names_the_provider(
        browser: Any, portal: ServiceProcess, workforce: dict[str, Any]) -> None:
    _mode(workforce["issuer"], "normal")
    rt = portal.client("sagemaker-a2i-runtime")
    loop = unique("loop")
    rt.start_human_loop(HumanLoopName=loop, FlowDefinitionArn=workforce["flow"],
                        HumanLoopInput={"InputContent": json.dumps({"text": "hello"})})
    page = _sign_in(browser, portal, "alice")
    assert page.url.startswith(f"{portal.url}/portal/tasks"), page.content()[:2000]
    page.click("text=Classify")
    page.wait_for_load_state()
    start = page.locator("button", has_text="Start")
    if start.count():
        start.first.click()
    frame = page.frame_locator("iframe").first
    frame.locator("crowd-classifier").first.wait_for()
    frame.locator("text=a").first.click()
    frame.locator("crowd-button, button", has_text="Submit").first.click()
    status = wait_status(rt, loop, "Completed", timeout=20)
    uri = status["HumanLoopOutput"]["OutputS3Uri"]
    answer = json.loads(Path(uri).read_text())["humanAnswers"][0]
    identity = answer["workerMetadata"]["identityData"]
    assert identity == {"identityProviderType": "Oidc", "issuer": workforce["issuer"],
                        "sub": "alice"}
    assert answer["timeSpentInSeconds"] > 0
    page.context.close()


def test_sign_in_page_links_to_the_provider_and_returns_to_the_page(
        browser: Any, portal: ServiceProcess, workforce: dict[str, Any]) -> None:
    _mode(workforce["issuer"], "normal")
    page = browser.new_page()
    page.goto(f"{portal.url}/portal/history")
    link = page.locator("#sign-in-oidc")
    assert link.inner_text() == f"Sign in with {urlsplit(workforce['issuer']).hostname}"
    assert page.locator("#login-form").is_visible()  # name and password still work
    page.context.close()
    page = _sign_in(browser, portal, "alice", via="/portal/history")
    assert page.url == f"{portal.url}/portal/history", page.content()[:2000]
    assert page.locator("nav .who").inner_text() == "alice"
    page.context.close()


@pytest.mark.parametrize(("mode", "reason"), [
    ("wrong-audience", "not for this portal"),
    ("expired", "expired"),
    ("tampered", "signature"),
])
def test_bad_id_tokens_are_refused(browser: Any, portal: ServiceProcess,
                                   workforce: dict[str, Any], mode: str, reason: str) -> None:
    _mode(workforce["issuer"], mode)
    try:
        page = _sign_in(browser, portal, "alice")
        assert "/portal/oidc/callback" in page.url
        message = page.locator("#oidc-error").inner_text()
        assert reason in message, message
        assert all(c["name"] != "hitl_portal" for c in page.context.cookies(portal.url))
        page.context.close()
    finally:
        _mode(workforce["issuer"], "normal")


def test_user_outside_every_team_is_refused(
        browser: Any, portal: ServiceProcess, workforce: dict[str, Any]) -> None:
    _mode(workforce["issuer"], "normal")
    page = _sign_in(browser, portal, "bob")
    assert "none of your groups" in page.locator("#oidc-error").inner_text()
    assert all(c["name"] != "hitl_portal" for c in page.context.cookies(portal.url))
    page.context.close()


def test_forged_state_is_refused(portal: ServiceProcess, workforce: dict[str, Any]) -> None:
    got = httpx.get(f"{portal.url}/portal/oidc/callback", params={"code": "x", "state": "y"})
    assert got.status_code == 401 and "try again" in got.text
    started = httpx.get(f"{portal.url}/portal/oidc/login", follow_redirects=False)
    assert started.status_code == 303
    location = started.headers["location"]
    assert "code_challenge_method=S256" in location and "nonce=" in location
    cookie = started.cookies.get("hitl_portal_oidc")
    wrong = httpx.get(f"{portal.url}/portal/oidc/callback", params={"code": "x", "state": "y"},
                      cookies={"hitl_portal_oidc": cookie or ""})
    assert wrong.status_code == 401 and "state" in wrong.text


def test_cli_configures_the_issuer_from_its_discovery_document(
        provider: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from hitl_agent.cli.workforce import app

    runner = CliRunner()
    args = ["configure-oidc", "--issuer", provider, "--client-id", CLIENT_ID,
            "--client-secret", CLIENT_SECRET, "--data", str(tmp_path)]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    shown = json.loads(first.stdout)["OidcConfig"]
    assert shown["Issuer"] == provider and shown["JwksUri"] == f"{provider}/jwks"
    assert shown["TokenEndpoint"] == f"{provider}/token" and "ClientSecret" not in shown
    again = runner.invoke(app, [*args[:4], "other-client", *args[5:]])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["OidcConfig"]["ClientId"] == "other-client"
    wrong = runner.invoke(app, ["configure-oidc", "--issuer", f"{provider}/nope", "--client-id",
                                "x", "--client-secret", "y", "--data", str(tmp_path)])
    assert wrong.exit_code == 1 and "error:" in wrong.output
    shown_again = runner.invoke(app, ["show", "--data", str(tmp_path)])
    assert json.loads(shown_again.stdout)["OidcConfig"]["ClientId"] == "other-client"
