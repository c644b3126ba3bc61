"""Where output.json may be written: under the configured local roots, or to S3.

A local ``S3OutputPath`` (a folder, ``file://``, or a path relative to the data folder) must
resolve, symlinks and ``..`` included, to a folder under one of ``ServiceSettings.output_roots``
(the data folder's ``output/`` by default). ``s3://bucket/prefix`` is written through the
configured S3 endpoint (``--s3-endpoint-url``, or AWS's own), as are AWS's ``https://`` S3 URLs and
URLs under the configured endpoint. Anything else is refused at ``CreateFlowDefinition`` and, for
flows made before the rule, when the output is written (the loop is then marked Failed).
"""

from __future__ import annotations

import os
from pathlib import Path

from hitl_agent.data_folder import OUTPUT_DIR
from hitl_agent.errors import ConfigError
from hitl_agent.s3_uri import parse_s3_prefix, parse_s3_url

from .settings import ServiceSettings


def output_roots(settings: ServiceSettings) -> list[Path]:
    roots = settings.output_roots or [Path(OUTPUT_DIR)]  # the data folder's, also a relative one
    return [Path(os.path.realpath(r if r.is_absolute() else settings.data_dir / r)) for r in roots]


def refusal(output_path: str, settings: ServiceSettings) -> str | None:
    """None when ``output_path`` is an allowed place for outputs, else the reason it is not."""
    if any(ord(c) < 32 for c in output_path):
        return "Member must not contain control characters"
    lowered = output_path.lower()
    if lowered.startswith("s3://"):
        try:
            parse_s3_prefix(output_path)
        except ConfigError:
            return "Member must name an S3 bucket (s3://bucket/prefix)"
        return None
    if lowered.startswith(("http://", "https://")):
        endpoint = (settings.s3_endpoint_url or "").rstrip("/")
        if (endpoint and output_path.startswith(endpoint + "/")) or parse_s3_url(output_path):
            return None
        return "Member must be an S3 URL of AWS or of the configured S3 endpoint"
    if lowered.startswith("file://"):
        output_path = output_path[len("file://") :]
    elif "://" in output_path:
        return "Member must be an s3:// URI or a local folder"
    path = Path(output_path)
    resolved = Path(os.path.realpath(path if path.is_absolute() else settings.data_dir / path))
    roots = output_roots(settings)
    if any(resolved == root or resolved.is_relative_to(root) for root in roots):
        return None
    shown = ", ".join(str(r) for r in roots)
    return f"Member must be an s3:// URI or a folder under the configured output roots: [{shown}]"


TEMP_PREFIXES = (".output-",)
"""Temp files ``OutputWriter`` writes before its atomic rename (``.output-*.tmp``)."""


def remove_stale_temp_files(settings: ServiceSettings, older_than_s: float = 60.0) -> int:
    """Delete temp files a crash left under the output roots and the data folder; returns how
    many. Files younger than ``older_than_s`` are kept: another process may be writing them."""
    import time

    cutoff = time.time() - older_than_s
    removed = 0
    seen: set[Path] = set()
    for root in [*output_roots(settings), Path(os.path.realpath(settings.data_dir))]:
        if root in seen or not root.is_dir():
            continue
        seen.add(root)
        for folder, _dirs, files in os.walk(root):
            for name in files:
                if name.startswith(TEMP_PREFIXES) and name.endswith(".tmp"):
                    path = Path(folder) / name
                    try:
                        if path.stat().st_mtime < cutoff:
                            path.unlink()
                            removed += 1
                    except OSError:
                        continue
    return removed
