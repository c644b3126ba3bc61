"""One error tree under :class:`HitlError`; every error carries the context that explains it."""

from __future__ import annotations

from typing import Any


class HitlError(Exception):
    """Base of every error the library raises on purpose.

    ``context`` holds the machine-readable facts (field, rule, ids) so that the CLI can print them
    and callers can branch on them without parsing the message.
    """

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context: dict[str, Any] = context

    def __str__(self) -> str:
        return self.message


class ConfigError(HitlError):
    """A setting, URL, path or suite that cannot be used as given."""


class ValidationError(HitlError):
    """A value broke a rule; ``context['field']`` and ``context['rule']`` say which."""

    def __init__(self, message: str, *, field: str, rule: str, **context: Any) -> None:
        super().__init__(message, field=field, rule=rule, **context)
        self.field = field
        self.rule = rule


class ModelError(HitlError):
    """The model raised or returned something unusable (NaN probabilities, empty output)."""


class LedgerError(HitlError):
    """The ledger cannot be opened or a write to it broke an invariant."""


class ThreadInputConflict(LedgerError):
    """A thread id was reused with a different input."""


class ReviewError(HitlError):
    """A review backend failed to start, read or stop a review."""


class ReviewNotFound(ReviewError):
    """No review exists under that id."""


class AlreadyDecided(ReviewError):
    """The review was decided already: this resume lost the compare-and-set."""


class ServiceError(HitlError):
    """The A2I-compatible review service answered with an error."""


class MemoryIndexError(HitlError):
    """The correction index is missing, corrupt, or built with another embedding."""


class ExportError(HitlError):
    """An export could not be written, or a row broke a format's rule."""


class EvalError(HitlError):
    """An evaluation suite is invalid or its data does not fit it."""


class MissingExtra(HitlError, ImportError):
    """An optional part is used without its extra installed; the message names the extra."""

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(
            f"{module} is not installed: it comes with the {extra!r} extra "
            f"(pip install 'hitl-agent[{extra}]')", module=module, extra=extra)
        self.extra = extra
