"""Subscription root (graphql-transport-ws; the token travels in connection_init)."""

from __future__ import annotations

from contextlib import aclosing
from typing import AsyncGenerator

import strawberry
from strawberry.types import Info

from realtime.streams import event_stream
from resolvers.events import parse_sequence
from schema.guards import IsAuthenticated
from schema.ids import decode_id
from schema.types.events import Event
from schema.types.exports import Export
from resolvers.exports import progress_stream


@strawberry.type
class Subscription:
    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="Events I may see, pushed up and down the hierarchy. With afterSequence the missed events "
                    "are replayed first, in order, then the live stream follows with no gap or duplicate.")
    async def inbox_events(self, info: Info, after_sequence: str | None = None) -> AsyncGenerator[Event, None]:
        after = parse_sequence(after_sequence)
        # aclosing: when the client leaves, the stream is closed here, in this task, at once
        async with aclosing(event_stream(info.context, after_sequence=after)) as events:
            async for event, shared_renders in events:
                yield Event.from_model(event, shared_renders)

    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="The events of one document (live; afterSequence replays from there first).")
    async def document_events(self, info: Info, document_id: strawberry.ID,
                              after_sequence: str | None = None) -> AsyncGenerator[Event, None]:
        pk = decode_id(document_id, "Document", "documentId")
        async with aclosing(event_stream(info.context, after_sequence=parse_sequence(after_sequence),
                                         document_id=pk)) as events:
            async for event, shared_renders in events:
                yield Event.from_model(event, shared_renders)

    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="An export of yours (startExport) now, then at each change (rows written, status), until it "
                    "is DONE (with its url) or FAILED (with its error); then the subscription completes. Another "
                    "user's export is NOT_FOUND, like a missing one.")
    async def export_progress(self, info: Info, export_id: strawberry.ID) -> AsyncGenerator[Export, None]:
        pk = decode_id(export_id, "Export", "exportId")
        async with aclosing(progress_stream(info.context, pk)) as states:
            async for export in states:
                yield Export.from_model(export)
