"""Subscription root (graphql-transport-ws; the token travels in connection_init)."""

from __future__ import annotations

from contextlib import aclosing
from typing import AsyncGenerator

import strawberry
from strawberry.types import Info

from resolvers.streams import event_stream
from resolvers.events import parse_sequence
from schema.guards import IsAuthenticated
from schema.ids import decode_id
from schema.types.events import Event
from schema.types.exports import Export
from resolvers.exports.progress import progress_stream
from resolvers.inbox import box_summary
from schema.inputs import TurnoFilter
from schema.types.summary import BoxSummary


async def summary_stream(ctx, box: str, filter: TurnoFilter | None) -> AsyncGenerator[BoxSummary, None]:
    """The counters now, then after each event I may see that changes them: every change of a turno
    (and a deadline warning, and the light moving with the date) is such an event."""
    spec = filter.to_spec() if filter else None
    async with ctx.scoped() as scoped_ctx:
        last = await box_summary(scoped_ctx, box, spec)
    yield BoxSummary.from_data(last)
    async with aclosing(event_stream(ctx, after_sequence=None)) as events:
        async for _event, _renders, delivery_ctx in events:
            del _event, _renders  # not held while waiting for the next one (tests/test_realtime_memory.py)
            current = await box_summary(delivery_ctx, box, spec)  # in the event's database scope
            del delivery_ctx
            if current != last:
                last = current
                yield BoxSummary.from_data(current)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="Events I may see, pushed up and down the hierarchy. With afterSequence the missed events "
        "are replayed first, in order, then the live stream follows with no gap or duplicate.",
    )
    async def inbox_events(self, info: Info, after_sequence: str | None = None) -> AsyncGenerator[Event, None]:
        after = parse_sequence(after_sequence)
        # aclosing: when the client leaves, the stream is closed here, in this task, at once
        async with aclosing(event_stream(info.context, after_sequence=after)) as events:
            async for event, shared_renders, delivery_ctx in events:
                yield Event.from_model(event, shared_renders, delivery_ctx)
                del event, shared_renders, delivery_ctx  # not held while waiting for the next one

    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="The events of one document (live; afterSequence replays from there first).",
    )
    async def document_events(
        self, info: Info, document_id: strawberry.ID, after_sequence: str | None = None
    ) -> AsyncGenerator[Event, None]:
        pk = decode_id(document_id, "Document", "documentId")
        async with aclosing(
            event_stream(info.context, after_sequence=parse_sequence(after_sequence), document_id=pk)
        ) as events:
            async for event, shared_renders, delivery_ctx in events:
                yield Event.from_model(event, shared_renders, delivery_ctx)
                del event, shared_renders, delivery_ctx  # not held while waiting for the next one

    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="My inbox's counters (the inboxSummary query) now, then again each time they change.",
    )
    async def inbox_summary(self, info: Info, filter: TurnoFilter | None = None) -> AsyncGenerator[BoxSummary, None]:
        async with aclosing(summary_stream(info.context, "inbox", filter)) as summaries:
            async for summary in summaries:
                yield summary

    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="My outbox's counters (the outboxSummary query) now, then again each time they change.",
    )
    async def outbox_summary(self, info: Info, filter: TurnoFilter | None = None) -> AsyncGenerator[BoxSummary, None]:
        async with aclosing(summary_stream(info.context, "outbox", filter)) as summaries:
            async for summary in summaries:
                yield summary

    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="An export of yours (startExport) now, then at each change (rows written, status), until it "
        "is DONE (with its url) or FAILED (with its error); then the subscription completes. Another "
        "user's export is NOT_FOUND, like a missing one.",
    )
    async def export_progress(self, info: Info, export_id: strawberry.ID) -> AsyncGenerator[Export, None]:
        pk = decode_id(export_id, "Export", "exportId")
        async with aclosing(progress_stream(info.context, pk)) as states:
            async for export in states:
                yield Export.from_model(export)
