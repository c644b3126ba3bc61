"""Keep LangGraph's interrupts alive through user code that catches errors.

``interrupt()`` pauses a graph by *raising* (``GraphInterrupt``, a ``GraphBubbleUp``). A generic
``except Exception`` around it, or around anything that calls it (a tool, a subgraph, a helper),
swallows the pause: the node returns normally, the graph never waits, and the review is silently
lost. LangGraph's docs say "do not wrap interrupt calls in try/except"; in real code the ``try``
is often several calls away from the ``interrupt()``.

Three ways to stay safe:

- order the handlers: ``except GraphBubbleUp: raise`` before any ``except Exception``;
- use :func:`hitl_safe` where you would write ``try: ... except Exception: log``::

      with hitl_safe(on_error=log.warning):
          answer = interrupt(request)        # pauses the graph as it should
          send(answer)                       # an error here is logged and suppressed

  or as a decorator, with a value to return when the body fails::

      @hitl_safe(default="unavailable")
      def lookup(state): ...

- run :func:`find_swallowed_interrupts` over your sources in CI: it reports every broad handler
  whose ``try`` body may raise an interrupt and that has no earlier ``GraphBubbleUp`` handler.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, ParamSpec, TypeVar, overload

from langgraph.errors import GraphBubbleUp

from hitl_agent.errors import ArgumentTypeError

P = ParamSpec("P")
R = TypeVar("R")

__all__ = [
    "SwallowedInterrupt",
    "find_swallowed_interrupts",
    "hitl_safe",
    "is_interrupt",
    "reraise_interrupt",
]


def is_interrupt(exc: BaseException) -> bool:
    """True for LangGraph's control-flow exceptions (interrupts, parent commands)."""
    return isinstance(exc, GraphBubbleUp)


def reraise_interrupt(exc: BaseException) -> None:
    """Re-raise ``exc`` if it is a LangGraph interrupt; call first thing in a broad handler::

        except Exception as exc:
            reraise_interrupt(exc)
            ...
    """
    if isinstance(exc, GraphBubbleUp):
        raise exc


class _HitlSafe:
    """The context manager / decorator returned by :func:`hitl_safe`."""

    def __init__(
        self,
        catch: tuple[type[BaseException], ...],
        on_error: Callable[[BaseException], object] | None,
        default: Any,
    ) -> None:
        self.catch = catch
        self.on_error = on_error
        self.default = default
        self.error: BaseException | None = None

    def __enter__(self) -> _HitlSafe:
        self.error = None
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if exc is None or isinstance(exc, GraphBubbleUp):
            return False  # nothing happened, or a pause: let it through
        if not isinstance(exc, self.catch):
            return False
        self.error = exc
        if self.on_error is not None:
            self.on_error(exc)
        return True

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            guard = _HitlSafe(self.catch, self.on_error, self.default)
            with guard:
                return fn(*args, **kwargs)
            return guard.default  # type: ignore[no-any-return]  # the body failed

        return wrapper


@overload
def hitl_safe(fn: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def hitl_safe(
    *catch: type[BaseException],
    on_error: Callable[[BaseException], object] | None = None,
    default: Any = None,
) -> _HitlSafe: ...


def hitl_safe(
    *catch: Any,
    on_error: Callable[[BaseException], object] | None = None,
    default: Any = None,
) -> Any:
    """Suppress errors of the ``catch`` types (default ``Exception``), never an interrupt.

    As a context manager the suppressed error is kept in ``.error``; as a decorator the wrapped
    function returns ``default`` when its body failed. ``on_error`` is called with each
    suppressed error (log it). ``@hitl_safe`` without parentheses works too.
    """
    if len(catch) == 1 and callable(catch[0]) and not isinstance(catch[0], type):
        return _HitlSafe((Exception,), on_error, default)(catch[0])
    for kind in catch:
        if not (isinstance(kind, type) and issubclass(kind, BaseException)):
            raise ArgumentTypeError(f"hitl_safe catches exception types, got {kind!r}",
                                    field="catch")
    return _HitlSafe(tuple(catch) or (Exception,), on_error, default)


# -- the lint ------------------------------------------------------------------------------------

_BROAD = {"Exception", "BaseException"}
_SAFE = {"GraphBubbleUp", "GraphInterrupt"}


@dataclass(frozen=True)
class SwallowedInterrupt:
    """A handler that can swallow an interrupt: where it is and why."""

    path: str
    line: int
    handler: str

    def __str__(self) -> str:
        return (f"{self.path}:{self.line}: '{self.handler}' can swallow a LangGraph interrupt; "
                "add 'except GraphBubbleUp: raise' before it or use hitl_safe()")


def _names(node: ast.expr | None) -> set[str]:
    if node is None:
        return {"<bare>"}
    if isinstance(node, ast.Tuple):
        out: set[str] = set()
        for elt in node.elts:
            out |= _names(elt)
        return out
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, ast.Attribute):
        return {node.attr}
    return set()


def _calls(body: Iterable[ast.stmt], names: set[str]) -> bool:
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call):
                fn = node.func
                name = fn.id if isinstance(fn, ast.Name) else (
                    fn.attr if isinstance(fn, ast.Attribute) else "")
                if name in names:
                    return True
    return False


def find_swallowed_interrupts(
    paths: Iterable[str | Path],
    *,
    pausing_calls: Iterable[str] = ("interrupt",),
    strict: bool = False,
) -> list[SwallowedInterrupt]:
    """Broad ``except`` handlers (bare, ``Exception``, ``BaseException``) with no earlier
    ``except GraphBubbleUp``/``GraphInterrupt`` handler in the same ``try``.

    By default only ``try`` bodies that call one of ``pausing_calls`` (``interrupt``; add your
    own helpers that pause, or graph ``invoke`` calls) are reported; ``strict=True`` reports every
    broad handler, for code where any call may reach an interrupt (tools, nodes).
    """
    wanted = set(pausing_calls)
    found: list[SwallowedInterrupt] = []
    files: list[Path] = []
    for p in paths:
        path = Path(p)
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    for file in files:
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Try):
                continue
            if not strict and not _calls(node.body, wanted):
                continue
            for handler in node.handlers:
                names = _names(handler.type)
                if names & _SAFE:
                    break  # an earlier handler re-raises interrupts (or handles them on purpose)
                if names & (_BROAD | {"<bare>"}):
                    label = "except" if handler.type is None else (
                        f"except {ast.unparse(handler.type)}")
                    found.append(SwallowedInterrupt(str(file), handler.lineno, label))
    return found
