"""Every error the library raises on purpose, in one tree under :class:`HitlError`.

Each error carries the context that explains it (``error.context``: field, rule, ids). Errors that
replace a builtin exception also subclass it, so ``except ValueError`` around a call keeps working.
The AWS-shaped errors of the review service carry the error ``code`` and HTTP ``status`` AWS
answers with (one exception handler per API renders them). ``tests/api/test_error_rules.py``
checks that every exception class of the package is defined here and drawn below::

    HitlError
    ├── ConfigError                      a setting, URL, path or suite that cannot be used
    ├── ValidationError                  a value broke a rule (field, rule)
    │   └── UncertifiableTarget          the calibration data cannot certify alpha at delta
    ├── InvalidArgumentError (ValueError)        a function got a value it cannot use
    │   └── ArgumentTypeError (TypeError)        ... or a value of the wrong type
    ├── InvalidStateError (RuntimeError)         called when the object's state does not allow it
    ├── NotFoundError (KeyError)                 no entry under that name or id
    ├── MissingExtra (ImportError)               an optional part used without its extra
    ├── ModelError                       the model raised or returned something unusable
    ├── LedgerError                      the ledger cannot be opened or a write broke a rule
    │   └── ThreadInputConflict          a thread id reused with a different input
    ├── ReviewError                      a review backend failed to start, read or stop a review
    │   ├── ReviewNotFound               no review under that id
    │   └── AlreadyDecided               the review was decided already
    ├── MemoryIndexError                 the correction index is missing, corrupt or foreign
    ├── ExportError                      an export could not be written
    ├── EvalError                        an evaluation suite is invalid
    └── ServiceError                     the review service refused or failed
        ├── TemplateError                a worker template that cannot be rendered
        ├── SignedUrlError               a signed file URL refused (malformed, forged, expired)
        ├── SignInError                  a portal sign-in through OpenID Connect refused
        └── AwsError                     an error AWS models (code, status)
            ├── ValidationException              400  (sagemaker-a2i-runtime, rest-json)
            ├── ServiceQuotaExceededException    402
            ├── ResourceNotFoundException        404
            ├── ConflictException                409
            ├── ThrottlingException              429
            ├── InternalServerException          500
            ├── UnknownOperationException        404
            ├── ResourceNotFound                 400  (SageMaker control plane, JSON 1.1)
            ├── ResourceInUse                    400
            ├── ResourceLimitExceeded            400
            ├── UnknownOperation                 400
            ├── Unauthorized                     401  (worker API)
            ├── Forbidden                        403
            ├── PayloadTooLarge                  413  (the service's edge)
            ├── UnsupportedMediaType             415
            ├── CrossSiteRequest                 403
            └── AuthError                        403  a refused SigV4 signature
                ├── MissingAuthenticationTokenException
                ├── IncompleteSignatureException
                ├── InvalidSignatureException
                ├── UnrecognizedClientException
                └── AccessDeniedException
"""

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


class UncertifiableTarget(ValidationError):
    """The calibration data cannot certify ``alpha`` at ``delta``.

    ``needed_reviews`` is how many more labelled items it takes (an estimate, assuming the error
    rate seen so far; ``None`` when no amount will do because the model's most confident answers
    already err more often than ``alpha``); ``minimum_total`` is ``ln δ / ln(1 − α)``, the fewest
    accepted items that can certify ``alpha`` even with no errors at all.
    """

    def __init__(
        self,
        message: str,
        *,
        needed_reviews: int | None,
        minimum_total: int,
        n_calibration: int,
    ) -> None:
        super().__init__(
            message,
            field="alpha",
            rule="certifiable with the calibration data",
            needed_reviews=needed_reviews,
            minimum_total=minimum_total,
            n_calibration=n_calibration,
        )
        self.needed_reviews = needed_reviews
        self.minimum_total = minimum_total
        self.n_calibration = n_calibration


class InvalidArgumentError(HitlError, ValueError):
    """A function was called with a value it cannot use (a ``ValueError``, for callers that catch
    one); ``context['field']`` names the argument when there is one."""


class ArgumentTypeError(InvalidArgumentError, TypeError):
    """A function was called with a value of the wrong type (also a ``TypeError``)."""


class InvalidStateError(HitlError, RuntimeError):
    """An object was used in a state that does not allow the call (also a ``RuntimeError``): a
    closed store, a graph compiled without a checkpointer, a step out of order."""


class NotFoundError(HitlError, KeyError):
    """No entry under that name or id (also a ``KeyError``)."""


class MissingExtra(HitlError, ImportError):
    """An optional part is used without its extra installed; the message names the extra."""

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(
            f"{module} is not installed: it comes with the {extra!r} extra "
            f"(pip install 'hitl-agent[{extra}]')", module=module, extra=extra)
        self.extra = extra


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


class MemoryIndexError(HitlError):
    """The correction index is missing, corrupt, or built with another embedding."""


class ExportError(HitlError):
    """An export could not be written, or a row broke a format's rule."""


class EvalError(HitlError):
    """An evaluation suite is invalid or its data does not fit it."""


# --- the review service ----------------------------------------------------------------------


class ServiceError(HitlError):
    """The A2I-compatible review service refused a request or failed to serve it."""


class TemplateError(ServiceError):
    """A template that cannot be rendered: a Liquid syntax error, an unknown filter, a bad argument.

    ``line`` is 1-based (``None`` when the problem has no place in the source); ``message`` names
    the line and the problem (``"line 3: unknown filter 'upcas'"``); ``problem`` is the bare
    problem; ``code`` is a short machine name (``TemplateSyntaxError``, ``UnknownFilter``,
    ``TemplateRenderError``) fit for ``RenderUiTemplate``'s ``Errors[].Code``.
    """

    def __init__(
        self,
        problem: str,
        *,
        line: int | None = None,
        column: int | None = None,
        source_line: str | None = None,
        code: str = "TemplateRenderError",
    ) -> None:
        message = f"line {line}: {problem}" if line is not None else problem
        super().__init__(message, line=line, column=column, source_line=source_line, code=code)
        self.problem = problem
        self.line = line
        self.column = column
        self.source_line = source_line
        self.code = code


class SignedUrlError(ServiceError):
    """A signed file URL was refused; ``reason`` is ``malformed``, ``bad_signature`` or
    ``expired``."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message, reason=reason)
        self.reason = reason


class SignInError(ServiceError):
    """A portal sign-in through an OpenID Connect provider was refused; ``status`` is the HTTP
    status the portal answers with."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message, status=status)
        self.status = status


class AwsError(ServiceError):
    """An error AWS models: ``code`` is its AWS error code, ``status`` its HTTP status."""

    code: str = "InternalServerException"
    status: int = 500

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message, code=self.code, status=self.status, field=field)
        self.field = field


# sagemaker-a2i-runtime (rest-json) answers with A2I's statuses.
class ValidationException(AwsError):
    code, status = "ValidationException", 400


class ServiceQuotaExceededException(AwsError):
    code, status = "ServiceQuotaExceededException", 402


class ResourceNotFoundException(AwsError):
    code, status = "ResourceNotFoundException", 404


class ConflictException(AwsError):
    code, status = "ConflictException", 409


class ThrottlingException(AwsError):
    code, status = "ThrottlingException", 429


class InternalServerException(AwsError):
    code, status = "InternalServerException", 500


class UnknownOperationException(AwsError):
    code, status = "UnknownOperationException", 404


# The SageMaker control plane (JSON 1.1) answers 400 for every modelled error, as SageMaker does.
class ResourceNotFound(AwsError):
    code, status = "ResourceNotFound", 400


class ResourceInUse(AwsError):
    code, status = "ResourceInUse", 400


class ResourceLimitExceeded(AwsError):
    code, status = "ResourceLimitExceeded", 400


class UnknownOperation(AwsError):
    """JSON 1.1 services answer an unknown ``X-Amz-Target`` with this 400."""

    code, status = "UnknownOperationException", 400


# The worker API.
class Unauthorized(AwsError):
    code, status = "UnauthorizedException", 401


class Forbidden(AwsError):
    code, status = "AccessDeniedException", 403


# The service's edge: what every request is checked for before a route sees it.
class PayloadTooLarge(AwsError):
    code, status = "RequestEntityTooLargeException", 413


class UnsupportedMediaType(AwsError):
    code, status = "UnsupportedMediaTypeException", 415


class CrossSiteRequest(AwsError):
    code, status = "AccessDeniedException", 403


class AuthError(AwsError):
    """A refused signature. ``status`` is 403 on the rest-json API; JSON 1.1 answers 400."""

    status = 403


class MissingAuthenticationTokenException(AuthError):
    code = "MissingAuthenticationTokenException"


class IncompleteSignatureException(AuthError):
    code = "IncompleteSignatureException"


class InvalidSignatureException(AuthError):
    code = "InvalidSignatureException"


class UnrecognizedClientException(AuthError):
    code = "UnrecognizedClientException"


class AccessDeniedException(AuthError):
    code = "AccessDeniedException"
