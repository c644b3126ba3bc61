"""Verifying AWS Signature Version 4 the way AWS does, with botocore's own signer.

The request as received (method, raw path, raw query, the headers it says it signed, the body)
is rebuilt as a botocore ``AWSRequest``; botocore's ``SigV4Auth`` computes the canonical request,
so the canonicalisation is exactly the one every AWS SDK client uses. A plain request (a path
with nothing to normalise or encode, no query string: every runtime API call) is canonicalised
here by the same rules (:func:`plain_canonical_request`, tested equal to botocore's), ten times
faster. The string to sign and the last HMAC are ours, with the derived signing key cached per
(key, date, region, service).

Errors carry AWS's codes and wording: ``MissingAuthenticationTokenException``,
``IncompleteSignatureException``, ``InvalidSignatureException`` (also for a clock skew beyond
5 minutes), ``UnrecognizedClientException`` and ``AccessDeniedException``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from botocore.auth import SIGNED_HEADERS_BLACKLIST, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

from hitl_agent.errors import (
    AccessDeniedException,
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)
from hitl_agent.errors import AuthError as AuthError  # its old import path

from .access_keys import KeyInfo, KeyStore

SIGNING_NAME = "sagemaker"
ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW = timedelta(minutes=5)
_AMZ_DATE = "%Y%m%dT%H%M%SZ"
_REGION = re.compile(r"^[a-z0-9-]{1,32}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details."
)
UNKNOWN_KEY = "The security token included in the request is invalid."


def _parse_authorization(value: str) -> dict[str, str]:
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise IncompleteSignatureException(
            f"Authorization header requires '{ALGORITHM}' as its algorithm, "
            "and 'Credential', 'Signature' and 'SignedHeaders' parameters.",
            field="Authorization",
        )
    params: dict[str, str] = {}
    for part in rest.split(","):
        key, eq, val = part.strip().partition("=")
        if eq:
            params[key] = val
    missing = [p for p in ("Credential", "SignedHeaders", "Signature") if not params.get(p)]
    if missing:
        raise IncompleteSignatureException(
            " ".join(f"Authorization header requires '{p}' parameter." for p in missing)
            + f" Authorization={value[:200]}",
            field="Authorization",
        )
    return params


# A path botocore leaves as it is (no dot segment, no empty segment, nothing to percent-encode):
# the canonical request of such a request without a query string is built here, by SigV4's rules
# as botocore applies them, in a tenth of the time (every runtime API call is one of these).
_PLAIN_PATH = re.compile(r"^/(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*/?)*$")
_UNSIGNED = frozenset(SIGNED_HEADERS_BLACKLIST)


def plain_canonical_request(
    method: str,
    path: str,
    query: str,
    signed: list[str],
    headers: dict[str, list[str]],
    payload_sha256: str,
) -> str | None:
    """The SigV4 canonical request botocore's ``SigV4Auth.canonical_request`` makes of a request
    whose path is plain and that has no query string, from its ``signed`` headers (lower-case
    names, each present in ``headers``); None for any other request (botocore's own then)."""
    if query or not _PLAIN_PATH.match(path) or not _UNSIGNED.isdisjoint(signed):
        return None
    names = sorted(set(signed))
    lines = "".join(
        f"{name}:{','.join(' '.join(v.split()) for v in headers[name])}\n" for name in names
    )
    return f"{method.upper()}\n{path}\n\n{lines}\n{';'.join(names)}\n{payload_sha256}"


class _CanonicalSigner(SigV4Auth):
    """botocore's signer, told the body's SHA-256 instead of re-reading the body each time."""

    def payload(self, request: AWSRequest) -> str:
        return str(request.context["payload_sha256"])


def _amz_date(text: str) -> datetime:
    """``20261207T031500Z`` (strptime is slow, and this runs on every request)."""
    if (
        len(text) != 16
        or text[8] != "T"
        or text[15] != "Z"
        or not (text[:8] + text[9:15]).isdigit()
    ):
        raise ValueError(text)
    return datetime(
        int(text[0:4]),
        int(text[4:6]),
        int(text[6:8]),
        int(text[9:11]),
        int(text[11:13]),
        int(text[13:15]),
        tzinfo=UTC,
    )


class SigV4Verifier:
    """Checks the SigV4 ``Authorization`` header of a request against the service's keys."""

    def __init__(self, keys: KeyStore) -> None:
        self.keys = keys
        self._dummy = Credentials("verifier", "unused")  # canonicalisation needs no secret
        self._signers: dict[str, _CanonicalSigner] = {}
        self._signing_keys: dict[tuple[str, str, str, str], bytes] = {}
        self._lock = threading.Lock()

    def _signer(self, region: str) -> _CanonicalSigner:
        signer = self._signers.get(region)
        if signer is None:
            signer = _CanonicalSigner(self._dummy, SIGNING_NAME, region)
            if len(self._signers) < 256:
                self._signers[region] = signer
        return signer

    def signing_key(self, access_key_id: str, date: str, region: str, service: str) -> bytes:
        """``kSigning`` of the SigV4 key derivation; four HMACs, so cached."""
        cache_key = (access_key_id, date, region, service)
        key = self._signing_keys.get(cache_key)
        if key is None:
            secret = self.keys.secret_for(access_key_id)
            k = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
            for part in (region, service, "aws4_request"):
                k = hmac.new(k, part.encode(), hashlib.sha256).digest()
            key = k
            with self._lock:
                if len(self._signing_keys) > 4096:
                    self._signing_keys.clear()
                self._signing_keys[cache_key] = key
        return key

    def verify(
        self,
        *,
        method: str,
        raw_path: str,
        query: str,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        now: datetime | None = None,
        scheme: str = "http",
    ) -> KeyInfo:
        """The key that signed the request, or an :class:`AuthError`."""
        by_name: dict[str, list[str]] = {}
        for name, value in headers:
            by_name.setdefault(name.lower(), []).append(value)
        authorization = by_name.get("authorization", [""])[0]
        if not authorization:
            raise MissingAuthenticationTokenException(
                "Missing Authentication Token", field="Authorization"
            )
        params = _parse_authorization(authorization)
        parts = params["Credential"].split("/")
        if len(parts) != 5 or parts[4] != "aws4_request" or not parts[0]:
            raise IncompleteSignatureException(
                f"Credential should be scoped to a valid region. Credential={params['Credential']}"[
                    :300
                ],
                field="Authorization",
            )
        key_id, date, region, service, _ = parts
        if service != SIGNING_NAME:
            raise InvalidSignatureException(
                f"Credential should be scoped to correct service: '{SIGNING_NAME}'. ",
                field="Authorization",
            )
        if not _REGION.match(region):
            raise InvalidSignatureException(
                "Credential should be scoped to a valid region.", field="Authorization"
            )
        amz_date = by_name.get("x-amz-date", [""])[0]
        try:
            signed_at = _amz_date(amz_date)
        except ValueError:
            raise IncompleteSignatureException(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
                "header.",
                field="X-Amz-Date",
            ) from None
        if amz_date[:8] != date:
            raise InvalidSignatureException(
                f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
                f"from HTTP: '{date[:8]}' != '{amz_date[:8]}', from '{amz_date}'.",
                field="Authorization",
            )
        current = now or datetime.now(UTC)
        if signed_at < current - MAX_SKEW:
            raise InvalidSignatureException(
                f"Signature expired: {amz_date} is now earlier than "
                f"{(current - MAX_SKEW).strftime(_AMZ_DATE)} "
                f"({current.strftime(_AMZ_DATE)} - 5 min.)",
                field="X-Amz-Date",
            )
        if signed_at > current + MAX_SKEW:
            raise InvalidSignatureException(
                f"Signature not yet current: {amz_date} is still later than "
                f"{(current + MAX_SKEW).strftime(_AMZ_DATE)} "
                f"({current.strftime(_AMZ_DATE)} + 5 min.)",
                field="X-Amz-Date",
            )
        signed = [h for h in params["SignedHeaders"].lower().split(";") if h]
        if "host" not in signed or any(h not in by_name for h in signed):
            raise InvalidSignatureException(MISMATCH, field="Authorization")
        info = self.keys.lookup(key_id)
        if info is None or not info.active:
            raise UnrecognizedClientException(UNKNOWN_KEY, field="Authorization")
        body_sha = hashlib.sha256(body).hexdigest()
        content_sha = by_name.get("x-amz-content-sha256", [None])[0]
        if content_sha is not None and content_sha != body_sha:
            raise InvalidSignatureException(
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
                field="x-amz-content-sha256",
            )
        canonical = plain_canonical_request(method, raw_path, query, signed, by_name, body_sha)
        if canonical is None:
            canonical = self._botocore_canonical(
                method, raw_path, query, signed, by_name, body, body_sha, region, scheme
            )
        string_to_sign = (
            f"{ALGORITHM}\n{amz_date}\n{date}/{region}/{service}/aws4_request\n"
            f"{hashlib.sha256(canonical.encode()).hexdigest()}"
        )  # botocore's SigV4Auth.string_to_sign (the scope's date is amz_date's, checked above)
        expected = hmac.new(
            self.signing_key(key_id, date, region, service),
            string_to_sign.encode(),
            hashlib.sha256,
        ).hexdigest()
        if not _HEX64.match(params["Signature"]) or not hmac.compare_digest(
            expected, params["Signature"]
        ):
            raise InvalidSignatureException(MISMATCH, field="Authorization")
        return info


    def _botocore_canonical(
        self,
        method: str,
        raw_path: str,
        query: str,
        signed: list[str],
        by_name: dict[str, list[str]],
        body: bytes,
        body_sha: str,
        region: str,
        scheme: str,
    ) -> str:
        request_headers = HTTPHeaders()
        for name in signed:
            for value in by_name[name]:
                request_headers[name] = value
        host = by_name["host"][0]
        url = f"{scheme}://{host}{raw_path}" + (f"?{query}" if query else "")
        request = AWSRequest(method=method, url=url, data=body)
        request.headers = request_headers
        request.context["payload_sha256"] = body_sha
        try:
            return str(self._signer(region).canonical_request(request))
        except (ValueError, UnicodeError):
            raise InvalidSignatureException(MISMATCH, field="Authorization") from None


def access_denied(info: KeyInfo, account_id: str, action: str) -> AccessDeniedException:
    return AccessDeniedException(
        f"User: arn:aws:iam::{account_id}:user/{info.access_key_id} is not authorized to perform: "
        f"sagemaker:{action} (the key's scope is '{info.scope}'; this call needs 'admin')",
        field="Authorization",
    )
