"""Short-lived URLs for the files a worker template shows (``grant_read_access``).

A2I turns an S3 URL in a template into a presigned HTTPS URL that lives a few minutes. Two signers
do the same here; both are callables ``signer("s3://bucket/key") -> url``:

- :class:`S3Presigner`: a real presigned ``GetObject`` URL through a configured S3 endpoint (AWS,
  MinIO, moto), via boto3's ``generate_presigned_url``.
- :class:`LocalUrlSigner`: a portal URL, ``/portal/files?bucket=..&key=..&expires=..&sig=..``, with
  an HMAC-SHA256 signature over bucket, key and expiry. The portal route that serves the file
  checks it with :func:`verify_signed_url` (or :meth:`LocalUrlSigner.verify`), which refuses a
  tampered, malformed or expired URL.

The URL shapes a signer accepts are those :func:`hitl_agent.s3_uri.parse_s3_url` reads (the
package's one S3 parser): ``s3://bucket/key``, path style ``https://s3.amazonaws.com/bucket/key``
(also regional) and virtual-hosted style ``https://bucket.s3.us-west-2.amazonaws.com/key``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from hitl_agent._lazy import lazy_exports
from hitl_agent.errors import InvalidArgumentError, SignedUrlError
from hitl_agent.s3_uri import S3Location
from hitl_agent.s3_uri import parse_s3_url as _parse_s3_url

__all__ = [
    "LocalUrlSigner",
    "S3Location",
    "S3Presigner",
    "SignedUrlError",
    "load_or_create_secret",
    "verify_signed_params",
    "verify_signed_url",
]

DEFAULT_TTL_SECONDS = 900
"""How long a signed URL lives: 15 minutes, A2I's order of magnitude."""

__getattr__, __dir__ = lazy_exports(globals(), deprecated={
    "parse_s3_url": "hitl_agent.s3_uri",  # the package's one S3 parser
})


def _split_s3_uri(s3_uri: str) -> S3Location:
    location = _parse_s3_url(s3_uri)
    if location is None:
        raise SignedUrlError(f"not an S3 URL: {s3_uri!r}", reason="malformed")
    return location


class S3Presigner:
    """``signer("s3://b/k")`` → a presigned ``GetObject`` URL through an S3 endpoint.

    Pass a boto3 S3 client, or the settings to build one (``endpoint_url`` for MinIO, moto or a
    local S3; credentials come from boto3's usual chain when not given).
    """

    def __init__(
        self,
        client: Any | None = None,
        *,
        endpoint_url: str | None = None,
        region_name: str | None = None,
        expires_in: int = DEFAULT_TTL_SECONDS,
        **client_kwargs: Any,
    ) -> None:
        if client is None:
            import boto3  # a core dependency, imported where it is needed
            from botocore.config import Config

            # SigV4 (every region accepts it); path-style addressing for local endpoints such as
            # MinIO or moto, whose host names carry no bucket.
            config = Config(
                signature_version="s3v4",
                s3={"addressing_style": "path" if endpoint_url else "auto"},
            )
            client = boto3.client(
                "s3",
                endpoint_url=endpoint_url,
                region_name=region_name,
                config=client_kwargs.pop("config", config),
                **client_kwargs,
            )
        self.client = client
        self.expires_in = expires_in

    def __call__(self, s3_uri: str) -> str:
        bucket, key = _split_s3_uri(s3_uri)
        url: str = self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": bucket, "Key": key},
            ExpiresIn=self.expires_in,
        )
        return url


def _signature(secret: bytes, bucket: str, key: str, expires: int) -> str:
    message = f"{bucket}\n{key}\n{expires}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class LocalUrlSigner:
    """``signer("s3://b/k")`` → ``/portal/files?bucket=b&key=k&expires=T&sig=HMAC``.

    ``secret`` is the HMAC key (keep it in the data folder: :func:`load_or_create_secret`);
    ``base_url`` is the portal route that serves files; ``clock`` returns Unix seconds.
    """

    def __init__(
        self,
        secret: bytes,
        *,
        base_url: str = "/portal/files",
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if len(secret) < 16:
            raise InvalidArgumentError("the signing secret must be at least 16 bytes",
                                       field="secret")
        self.secret = secret
        self.base_url = base_url
        self.ttl_seconds = ttl_seconds
        self.clock = clock

    def __call__(self, s3_uri: str) -> str:
        bucket, key = _split_s3_uri(s3_uri)
        expires = int(self.clock()) + self.ttl_seconds
        query = urlencode(
            {
                "bucket": bucket,
                "key": key,
                "expires": str(expires),
                "sig": _signature(self.secret, bucket, key, expires),
            }
        )
        return f"{self.base_url}?{query}"

    def verify(self, url: str) -> S3Location:
        """The bucket and key of a URL this signer made; raises :class:`SignedUrlError`."""
        return verify_signed_url(url, secret=self.secret, now=self.clock())


def verify_signed_params(
    params: Mapping[str, str], *, secret: bytes, now: float | None = None
) -> S3Location:
    """Check the ``bucket``, ``key``, ``expires`` and ``sig`` query parameters of a portal file
    URL; return the bucket and key, or raise :class:`SignedUrlError` (tampered, malformed or
    expired). Use it in the route that serves the file."""
    try:
        bucket = params["bucket"]
        key = params["key"]
        expires = int(params["expires"])
        sig = params["sig"]
    except (KeyError, ValueError, TypeError) as err:
        raise SignedUrlError("the file URL is malformed", reason="malformed") from err
    expected = _signature(secret, bucket, key, expires)
    if not hmac.compare_digest(expected.encode(), str(sig).encode()):
        raise SignedUrlError("the file URL's signature does not match", reason="bad_signature")
    if (time.time() if now is None else now) >= expires:
        raise SignedUrlError("the file URL has expired", reason="expired")
    return S3Location(bucket, key)


def verify_signed_url(url: str, *, secret: bytes, now: float | None = None) -> S3Location:
    """:func:`verify_signed_params` on the query string of a whole URL."""
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    if any(len(values) != 1 for values in query.values()):
        raise SignedUrlError("the file URL repeats a parameter", reason="malformed")
    return verify_signed_params({k: v[0] for k, v in query.items()}, secret=secret, now=now)


def load_or_create_secret(path: str | os.PathLike[str]) -> bytes:
    """Read the signing secret at ``path``, creating a random 32-byte one (mode 0600) if absent."""
    file = Path(path)
    if file.exists():
        data = file.read_bytes()
        if len(data) >= 16:
            return data
    file.parent.mkdir(parents=True, exist_ok=True)
    data = secrets.token_bytes(32)
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return data
