"""Event (the bitácora) and its connection."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from models import events as event_models
from schema.enums import EventKind
from schema.ids import to_global_id
from schema.types.node import Connection, Node, connection
from schema.types.org import User, user_of

if TYPE_CHECKING:
    from schema.types.documents import Document
    from schema.types.turnos import Turno


@strawberry.type(name="Event")
class Event(Node):
    sequence: str = strawberry.field(description="A decimal integer, increasing; pass it back as afterSequence.")
    kind: EventKind
    occurred_at: datetime
    data: JSON | None
    actor_db_id: strawberry.Private[int | None]
    document_db_id: strawberry.Private[int | None]
    turno_db_id: strawberry.Private[int | None]
    # subscriptions: results of this event already rendered for alike subscribers (schema/shared_render.py)
    shared_renders: strawberry.Private[dict | None] = None

    @classmethod
    def from_model(cls, m: event_models.Event, shared_renders: dict | None = None) -> "Event":
        return cls(id=to_global_id("Event", m.id), sequence=str(m.id), kind=EventKind(m.kind),
                   occurred_at=m.occurred_at, data=m.data, actor_db_id=m.actor_id, document_db_id=m.document_id,
                   turno_db_id=m.turno_id, shared_renders=shared_renders)

    @strawberry.field
    async def actor(self, info: Info) -> User | None:
        return await user_of(info, self.actor_db_id)

    @strawberry.field
    async def document(self, info: Info) -> Annotated["Document", strawberry.lazy("schema.types.documents")] | None:
        from schema.types.documents import document_of

        return await document_of(info, self.document_db_id)


    @strawberry.field
    async def turno(self, info: Info) -> Annotated["Turno", strawberry.lazy("schema.types.turnos")] | None:
        from schema.types.turnos import turno_of

        return await turno_of(info, self.turno_db_id)

