"""S3 locations: the one parser of S3 URIs and URLs in the package.

Two questions, two functions, one contract for what counts as S3:

- :func:`parse_s3_url` — does this string name an S3 *object*? ``S3Location`` or ``None``. It
  reads ``s3://bucket/key``, AWS's path-style (``https://s3.amazonaws.com/bucket/key``, also
  regional) and virtual-hosted style (``https://bucket.s3.us-west-2.amazonaws.com/key``) URLs,
  and path-style URLs under a configured endpoint (MinIO, moto, the review service's S3).
- :func:`parse_s3_prefix` — the ``s3://bucket[/prefix]`` a user gave as a destination (an
  export upload, a training data set): bucket and prefix, or
  :class:`~hitl_agent.errors.ConfigError` naming the field.

An ``s3://`` key is taken as written (as the AWS CLI and boto3 do: ``s3://b/a%20b`` is the key
``a%20b``); an HTTPS URL's path is percent-decoded, as S3 decodes it.
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from hitl_agent.errors import ConfigError

__all__ = ["S3Location", "parse_s3_prefix", "parse_s3_url", "s3_uri"]

_RE_S3_HOST = re.compile(
    r"^(?:(?P<bucket>[a-z0-9][a-z0-9.\-_]*)\.)?"
    r"s3(?:[.-](?:dualstack|[a-z]{2}(?:-gov)?-[a-z]+-\d|external-1|website|accelerate))*"
    r"\.amazonaws\.com(?:\.cn)?$",
    re.IGNORECASE,
)


class S3Location(NamedTuple):
    """A bucket and a key (or a key prefix, from :func:`parse_s3_prefix`)."""

    bucket: str
    key: str

    @property
    def uri(self) -> str:
        """``s3://bucket/key`` (``s3://bucket`` for an empty prefix)."""
        return s3_uri(self.bucket, self.key)


def s3_uri(bucket: str, key: str = "") -> str:
    """``s3://bucket/key``; ``key`` may be a prefix, or empty for the bucket itself."""
    return f"s3://{bucket}/{key}" if key else f"s3://{bucket}"


def parse_s3_url(url: str, *, endpoint_url: str | None = None) -> S3Location | None:
    """The bucket and key an S3 URL names, or ``None`` for anything else (no bucket, no key,
    another host).

    >>> parse_s3_url("s3://bucket/a/b.png")
    S3Location(bucket='bucket', key='a/b.png')
    >>> parse_s3_url("https://s3.amazonaws.com/bucket/a%20b.png")
    S3Location(bucket='bucket', key='a b.png')
    >>> parse_s3_url("https://bucket.s3.eu-west-1.amazonaws.com/k.jpg")
    S3Location(bucket='bucket', key='k.jpg')
    >>> parse_s3_url("http://localhost:9000/bucket/k.jpg", endpoint_url="http://localhost:9000")
    S3Location(bucket='bucket', key='k.jpg')
    >>> parse_s3_url("https://example.com/k.jpg") is None
    True
    """
    url = url.strip()
    if url[:5].lower() == "s3://":
        bucket, _, key = url[5:].partition("/")
        return S3Location(bucket, key) if bucket and key else None
    if endpoint_url:
        base = endpoint_url.rstrip("/") + "/"
        if url.startswith(base):
            bucket, _, key = unquote(urlsplit(url[len(base):]).path).partition("/")
            return S3Location(bucket, key) if bucket and key else None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    match = _RE_S3_HOST.match(parts.hostname)
    if match is None:
        return None
    path = unquote(parts.path).lstrip("/")
    if match.group("bucket"):
        bucket, key = match.group("bucket"), path
    else:
        bucket, _, key = path.partition("/")
    return S3Location(bucket, key) if bucket and key else None


def parse_s3_prefix(uri: str, *, field: str = "s3") -> S3Location:
    """``s3://bucket/some/prefix/`` → ``S3Location("bucket", "some/prefix")`` (the prefix without
    surrounding slashes, possibly empty); anything else raises
    :class:`~hitl_agent.errors.ConfigError` naming ``field``.

    >>> parse_s3_prefix("s3://bucket/exports/")
    S3Location(bucket='bucket', key='exports')
    """
    if uri[:5].lower() != "s3://":
        raise ConfigError(f"{uri!r} is not an s3://bucket/prefix URI", field=field)
    bucket, _, prefix = uri[5:].partition("/")
    if not bucket:
        raise ConfigError(f"{uri!r} names no bucket", field=field)
    return S3Location(bucket, prefix.strip("/"))
