"""The service's AWS-shaped errors (one class per modelled AWS error, each carrying its code and
HTTP status). They are defined in :mod:`hitl_agent.errors`, with every other error of the package;
this module keeps the old import path.

Backends raise these; one exception handler per API renders them (see ``responses.py``).
"""

from __future__ import annotations

from hitl_agent.errors import (
    AwsError,
    ConflictException,
    Forbidden,
    InternalServerException,
    ResourceInUse,
    ResourceLimitExceeded,
    ResourceNotFound,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ThrottlingException,
    Unauthorized,
    UnknownOperation,
    UnknownOperationException,
    ValidationException,
)

__all__ = [
    "AwsError", "ConflictException", "Forbidden", "InternalServerException", "ResourceInUse",
    "ResourceLimitExceeded", "ResourceNotFound", "ResourceNotFoundException",
    "ServiceQuotaExceededException", "ThrottlingException", "Unauthorized", "UnknownOperation",
    "UnknownOperationException", "ValidationException",
]
