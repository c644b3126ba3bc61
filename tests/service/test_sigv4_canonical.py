"""The verifier's own canonical request for plain requests is botocore's, byte for byte, and it
declines every request it does not canonicalise the same way."""

from __future__ import annotations

import hashlib

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

from hitl_agent.service.sigv4 import plain_canonical_request

BODY = b'{"HumanLoopName": "a"}'
SHA = hashlib.sha256(BODY).hexdigest()


class _Signer(SigV4Auth):
    def payload(self, request: AWSRequest) -> str:
        return SHA


def botocore_canonical(method: str, path: str, headers: dict[str, list[str]]) -> str:
    request = AWSRequest(method=method, url=f"http://{headers['host'][0]}{path}", data=BODY)
    request.headers = HTTPHeaders()
    for name, values in headers.items():
        for value in values:
            request.headers[name] = value
    return str(_Signer(Credentials("k", "s"), "sagemaker", "us-east-1").canonical_request(request))


HEADERS = {
    "host": ["127.0.0.1:8080"],
    "x-amz-date": ["20261207T141500Z"],
    "content-type": ["application/json"],
    "x-amz-content-sha256": [SHA],
}


@pytest.mark.parametrize(
    "method,path,extra",
    [
        ("POST", "/human-loops", {}),
        ("GET", "/human-loops/loop-1", {}),
        ("DELETE", "/human-loops/a.b_c~d-E9", {}),
        ("POST", "/", {}),
        ("GET", "/human-loops/x/", {}),
        ("post", "/human-loops/stop", {"x-amz-meta": ["  two   spaces\tand tab  "]}),
        ("POST", "/human-loops", {"x-amz-meta": ["a", " b  c "]}),  # sent twice
        ("POST", "/human-loops", {"x-amz-meta": ["caf\xe9\xa0\x85end"]}),  # latin-1 spaces
    ],
)
def test_plain_requests_are_canonicalised_as_botocore_does(
    method: str, path: str, extra: dict[str, list[str]]
) -> None:
    headers = {**HEADERS, **extra}
    signed = sorted(headers, reverse=True)
    ours = plain_canonical_request(method, path, "", signed, headers, SHA)
    assert ours == botocore_canonical(method, path, headers)


@pytest.mark.parametrize(
    "path,query,extra",
    [
        ("/human-loops", "MaxResults=1", {}),  # a query string
        ("/human-loops/./x", "", {}),  # dot segments
        ("/human-loops/../x", "", {}),
        ("/human-loops//x", "", {}),  # an empty segment
        ("/human-loops/a%20b", "", {}),  # percent-encoded
        ("/human-loops/é", "", {}),
        ("human-loops", "", {}),
        ("/human-loops", "", {"user-agent": ["boto3"]}),  # botocore never signs it
    ],
)
def test_other_requests_are_left_to_botocore(
    path: str, query: str, extra: dict[str, list[str]]
) -> None:
    headers = {**HEADERS, **extra}
    assert plain_canonical_request("GET", path, query, list(headers), headers, SHA) is None
