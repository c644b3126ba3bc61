"""Signing raw HTTP calls to the review service (``/hitl/events``, template URLs) as boto3 does.

``httpx.Client(auth=SigV4Auth.from_boto())`` signs every request with botocore's own SigV4 signer,
taking the credentials the way boto3 does (environment, ``AWS_PROFILE``, shared credentials
file), or from explicit keys.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import httpx
from botocore.auth import SigV4Auth as _BotoSigV4
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from hitl_agent._lazy import lazy_exports
from hitl_agent.errors import ConfigError

SIGNING_NAME = "sagemaker"

__getattr__, __dir__ = lazy_exports(globals(), deprecated={
    "service_credentials": "hitl_agent.credentials",
})


class SigV4Auth(httpx.Auth):
    """An httpx auth that adds ``Authorization: AWS4-HMAC-SHA256 …`` and ``X-Amz-Date``."""

    requires_request_body = True

    def __init__(
        self,
        access_key_id: str,
        secret_access_key: str,
        region_name: str = "us-east-1",
        session_token: str | None = None,
    ) -> None:
        self.credentials = Credentials(access_key_id, secret_access_key, session_token)
        self.region_name = region_name

    @classmethod
    def from_boto(
        cls, region_name: str | None = None, profile_name: str | None = None, **credentials: Any
    ) -> SigV4Auth:
        """Credentials found by boto3's chain (or given as ``aws_access_key_id=…``)."""
        if credentials.get("aws_access_key_id"):
            return cls(
                credentials["aws_access_key_id"],
                credentials["aws_secret_access_key"],
                region_name or "us-east-1",
            )
        import boto3

        session = boto3.Session(profile_name=profile_name)
        found = session.get_credentials()
        if found is None:
            raise ConfigError(
                "no AWS credentials found (env, AWS_PROFILE or credentials file)",
                field="credentials",
            )
        frozen = found.get_frozen_credentials()
        return cls(
            frozen.access_key,
            frozen.secret_key,
            region_name or session.region_name or "us-east-1",
            frozen.token,
        )

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        aws = AWSRequest(
            method=request.method,
            url=str(request.url),
            data=request.content,
            headers={
                k: v
                for k, v in request.headers.items()
                if k.lower() in ("host", "content-type", "x-amz-target")
            },
        )
        _BotoSigV4(self.credentials, SIGNING_NAME, self.region_name).add_auth(aws)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            if name in aws.headers:
                request.headers[name] = aws.headers[name]
        yield request
