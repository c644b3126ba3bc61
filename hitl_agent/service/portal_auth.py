"""Worker portal sessions and CSRF tokens: signed cookies with the standard library's HMAC.

A session is a cookie ``hitl_portal`` holding ``base64url(JSON payload) "." base64url(HMAC)``:
the payload names the worker (its name and its random ``workerId``, so a worker that is removed and
added again under the same name does not inherit old sessions), a random session id and the time it
was issued. It lives :data:`SESSION_TTL_S` and is sent back ``HttpOnly``, ``SameSite=Lax``,
``Path=/portal`` and ``Secure`` when the portal is served over https. Every request looks the worker
up again, so removing a worker ends its sessions at once.

CSRF: each session has a token, ``HMAC(csrf key, session id)``, put into every page
(``<meta name="csrf-token">`` and a hidden ``csrf`` field); every POST must send it back (form field
or ``X-CSRF-Token`` header). The sign-in form has its own token bound to a short-lived pre-session
cookie (the double-submit pattern, signed). A request that the browser marks as cross-site
(``Sec-Fetch-Site: cross-site``) is refused before any of that.

Keys: one 32-byte secret in the data folder (``portal.secret``, mode 0600, created on first use),
or ``$HITL_PORTAL_SECRET`` (give every process behind a load balancer the same one). Each use
(sessions, CSRF, sign-in, signed file URLs) gets its own key derived from it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from hitl_agent.errors import ConfigError

from .signing import load_or_create_secret

SESSION_COOKIE = "hitl_portal"
LOGIN_COOKIE = "hitl_portal_login"
SESSION_TTL_S = 12 * 3600
LOGIN_TTL_S = 3600
SECRET_FILE = "portal.secret"
SECRET_ENV = "HITL_PORTAL_SECRET"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class PortalKeys:
    """The per-purpose keys derived from the portal secret."""

    session: bytes
    csrf: bytes
    login: bytes
    files: bytes

    @classmethod
    def derive(cls, secret: bytes) -> PortalKeys:
        def key(purpose: str) -> bytes:
            return hmac.new(secret, f"hitl-portal/{purpose}".encode(), hashlib.sha256).digest()

        return cls(session=key("session"), csrf=key("csrf"), login=key("login"), files=key("files"))


def load_keys(data_dir: Path) -> PortalKeys:
    """Keys from ``$HITL_PORTAL_SECRET``, else from ``data_dir/portal.secret`` (created once)."""
    env = os.environ.get(SECRET_ENV)
    if env:
        if len(env.encode()) < 16:
            raise ConfigError(f"${SECRET_ENV} must be at least 16 bytes", setting=SECRET_ENV)
        return PortalKeys.derive(env.encode())
    return PortalKeys.derive(load_or_create_secret(data_dir / SECRET_FILE))


@dataclass(frozen=True)
class PortalSession:
    name: str
    worker_id: str
    sid: str
    issued: int


def _mac(key: bytes, message: str) -> str:
    return _b64(hmac.new(key, message.encode(), hashlib.sha256).digest())


def encode_session(keys: PortalKeys, session: PortalSession) -> str:
    payload = _b64(
        json.dumps(
            {"n": session.name, "w": session.worker_id, "s": session.sid, "t": session.issued},
            separators=(",", ":"),
        ).encode()
    )
    return f"{payload}.{_mac(keys.session, payload)}"


def decode_session(
    keys: PortalKeys, cookie: str | None, *, now: float | None = None
) -> PortalSession | None:
    """The session a cookie holds, or None when it is missing, tampered with or too old."""
    if not cookie or cookie.count(".") != 1:
        return None
    payload, mac = cookie.split(".")
    if not hmac.compare_digest(mac.encode(), _mac(keys.session, payload).encode()):
        return None
    try:
        data: Any = json.loads(_unb64(payload))
        session = PortalSession(str(data["n"]), str(data["w"]), str(data["s"]), int(data["t"]))
    except (ValueError, KeyError, TypeError):
        return None
    current = time.time() if now is None else now
    if not session.issued <= current + 60 or current - session.issued > SESSION_TTL_S:
        return None
    return session


def new_session(name: str, worker_id: str) -> PortalSession:
    return PortalSession(name, worker_id, secrets.token_urlsafe(18), int(time.time()))


def csrf_token(keys: PortalKeys, session: PortalSession) -> str:
    return _mac(keys.csrf, session.sid)


def check_csrf(keys: PortalKeys, session: PortalSession, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(
        str(sent).encode(), csrf_token(keys, session).encode()
    )


def login_token(keys: PortalKeys, nonce: str) -> str:
    return _mac(keys.login, nonce)


def check_login_token(keys: PortalKeys, nonce: str | None, sent: str | None) -> bool:
    return (
        bool(nonce)
        and bool(sent)
        and hmac.compare_digest(str(sent).encode(), login_token(keys, str(nonce)).encode())
    )


def is_https(request: Request, public_url: str | None) -> bool:
    return request.url.scheme == "https" or bool(public_url and public_url.startswith("https:"))


def set_cookie(
    response: Response, name: str, value: str, *, max_age: int, path: str, secure: bool
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        secure=secure,
        httponly=True,
        samesite="lax",
    )


def cross_site(request: Request) -> bool:
    """True when the browser says the request comes from another site (Fetch Metadata)."""
    return request.headers.get("sec-fetch-site", "") == "cross-site"
