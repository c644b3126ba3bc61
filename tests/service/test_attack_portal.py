"""Issue 14, bullet 5: portal accounts you can trust (raw HTTP; the browser half is in
``test_attack_browser.py``).

A copied session cookie dies with sign-out, a password change, a token rotation and
``hitl-agent workers disable``; sign-in is limited per account and per address with a lockout an
admin lifts; cookies are ``Secure`` and HSTS is sent when the service is reached over TLS.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from hitl_agent.cli.workers import app as workers_app
from tests.helpers.service import PORTAL_PASSWORD, ServiceProcess, portal_sign_in, unique
from tests.helpers.wait import wait_until

runner = CliRunner()


def _copy(client: httpx.Client, url: str) -> httpx.Client:
    """Another client holding the same cookies: a stolen cookie."""
    thief = httpx.Client(base_url=url)
    for cookie in client.cookies.jar:
        thief.cookies.set(cookie.name, cookie.value or "", domain=cookie.domain,
                          path=cookie.path)
    return thief


def _signed_in(client: httpx.Client) -> bool:
    r = client.get("/portal/tasks")
    return r.status_code == 200


def _worker(local: Any, password: str = PORTAL_PASSWORD) -> str:
    name = unique("w")
    local.workforce.add_worker(name, teams=["team-a"], password=password)
    return name


def test_copied_cookies_die_with_the_session(service: ServiceProcess, local: Any) -> None:
    data = str(service.data)
    # sign-out
    name = _worker(local)
    client, _, csrf = portal_sign_in(service.url, name)
    thief = _copy(client, service.url)
    assert _signed_in(thief)
    assert client.post("/portal/logout", data={"csrf": csrf}).status_code == 303
    assert not _signed_in(thief)
    # password change, token rotation, disable: each ends a live session
    changes = {
        "password": lambda n: local.workforce.set_password(n, "another password 2"),
        "token": lambda n: local.workforce.rotate_token(n),
        "disable": lambda n: runner.invoke(workers_app, ["disable", n, "--data", data]),
    }
    for what, change in changes.items():
        name = _worker(local)
        client, _, _ = portal_sign_in(service.url, name)
        thief = _copy(client, service.url)
        assert _signed_in(thief), what
        change(name)
        assert not _signed_in(thief), f"a copied cookie survived: {what}"
        assert not _signed_in(client), what
    # a disabled worker can neither sign in nor use its bearer token; enabled again, it can
    name = unique("w")
    _info, token = local.workforce.add_worker(name, teams=["team-a"], password=PORTAL_PASSWORD)
    assert runner.invoke(workers_app, ["disable", name, "--data", data]).exit_code == 0
    assert portal_sign_in(service.url, name)[1].status_code == 401
    api = httpx.get(f"{service.url}/worker-api/me", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401 and "disabled" in api.json()["message"]
    assert runner.invoke(workers_app, ["enable", name, "--data", data]).exit_code == 0
    assert portal_sign_in(service.url, name)[1].status_code == 303


def test_sign_in_is_limited_per_account_and_address(service: ServiceProcess, local: Any) -> None:
    data = str(service.data)
    name, other = _worker(local), _worker(local)
    try:
        for _ in range(5):
            assert portal_sign_in(service.url, name, "wrong guess 123")[1].status_code == 401
        locked = portal_sign_in(service.url, name)[1]  # the right password, refused while locked
        assert locked.status_code == 429 and "Too many failed sign-ins" in locked.text
        # another account from the same address is still fine
        assert portal_sign_in(service.url, other)[1].status_code == 303
        assert runner.invoke(workers_app, ["unlock", name, "--data", data]).exit_code == 0
        assert portal_sign_in(service.url, name)[1].status_code == 303

        # one address guessing many accounts: locked as an address
        for i in range(20):
            portal_sign_in(service.url, f"guess-{i}", "wrong guess 123")
        assert portal_sign_in(service.url, other)[1].status_code == 429
        unlocked = runner.invoke(workers_app, ["unlock", "--address", "127.0.0.1", "--data", data])
        assert unlocked.exit_code == 0, unlocked.output
        assert portal_sign_in(service.url, other)[1].status_code == 303
    finally:  # the shared service serves other tests from this address
        runner.invoke(workers_app, ["unlock", name, "--address", "127.0.0.1", "--data", data])


def test_secure_cookies_and_hsts_only_over_tls(
    start_service: Any, service: ServiceProcess, tmp_path: Path
) -> None:
    plain = httpx.get(f"{service.url}/portal/login")
    assert "secure" not in plain.headers["set-cookie"].lower()
    assert "strict-transport-security" not in plain.headers
    spoofed = httpx.get(f"{service.url}/portal/login", headers={"X-Forwarded-Proto": "https"})
    assert "secure" not in spoofed.headers["set-cookie"].lower()  # proxy headers not trusted

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    proc = ServiceProcess(tmp_path / "tls", "--tls-cert", str(cert), "--tls-key", str(key))
    proc.start(wait=False)
    try:
        url = f"https://127.0.0.1:{proc.port}"

        def login_page() -> httpx.Response | None:
            try:
                return httpx.get(f"{url}/portal/login", verify=False)
            except httpx.HTTPError:
                return None

        r = wait_until(login_page, 60, every=0.1, message=proc.log)
        assert "secure" in r.headers["set-cookie"].lower()
        assert r.headers["strict-transport-security"].startswith("max-age=")
    finally:
        proc.stop()

    proxied = start_service("--trust-proxy-tls")
    r = httpx.get(f"{proxied.url}/portal/login", headers={"X-Forwarded-Proto": "https"})
    assert "secure" in r.headers["set-cookie"].lower()
    assert "strict-transport-security" in r.headers
