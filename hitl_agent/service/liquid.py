"""Liquid as Amazon A2I renders worker task templates.

A2I renders a worker template with Liquid and a few changes of its own (SageMaker Developer Guide,
"Create Custom Worker Task Template"); this module reproduces them on python-liquid:

- **Autoescape is on**, for values *and* for string literals: ``{{ "'James & co'" }}`` prints
  ``&#39;James &amp; co&#39;``. (python-liquid trusts literals; we do not.)
- **The AWS filters**: ``escape`` (never double-escapes), ``escape_once`` (``&amp;`` stays
  ``&amp;``), ``skip_autoescape`` (raw HTML, for trusted content only), ``to_json`` (undefined →
  ``null``; the result is still escaped for HTML, so it is safe inside an attribute and decoded by
  the browser) and ``grant_read_access`` (an S3 URL → a short-lived signed URL).
- **Lists and objects print as JSON**: ``initial-value="{{ task.input.blocks }}"`` gives a JSON
  array, as the built-in Textract and Rekognition templates expect.
- **Undefined variables print nothing**, as on A2I; :func:`check_template` lists them.
- **Unknown filters are errors** (python-liquid's strict filters), found before rendering, so a
  typo never gives a worker a silently wrong page.

The template sees one variable, ``task``, with ``task.input`` = the human loop's input content.

>>> render_template("<b>{{ task.input.name }}</b>", {"name": "<i>Ann</i>"})
'<b>&lt;i&gt;Ann&lt;/i&gt;</b>'
"""

from __future__ import annotations

import contextvars
import html
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from liquid import Environment, Markup, Mode, RenderContext, Undefined, escape
from liquid.ast import Node
from liquid.builtin.expressions import StringLiteral
from liquid.builtin.output import Output, OutputNode
from liquid.builtin.tags.echo_tag import EchoNode, EchoTag
from liquid.builtin.tags.for_tag import ForNode, ForTag
from liquid.exceptions import (
    LiquidError,
    LiquidSyntaxError,
    ResourceLimitError,
    TemplateNotFoundError,
    UnknownFilterError,
)
from liquid.expression import Expression
from liquid.stringify import to_liquid_string
from liquid.template import BoundTemplate
from liquid.token import Token

from hitl_agent.errors import TemplateError
from hitl_agent.s3_uri import parse_s3_url

__all__ = [
    "AWS_CROWD_ELEMENTS",
    "SUPPORTED_CROWD_ELEMENTS",
    "TemplateError",
    "TemplateIssue",
    "TemplateReport",
    "UrlSigner",
    "check_template",
    "render_template",
]

UrlSigner = Callable[[str], str]
"""Turns ``s3://bucket/key`` into a URL a browser can fetch for a short while."""

SUPPORTED_CROWD_ELEMENTS: frozenset[str] = frozenset(
    {
        "crowd-form",
        "crowd-button",
        "crowd-classifier",
        "crowd-classifier-multi-select",
        "crowd-image-classifier",
        "crowd-image-classifier-multi-select",
        "crowd-input",
        "crowd-text-area",
        "crowd-radio-group",
        "crowd-radio-button",
        "crowd-checkbox",
        "crowd-toggle-button",
        "crowd-slider",
        "crowd-alert",
        "crowd-badge",
        "crowd-card",
        "crowd-instructions",
        "crowd-bounding-box",
        "crowd-keypoint",
        "crowd-polygon",
        "crowd-line",
        "crowd-polyline",
        "crowd-entity-annotation",
        "crowd-textract-analyze-document",
        "crowd-rekognition-detect-moderation-labels",
    }
)
"""The crowd elements that ``static/crowd-elements.js`` implements."""

AWS_CROWD_ELEMENTS: frozenset[str] = SUPPORTED_CROWD_ELEMENTS | frozenset(
    {
        "crowd-fab",
        "crowd-icon-button",
        "crowd-instance-segmentation",
        "crowd-semantic-segmentation",
        "crowd-modal",
        "crowd-tab",
        "crowd-tabs",
        "crowd-toast",
        "crowd-tooltip",
        "crowd-question-answer-generation",
        "crowd-text-ranking",
    }
)
"""Every crowd element AWS documents; the ones not in :data:`SUPPORTED_CROWD_ELEMENTS` work on
A2I but render as plain containers here."""

_RE_CROWD_TAG = re.compile(r"<\s*(crowd-[a-z0-9-]+)", re.IGNORECASE)


# --- errors and reports ----------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateIssue:
    """One finding of :func:`check_template`.

    ``kind`` is one of ``error``, ``undefined_variable``, ``unknown_element`` (no such AWS
    element: a typo) or ``unsupported_element`` (an AWS element the local library draws as a plain
    container).
    """

    kind: str
    message: str
    line: int | None = None
    name: str | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{where}{self.message}"


@dataclass
class TemplateReport:
    """What :func:`check_template` found: the HTML (when it rendered), errors and warnings."""

    html: str | None = None
    errors: list[TemplateIssue] = field(default_factory=list)
    warnings: list[TemplateIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self, *, include_html: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": self.ok,
            "errors": [asdict(e) for e in self.errors],
            "warnings": [asdict(w) for w in self.warnings],
        }
        if include_html:
            out["html"] = self.html
        return out


# --- undefined variables are recorded, then render empty -------------------------------------

_url_signer: contextvars.ContextVar[UrlSigner | None] = contextvars.ContextVar(
    "hitl_liquid_url_signer", default=None
)
_seen_undefined: contextvars.ContextVar[list[tuple[str, int | None]] | None] = (
    contextvars.ContextVar("hitl_liquid_undefined", default=None)
)


def _line_of(token: Token | None) -> int | None:
    if token is None or token.start_index < 0:
        return None
    return token.source.count("\n", 0, token.start_index) + 1


class _RecordingUndefined(Undefined):
    """Renders as nothing, like A2I, but remembers the path that was missing and where."""

    __slots__ = ()

    def __init__(
        self,
        name: str,
        *,
        token: Token | None = None,
        obj: object = None,
        hint: str | None = None,
    ) -> None:
        if obj is None:
            super().__init__(name, token=token, hint=hint)
        else:
            super().__init__(name, token=token, obj=obj, hint=hint)
        seen = _seen_undefined.get()
        if seen is not None and token is not None:
            path = name
            if hint and hint.endswith(" is undefined"):
                path = hint[: -len(" is undefined")].strip("'")
            seen.append((path, _line_of(token)))


# --- output: escape everything, print lists and objects as JSON ------------------------------


def _json_default(obj: object) -> object:
    if isinstance(obj, Undefined):
        return None
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    return str(obj)


def _to_json_text(value: object) -> str:
    if isinstance(value, Undefined):
        return "null"
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def _stringify(value: object) -> str:
    if isinstance(value, (list, tuple, dict)) and not hasattr(value, "__html__"):
        value = _to_json_text(value)
    return to_liquid_string(value, autoescape=True)


RENDER_TIME_BUDGET_S = 2.0
"""Longest one render may take (RenderUiTemplate, the portal's task page): past it the render
stops with a TemplateError naming the line it had reached."""
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "hitl_liquid_deadline", default=None
)


def _check_time(token: Token | None) -> None:
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() > deadline:
        raise ResourceLimitError(
            f"the template took longer than its render budget of {RENDER_TIME_BUDGET_S:g} s",
            token=token,
        )


class _BudgetContext(RenderContext):
    """Checks the time budget each time a loop starts (nested loops: every outer iteration)."""

    def raise_for_loop_limit(self, length: int = 1) -> None:
        super().raise_for_loop_limit(length)
        _check_time(None)


class _BudgetTemplate(BoundTemplate):
    context_class = _BudgetContext


class _BudgetForNode(ForNode):
    """A ``for`` whose resource errors name its line."""

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        try:
            return super().render_to_output(context, buffer)
        except ResourceLimitError as err:
            if err.token is None:
                err.token = self.token
            raise


class _BudgetFor(ForTag):
    node_class = _BudgetForNode


class _AwsOutputNode(OutputNode):
    __slots__ = ()

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        _check_time(self.token)
        return buffer.write(_stringify(self.expression.evaluate(context)))

    async def render_to_output_async(self, context: RenderContext, buffer: TextIO) -> int:
        return buffer.write(_stringify(await self.expression.evaluate_async(context)))


class _AwsOutput(Output):
    node_class = _AwsOutputNode


class _AwsEchoNode(EchoNode):
    __slots__ = ()

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        return buffer.write(_stringify(self.expression.evaluate(context)))

    async def render_to_output_async(self, context: RenderContext, buffer: TextIO) -> int:
        return buffer.write(_stringify(await self.expression.evaluate_async(context)))


class _AwsEcho(EchoTag):
    node_class = _AwsEchoNode


class _EscapedStringLiteral(StringLiteral):
    """A string literal that autoescape treats like any other value (A2I escapes literals)."""

    __slots__ = ()

    def evaluate(self, context: RenderContext) -> str:
        return self.value


def _expressions_under(nodes: Iterable[Node], context: RenderContext) -> Iterator[Expression]:
    stack: list[Node] = list(nodes)
    while stack:
        node = stack.pop()
        exprs: list[Expression] = list(node.expressions())
        while exprs:
            expr = exprs.pop()
            yield expr
            exprs.extend(expr.children())
        stack.extend(node.children(context, include_partials=False))


def _untrust_string_literals(template: BoundTemplate) -> None:
    context = RenderContext(template)
    for expr in _expressions_under(template.nodes, context):
        if type(expr) is StringLiteral:
            expr.__class__ = _EscapedStringLiteral


# --- the AWS filters -------------------------------------------------------------------------


def _escape(value: object) -> Markup:
    """HTML-escape once: a value that is already markup is left alone."""
    if isinstance(value, Undefined):
        return Markup("")
    return escape(value)


def _escape_once(value: object) -> Markup:
    """Escape, leaving existing entities as they are: ``&amp;`` stays ``&amp;``."""
    if isinstance(value, Undefined):
        return Markup("")
    return escape(html.unescape(str(value)))


def _skip_autoescape(value: object) -> Markup:
    """Mark a value as HTML (for trusted content only: it is an XSS hole for model output)."""
    if isinstance(value, Undefined):
        return Markup("")
    if isinstance(value, (list, tuple, dict)):
        return Markup(_to_json_text(value))
    return Markup(str(value))


def _to_json(value: object) -> str:
    """JSON-encode a value; an undefined value is ``null``. Autoescape still applies."""
    return _to_json_text(value)


def _grant_read_access(value: object) -> str:
    """An S3 URL → a short-lived signed URL; other URLs pass through unchanged."""
    if isinstance(value, Undefined) or value is None:
        return ""
    # A captured value is already HTML-escaped text: recover the URL the author wrote.
    url = html.unescape(str(value)) if hasattr(value, "__html__") else str(value)
    url = url.strip()
    location = parse_s3_url(url)
    signer = _url_signer.get()
    if location is None or signer is None or "X-Amz-Signature=" in url:
        return url
    return signer(location.uri)


# --- the environment -------------------------------------------------------------------------


class _A2IEnvironment(Environment):
    """python-liquid configured as A2I: strict filters, AWS output rules, resource limits."""

    loop_iteration_limit = 200_000
    output_stream_limit = 4 * 1024 * 1024
    context_depth_limit = 30
    template_class = _BudgetTemplate

    def __init__(self) -> None:
        super().__init__(
            autoescape=True,
            strict_filters=True,
            tolerance=Mode.STRICT,
            undefined=_RecordingUndefined,
        )
        self.add_tag(_AwsOutput)
        self.add_tag(_BudgetFor)
        self.add_tag(_AwsEcho)
        self.add_filter("escape", _escape)
        self.add_filter("escape_once", _escape_once)
        self.add_filter("skip_autoescape", _skip_autoescape)
        self.add_filter("to_json", _to_json)
        self.add_filter("grant_read_access", _grant_read_access)


_ENV = _A2IEnvironment()


def _fails_like(source: str, message: object) -> bool:
    try:
        _ENV.from_string(source)
    except LiquidError as err:
        return err.message == message
    return False


def _locate_at_eof(source: str, message: object) -> int | None:
    """The first line at which a prefix of the source fails with the same error.

    python-liquid reports errors found at the end of the input (an unclosed ``{% if %}``) with
    no position; the shortest failing prefix ends on the line that opened the trouble.
    """
    lines = source.splitlines(keepends=True)
    lo, hi = 1, len(lines)
    if hi == 0 or not _fails_like("".join(lines), message):
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if _fails_like("".join(lines[:mid]), message):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _template_error(err: LiquidError, source: str) -> TemplateError:
    ctx = err.context()
    line = ctx[0] if ctx else None
    column = ctx[1] if ctx else None
    source_line = ctx[3] if ctx else None
    problem = str(err.message) if err.message else type(err).__name__
    if isinstance(err, UnknownFilterError):
        code = "UnknownFilter"
    elif isinstance(err, LiquidSyntaxError):
        code = "TemplateSyntaxError"
        if line is None:
            line = _locate_at_eof(source, err.message)
            if line is not None:
                source_line = source.splitlines()[line - 1].rstrip()
            if problem.startswith("expected tag end"):
                problem += " (a block opened here is never closed)"
    elif isinstance(err, TemplateNotFoundError):
        code = "TemplateRenderError"
        problem = f"template {problem!r} not found: A2I templates cannot include other templates"
    else:
        code = "TemplateRenderError"
    return TemplateError(problem, line=line, column=column, source_line=source_line, code=code)


def _parse(source: str) -> BoundTemplate:
    try:
        template = _ENV.from_string(source)
    except LiquidError as err:
        raise _template_error(err, source) from err
    # Unknown filters anywhere in the template, not only on the branch this input takes.
    analysis = template.analyze(include_partials=False)
    for name, spans in analysis.filters.items():
        if name not in _ENV.filters:
            first = spans[0]
            line, column = first.line_col(source)
            raise TemplateError(
                f"unknown filter {name!r}",
                line=line,
                column=column,
                source_line=source.splitlines()[line - 1] if source else None,
                code="UnknownFilter",
            )
    _untrust_string_literals(template)
    return template


def _render(
    source: str, task_input: Mapping[str, Any], url_signer: UrlSigner | None
) -> tuple[str, list[tuple[str, int | None]]]:
    template = _parse(source)
    seen: list[tuple[str, int | None]] = []
    token = _seen_undefined.set(seen)
    signer_token = _url_signer.set(url_signer)
    deadline_token = _deadline.set(time.monotonic() + RENDER_TIME_BUDGET_S)
    try:
        html_out = template.render(task={"input": dict(task_input)})
    except LiquidError as err:
        raise _template_error(err, source) from err
    except (TypeError, ValueError, ArithmeticError, RecursionError) as err:
        raise TemplateError(f"{type(err).__name__}: {err}") from err
    finally:
        _deadline.reset(deadline_token)
        _url_signer.reset(signer_token)
        _seen_undefined.reset(token)
    return html_out, seen


def render_template(
    source: str, task_input: Mapping[str, Any], *, url_signer: UrlSigner | None = None
) -> str:
    """Render an A2I worker template for one task input, as A2I would.

    ``task_input`` is what the template sees as ``task.input`` (the loop's ``InputContent``).
    ``url_signer`` turns ``s3://bucket/key`` into a fetchable URL for ``grant_read_access``;
    without one, S3 URLs are left as written.

    Raises :class:`TemplateError` naming the line and the problem.
    """
    html_out, _ = _render(source, task_input, url_signer)
    return html_out


def _element_issues(html_out: str) -> list[TemplateIssue]:
    issues: list[TemplateIssue] = []
    reported: set[str] = set()
    for match in _RE_CROWD_TAG.finditer(html_out):
        name = match.group(1).lower()
        if name in SUPPORTED_CROWD_ELEMENTS or name in reported:
            continue
        reported.add(name)
        line = html_out.count("\n", 0, match.start()) + 1
        if name in AWS_CROWD_ELEMENTS:
            issues.append(
                TemplateIssue(
                    "unsupported_element",
                    f"<{name}> works on A2I but the local element library shows it as a "
                    "plain container",
                    line=line,
                    name=name,
                )
            )
        else:
            issues.append(
                TemplateIssue(
                    "unknown_element",
                    f"<{name}> is not a crowd element A2I knows (a typo?); it will render as "
                    "an empty unknown tag",
                    line=line,
                    name=name,
                )
            )
    return issues


def check_template(
    source: str, task_input: Mapping[str, Any], *, url_signer: UrlSigner | None = None
) -> TemplateReport:
    """Render and report: errors (the template cannot render) and warnings.

    Warnings are undefined variables used (they render empty, as on A2I; lines are template
    lines) and crowd elements that A2I does not know or that the local library does not draw
    (lines are lines of the rendered HTML). Never raises :class:`TemplateError`.
    """
    report = TemplateReport()
    try:
        html_out, seen = _render(source, task_input, url_signer)
    except TemplateError as err:
        report.errors.append(TemplateIssue("error", err.problem, line=err.line, name=err.code))
        return report
    report.html = html_out
    reported: set[str] = set()
    for path, line in seen:
        if path in reported:
            continue
        reported.add(path)
        report.warnings.append(
            TemplateIssue(
                "undefined_variable",
                f"{path} is undefined (renders empty)",
                line=line,
                name=path,
            )
        )
    report.warnings.extend(_element_issues(html_out))
    return report
