"""Document, its Sender and its connection."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.types import Info

from models import documents as document_models
from models.filters import OPEN_DOCUMENT_STATUSES
from models.traffic_light import document_light
from resolvers.events import document_history
from schema.enums import DocumentStatus, Origin, Priority, SenderLevel, TrafficLight
from schema.guards import ConfidentialField, PersonalDataField
from schema.ids import to_global_id
from schema.types.events import EventConnection
from schema.types.node import Node, PageInfo
from schema.types.org import OrgUnit, User, unit_of, user_of


@strawberry.type
class Sender:
    level: SenderLevel
    name: str
    position: str | None
    organization: str | None
    email: str | None = strawberry.field(permission_classes=[PersonalDataField], default=None)
    phone: str | None = strawberry.field(permission_classes=[PersonalDataField], default=None)
    address: str | None = strawberry.field(permission_classes=[PersonalDataField], default=None)
    document_db_id: strawberry.Private[int] = 0


@strawberry.type(name="Document")
class Document(Node):
    folio: str
    origin: Origin
    document_type: str = strawberry.field(description="A DocumentType code.")
    reference: str | None
    addressee: str | None
    document_date: date | None
    received_at: datetime
    due_date: date | None
    priority: Priority
    confidential: bool
    status: DocumentStatus
    subject: str | None = strawberry.field(permission_classes=[ConfidentialField],
                                           description="Null with a FORBIDDEN error when confidential and outside the chain.")
    summary: str | None = strawberry.field(permission_classes=[ConfidentialField])
    sender: Sender | None = strawberry.field(permission_classes=[ConfidentialField])
    db_id: strawberry.Private[int] = 0
    unit_db_id: strawberry.Private[int] = 0
    registered_by_db_id: strawberry.Private[int] = 0

    @classmethod
    def from_model(cls, m: document_models.Document) -> "Document":
        sender = Sender(level=SenderLevel(m.sender_level), name=m.sender_name, position=m.sender_position,
                        organization=m.sender_organization, email=m.sender_email, phone=m.sender_phone,
                        address=m.sender_address, document_db_id=m.id)
        return cls(
            id=to_global_id("Document", m.id), folio=m.folio, origin=Origin(m.origin),
            document_type=m.document_type, reference=m.reference, subject=m.subject, summary=m.summary,
            sender=sender, addressee=m.addressee, document_date=m.document_date, received_at=m.received_at,
            due_date=m.due_date, priority=Priority(m.priority), confidential=m.confidential,
            status=DocumentStatus(m.status), db_id=m.id, unit_db_id=m.unit_id, registered_by_db_id=m.registered_by_id,
        )

    @strawberry.field
    async def traffic_light(self, info: Info) -> TrafficLight:
        ctx = info.context
        return document_light(self.status.value in OPEN_DOCUMENT_STATUSES, self.due_date, await ctx.calendar(),
                              ctx.clock.today(), ctx.settings.yellow_threshold_days)

    @strawberry.field(description="The registering unit.")
    async def unit(self, info: Info) -> OrgUnit:
        return await unit_of(info, self.unit_db_id)

    @strawberry.field
    async def registered_by(self, info: Info) -> User:
        return await user_of(info, self.registered_by_db_id)

    @strawberry.field(description="What happened to this document, oldest first.")
    async def history(self, info: Info, first: int | None = None, after: str | None = None) -> EventConnection:
        return EventConnection.from_page(await document_history(info.context, self.db_id, first=first, after=after))


async def document_of(info: Info, document_id: int | None) -> Document | None:
    """A document by key, or None when it does not exist or the caller may not see it."""
    if document_id is None:
        return None
    m = await info.context.loaders.visible_document_by_id.load(document_id)
    return Document.from_model(m) if m else None


@strawberry.type
class DocumentEdge:
    cursor: str
    node: Document


@strawberry.type
class DocumentConnection:
    edges: list[DocumentEdge]
    page_info: PageInfo
    page: strawberry.Private[object]

    @classmethod
    def from_page(cls, page) -> "DocumentConnection":
        edges = [DocumentEdge(cursor=c, node=Document.from_model(r)) for r, c in zip(page.rows, page.cursors)]
        return cls(edges=edges, page_info=PageInfo.from_page(page), page=page)

    @strawberry.field
    async def total_count(self) -> int:
        return await self.page.total_count()
