"""Lazy module attributes (PEP 562): the one mechanism every package ``__init__`` (and any module
that keeps a deprecated name) uses.

A package re-exports its public names without importing every submodule up front, so importing
one light module (the review service, the CLI) does not pay for scipy, LangGraph or chromadb.
The same ``__getattr__`` keeps a moved or renamed name working for one release, with a
``DeprecationWarning`` that names its new path.

Usage, in a package ``__init__``::

    _EXPORTS = {"ReviewLoop": "hitl_agent.graph.loop"}      # name -> module that defines it
    __all__ = sorted(_EXPORTS)
    __getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)

    if TYPE_CHECKING:  # the names' real types, for type checkers and IDEs
        from hitl_agent.graph.loop import ReviewLoop as ReviewLoop

The ``TYPE_CHECKING`` twin uses the explicit re-export form (``X as X``, PEP 484), which type
checkers read as "exported on purpose"; ``tests/api/test_public_api.py`` checks every lazy name
has one.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from hitl_agent.errors import MissingExtra

__all__ = ["lazy_exports"]


def lazy_exports(
    module_globals: dict[str, Any],
    exports: Mapping[str, str] | None = None,
    *,
    deprecated: Mapping[str, str] | None = None,
    extra: str | None = None,
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for a module.

    ``exports`` maps a public name to the module that defines it (absolute, or relative to this
    package: ``".app"``); the first access imports it and caches it in the module's globals.
    ``deprecated`` maps an old name to its new home, ``"package.module:new_name"`` (or
    ``"package.module"`` when the name did not change); each access warns
    ``DeprecationWarning`` naming the new path. ``extra``: the optional extra the exports need; an
    ``ImportError`` while loading one becomes :class:`~hitl_agent.errors.MissingExtra` naming it.
    """
    module_name: str = module_globals["__name__"]
    package = module_globals.get("__package__") or module_name
    names: Mapping[str, str] = exports or {}
    old_names: Mapping[str, str] = deprecated or {}

    def __getattr__(name: str) -> Any:
        where = names.get(name)
        if where is not None:
            try:
                value = getattr(importlib.import_module(where, package), name)
            except ImportError as exc:
                if extra is None or isinstance(exc, MissingExtra):
                    raise
                raise MissingExtra(exc.name or where, extra) from exc
            module_globals[name] = value
            return value
        target = old_names.get(name)
        if target is not None:
            new_module, _, new_name = target.partition(":")
            new_name = new_name or name
            warnings.warn(
                f"{module_name}.{name} is deprecated and goes in the next release: use "
                f"{new_module}.{new_name}", DeprecationWarning, stacklevel=2)
            return getattr(importlib.import_module(new_module), new_name)
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(module_globals) | set(names))

    return __getattr__, __dir__
