"""Access keys the review service issues, for AWS Signature Version 4 (``hitl-agent keys``).

Why the secret is *derived*, not hashed: SigV4 is a symmetric MAC, so whoever verifies a
signature needs the secret itself; a one-way hash of it could verify nothing. The choice is
then between storing the secret encrypted under a key kept in the data folder and deriving it
from such a key. We derive: ``secret = base64(HMAC-SHA256(service secret, "access-key/" + id))``.
The database holds only the key id, its scope and its state, so a copy of the database (a backup,
a Postgres dump) reveals no secret at all; the service secret stays in the data folder
(``service.secret``, mode 0600) or in ``$HITL_SERVICE_SECRET`` (give every process that shares
one database the same value). Revoking is a flag on the row; rotating the service secret
invalidates every key at once. The secret is shown once, when the key is created.

Scopes: ``runtime`` may call the A2I runtime API only; ``admin`` may call everything (the
SageMaker control plane, ``/hitl/events``, task UI templates, and the runtime API).
"""

from __future__ import annotations

import base64
import configparser
import hashlib
import hmac
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from hitl_agent.credentials import CREDENTIALS_FILE, LOCAL_PROFILE, read_credentials
from hitl_agent.errors import InvalidArgumentError

from .clock import Clock, iso_ms, now_us
from .errors import ResourceNotFoundException, ValidationException
from .models import AccessKey
from .signing import load_or_create_secret
from .storage import Store

SCOPES = ("runtime", "admin")
SECRET_FILE = "service.secret"
SECRET_ENV = "HITL_SERVICE_SECRET"
KEY_PREFIX = "AKHL"
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
CACHE_TTL_S = 1.0
"""How long a looked-up key is trusted before the database is asked again: a revocation made
by another process (``hitl-agent keys revoke``) takes effect within this time."""


@dataclass(frozen=True)
class KeyInfo:
    access_key_id: str
    scope: str
    description: str
    created_us: int
    revoked_us: int | None

    @property
    def active(self) -> bool:
        return self.revoked_us is None

    def to_dict(self) -> dict[str, object]:
        return {
            "AccessKeyId": self.access_key_id,
            "Scope": self.scope,
            "Description": self.description,
            "CreateDate": iso_ms(self.created_us),
            "Status": "Active" if self.active else "Revoked",
        }


def load_service_secret(data_dir: Path) -> bytes:
    """``$HITL_SERVICE_SECRET`` when set, else ``data_dir/service.secret`` (created once)."""
    env = os.environ.get(SECRET_ENV)
    if env:
        if len(env.encode()) < 16:
            raise InvalidArgumentError(
                f"${SECRET_ENV} must be at least 16 bytes", field=SECRET_ENV, rule="min 16 bytes"
            )
        return env.encode()
    return load_or_create_secret(data_dir / SECRET_FILE)


def derive_key(secret: bytes, purpose: str) -> bytes:
    """A per-purpose key (pagination tokens, template URLs, ...) derived from the service secret."""
    return hmac.new(secret, f"hitl-service/{purpose}".encode(), hashlib.sha256).digest()


class KeyStore:
    """Create, list, revoke and look up access keys; the secret is derived on demand."""

    def __init__(self, store: Store, service_secret: bytes, clock: Clock = now_us) -> None:
        self.store, self.clock = store, clock
        self._master = derive_key(service_secret, "access-keys")
        self._cache: dict[str, tuple[float, KeyInfo | None]] = {}
        self._lock = threading.Lock()

    def secret_for(self, access_key_id: str) -> str:
        digest = hmac.new(self._master, access_key_id.encode(), hashlib.sha256).digest()
        return base64.b64encode(digest)[:40].decode().replace("+", "x").replace("/", "y")

    def create(self, scope: str = "runtime", description: str = "") -> tuple[KeyInfo, str]:
        """A new key and its secret (shown once: it is never stored)."""
        if scope not in SCOPES:
            raise ValidationException(
                f"scope must be one of {', '.join(SCOPES)}, not {scope!r}", field="scope"
            )
        if len(description) > 256:
            raise ValidationException(
                "description must be at most 256 characters", field="description"
            )
        key_id = KEY_PREFIX + "".join(secrets.choice(_ID_ALPHABET) for _ in range(16))
        now = self.clock()
        with self.store.write() as s:
            s.add(
                AccessKey(
                    access_key_id=key_id, scope=scope, description=description, created_us=now
                )
            )
        info = KeyInfo(key_id, scope, description, now, None)
        return info, self.secret_for(key_id)

    def list(self) -> list[KeyInfo]:
        with self.store.read() as s:
            rows = s.scalars(select(AccessKey).order_by(AccessKey.id)).all()
            return [_info(r) for r in rows]

    def revoke(self, access_key_id: str) -> KeyInfo:
        with self.store.write() as s:
            row = s.scalars(
                select(AccessKey).where(AccessKey.access_key_id == access_key_id)
            ).first()
            if row is None:
                raise ResourceNotFoundException(
                    f"Access key '{access_key_id}' does not exist", field="access_key_id"
                )
            if row.revoked_us is None:
                row.revoked_us = self.clock()
            info = _info(row)
        with self._lock:
            self._cache.pop(access_key_id, None)
        return info

    def lookup(self, access_key_id: str) -> KeyInfo | None:
        """The key (active or revoked), or None; cached for :data:`CACHE_TTL_S`."""
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(access_key_id)
        if hit is not None and now - hit[0] < CACHE_TTL_S:
            return hit[1]
        if not access_key_id.startswith(KEY_PREFIX) or len(access_key_id) > 32:
            return None  # not one of ours: no database round trip for made-up ids
        with self.store.read() as s:
            row = s.scalars(
                select(AccessKey).where(AccessKey.access_key_id == access_key_id)
            ).first()
            info = _info(row) if row is not None else None
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[access_key_id] = (now, info)
        return info


def _info(row: AccessKey) -> KeyInfo:
    return KeyInfo(row.access_key_id, row.scope, row.description, row.created_us, row.revoked_us)


# --- the client side: an AWS shared credentials file ----------------------------------------------


def write_credentials(
    path: Path, access_key_id: str, secret: str, profile: str = LOCAL_PROFILE
) -> None:
    """Put a profile into an AWS shared credentials file (mode 0600), keeping other profiles."""
    parser = configparser.RawConfigParser()
    if path.exists():
        parser.read(path)
    if not parser.has_section(profile):
        parser.add_section(profile)
    parser.set(profile, "aws_access_key_id", access_key_id)
    parser.set(profile, "aws_secret_access_key", secret)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        parser.write(fh)
    os.replace(tmp, path)


def ensure_local_admin_key(keys: KeyStore, data_dir: Path) -> Path:
    """Make ``data_dir/credentials`` hold a working admin key (created when missing or revoked).

    Point boto3 at it with ``AWS_SHARED_CREDENTIALS_FILE=<data>/credentials``.
    """
    path = data_dir / CREDENTIALS_FILE
    current = read_credentials(path)
    if current is not None:
        info = keys.lookup(current["aws_access_key_id"])
        if (
            info is not None
            and info.active
            and info.scope == "admin"
            and keys.secret_for(info.access_key_id) == current["aws_secret_access_key"]
        ):
            return path
    info, secret = keys.create("admin", "local admin key written by hitl-agent serve")
    write_credentials(path, info.access_key_id, secret)
    return path
