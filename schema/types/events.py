"""Event (the bitácora) and its connection."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from models import events as event_models
from models.permissions import readable_changes
from schema.at_hand import NowOrLater
from schema.enums import EventKind
from schema.ids import to_global_id
from schema.types.node import Node
from schema.types.org import User, user_of

if TYPE_CHECKING:
    from schema.types.documents import Document
    from schema.types.turnos import Turno


# Events store database keys in `data`; clients know only global IDs. Every key ending in "Id"
# is named here with the type it points to (tests/test_events.py walks every kind of event).
DATA_ID_TYPES = {
    "unitId": "OrgUnit",
    "fromUnitId": "OrgUnit",
    "toUnitId": "OrgUnit",
    "userId": "User",
    "responseId": "Response",
    "cascadeFromId": "Turno",
}


def public_data(data: dict | None) -> dict | None:
    """`data` as clients see it: database keys turned into global IDs."""
    if not data:
        return data
    return {
        key: to_global_id(DATA_ID_TYPES[key], value) if key in DATA_ID_TYPES and value is not None else value
        for key, value in data.items()
    }


@strawberry.type(name="Event")
class Event(Node):
    sequence: str = strawberry.field(description="A decimal integer, increasing; pass it back as afterSequence.")
    kind: EventKind
    occurred_at: datetime
    stored_data: strawberry.Private[dict | None]
    actor_db_id: strawberry.Private[int | None]
    document_db_id: strawberry.Private[int | None]
    turno_db_id: strawberry.Private[int | None]
    # subscriptions: results of this event already rendered for alike subscribers (schema/shared_render.py)
    shared_renders: strawberry.Private[dict | None] = None
    # subscriptions: the context this event is resolved with (its own database scope, resolvers/context.py)
    delivery_context: strawberry.Private[object | None] = None

    @classmethod
    def from_model(
        cls, m: event_models.Event, shared_renders: dict | None = None, delivery_context: object | None = None
    ) -> "Event":
        return cls(
            id=to_global_id("Event", m.id),
            sequence=str(m.id),
            kind=EventKind(m.kind),
            occurred_at=m.occurred_at,
            stored_data=m.data,
            actor_db_id=m.actor_id,
            document_db_id=m.document_id,
            turno_db_id=m.turno_id,
            shared_renders=shared_renders,
            delivery_context=delivery_context,
        )

    @strawberry.field(
        description=(
            "Details of the change, by kind; every key ending in Id holds a global ID (fromUnitId, toUnitId, unitId, "
            "userId, responseId, cascadeFromId). A correction (DOCUMENT_UPDATED with `changes`) lists each field "
            "with its old and new value; values you may not read on the document are null with `masked: true`."
        )
    )
    async def data(self, info: Info) -> JSON | None:
        data = public_data(self.stored_data)
        if data and "changes" in data:
            ctx = info.context
            chain = await ctx.loaders.chain_by_document_id.load(self.document_db_id)
            # protected then or now: a value written while public may be the confidential value of today
            document = await ctx.loaders.visible_document_by_id.load(self.document_db_id)
            protection = {
                "changes": data["changes"],
                "confidential": data.get("confidential") or document is None or document.confidential,
                "citizen": data.get("citizen") or document is None or document.sender_level == "CITIZEN",
            }
            data["changes"] = readable_changes(ctx.principal, chain, protection) if ctx.principal else []
        return None if data is None else JSON(data)

    @strawberry.field
    async def actor(self, info: Info) -> User | None:
        return await user_of(info, self.actor_db_id)

    @strawberry.field
    def document(
        self, info: Info
    ) -> NowOrLater[Annotated["Document", strawberry.lazy("schema.types.documents")] | None]:
        from schema.types.documents import document_of

        return document_of(info, self.document_db_id)

    @strawberry.field
    async def turno(self, info: Info) -> Annotated["Turno", strawberry.lazy("schema.types.turnos")] | None:
        from schema.types.turnos import turno_of

        return await turno_of(info, self.turno_db_id)
