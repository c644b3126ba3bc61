"""SageMaker tags: the ``Tags`` given on create, and AddTags / ListTags / DeleteTags.

Tags live in one table keyed by the resource's ARN, so every taggable resource (flow definitions,
task UIs, work teams, workforces) reads them back the same way. AWS's rules: at most 50 tags per
resource, keys of 1 to 128 and values of up to 256 letters, digits, spaces and ``_.:/=+-@``, and no
key may start with the reserved ``aws:`` prefix. Keys starting ``hitl:`` are this service's own
(``gold.py``): only the ones it reads, each value by its rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .errors import ResourceLimitExceeded, ResourceNotFound
from .gold import quality_tag_problem
from .models import FlowDefinition, HumanTaskUi, ResourceTag, WorkforceRow, Workteam
from .pagination import paginate
from .storage import Store
from .validation import Fields, invalid

MAX_TAGS = 50
RESOURCE_ARN = r"arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:[0-9]{12}:.+"
# botocore's pattern is ``[\p{L}\p{Z}\p{N}_.:/=+\-@]*``: Python's ``re`` has no \p classes, so
# letters and digits are "word characters but not the underscore" plus the underscore itself.
_TAG_TEXT = re.compile(r"(?:[^\W]|[\s_.:/=+\-@])*")
_TAGGABLE = (FlowDefinition, HumanTaskUi, Workteam, WorkforceRow)


def _check_text(member: str, value: str) -> None:
    if _TAG_TEXT.fullmatch(value) is None:
        raise invalid(
            member,
            value,
            r"Member must satisfy regular expression pattern: ([\p{L}\p{Z}\p{N}_.:/=+\-@]*)",
        )


def read_tags(f: Fields, name: str = "Tags", *, min_items: int = 0) -> list[dict[str, str]] | None:
    """The ``Tags`` member checked as AWS checks it (length, pattern, ``aws:`` prefix)."""
    tags = f.items(name, min_items=min_items, max_items=MAX_TAGS)
    if tags is None:
        return None
    out: dict[str, str] = {}
    for i, tag in enumerate(tags):
        path = f"{f.path + '.' if f.path else ''}{name}.{i + 1}"
        t = Fields(tag, path)
        key = t.req_string("Key", min_len=1, max_len=128)
        value = t.req_string("Value", max_len=256)
        _check_text(f"{path}.Key", key)
        _check_text(f"{path}.Value", value)
        if key.lower().startswith("aws:"):
            raise invalid(f"{path}.Key", key, "Member must not start with the reserved prefix aws:")
        problem = quality_tag_problem(key, value)
        if problem is not None:  # this service's own tags (gold.py): refused, never ignored
            member, rule = problem
            raise invalid(f"{path}.{member}", key if member == "Key" else value, rule)
        out[key] = value
    return [{"Key": k, "Value": v} for k, v in out.items()]


def save_tags(session: Session, arn: str, tags: list[dict[str, str]] | None) -> None:
    """Add or overwrite ``tags`` on ``arn`` inside the caller's transaction."""
    for tag in tags or []:
        row = session.scalars(
            select(ResourceTag).where(
                ResourceTag.resource_arn == arn, ResourceTag.key == tag["Key"]
            )
        ).first()
        if row is None:
            session.add(ResourceTag(resource_arn=arn, key=tag["Key"], value=tag["Value"]))
        else:
            row.value = tag["Value"]
    session.flush()
    count = session.scalar(
        select(func.count(ResourceTag.id)).where(ResourceTag.resource_arn == arn)
    )
    if (count or 0) > MAX_TAGS:
        raise ResourceLimitExceeded(f"A resource can have at most {MAX_TAGS} tags")


def drop_tags(session: Session, arn: str) -> None:
    session.execute(delete(ResourceTag).where(ResourceTag.resource_arn == arn))


class Tagging:
    """AddTags, ListTags and DeleteTags over every taggable resource of the store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def operations(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {
            "AddTags": self.add_tags,
            "ListTags": self.list_tags,
            "DeleteTags": self.delete_tags,
        }

    @staticmethod
    def _resource_arn(f: Fields) -> str:
        return f.req_string("ResourceArn", max_len=256, pattern=RESOURCE_ARN)

    @staticmethod
    def _require(session: Session, arn: str) -> None:
        for model in _TAGGABLE:
            if session.scalars(select(model.id).where(model.arn == arn)).first() is not None:
                return
        raise ResourceNotFound(f"Resource '{arn}' does not exist", field="ResourceArn")

    def add_tags(self, body: dict[str, Any]) -> dict[str, Any]:
        f = Fields(body)
        arn = self._resource_arn(f)
        tags = read_tags(f)
        if tags is None:
            raise invalid("Tags", None, "Member must not be null")
        with self.store.write() as s:
            self._require(s, arn)
            save_tags(s, arn, tags)
        return {"Tags": tags}

    def list_tags(self, body: dict[str, Any]) -> dict[str, Any]:
        f = Fields(body)
        arn = self._resource_arn(f)
        limit = f.integer("MaxResults", minimum=50, maximum=100) or 50
        token = f.string("NextToken", max_len=8192)
        with self.store.read() as s:
            self._require(s, arn)
            rows, next_token = paginate(
                s,
                select(ResourceTag).where(ResourceTag.resource_arn == arn),
                ResourceTag.key,
                ResourceTag.id,
                ascending=True,
                limit=limit,
                token=token,
            )
        out: dict[str, Any] = {"Tags": [{"Key": r.key, "Value": r.value} for r in rows]}
        if next_token:
            out["NextToken"] = next_token
        return out

    def delete_tags(self, body: dict[str, Any]) -> dict[str, Any]:
        f = Fields(body)
        arn = self._resource_arn(f)
        keys = f.items("TagKeys", required=True, min_items=1, max_items=MAX_TAGS) or []
        for i, key in enumerate(keys):
            Fields({str(i + 1): key}, "TagKeys").req_string(str(i + 1), min_len=1, max_len=128)
            _check_text(f"TagKeys.{i + 1}", key)
        with self.store.write() as s:
            self._require(s, arn)
            s.execute(
                delete(ResourceTag).where(
                    ResourceTag.resource_arn == arn, ResourceTag.key.in_(keys)
                )
            )
        return {}
