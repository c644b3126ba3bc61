"""Workers and teams: the service-layer API the JSON worker API, the CLI and the portal share.

A worker signs in with a bearer token (only its SHA-256 is stored: tokens are 256-bit random) or,
optionally, a password (stored as a bcrypt hash). A worker sees the loops whose flow definition's
WorkteamArn names one of its teams (the last path segment of the ARN is the team name).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import bcrypt
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hitl_agent.errors import InvalidStateError

from .clock import Clock, iso_ms, now_us
from .errors import ConflictException, ResourceNotFoundException, ValidationException
from .models import Claim, OidcIdentity, TeamMember, Worker, Workteam
from .settings import ServiceSettings
from .storage import Store
from .validation import WORKTEAM_NAME, Fields

WORKER_NAME = r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}"
TOKEN_PREFIX = "hitl_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class WorkerInfo:
    pk: int
    worker_id: str
    name: str
    sub: str
    teams: tuple[str, ...]
    created_us: int
    has_password: bool
    oidc_issuer: str | None = None
    oidc_sub: str | None = None

    def metadata(self, issuer: str) -> dict[str, Any]:
        """A2I's ``workerMetadata`` (the private-workforce shape): the OpenID Connect provider the
        worker signed in through, or for a local account the service itself (``issuer``)."""
        if self.oidc_issuer and self.oidc_sub:
            issuer, sub = self.oidc_issuer, self.oidc_sub
        else:
            sub = self.sub
        return {"identityData": {"identityProviderType": "Oidc", "issuer": issuer, "sub": sub}}

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "workerId": self.worker_id,
            "sub": self.sub,
            "teams": list(self.teams),
            "createdAt": iso_ms(self.created_us),
            "hasPassword": self.has_password,
        }


def _info(session: Session, w: Worker) -> WorkerInfo:
    teams = session.scalars(
        select(TeamMember.team_name)
        .where(TeamMember.worker_pk == w.id)
        .order_by(TeamMember.team_name)
    ).all()
    identity = session.execute(
        select(OidcIdentity.issuer, OidcIdentity.sub).where(OidcIdentity.worker_pk == w.id)
    ).first()
    return WorkerInfo(
        pk=w.id,
        worker_id=w.worker_id,
        name=w.name,
        sub=w.sub,
        teams=tuple(teams),
        created_us=w.created_us,
        has_password=w.password_hash is not None,
        oidc_issuer=identity.issuer if identity else None,
        oidc_sub=identity.sub if identity else None,
    )


def _check_password(password: str) -> bytes:
    raw = password.encode()
    if not 8 <= len(raw) <= 72:
        raise ValidationException("A password must be 8 to 72 bytes long", field="password")
    return raw


class Workforce:
    """Adding, finding, authenticating and removing workers; team membership."""

    def __init__(self, store: Store, settings: ServiceSettings, clock: Clock = now_us) -> None:
        self.store, self.settings, self.clock = store, settings, clock

    @property
    def issuer(self) -> str:
        return (self.settings.public_url or "urn:hitl-agent:review-service").rstrip("/")

    def _ensure_team(self, session: Session, team: str) -> None:
        if session.scalars(select(Workteam.id).where(Workteam.name == team)).first() is None:
            now = self.clock()
            session.add(
                Workteam(
                    name=team,
                    arn=self.settings.arn("workteam", f"private-crowd/{team}"),
                    created_us=now,
                    updated_us=now,
                    description=f"Work team {team}",
                    member_definitions=json.dumps([{"OidcMemberDefinition": {"Groups": [team]}}]),
                )
            )

    def ensure_team(self, team: str) -> str:
        """The ARN of work team ``team``, created (members: the OIDC group of the same name)
        when it does not exist yet."""
        Fields({"team": team}).req_string("team", pattern=WORKTEAM_NAME)
        with self.store.write() as s:
            self._ensure_team(s, team)
        return self.settings.arn("workteam", f"private-crowd/{team}")

    def add_worker(
        self, name: str, *, teams: list[str] | tuple[str, ...] = (), password: str | None = None
    ) -> tuple[WorkerInfo, str]:
        """Create a worker; returns it and its bearer token (shown once, never stored)."""
        Fields({"name": name}).req_string("name", pattern=WORKER_NAME)
        for team in teams:
            Fields({"team": team}).req_string("team", pattern=WORKTEAM_NAME)
        pw_hash = (
            bcrypt.hashpw(_check_password(password), bcrypt.gensalt()).decode()
            if password is not None
            else None
        )
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        try:
            with self.store.write() as s:
                if s.scalars(select(Worker.id).where(Worker.name == name)).first() is not None:
                    raise ConflictException(f"Worker '{name}' already exists", field="name")
                w = Worker(
                    worker_id=secrets.token_hex(8),
                    name=name,
                    sub=str(uuid.uuid4()),
                    token_sha256=hash_token(token),
                    password_hash=pw_hash,
                    created_us=self.clock(),
                )
                s.add(w)
                s.flush()
                for team in dict.fromkeys(teams):
                    self._ensure_team(s, team)
                    s.add(TeamMember(worker_pk=w.id, team_name=team))
                s.flush()
                return _info(s, w), token
        except IntegrityError as exc:
            raise ConflictException(f"Worker '{name}' already exists", field="name") from exc

    def list_workers(self) -> list[WorkerInfo]:
        with self.store.read() as s:
            return [_info(s, w) for w in s.scalars(select(Worker).order_by(Worker.name))]

    def get_worker(self, name: str) -> WorkerInfo:
        with self.store.read() as s:
            w = s.scalars(select(Worker).where(Worker.name == name)).first()
            if w is None:
                raise ResourceNotFoundException(f"Worker '{name}' does not exist", field="name")
            return _info(s, w)

    def remove_worker(self, name: str) -> None:
        """Delete a worker; its submitted answers stay, its open claims are dropped."""
        with self.store.write() as s:
            w = s.scalars(select(Worker).where(Worker.name == name)).first()
            if w is None:
                raise ResourceNotFoundException(f"Worker '{name}' does not exist", field="name")
            s.execute(delete(Claim).where(Claim.worker_pk == w.id))
            s.execute(delete(TeamMember).where(TeamMember.worker_pk == w.id))
            s.delete(w)

    def add_to_team(self, name: str, team: str) -> WorkerInfo:
        Fields({"team": team}).req_string("team", pattern=WORKTEAM_NAME)
        with self.store.write() as s:
            w = s.scalars(select(Worker).where(Worker.name == name)).first()
            if w is None:
                raise ResourceNotFoundException(f"Worker '{name}' does not exist", field="name")
            self._ensure_team(s, team)
            exists = s.scalars(
                select(TeamMember.id).where(
                    TeamMember.worker_pk == w.id, TeamMember.team_name == team
                )
            ).first()
            if exists is None:
                s.add(TeamMember(worker_pk=w.id, team_name=team))
            s.flush()
            return _info(s, w)

    def remove_from_team(self, name: str, team: str) -> WorkerInfo:
        with self.store.write() as s:
            w = s.scalars(select(Worker).where(Worker.name == name)).first()
            if w is None:
                raise ResourceNotFoundException(f"Worker '{name}' does not exist", field="name")
            s.execute(
                delete(TeamMember).where(TeamMember.worker_pk == w.id, TeamMember.team_name == team)
            )
            return _info(s, w)

    def set_password(self, name: str, password: str | None) -> None:
        pw_hash = (
            bcrypt.hashpw(_check_password(password), bcrypt.gensalt()).decode()
            if password is not None
            else None
        )
        with self.store.write() as s:
            w = s.scalars(select(Worker).where(Worker.name == name)).first()
            if w is None:
                raise ResourceNotFoundException(f"Worker '{name}' does not exist", field="name")
            w.password_hash = pw_hash

    def rotate_token(self, name: str) -> str:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.store.write() as s:
            w = s.scalars(select(Worker).where(Worker.name == name)).first()
            if w is None:
                raise ResourceNotFoundException(f"Worker '{name}' does not exist", field="name")
            w.token_sha256 = hash_token(token)
        return token

    def sign_in_oidc(
        self, issuer: str, sub: str, preferred_name: str, groups: list[str], teams: list[str]
    ) -> WorkerInfo:
        """The worker of an OpenID Connect identity, created on its first sign-in; its teams
        become exactly ``teams`` (those whose OidcMemberDefinition names one of its groups)."""
        now = self.clock()
        with self.store.write() as s:
            link = s.scalars(
                select(OidcIdentity).where(OidcIdentity.issuer == issuer, OidcIdentity.sub == sub)
            ).first()
            if link is None:
                w = Worker(
                    worker_id=secrets.token_hex(8),
                    name=self._free_name(s, preferred_name),
                    sub=str(uuid.uuid4()),
                    token_sha256=hash_token(TOKEN_PREFIX + secrets.token_urlsafe(32)),
                    password_hash=None,
                    created_us=now,
                )
                s.add(w)
                s.flush()
                link = OidcIdentity(issuer=issuer, sub=sub, worker_pk=w.id, groups="[]",
                                    signed_in_us=now)
                s.add(link)
            else:
                found = s.get(Worker, link.worker_pk)
                if found is None:  # the link is deleted with its worker: a broken database
                    raise InvalidStateError(
                        f"OIDC identity {issuer} {sub} names a worker that is gone",
                        issuer=issuer,
                    )
                w = found
            link.groups, link.signed_in_us = json.dumps(groups), now
            s.execute(delete(TeamMember).where(TeamMember.worker_pk == w.id))
            for team in dict.fromkeys(teams):
                s.add(TeamMember(worker_pk=w.id, team_name=team))
            s.flush()
            return _info(s, w)

    @staticmethod
    def _free_name(s: Session, preferred: str) -> str:
        base = re.sub(r"[^A-Za-z0-9._@+-]", "-", preferred).strip("-.")[:100] or "worker"
        if not base[0].isalnum():
            base = "w" + base
        name, n = base, 1
        while s.scalars(select(Worker.id).where(Worker.name == name)).first() is not None:
            n += 1
            name = f"{base}-{n}"
        return name

    def authenticate_token(self, token: str) -> WorkerInfo | None:
        if not token:
            return None
        with self.store.read() as s:
            w = s.scalars(select(Worker).where(Worker.token_sha256 == hash_token(token))).first()
            return _info(s, w) if w is not None else None

    def authenticate_password(self, name: str, password: str) -> WorkerInfo | None:
        """The worker when ``password`` is theirs, else None (constant work either way)."""
        with self.store.read() as s:
            w = s.scalars(select(Worker).where(Worker.name == name)).first()
            raw = password.encode()[:72]
            if w is None or w.password_hash is None:
                bcrypt.checkpw(raw, _dummy_hash())  # same cost as a real check
                return None
            if not bcrypt.checkpw(raw, w.password_hash.encode()):
                return None
            return _info(s, w)


@functools.cache
def _dummy_hash() -> bytes:
    return bcrypt.hashpw(b"hitl-agent-dummy", bcrypt.gensalt())
