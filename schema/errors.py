"""How expected failures reach the client: `UserError`s in mutation payloads."""

from __future__ import annotations

from typing import Awaitable, Callable, TypeVar

import strawberry

from models.errors import DomainError, ValidationFailed
from schema.enums import ErrorCode


@strawberry.type
class UserError:
    code: ErrorCode
    message: str
    field: str | None = None
    retry_after_seconds: int | None = strawberry.field(
        default=None, description="THROTTLED: the seconds to wait before trying again (the message says them too)."
    )

    @classmethod
    def from_domain(cls, error: DomainError) -> list["UserError"]:
        errors = error.errors if isinstance(error, ValidationFailed) else [error]
        return [
            cls(code=e.code, message=e.message, field=e.field, retry_after_seconds=e.retry_after_seconds)
            for e in errors
        ]


P = TypeVar("P")


async def payload(make: Callable[..., P], run: Callable[[], Awaitable[dict]]) -> P:
    """Run a use case; its result fills the payload, or its DomainError becomes `errors`."""
    try:
        values = await run()
    except DomainError as error:
        return make(errors=UserError.from_domain(error))
    return make(errors=[], **values)
