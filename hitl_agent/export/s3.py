"""Upload an export folder to ``s3://bucket/prefix`` with boto3, the manifest last."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hitl_agent._lazy import lazy_exports
from hitl_agent.errors import ExportError
from hitl_agent.export.manifest import MANIFEST_NAME, load_manifest
from hitl_agent.s3_uri import S3Location, parse_s3_prefix

__getattr__, __dir__ = lazy_exports(globals(), deprecated={
    "parse_s3_uri": "hitl_agent.s3_uri:parse_s3_prefix",  # the package's one S3 parser
})


def s3_join(uri: str, path: str) -> str:
    """``s3_join("s3://b/exports/", "train.jsonl")`` → ``"s3://b/exports/train.jsonl"``; raises
    :class:`~hitl_agent.errors.ConfigError` when ``uri`` is not ``s3://bucket[/prefix]``."""
    bucket, prefix = parse_s3_prefix(uri)
    return S3Location(bucket, f"{prefix}/{path}" if prefix else path).uri


def upload_export(folder: str | Path, s3_uri: str, *, client: Any = None) -> list[str]:
    """Upload every file the manifest lists, then the manifest; returns the uploaded URIs."""
    root = Path(folder)
    manifest = load_manifest(root)
    destination = parse_s3_prefix(s3_uri)
    bucket, prefix = destination
    # The local manifest records where its files went; the uploaded copy says the same.
    manifest.s3_uri = destination.uri
    tmp = root / f".{MANIFEST_NAME}.tmp"
    tmp.write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
    os.replace(tmp, root / MANIFEST_NAME)
    if client is None:
        import boto3

        client = boto3.client("s3")
    from boto3.exceptions import S3UploadFailedError
    from botocore.exceptions import BotoCoreError, ClientError

    uploaded = []
    for rel in [*(f.path for f in manifest.files), MANIFEST_NAME]:
        key = f"{prefix}/{rel}" if prefix else rel
        target = S3Location(bucket, key).uri
        try:
            client.upload_file(str(root / rel), bucket, key)
        except (BotoCoreError, ClientError, S3UploadFailedError) as exc:
            raise ExportError(f"upload of {rel} to {target} failed: {exc}",
                              s3_uri=s3_uri, path=rel) from exc
        uploaded.append(target)
    return uploaded
