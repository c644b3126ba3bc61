"""The private workforce (CreateWorkforce, DescribeWorkforce, ListWorkforces, UpdateWorkforce,
DeleteWorkforce): the OpenID Connect provider workers sign in through and the source-IP ranges.

As on AWS there is one private workforce per account and region. ``CognitoConfig`` and
``WorkforceVpcConfig`` cannot be served here and are refused with a ValidationException. OIDC
endpoints must be ``https://``, except on a loopback host (``http://127.0.0.1``, ``localhost``):
a provider on the same machine, for development and tests. ``ClientSecret`` is stored in the
service's database and never returned.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from .clock import Clock, epoch_s, now_us
from .errors import ResourceInUse, ResourceLimitExceeded, ResourceNotFound, ValidationException
from .models import WorkforceRow, Workteam
from .settings import ServiceSettings
from .storage import Store
from .tagging import drop_tags, read_tags, save_tags
from .validation import Fields
from .workteams import WORKFORCE_NAME, list_by_name, portal_address

OIDC_ENDPOINT = r"https://\S+|http://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]+)?(/\S*)?"
OIDC_ENDPOINTS = (
    "Issuer",
    "AuthorizationEndpoint",
    "TokenEndpoint",
    "UserInfoEndpoint",
    "LogoutEndpoint",
    "JwksUri",
)
CIDR = (
    r"(([0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])\.){3}"
    r"([0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])/(3[0-2]|[1-2][0-9]|[0-9])"
    r"|[0-9A-Fa-f:.]+/(12[0-8]|1[0-1][0-9]|[1-9][0-9]|[0-9])"
)


@dataclass(frozen=True)
class OidcSettings:
    """What the portal needs to sign workers in through the workforce's provider."""

    client_id: str
    client_secret: str
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    logout_endpoint: str
    scope: str
    extra_params: dict[str, str]


def read_oidc_config(f: Fields) -> dict[str, Any] | None:
    oidc = f.obj("OidcConfig")
    if oidc is None:
        return None
    out: dict[str, Any] = {
        "ClientId": oidc.req_string("ClientId", min_len=1, max_len=1024, pattern=r"[ -~]+"),
        "ClientSecret": oidc.req_string("ClientSecret", min_len=1, max_len=1024, pattern=r"[ -~]+"),
    }
    for name in OIDC_ENDPOINTS:
        out[name] = oidc.req_string(name, max_len=500, pattern=OIDC_ENDPOINT)
    scope = oidc.string("Scope", max_len=1024, pattern=r"[!#-\[\]-~]+( [!#-\[\]-~]+)*")
    if scope is not None:
        if "openid" not in scope.split():
            raise ValidationException(
                "OidcConfig.Scope: the scopes must include openid", field="OidcConfig.Scope"
            )
        out["Scope"] = scope
    extra = oidc.obj("AuthenticationRequestExtraParams")
    if extra is not None:
        if len(extra.data) > 10:
            raise ValidationException(
                "OidcConfig.AuthenticationRequestExtraParams: at most 10 entries",
                field="OidcConfig.AuthenticationRequestExtraParams",
            )
        for key in extra.data:
            extra.req_string(key, max_len=512)
        out["AuthenticationRequestExtraParams"] = dict(extra.data)
    return out


def _refuse_unservable(f: Fields) -> None:
    for member, why in (
        ("CognitoConfig", "this service has no Amazon Cognito user pool; use OidcConfig"),
        ("WorkforceVpcConfig", "workers reach the portal directly; there is no VPC endpoint"),
    ):
        if f.data.get(member) is not None:
            raise ValidationException(f"{member}: {why}", field=member)


def _read_cidrs(f: Fields) -> list[str] | None:
    config = f.obj("SourceIpConfig")
    if config is None:
        return None
    cidrs = config.items("Cidrs", required=True, max_items=10) or []
    return [
        Fields({str(i + 1): c}, "SourceIpConfig.Cidrs").req_string(
            str(i + 1), min_len=4, max_len=64, pattern=CIDR
        )
        for i, c in enumerate(cidrs)
    ]


class WorkforceBackend:
    def __init__(self, store: Store, settings: ServiceSettings, clock: Clock = now_us) -> None:
        self.store, self.settings, self.clock = store, settings, clock

    def create_workforce(self, body: dict[str, Any], base_url: str = "") -> dict[str, Any]:
        f = Fields(body)
        name = f.req_string("WorkforceName", min_len=1, max_len=63, pattern=WORKFORCE_NAME)
        _refuse_unservable(f)
        oidc = read_oidc_config(f)
        cidrs = _read_cidrs(f) or []
        tags = read_tags(f)
        arn = self.settings.arn("workforce", name)
        now = self.clock()
        with self.store.write() as s:
            existing = s.scalars(select(WorkforceRow.name)).first()
            if existing == name:
                raise ResourceInUse(f"Workforce '{name}' already exists", field="WorkforceName")
            if existing is not None:
                raise ResourceLimitExceeded(
                    f"There is already a private workforce ('{existing}'): one per account "
                    "and Region"
                )
            s.add(
                WorkforceRow(
                    name=name,
                    arn=arn,
                    created_us=now,
                    updated_us=now,
                    oidc_config=json.dumps(oidc) if oidc else None,
                    source_cidrs=json.dumps(cidrs),
                )
            )
            save_tags(s, arn, tags)
        return {"WorkforceArn": arn}

    def describe(self, w: WorkforceRow, base_url: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "WorkforceName": w.name,
            "WorkforceArn": w.arn,
            "LastUpdatedDate": epoch_s(w.updated_us),
            "SourceIpConfig": {"Cidrs": json.loads(w.source_cidrs)},
            "SubDomain": portal_address(self.settings, base_url),
            "CreateDate": epoch_s(w.created_us),
            "Status": "Active",
        }
        if w.oidc_config:
            shown = json.loads(w.oidc_config)
            shown.pop("ClientSecret", None)
            out["OidcConfig"] = shown
        return out

    def _get(self, f: Fields) -> WorkforceRow:
        name = f.req_string("WorkforceName", min_len=1, max_len=63, pattern=WORKFORCE_NAME)
        with self.store.read() as s:
            w = s.scalars(select(WorkforceRow).where(WorkforceRow.name == name)).first()
        if w is None:
            raise ResourceNotFound(f"Workforce '{name}' does not exist", field="WorkforceName")
        return w

    def describe_workforce(self, body: dict[str, Any], base_url: str = "") -> dict[str, Any]:
        return {"Workforce": self.describe(self._get(Fields(body)), base_url)}

    def list_workforces(self, body: dict[str, Any], base_url: str = "") -> dict[str, Any]:
        rows, token = list_by_name(self.store, Fields(body), WorkforceRow, WORKFORCE_NAME)
        out: dict[str, Any] = {"Workforces": [self.describe(w, base_url) for w in rows]}
        if token:
            out["NextToken"] = token
        return out

    def update_workforce(self, body: dict[str, Any], base_url: str = "") -> dict[str, Any]:
        f = Fields(body)
        found = self._get(f)
        _refuse_unservable(f)
        oidc = read_oidc_config(f)
        cidrs = _read_cidrs(f)
        with self.store.write() as s:
            w = s.get(WorkforceRow, found.id)
            if w is None:
                raise ResourceNotFound(
                    f"Workforce '{found.name}' does not exist", field="WorkforceName"
                )
            if oidc is not None:
                w.oidc_config = json.dumps(oidc)
            if cidrs is not None:
                w.source_cidrs = json.dumps(cidrs)
            w.updated_us = self.clock()
            s.flush()
            return {"Workforce": self.describe(w, base_url)}

    def delete_workforce(self, body: dict[str, Any], base_url: str = "") -> dict[str, Any]:
        w = self._get(Fields(body))
        with self.store.write() as s:
            team = s.scalars(select(Workteam.name).where(Workteam.workforce_name == w.name)).first()
            if team is not None:
                raise ResourceInUse(
                    f"Workforce '{w.name}' still has work team '{team}': delete its teams first",
                    field="WorkforceName",
                )
            row = s.get(WorkforceRow, w.id)
            if row is not None:
                s.delete(row)
            drop_tags(s, w.arn)
        return {}

    def oidc(self) -> OidcSettings | None:
        """The workforce's OpenID Connect provider, or None when none is configured."""
        with self.store.read() as s:
            raw = s.scalars(
                select(WorkforceRow.oidc_config).where(WorkforceRow.oidc_config.is_not(None))
            ).first()
        if not raw:
            return None
        c = json.loads(raw)
        return OidcSettings(
            client_id=c["ClientId"],
            client_secret=c["ClientSecret"],
            issuer=c["Issuer"],
            authorization_endpoint=c["AuthorizationEndpoint"],
            token_endpoint=c["TokenEndpoint"],
            jwks_uri=c["JwksUri"],
            logout_endpoint=c["LogoutEndpoint"],
            scope=c.get("Scope") or "openid",
            extra_params=dict(c.get("AuthenticationRequestExtraParams") or {}),
        )
