"""The keys a client of the review service signs with: boto3's chain, else the ``credentials``
file that ``hitl-agent serve`` writes to its data folder (an AWS shared-credentials file)."""

from __future__ import annotations

import configparser
from pathlib import Path

from hitl_agent.data_folder import CREDENTIALS_FILE as CREDENTIALS_FILE
from hitl_agent.data_folder import DataFolder

LOCAL_PROFILE = "default"


def read_credentials(path: Path, profile: str = LOCAL_PROFILE) -> dict[str, str] | None:
    """``{"aws_access_key_id", "aws_secret_access_key"}`` of a profile, or None."""
    parser = configparser.RawConfigParser()
    if not path.is_file() or not parser.read(path) or not parser.has_section(profile):
        return None
    try:
        return {
            "aws_access_key_id": parser.get(profile, "aws_access_key_id"),
            "aws_secret_access_key": parser.get(profile, "aws_secret_access_key"),
        }
    except configparser.Error:
        return None


def service_credentials(data_dir_: str | Path | None = None) -> dict[str, str]:
    """Keys for a client of the review service: boto3's chain when it finds any, else the
    ``credentials`` file of the data folder (``$HITL_DATA`` or ``.hitl``); ``{}`` if neither."""
    import boto3

    if boto3.Session().get_credentials() is not None:
        return {}
    return read_credentials(DataFolder.resolve(data_dir_).credentials) or {}
