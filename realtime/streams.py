"""Subscription streams: the events a subscriber may see, read from the database after its
cursor, in sequence order, then live as wake-ups arrive.

Replay and live are the same loop (read after the cursor until nothing is left, then wait), so
events written during a replay are simply read next: no gap, no duplicate. Each delivered
event is resolved in a fresh database scope with fresh DataLoaders.
"""

from __future__ import annotations

import asyncio
from typing import AsyncIterator

from sqlalchemy import exists, func, select

from models.errors import DomainError, ErrorCode, not_found
from models.events import Event, EventAudience
from models.permissions import Principal, visible_documents, visible_events
from models.documents import Document
from resolvers.auth import load_principal
from resolvers.context import Context

BATCH = 100
BACKLOG_TOO_LARGE = "BACKLOG_TOO_LARGE"


class StreamError(DomainError):
    """Ends a subscription with an error the client can act on."""

    def __init__(self, code: str, message: str):
        Exception.__init__(self, message)
        self.code, self.message, self.field = code, message, None

    @property
    def extensions(self) -> dict:
        return {"code": self.code}


def _candidates(principal: Principal, document_id: int | None):
    """Events after a cursor that this subscriber may see (the audience narrows via its index)."""
    clauses = [visible_events(principal)]
    if not principal.is_admin:
        clauses.append(exists(select(1).where(EventAudience.event_id == Event.id,
                                              EventAudience.unit_id.in_(sorted(principal.unit_ids)))))
    if document_id is not None:
        clauses.append(Event.document_id == document_id)
    return clauses


async def event_stream(ctx: Context, *, after_sequence: int | None, document_id: int | None = None) -> AsyncIterator[Event]:
    services = ctx.services
    principal = ctx.require_principal()
    hub = services.hub
    subscription = hub.subscribe(principal, ctx.token_expires_at, ctx.token_version)
    try:
        async with services.db.session() as session:
            if document_id is not None and (await session.execute(
                    select(Document.id).where(Document.id == document_id, visible_documents(principal)))).first() is None:
                raise not_found("El documento no existe o no tiene acceso.", "documentId")
            if after_sequence is None:
                cursor = (await session.execute(select(func.max(Event.id)))).scalar() or 0  # live from now
            else:
                cursor = after_sequence
                limit = services.settings.realtime_max_backlog
                missed = (await session.execute(select(func.count()).select_from(
                    select(Event.id).where(Event.id > cursor, *_candidates(principal, document_id)).limit(limit + 1).subquery()
                ))).scalar_one()
                if missed > limit:
                    raise StreamError(BACKLOG_TOO_LARGE,
                                      f"Hay más de {limit} eventos pendientes desde la secuencia {cursor}: vuelva a "
                                      "consultar los datos y suscríbase de nuevo sin afterSequence.")
        while True:
            subscription.wake.clear()  # before reading: a wake-up during the read is kept
            if subscription.recheck or (subscription.expires_at and subscription.expires_at <= services.clock.now()):
                principal = await _recheck(ctx, subscription)
                if principal is None:
                    return
            async with hub.read_slots, services.db.session() as session:
                rows = list((await session.execute(
                    select(Event).where(Event.id > cursor, *_candidates(principal, document_id))
                    .order_by(Event.id).limit(BATCH)
                )).scalars())
            for event in rows:
                cursor = event.id
                async with ctx.event_scope():
                    yield event
            if len(rows) < BATCH:
                subscription.live.set()
                try:
                    await asyncio.wait_for(subscription.wake.wait(), timeout=services.settings.realtime_catchup_seconds)
                except asyncio.TimeoutError:
                    pass  # re-read from the cursor anyway: covers anything no wake-up announced
    finally:
        hub.unsubscribe(subscription)


async def _recheck(ctx: Context, subscription) -> Principal | None:
    """Load the subscriber's access again; None (and the socket closed with 4403) when it is gone."""
    subscription.recheck = False
    now = ctx.services.clock.now()
    principal = None
    if not (subscription.expires_at and subscription.expires_at <= now):
        async with ctx.services.db.session() as session:
            principal = await load_principal(session, subscription.user_id, token_version=subscription.token_version)
    if principal is None:
        await close_socket(ctx, 4403, "Sesión terminada")
        return None
    ctx.principal = principal
    ctx.services.hub.update_principal(subscription, principal)
    return principal


async def close_socket(ctx: Context, code: int, reason: str) -> None:
    websocket = ctx.request
    close = getattr(websocket, "close", None)
    if close is not None:
        try:
            await close(code=code, reason=reason)
        except RuntimeError:
            pass  # already closed
