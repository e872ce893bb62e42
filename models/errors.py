"""Expected failures of the domain. Resolvers turn them into `UserError` payload entries."""

from __future__ import annotations

from enum import Enum


class ErrorCode(str, Enum):
    VALIDATION = "VALIDATION"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    CONFLICT = "CONFLICT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    THROTTLED = "THROTTLED"
    STORAGE_FULL = "STORAGE_FULL"  # the server's disk for files is full: nothing was written


class DomainError(Exception):
    """One expected failure: a code, a message in Spanish for the end user, the input field."""

    def __init__(
        self, code: ErrorCode, message: str, field: str | None = None, *, retry_after_seconds: int | None = None
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.retry_after_seconds = retry_after_seconds  # THROTTLED: the wait the message states

    @property
    def extensions(self) -> dict:
        """Copied by graphql-core into the GraphQL error when one escapes a query resolver."""
        return {
            "code": self.code.value,
            **({"field": self.field} if self.field else {}),
            **({"retryAfterSeconds": self.retry_after_seconds} if self.retry_after_seconds is not None else {}),
        }


class ValidationFailed(DomainError):
    """Several validation problems found at once (one per field)."""

    def __init__(self, errors: list[DomainError]):
        super().__init__(errors[0].code, errors[0].message, errors[0].field)
        self.errors = errors


def validation(message: str, field: str | None = None) -> DomainError:
    return DomainError(ErrorCode.VALIDATION, message, field)


def not_found(message: str = "No existe o no tiene acceso.", field: str | None = None) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, message, field)


def forbidden(message: str = "No tiene permiso para esta acción.", field: str | None = None) -> DomainError:
    return DomainError(ErrorCode.FORBIDDEN, message, field)


# --- Spanish messages about a field, in agreement with its label's article --------------------

_AGREEMENT = {
    "el": ("obligatorio", "admite"),
    "la": ("obligatoria", "admite"),
    "los": ("obligatorios", "admiten"),
    "las": ("obligatorias", "admiten"),
}


def _agreement(label: str) -> tuple[str, str]:
    """«Las observaciones» → ("obligatorias", "admiten"); a label starts with its article."""
    article = label.split(" ", 1)[0].lower()
    if article not in _AGREEMENT:
        raise ValueError(f"a field label starts with el/la/los/las: {label!r}")
    return _AGREEMENT[article]


def required_message(label: str) -> str:
    adjective, verb = _agreement(label)
    return f"{label} {'son' if verb == 'admiten' else 'es'} {adjective}."


def too_long_message(label: str, maximum: int) -> str:
    return f"{label} {_agreement(label)[1]} a lo más {maximum:,} caracteres."
