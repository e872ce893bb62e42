"""Subscription streams: the events a subscriber may see, in sequence order, replayed from its
cursor and then live, with no gap and no duplicate.

Two sources feed one loop. At the start, and whenever its buffer overflowed, the stream reads
from its cursor in the database (the events table is the source of truth). Otherwise it takes
what the hub handed it (realtime/hub.py), skipping anything at or before its cursor. Events
written during a replay are either read by it or queued after it, so nothing falls between.
Each delivered event is resolved in a fresh database scope with fresh DataLoaders, seeded with
what the hub already read.
"""

from __future__ import annotations

import asyncio
import logging
from typing import AsyncGenerator

from sqlalchemy import exists, func, select
from sqlalchemy.exc import DBAPIError, TimeoutError as PoolTimeoutError

from models.documents import Document
from models.errors import DomainError, not_found
from models.events import Event, EventAudience
from models.permissions import Principal, visible_documents, visible_events
from realtime.batch import EventBatch
from realtime.hub import Delivery, Subscription
from models.principals import read_principal
from resolvers.context import Context

log = logging.getLogger("mcs.realtime")

BATCH = 100
BACKLOG_TOO_LARGE = "BACKLOG_TOO_LARGE"


class StreamError(DomainError):
    """Ends a subscription with an error the client can act on."""

    def __init__(self, code: str, message: str):
        Exception.__init__(self, message)
        self.code, self.message, self.field = code, message, None  # type: ignore[assignment]  # a str code of its own, not an ErrorCode

    @property
    def extensions(self) -> dict:
        return {"code": self.code}


def _candidates(principal: Principal, document_id: int | None):
    """SQL twin of Subscription.wants: the events after a cursor this subscriber receives."""
    clauses = [visible_events(principal)]
    if document_id is not None:
        clauses.append(Event.document_id == document_id)
    elif not principal.is_admin:
        clauses.append(
            exists(
                select(1).where(
                    EventAudience.event_id == Event.id, EventAudience.unit_id.in_(sorted(principal.unit_ids))
                )
            )
        )
    return clauses


async def event_stream(
    ctx: Context, *, after_sequence: int | None, document_id: int | None = None
) -> AsyncGenerator[tuple[Event, dict | None, Context], None]:
    """Yields each event with the renders shared by the subscribers it was handed to together
    (None for events read from the cursor) and the context to resolve it with: a copy of the
    connection's with the event's own database scope, valid until the next event is asked for."""
    services = ctx.services
    principal = ctx.require_principal()
    hub = services.require_hub()
    # what the loop holds, let go of (None) once delivered: an idle subscription holds no event
    rows: list[Event] | None
    event: Event | None
    delivery: Delivery | None
    batch: EventBatch | None
    # registered before the cursor is fixed: whatever commits from here on is either queued
    # or found by the first read
    subscription = hub.subscribe(
        principal, ctx.token_expires_at, ctx.token_version, document_id=document_id, token_id=ctx.token_id
    )
    try:
        cursor = await _start(ctx, principal, after_sequence, document_id)
        retry_delay = 0.2
        while True:
            if subscription.recheck or (subscription.expires_at and subscription.expires_at <= services.clock.now()):
                rechecked = await _recheck(ctx, subscription)
                if rechecked is None:
                    return
                principal = rechecked
            if subscription.fallback:
                subscription.fallback = False
                subscription.queue.clear()
                try:
                    rows = await _read_after(ctx, principal, cursor, document_id)
                except (DBAPIError, PoolTimeoutError, OSError):
                    # the database is busy or away: keep the cursor, wait, read again
                    log.warning(
                        "realtime: a subscription's read failed; retrying in %.1f s", retry_delay, exc_info=True
                    )
                    subscription.fallback = True
                    await asyncio.sleep(retry_delay)
                    retry_delay = min(retry_delay * 2, 10.0)
                    continue
                retry_delay = 0.2
                for event in rows:
                    cursor = event.id
                    async with ctx.scoped() as delivery_ctx:
                        yield event, None, delivery_ctx
                more = len(rows) == BATCH
                # an idle subscription holds none of the events it delivered (tests/test_realtime_memory.py)
                rows = event = None
                if more:
                    subscription.fallback = True  # more to read
                else:
                    subscription.live.set()
                continue
            if subscription.queue:
                delivery = subscription.queue.popleft()
                if delivery.event.id <= cursor:
                    continue
                cursor = delivery.event.id
                batch, event = delivery.batch, delivery.event

                def prime(loaders) -> None:
                    # asked for within the delivery's scope, before its batch and event are let go below
                    assert batch is not None and event is not None
                    batch.prime(loaders, principal, event)

                async with ctx.scoped(prime=prime) as delivery_ctx:
                    yield event, delivery.renders, delivery_ctx
                delivery = batch = event = None  # nor, until its next event, the batch of its last one
                continue
            subscription.wake.clear()
            if not (subscription.queue or subscription.fallback or subscription.recheck):
                await subscription.wake.wait()
    finally:
        hub.unsubscribe(subscription)


async def _start(ctx: Context, principal: Principal, after_sequence: int | None, document_id: int | None) -> int:
    """Check the request and return the cursor to start from."""
    services = ctx.services
    async with services.db.session() as session:
        if (
            document_id is not None
            and (
                await session.execute(
                    select(Document.id).where(Document.id == document_id, visible_documents(principal))
                )
            ).first()
            is None
        ):
            raise not_found("El documento no existe o no tiene acceso.", "documentId")
        if after_sequence is None:
            return (await session.execute(select(func.max(Event.id)))).scalar() or 0  # live from now
        limit = services.settings.realtime_max_backlog
        missed = (
            await session.execute(
                select(func.count()).select_from(
                    select(Event.id)
                    .where(Event.id > after_sequence, *_candidates(principal, document_id))
                    .limit(limit + 1)
                    .subquery()
                )
            )
        ).scalar_one()
        if missed > limit:
            raise StreamError(
                BACKLOG_TOO_LARGE,
                f"Hay más de {limit} eventos pendientes desde la secuencia {after_sequence}: vuelva a "
                "consultar los datos y suscríbase de nuevo sin afterSequence.",
            )
        return after_sequence


async def _read_after(ctx: Context, principal: Principal, cursor: int, document_id: int | None) -> list[Event]:
    async with ctx.services.require_hub().read_slots, ctx.services.db.session() as session:
        return list(
            (
                await session.execute(
                    select(Event)
                    .where(Event.id > cursor, *_candidates(principal, document_id))
                    .order_by(Event.id)
                    .limit(BATCH)
                )
            ).scalars()
        )


async def _recheck(ctx: Context, subscription: Subscription) -> Principal | None:
    """Load the subscriber's access again; None (and the socket closed with 4403) when it is gone."""
    subscription.recheck = False
    now = ctx.services.clock.now()
    principal = None
    if not (subscription.expires_at and subscription.expires_at <= now):
        principal = await read_principal(
            ctx.services.db,
            ctx.services.clock,
            subscription.user_id,
            subscription.token_version,
            subscription.token_id,
        )
    if principal is None:
        await close_socket(ctx, 4403, "Sesión terminada")
        return None
    ctx.principal = principal
    ctx.services.require_hub().update_principal(subscription, principal)
    # what was queued was decided for the old access: read again from the cursor
    subscription.queue.clear()
    subscription.fallback = True
    return principal


async def close_socket(ctx: Context, code: int, reason: str) -> None:
    websocket = ctx.request
    close = getattr(websocket, "close", None)
    if close is not None:
        try:
            await close(code=code, reason=reason)
        except RuntimeError:
            pass  # already closed
