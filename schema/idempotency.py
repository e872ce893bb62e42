"""The `Idempotency-Key` header of mutations that create something.

A client that did not hear the answer (the connection dropped while COMMIT was answered) sends
the mutation again with the same key: if the first try committed, the answer describes what it
created, as it is now, and nothing is created twice; if it did not, the mutation runs. The key is
written in the transaction of what it created (models/idempotency.py), per user, and kept at
least MCS_IDEMPOTENCY_KEY_HOURS. The same key with another operation or another input is
refused (CONFLICT). A replay repeats no warnings (they were advice about the first try).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date, datetime
from enum import Enum
from typing import Awaitable, Callable, Protocol, TypeVar

import strawberry
from sqlalchemy.exc import IntegrityError

from models.db import hooked
from models.errors import DomainError, ErrorCode, validation
from models.idempotency import MAX_KEY_LENGTH, IdempotencyKey, PendingKey, find_key, key_exists
from schema.errors import UserError, payload

HEADER = "idempotency-key"


class Payload(Protocol):
    """A mutation's payload: its `errors`, empty when the use case succeeded."""

    @property
    def errors(self) -> list[UserError]: ...


P = TypeVar("P", bound=Payload)
Replay = Callable[[object, IdempotencyKey], Awaitable[dict]]  # (session, key) -> the payload's values


def header_key(context) -> str | None:
    """The header's value on an HTTP request; None when absent (websocket mutations have none)."""
    request = getattr(context, "request", None)
    headers = getattr(request, "headers", None)
    if headers is None or getattr(request, "scope", {}).get("type") != "http":
        return None
    return headers.get(HEADER)


def fingerprint(value) -> str:
    return hashlib.sha256(json.dumps(_plain(value), sort_keys=True, default=str).encode()).hexdigest()


def _plain(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # a password never enters the fingerprint (it is stored): another password is "the same input"
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value) if "password" not in f.name}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is strawberry.UNSET:
        return "<unset>"
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if hasattr(value, "filename") and hasattr(value, "read"):  # an upload: its name and size
        return {"file": value.filename, "size": getattr(value, "size", None)}
    return value


async def idempotent_payload(
    info, operation: str, input, make: Callable[..., P], run: Callable[[], Awaitable[dict]], replay: Replay
) -> P:
    """`payload(make, run)`, made safe to retry under an Idempotency-Key."""
    ctx = info.context
    key = header_key(ctx)
    if key is None or ctx.principal is None:  # without a caller the use case refuses anyway
        return await payload(make, run)
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        return make(
            errors=UserError.from_domain(
                validation(
                    f"El encabezado Idempotency-Key debe tener de 1 a {MAX_KEY_LENGTH} caracteres ASCII visibles.",
                    "Idempotency-Key",
                )
            )
        )
    user_id, digest = ctx.principal.user_id, fingerprint(input)
    if (answer := await _replayed(ctx, make, user_id, key, operation, digest, replay)) is not None:
        return answer
    pending = PendingKey(user_id=user_id, key=key, operation=operation, fingerprint=digest, now=ctx.clock.now())
    try:
        with hooked(pending):
            result = await payload(make, run)
    except IntegrityError:
        # a concurrent try with this key committed first (its row is what we collided with)
        if (answer := await _replayed(ctx, make, user_id, key, operation, digest, replay)) is not None:
            return answer
        raise
    if result.errors and not pending.recorded:
        # refused: perhaps because the concurrent try committed it first (a unique code taken)
        if (answer := await _replayed(ctx, make, user_id, key, operation, digest, replay)) is not None:
            return answer
    return result


async def _replayed(ctx, make, user_id: int, key: str, operation: str, digest: str, replay: Replay):
    async with ctx.services.db.single_read() as connection:
        if not await key_exists(connection, user_id, key):  # the usual answer, in one round trip
            return None
    async with ctx.services.db.session() as session:
        found = await find_key(session, user_id, key)
        if found is None:
            return None
        if found.operation != operation or found.fingerprint != digest:
            return make(
                errors=UserError.from_domain(
                    DomainError(
                        ErrorCode.CONFLICT,
                        "Esta clave Idempotency-Key ya se usó para otra operación u otros datos; "
                        "use una clave nueva para cada operación nueva.",
                        "Idempotency-Key",
                    )
                )
            )
        return make(errors=[], **await replay(session, found))
