"""Worker sign-in through the workforce's OpenID Connect provider (``CreateWorkforce(OidcConfig)``).

GET /portal/oidc/login?next=…   redirect to the provider (authorization code flow with PKCE)
GET /portal/oidc/callback       the provider's answer: code exchanged, ID token verified, signed in

The flow: a random ``state``, ``nonce`` and PKCE ``code_verifier`` are kept in a short-lived
signed cookie (``Path=/portal/oidc``, ``HttpOnly``, ``SameSite=Lax``); the provider's answer must
carry the same ``state``; the code is exchanged at the token endpoint with the client secret and
the verifier (Authlib's OAuth 2 client); the ID token's signature is checked against the
provider's JWKS and its ``iss``, ``aud`` (the client id), ``exp``, ``iat`` and ``nonce`` are
checked (joserfc, Authlib's JOSE library). The worker's teams are the work teams whose
``OidcMemberDefinition`` names one of the token's ``groups``; a worker in none is refused. Every
failure is a page that says what went wrong (401/403, 502 when the provider cannot be reached),
never a 500. Needs the ``oidc`` extra (``pip install 'hitl-agent[oidc]'``).
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from hitl_agent.errors import SignInError

from . import portal_auth as auth
from .portal_pages import e
from .portal_web import open_session, portal_keys, safe_next, services_of
from .workforces import OidcSettings

log = logging.getLogger(__name__)
router = APIRouter(prefix="/portal/oidc")

STATE_COOKIE = "hitl_portal_oidc"
STATE_TTL_S = 600
LEEWAY_S = 60
MAX_PROVIDER_BYTES = 1_000_000
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")


def _require_authlib() -> None:
    try:
        import authlib  # noqa: F401
        import joserfc  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise SignInError(
            "OpenID Connect sign-in needs the 'oidc' extra: pip install 'hitl-agent[oidc]'", 501
        ) from exc


def _clock(request: Request) -> Callable[[], float]:
    clock: Callable[[], float] | None = getattr(request.app.state, "oidc_clock", None)
    return clock or time.time


def _base(request: Request) -> str:
    return (services_of(request).settings.public_url or str(request.base_url)).rstrip("/")


def _page(status: int, title: str, text: str) -> Response:
    body = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{e(title)}</title></head><body><main><h1>{e(title)}</h1>"
        f"<p id='oidc-error'>{e(text)}</p><p><a href='/portal/login'>Back to sign-in</a></p>"
        "</main></body></html>"
    )
    return Response(
        body,
        status_code=status,
        media_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-store", "Content-Security-Policy": "default-src 'none'"},
    )


# --- the signed state cookie ------------------------------------------------------------------


def _seal(keys: auth.PortalKeys, data: dict[str, Any]) -> str:
    payload = auth._b64(json.dumps(data, separators=(",", ":")).encode())
    mac = auth._b64(hmac.new(keys.login, f"oidc.{payload}".encode(), "sha256").digest())
    return f"{payload}.{mac}"


def _unseal(keys: auth.PortalKeys, cookie: str | None, now: float) -> dict[str, Any]:
    if not cookie or cookie.count(".") != 1:
        raise SignInError("The sign-in took too long or was started elsewhere; please try again.")
    payload, mac = cookie.split(".")
    want = auth._b64(hmac.new(keys.login, f"oidc.{payload}".encode(), "sha256").digest())
    if not hmac.compare_digest(mac.encode(), want.encode()):
        raise SignInError("The sign-in state was tampered with; please try again.")
    data: dict[str, Any] = json.loads(auth._unb64(payload))
    if now - float(data.get("t", 0)) > STATE_TTL_S:
        raise SignInError("The sign-in took too long; please try again.")
    return data


# --- talking to the provider ------------------------------------------------------------------


async def _jwks(request: Request, oidc: OidcSettings, *, refresh: bool = False) -> dict[str, Any]:
    cache: dict[str, dict[str, Any]] = request.app.state.__dict__.setdefault("oidc_jwks", {})
    if refresh or oidc.jwks_uri not in cache:
        async with httpx.AsyncClient(timeout=10) as client:
            resp = await client.get(oidc.jwks_uri)
        if resp.status_code != 200 or len(resp.content) > MAX_PROVIDER_BYTES:
            raise SignInError(
                f"The identity provider's keys are unavailable (HTTP {resp.status_code})", 502
            )
        cache[oidc.jwks_uri] = resp.json()
    return cache[oidc.jwks_uri]


async def _exchange(oidc: OidcSettings, code: str, verifier: str, redirect_uri: str) -> str:
    from authlib.integrations.httpx_client import AsyncOAuth2Client
    from authlib.integrations.httpx_client import OAuthError as AuthlibError

    client = AsyncOAuth2Client(
        client_id=oidc.client_id,
        client_secret=oidc.client_secret,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=10,
    )
    try:
        token = await client.fetch_token(
            oidc.token_endpoint, code=code, code_verifier=verifier, redirect_uri=redirect_uri
        )
    except AuthlibError as exc:
        raise SignInError(f"The identity provider refused the sign-in: {exc.error}") from exc
    finally:
        await client.aclose()
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise SignInError("The identity provider sent no ID token (is 'openid' in the scope?)")
    return id_token


async def verify_id_token(
    request: Request, oidc: OidcSettings, id_token: str, nonce: str
) -> dict[str, Any]:
    """The ID token's claims once its signature (the provider's JWKS), issuer, audience,
    expiry, issue time and nonce are right; raises :class:`SignInError` naming what is not."""
    from joserfc import jwt
    from joserfc.errors import (
        BadSignatureError,
        ExpiredTokenError,
        InvalidClaimError,
        JoseError,
        MissingClaimError,
    )
    from joserfc.jwk import KeySet

    async def decode(refresh: bool) -> Any:
        keys = KeySet.import_key_set(await _jwks(request, oidc, refresh=refresh))  # type: ignore[arg-type]
        return jwt.decode(id_token, keys, algorithms=list(ALGORITHMS))

    try:
        try:
            token = await decode(False)
        except (BadSignatureError, ValueError):
            token = await decode(True)  # the provider may have rotated its keys
    except BadSignatureError as exc:
        raise SignInError("The ID token's signature is not the identity provider's") from exc
    except (JoseError, ValueError) as exc:
        raise SignInError(f"The ID token cannot be read: {exc}") from exc
    now = _clock(request)
    registry = jwt.JWTClaimsRegistry(
        now=lambda: int(now()),
        leeway=LEEWAY_S,
        iss={"essential": True, "value": oidc.issuer},
        aud={"essential": True, "value": oidc.client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(token.claims)
    except ExpiredTokenError as exc:
        raise SignInError("The ID token has expired") from exc
    except (InvalidClaimError, MissingClaimError) as exc:
        raise SignInError(f"The ID token is not for this portal: {exc.description}") from exc
    except JoseError as exc:
        raise SignInError(f"The ID token is not valid: {exc}") from exc
    claims: dict[str, Any] = dict(token.claims)
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != oidc.client_id:
        # OpenID Connect Core 3.1.3.7: with several audiences, azp must be this client
        raise SignInError("The ID token is not for this portal: azp is not this client")
    return claims


# --- routes -----------------------------------------------------------------------------------


@router.get("/login")
async def oidc_login(request: Request) -> Response:
    try:
        _require_authlib()
    except SignInError as exc:
        return _page(exc.status, "Sign-in is not available", str(exc))
    oidc = await run_in_threadpool(services_of(request).control.workforces.oidc)
    if oidc is None:
        return _page(
            404,
            "Sign-in is not available",
            "No identity provider is configured for this workforce.",
        )
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)
    query = {
        **oidc.extra_params,
        "response_type": "code",
        "client_id": oidc.client_id,
        "redirect_uri": f"{_base(request)}/portal/oidc/callback",
        "scope": oidc.scope,
        "state": state,
        "nonce": nonce,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    response = Response(
        status_code=303,
        headers={
            "Location": f"{oidc.authorization_endpoint}?{urlencode(query)}",
            "Cache-Control": "no-store",
        },
    )
    sealed = _seal(
        portal_keys(request),
        {
            "s": state,
            "n": nonce,
            "v": verifier,
            "t": _clock(request)(),
            "next": safe_next(request.query_params.get("next")),
        },
    )
    auth.set_cookie(
        response,
        STATE_COOKIE,
        sealed,
        max_age=STATE_TTL_S,
        path="/portal/oidc",
        secure=auth.is_https(request, services_of(request).settings.public_url),
    )
    return response


@router.get("/callback")
async def oidc_callback(request: Request) -> Response:
    services = services_of(request)
    try:
        _require_authlib()
        oidc = await run_in_threadpool(services.control.workforces.oidc)
        if oidc is None:
            raise SignInError("No identity provider is configured for this workforce.", 404)
        keys = portal_keys(request)
        saved = _unseal(keys, request.cookies.get(STATE_COOKIE), _clock(request)())
        params = request.query_params
        if not hmac.compare_digest(str(params.get("state", "")).encode(), saved["s"].encode()):
            raise SignInError("The sign-in answer does not belong to this sign-in (state).")
        if params.get("error"):
            raise SignInError(f"The identity provider refused the sign-in: {params['error']}")
        code = params.get("code")
        if not code:
            raise SignInError("The identity provider sent no authorization code.")
        redirect_uri = f"{_base(request)}/portal/oidc/callback"
        try:
            id_token = await _exchange(oidc, code, saved["v"], redirect_uri)
        except httpx.HTTPError as exc:
            raise SignInError(f"The identity provider cannot be reached: {exc}", 502) from exc
        claims = await verify_id_token(request, oidc, id_token, saved["n"])
        groups = claims.get("groups") or []
        if isinstance(groups, str):
            groups = [groups]
        groups = [str(g) for g in groups if isinstance(g, str | int)]
        teams = await run_in_threadpool(services.control.workteams.groups_to_teams, groups)
        if not teams:
            raise SignInError(
                "You signed in, but none of your groups belongs to a work team of this "
                "workforce. Ask the person who runs it to add one of your groups to a team.",
                403,
            )
        name = str(claims.get("preferred_username") or claims.get("email") or claims["sub"])
        worker = await run_in_threadpool(
            services.workforce.sign_in_oidc, oidc.issuer, str(claims["sub"]), name, groups, teams
        )
    except SignInError as exc:
        log.info("OIDC sign-in refused: %s", exc)
        response = _page(exc.status, "Sign-in failed", str(exc))
        response.delete_cookie(STATE_COOKIE, path="/portal/oidc")
        return response
    response = await open_session(
        request, Response(status_code=303, headers={"Location": saved["next"]}), worker
    )
    response.delete_cookie(STATE_COOKIE, path="/portal/oidc")
    return response
