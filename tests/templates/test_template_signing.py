"""Signed URLs for grant_read_access: parsing S3 URLs, the boto3 presigner, the local signer."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from hitl_agent.s3_uri import parse_s3_url
from hitl_agent.service.signing import (
    LocalUrlSigner,
    S3Location,
    S3Presigner,
    SignedUrlError,
    load_or_create_secret,
    verify_signed_params,
    verify_signed_url,
)

SECRET = b"0123456789abcdef-test-secret"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("s3://b/k", S3Location("b", "k")),
        ("s3://b/dir/k with space.png", S3Location("b", "dir/k with space.png")),
        ("https://s3.amazonaws.com/b/dir/k%2Bx.png", S3Location("b", "dir/k+x.png")),
        ("https://s3.ap-southeast-2.amazonaws.com/b/k", S3Location("b", "k")),
        ("https://b.s3.amazonaws.com/k", S3Location("b", "k")),
        (
            "https://my.dotted.bucket.s3.us-east-1.amazonaws.com/a/b",
            S3Location("my.dotted.bucket", "a/b"),
        ),
        ("https://b.s3.dualstack.us-east-1.amazonaws.com/k", S3Location("b", "k")),
        ("https://example.com/b/k", None),
        ("https://s3.amazonaws.com/only-bucket", None),
        ("s3://bucket-only", None),
        ("not a url", None),
        ("https://evil.com/s3.amazonaws.com/b/k", None),
        ("https://s3.amazonaws.com.evil.com/b/k", None),
    ],
)
def test_parse_s3_url(url: str, expected: S3Location | None) -> None:
    assert parse_s3_url(url) == expected


def test_local_signer_round_trip() -> None:
    signer = LocalUrlSigner(SECRET, clock=lambda: 1_000_000.0, ttl_seconds=60)
    url = signer("s3://bucket/dir/a b&c.png")
    parts = urlsplit(url)
    assert parts.path == "/portal/files"
    query = parse_qs(parts.query)
    assert query["bucket"] == ["bucket"]
    assert query["key"] == ["dir/a b&c.png"]
    assert query["expires"] == ["1000060"]
    assert verify_signed_url(url, secret=SECRET, now=1_000_030) == S3Location(
        "bucket", "dir/a b&c.png"
    )
    assert signer.verify(url) == S3Location("bucket", "dir/a b&c.png")


def _tamper(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return f"{parts.path}?{urlencode(query)}"


@pytest.mark.parametrize(
    "changes",
    [{"key": "dir/other.png"}, {"bucket": "other"}, {"expires": "9999999999"}, {"sig": "AAAA"}],
)
def test_local_signer_refuses_tampered_urls(changes: dict[str, str]) -> None:
    url = LocalUrlSigner(SECRET, clock=lambda: 1_000_000.0)("s3://bucket/dir/a.png")
    with pytest.raises(SignedUrlError) as info:
        verify_signed_url(_tamper(url, **changes), secret=SECRET, now=1_000_001)
    assert info.value.reason == "bad_signature"


def test_local_signer_refuses_another_secret() -> None:
    url = LocalUrlSigner(SECRET)("s3://bucket/a.png")
    with pytest.raises(SignedUrlError) as info:
        verify_signed_url(url, secret=b"another-secret-of-16+bytes")
    assert info.value.reason == "bad_signature"


def test_local_signer_refuses_expired_urls() -> None:
    url = LocalUrlSigner(SECRET, clock=lambda: 1_000_000.0, ttl_seconds=60)("s3://b/k")
    verify_signed_url(url, secret=SECRET, now=1_000_059)
    with pytest.raises(SignedUrlError) as info:
        verify_signed_url(url, secret=SECRET, now=1_000_060)
    assert info.value.reason == "expired"


@pytest.mark.parametrize(
    "params",
    [{}, {"bucket": "b", "key": "k", "expires": "soon", "sig": "x"}, {"bucket": "b", "key": "k"}],
)
def test_malformed_params_are_refused(params: dict[str, str]) -> None:
    with pytest.raises(SignedUrlError) as info:
        verify_signed_params(params, secret=SECRET)
    assert info.value.reason == "malformed"


def test_repeated_parameters_are_refused() -> None:
    url = LocalUrlSigner(SECRET)("s3://b/k") + "&key=other"
    with pytest.raises(SignedUrlError) as info:
        verify_signed_url(url, secret=SECRET)
    assert info.value.reason == "malformed"


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        LocalUrlSigner(b"short")


def test_load_or_create_secret(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "sub" / "signing.key"
    first = load_or_create_secret(path)
    assert len(first) == 32
    assert load_or_create_secret(path) == first
    assert path.stat().st_mode & 0o777 == 0o600


def test_boto3_presigner_through_a_configured_endpoint() -> None:
    signer = S3Presigner(
        endpoint_url="http://127.0.0.1:9000",
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        expires_in=120,
    )
    url = signer("s3://my-bucket/dir/a b.png")
    parts = urlsplit(url)
    assert parts.netloc == "127.0.0.1:9000"
    assert parts.path == "/my-bucket/dir/a%20b.png"
    query = parse_qs(parts.query)
    assert query["X-Amz-Expires"] == ["120"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert "X-Amz-Signature" in query


def test_presigner_refuses_non_s3_urls() -> None:
    class Client:
        def generate_presigned_url(self, *a: object, **k: object) -> str:  # pragma: no cover
            raise AssertionError

    with pytest.raises(SignedUrlError):
        S3Presigner(Client())("https://example.com/x")
