"""Work teams and workforces of the SageMaker control plane (Create/Describe/List/Update/Delete).

A work team's members come from two places: local accounts added to it (``hitl-agent workers``)
and, for workers who sign in through the workforce's OpenID Connect provider, the groups its
``OidcMemberDefinition`` names. ``CognitoMemberDefinition`` cannot be served here (there is no
Cognito user pool) and is refused. ``SubDomain`` is where the worker portal really is: the
configured public URL, else the address the request reached.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .clock import Clock, epoch_s, now_us
from .errors import (
    ResourceInUse,
    ResourceLimitExceeded,
    ResourceNotFound,
    ValidationException,
)
from .models import WorkforceRow, Workteam
from .pagination import paginate
from .settings import ServiceSettings
from .storage import Store
from .tagging import drop_tags, read_tags, save_tags
from .validation import SORT_ORDERS, WORKTEAM_NAME, Fields, invalid

MAX_WORKTEAMS = 25
DEFAULT_WORKFORCE = "default"
WORKFORCE_NAME = r"[a-zA-Z0-9]([a-zA-Z0-9\-]){0,62}"
# botocore's ``[\p{L}\p{M}\p{S}\p{N}\p{P}]+``: any printable character but whitespace.
_GROUP = re.compile(r"[^\s\x00-\x1f\x7f]+")
_TOPIC_ARN = r"arn:aws[a-z\-]*:sns:[a-z0-9\-]*:[0-9]{12}:[a-zA-Z0-9_.-]+"


def portal_address(settings: ServiceSettings, base_url: str) -> str:
    """The worker portal as AWS's ``SubDomain`` shows a portal: host (and port), no scheme.

    AWS's notebooks print ``"https://" + SubDomain``; behind a TLS front that link works as is.
    """
    base = urlparse((settings.public_url or base_url or "http://127.0.0.1").rstrip("/"))
    return f"{base.netloc}{base.path}/portal"


def list_by_name(
    store: Store, f: Fields, model: type[Workteam] | type[WorkforceRow], name_pattern: str
) -> tuple[list[Any], str | None]:
    """One page of ListWorkteams / ListWorkforces: SortBy Name or CreateDate, NameContains."""
    sort_by = f.string("SortBy", enum=("Name", "CreateDate")) or "CreateDate"
    contains = f.string("NameContains", min_len=1, max_len=63, pattern=name_pattern)
    order = f.string("SortOrder", enum=SORT_ORDERS) or "Ascending"
    limit = f.integer("MaxResults", minimum=1, maximum=100) or 10
    token = f.string("NextToken", max_len=8192)
    with store.read() as s:
        stmt = select(model)
        if contains:
            stmt = stmt.where(model.name.contains(contains, autoescape=True))
        col = model.name if sort_by == "Name" else model.created_us
        return paginate(
            s, stmt, col, model.id, ascending=order == "Ascending", limit=limit, token=token
        )


def read_member_definitions(f: Fields, *, required: bool) -> list[dict[str, Any]] | None:
    """``MemberDefinitions``: 1 to 10 ``OidcMemberDefinition``s of 1 to 10 groups each."""
    members = f.items("MemberDefinitions", required=required, min_items=1, max_items=10)
    if members is None:
        return None
    out = []
    for i, m in enumerate(members):
        path = f"MemberDefinitions.{i + 1}"
        member = Fields(m, path)
        if member.data.get("CognitoMemberDefinition") is not None:
            raise ValidationException(
                f"{path}.CognitoMemberDefinition: this service has no Amazon Cognito user pool; "
                "define the team's members with OidcMemberDefinition (groups of the workforce's "
                "OpenID Connect provider) or add local workers to the team",
                field=f"{path}.CognitoMemberDefinition",
            )
        oidc = member.obj("OidcMemberDefinition")
        if oidc is None:
            raise invalid(path, None, "Member must contain OidcMemberDefinition")
        groups = oidc.items("Groups", required=True, min_items=1, max_items=10) or []
        for j, group in enumerate(groups):
            name = f"{path}.OidcMemberDefinition.Groups.{j + 1}"
            Fields({"g": group}, name).req_string("g", min_len=1, max_len=63)
            if _GROUP.fullmatch(group) is None:
                raise invalid(name, group, r"Member must satisfy regular expression pattern: "
                              r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+")
        out.append({"OidcMemberDefinition": {"Groups": list(groups)}})
    return out


class WorkteamBackend:
    """CreateWorkteam, DescribeWorkteam, ListWorkteams, UpdateWorkteam, DeleteWorkteam."""

    def __init__(self, store: Store, settings: ServiceSettings, clock: Clock = now_us) -> None:
        self.store, self.settings, self.clock = store, settings, clock

    def arn(self, name: str) -> str:
        return self.settings.arn("workteam", f"private-crowd/{name}")

    def create_workteam(self, body: dict[str, Any], base_url: str = "") -> dict[str, Any]:
        f = Fields(body)
        name = f.req_string("WorkteamName", min_len=1, max_len=63, pattern=WORKTEAM_NAME)
        members = read_member_definitions(f, required=True) or []
        description = f.req_string("Description", min_len=1, max_len=200)
        workforce = f.string("WorkforceName", min_len=1, max_len=63, pattern=WORKFORCE_NAME)
        notification = self._notification(f)
        access = f.obj("WorkerAccessConfiguration")
        tags = read_tags(f)
        arn = self.arn(name)
        now = self.clock()
        with self.store.write() as s:
            if workforce is not None and workforce != DEFAULT_WORKFORCE:
                self._require_workforce(s, workforce)
            if s.scalars(select(Workteam.id).where(Workteam.name == name)).first():
                raise ResourceInUse(f"Workteam '{name}' already exists", field="WorkteamName")
            if (s.scalar(select(func.count(Workteam.id))) or 0) >= MAX_WORKTEAMS:
                raise ResourceLimitExceeded(
                    f"You cannot create more than {MAX_WORKTEAMS} work teams"
                )
            s.add(
                Workteam(
                    name=name,
                    arn=arn,
                    created_us=now,
                    updated_us=now,
                    description=description,
                    member_definitions=json.dumps(members),
                    workforce_name=workforce,
                    notification_config=json.dumps(notification) if notification else None,
                    worker_access_config=json.dumps(access.data) if access else None,
                )
            )
            save_tags(s, arn, tags)
        return {"WorkteamArn": arn}

    @staticmethod
    def _notification(f: Fields) -> dict[str, Any] | None:
        notification = f.obj("NotificationConfiguration")
        if notification is None:
            return None
        notification.string("NotificationTopicArn", max_len=2048, pattern=_TOPIC_ARN)
        return notification.data

    @staticmethod
    def _require_workforce(s: Session, name: str) -> None:
        if s.scalars(select(WorkforceRow.id).where(WorkforceRow.name == name)).first() is None:
            raise ValidationException(
                f"WorkforceName: workforce '{name}' does not exist", field="WorkforceName"
            )

    def describe(self, w: Workteam, base_url: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "WorkteamName": w.name,
            "MemberDefinitions": json.loads(w.member_definitions),
            "WorkteamArn": w.arn,
            "WorkforceArn": self.settings.arn(
                "workforce", w.workforce_name or self._workforce_name()
            ),
            "Description": w.description,
            "SubDomain": portal_address(self.settings, base_url),
            "CreateDate": epoch_s(w.created_us),
            "LastUpdatedDate": epoch_s(w.updated_us),
        }
        if w.notification_config:
            out["NotificationConfiguration"] = json.loads(w.notification_config)
        if w.worker_access_config:
            out["WorkerAccessConfiguration"] = json.loads(w.worker_access_config)
        return out

    def _workforce_name(self) -> str:
        """The account's private workforce, which a team created without a WorkforceName joins."""
        with self.store.read() as s:
            return s.scalars(select(WorkforceRow.name)).first() or DEFAULT_WORKFORCE

    def _get(self, f: Fields) -> Workteam:
        name = f.req_string("WorkteamName", min_len=1, max_len=63, pattern=WORKTEAM_NAME)
        with self.store.read() as s:
            w = s.scalars(select(Workteam).where(Workteam.name == name)).first()
        if w is None:
            raise ResourceNotFound(f"Workteam '{name}' does not exist", field="WorkteamName")
        return w

    def describe_workteam(self, body: dict[str, Any], base_url: str = "") -> dict[str, Any]:
        return {"Workteam": self.describe(self._get(Fields(body)), base_url)}

    def list_workteams(self, body: dict[str, Any], base_url: str = "") -> dict[str, Any]:
        rows, token = list_by_name(self.store, Fields(body), Workteam, WORKTEAM_NAME)
        out: dict[str, Any] = {"Workteams": [self.describe(w, base_url) for w in rows]}
        if token:
            out["NextToken"] = token
        return out

    def update_workteam(self, body: dict[str, Any], base_url: str = "") -> dict[str, Any]:
        f = Fields(body)
        found = self._get(f)
        members = read_member_definitions(f, required=False)
        description = f.string("Description", min_len=1, max_len=200)
        notification = self._notification(f)
        access = f.obj("WorkerAccessConfiguration")
        with self.store.write() as s:
            w = s.get(Workteam, found.id)
            if w is None:
                raise ResourceNotFound(
                    f"Workteam '{found.name}' does not exist", field="WorkteamName"
                )
            if members is not None:
                w.member_definitions = json.dumps(members)
            if description is not None:
                w.description = description
            if notification is not None:
                w.notification_config = json.dumps(notification)
            if access is not None:
                w.worker_access_config = json.dumps(access.data)
            w.updated_us = self.clock()
            s.flush()
            return {"Workteam": self.describe(w, base_url)}

    def delete_workteam(self, body: dict[str, Any], base_url: str = "") -> dict[str, Any]:
        w = self._get(Fields(body))
        with self.store.write() as s:
            row = s.get(Workteam, w.id)
            if row is not None:
                s.delete(row)
            drop_tags(s, w.arn)
        return {"Success": True}

    def groups_to_teams(self, groups: list[str]) -> list[str]:
        """The teams whose ``OidcMemberDefinition`` names one of ``groups``."""
        wanted = set(groups)
        with self.store.read() as s:
            rows = s.execute(select(Workteam.name, Workteam.member_definitions)).all()
        teams = []
        for name, raw in rows:
            for member in json.loads(raw or "[]"):
                team_groups = (member.get("OidcMemberDefinition") or {}).get("Groups") or []
                if wanted.intersection(team_groups):
                    teams.append(name)
                    break
        return sorted(teams)
