"""The choices a task offers, read from its rendered template, and answers checked against them.

A classifier element (``crowd-classifier``, ``crowd-image-classifier`` and their
``-multi-select`` forms) submits ``{name: {"label": c}}`` or ``{name: {"labels": [c, ...]}}``
where each ``c`` is one of its ``categories`` (or its ``exclusion-category`` text). An answer that
names anything else could not have come from the task's page; it is refused with the member and
the rule named, so no path (portal, worker API, CLI) records an answer outside the choices.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from .errors import ValidationException

SINGLE = ("crowd-classifier", "crowd-image-classifier")
MULTI = ("crowd-classifier-multi-select", "crowd-image-classifier-multi-select")
_EXCLUSION_TEXT = re.compile(r"""text\s*:\s*(?:'([^']*)'|"([^"]*)")""")


@dataclass(frozen=True)
class Choices:
    name: str
    categories: tuple[str, ...]
    multi: bool


def _categories(raw: str | None) -> list[str] | None:
    """``categories`` as AWS's samples write it: JSON, or a Python-style list in single quotes."""
    if not raw:
        return None
    for text in (raw, re.sub(r"'((?:[^'\\]|\\.)*)'", lambda m: json.dumps(m.group(1)), raw)):
        try:
            value = json.loads(text)
        except ValueError:
            continue
        if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
            return [str(v) for v in value]
    return None


class _Finder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[Choices] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in SINGLE + MULTI:
            return
        a = dict(attrs)
        name, categories = a.get("name"), _categories(a.get("categories"))
        if not name or categories is None:
            return  # choices given some other way (script): nothing to check against
        exclusion = _EXCLUSION_TEXT.search(a.get("exclusion-category") or "")
        if exclusion:
            categories.append(exclusion.group(1) or exclusion.group(2) or "")
        self.found.append(Choices(name, tuple(categories), tag in MULTI))


def choices_of(rendered_html: str) -> list[Choices]:
    finder = _Finder()
    finder.feed(rendered_html)
    finder.close()
    return finder.found


def check_answer(answer: dict[str, Any], choices: list[Choices]) -> None:
    """Raise :class:`ValidationException` when ``answer`` picks something no element offers."""
    for c in choices:
        value = answer.get(c.name)
        if value is None:
            continue
        key = "labels" if c.multi else "label"
        member = f"answerContent.{c.name}.{key}"
        picked = value.get(key) if isinstance(value, dict) else None
        if c.multi:
            if not isinstance(picked, list) or not all(isinstance(p, str) for p in picked):
                raise ValidationException(f"{member}: must be a list of category names",
                                          field=member)
        elif not isinstance(picked, str):
            raise ValidationException(f"{member}: must be one category name", field=member)
        for p in picked if isinstance(picked, list) else [picked]:
            if p not in c.categories:
                shown = ", ".join(c.categories)
                raise ValidationException(
                    f"{member}: {p[:80]!r} is not one of the task's choices ({shown[:300]})",
                    field=member,
                )
