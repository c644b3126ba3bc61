"""Portal sessions and CSRF tokens (without a server), and where sign-in sends a worker next
(through the portal)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hitl_agent.errors import ConfigError
from hitl_agent.service import portal_auth as auth
from tests.helpers.portal import Portal


@pytest.fixture(scope="module")
def signed_in(portal: Portal) -> Iterator[httpx.Client]:
    """A worker signed in to the portal: the sign-in page sends them on to ``next``."""
    client, _csrf = portal.http(portal.worker("team-a"))
    yield client
    client.close()


@pytest.fixture
def keys(tmp_path: Path) -> auth.PortalKeys:
    return auth.load_keys(tmp_path)


def test_the_secret_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    first = auth.load_keys(tmp_path)
    assert (tmp_path / auth.SECRET_FILE).stat().st_mode & 0o777 == 0o600
    assert auth.load_keys(tmp_path) == first
    assert len({first.session, first.csrf, first.login, first.files}) == 4  # one key per use


def test_the_secret_can_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(auth.SECRET_ENV, "a-shared-secret-for-all-nodes")
    assert auth.load_keys(tmp_path) == auth.load_keys(tmp_path / "elsewhere")
    assert not (tmp_path / auth.SECRET_FILE).exists()
    monkeypatch.setenv(auth.SECRET_ENV, "short")
    with pytest.raises(ConfigError, match="HITL_PORTAL_SECRET"):
        auth.load_keys(tmp_path)


def test_session_round_trip_expiry_and_tampering(keys: auth.PortalKeys, tmp_path: Path) -> None:
    session = auth.new_session("ann", "0123456789abcdef")
    cookie = auth.encode_session(keys, session)
    assert auth.decode_session(keys, cookie) == session
    late = time.time() + auth.SESSION_TTL_S + 1
    assert auth.decode_session(keys, cookie, now=late) is None
    payload, mac = cookie.split(".")
    assert auth.decode_session(keys, payload + "." + mac[::-1]) is None
    assert auth.decode_session(keys, None) is None
    assert auth.decode_session(keys, "a.b.c") is None
    other = auth.load_keys(tmp_path / "other")
    assert auth.decode_session(other, cookie) is None


def test_csrf_tokens_are_per_session(keys: auth.PortalKeys) -> None:
    one, two = auth.new_session("ann", "w1"), auth.new_session("ann", "w1")
    token = auth.csrf_token(keys, one)
    assert auth.check_csrf(keys, one, token)
    assert not auth.check_csrf(keys, two, token)
    assert not auth.check_csrf(keys, one, None)
    assert not auth.check_csrf(keys, one, "")
    assert auth.check_login_token(keys, "nonce", auth.login_token(keys, "nonce"))
    assert not auth.check_login_token(keys, None, auth.login_token(keys, "nonce"))
    assert not auth.check_login_token(keys, "other", auth.login_token(keys, "nonce"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/portal/history", "/portal/history"),
        ("/portal/tasks/a?x=1", "/portal/tasks/a?x=1"),
        ("//evil.example/portal", "/portal/tasks"),
        ("https://evil.example/portal", "/portal/tasks"),
        ("/portal\\@evil.example", "/portal/tasks"),
        ("/portal/login", "/portal/tasks"),
        ("/elsewhere", "/portal/tasks"),
        ("/portal/x\r\nSet-Cookie: a=b", "/portal/tasks"),
        (None, "/portal/tasks"),
    ],
)
def test_only_portal_paths_are_followed_after_sign_in(
    signed_in: httpx.Client, value: str | None, expected: str
) -> None:
    r = signed_in.get("/portal/login", params={} if value is None else {"next": value})
    assert r.status_code == 303 and r.headers["location"] == expected
