"""Reading the event log: the `events` query and a document's history."""

from __future__ import annotations

from sqlalchemy import select

from models.base import parse_key
from models.errors import validation
from models.events import Event
from models.permissions import visible_events
from resolvers.context import Context
from resolvers.pagination import Page, int_key, keyset_page, encode_cursor

EVENT_ORDER = [int_key(Event.id, "id")]


def parse_sequence(value: str | None, field: str = "afterSequence") -> int | None:
    if value is None or value == "":
        return None
    sequence = parse_key(value)
    if sequence is None:
        raise validation("La secuencia es un número entero decimal.", field)
    return sequence


async def list_events(ctx: Context, *, after_sequence: str | None, first: int | None) -> Page:
    """Events the caller may see, in sequence order, after a sequence they already have."""
    principal = ctx.require_principal()
    after = parse_sequence(after_sequence)
    query = select(Event).where(visible_events(principal))
    cursor = encode_cursor(EVENT_ORDER, Event(id=after)) if after is not None else None
    return await keyset_page(
        ctx.session,
        query,
        EVENT_ORDER,
        descending=False,
        first=first,
        after=cursor,
        default_size=ctx.settings.page_size_default,
        max_size=ctx.settings.page_size_max,
    )


async def document_history(ctx: Context, document_id: int, *, first: int | None, after: str | None) -> Page:
    """The events of one document (the caller already sees the document), oldest first."""
    principal = ctx.require_principal()
    query = select(Event).where(Event.document_id == document_id, visible_events(principal))
    return await keyset_page(
        ctx.session,
        query,
        EVENT_ORDER,
        descending=False,
        first=first,
        after=after,
        default_size=ctx.settings.page_size_default,
        max_size=ctx.settings.page_size_max,
    )


async def visible_event(ctx: Context, sequence: int) -> Event | None:
    principal = ctx.require_principal()
    return (
        await ctx.session.execute(select(Event).where(Event.id == sequence, visible_events(principal)))
    ).scalar_one_or_none()
