"""Document, its Sender and its connection."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date, datetime

import strawberry
from strawberry.types import Info

from models import documents as document_models
from models.actions import DocumentFacts, document_actions, pending_turno_numbers
from models.filters import OPEN_DOCUMENT_STATUSES
from models.traffic_light import document_light, turno_light
from resolvers.documents import document_stays
from resolvers.events import document_history
from resolvers.paper import acuse_link
from resolvers.search_snippet import search_snippet
from schema.per_user import PerUser
from schema.at_hand import MISSING, NowOrLater, at_hand, built_once
from schema.enums import DocumentAction, DocumentStatus, Origin, Priority, SenderLevel, TrafficLight
from schema.guards import ConfidentialField, PersonalDataField, guarded_by
from schema.ids import to_global_id
from schema.types.events import Event
from schema.types.node import Connection, Node, connection
from schema.types.attachments import Attachment
from schema.types.org import OrgUnit, User, unit_of, user_of
from schema.types.search import SearchSnippet
from schema.types.turnos import Turno


@strawberry.type
class Sender:
    level: SenderLevel
    name: str
    position: str | None
    organization: str | None
    email: str | None = strawberry.field(extensions=guarded_by(PersonalDataField), default=None)
    phone: str | None = strawberry.field(extensions=guarded_by(PersonalDataField), default=None)
    address: str | None = strawberry.field(extensions=guarded_by(PersonalDataField), default=None)
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
    subject: str | None = strawberry.field(
        extensions=guarded_by(ConfidentialField),
        description="Null with a FORBIDDEN error when confidential and outside the chain.",
    )
    summary: str | None = strawberry.field(extensions=guarded_by(ConfidentialField))
    sender: Sender | None = strawberry.field(extensions=guarded_by(ConfidentialField))
    db_id: strawberry.Private[int] = 0
    unit_db_id: strawberry.Private[int] = 0
    registered_by_db_id: strawberry.Private[int] = 0

    @classmethod
    def from_model(cls, m: document_models.Document) -> "Document":
        sender = Sender(
            level=SenderLevel(m.sender_level),
            name=m.sender_name,
            position=m.sender_position,
            organization=m.sender_organization,
            email=m.sender_email,
            phone=m.sender_phone,
            address=m.sender_address,
            document_db_id=m.id,
        )
        return cls(
            id=to_global_id("Document", m.id),
            folio=m.folio,
            origin=Origin(m.origin),
            document_type=m.document_type,
            reference=m.reference,
            subject=m.subject,
            summary=m.summary,
            sender=sender,
            addressee=m.addressee,
            document_date=m.document_date,
            received_at=m.received_at,
            due_date=m.due_date,
            priority=Priority(m.priority),
            confidential=m.confidential,
            status=DocumentStatus(m.status),
            db_id=m.id,
            unit_db_id=m.unit_id,
            registered_by_db_id=m.registered_by_id,
        )

    @strawberry.field(
        description="Open: the worst of its own deadline and of its open turnos (visible or not). "
        "Concluded or archived: NONE."
    )
    def traffic_light(self, info: Info) -> NowOrLater[TrafficLight]:
        if self.status.value not in OPEN_DOCUMENT_STATUSES:
            return TrafficLight.NONE
        ctx = info.context
        today, threshold = ctx.clock.today(), ctx.settings.yellow_threshold_days

        def light(calendar, open_turnos) -> TrafficLight:
            lights = [
                turno_light(status, due, on_time, calendar, today, threshold) for status, due, on_time in open_turnos
            ]
            return document_light(True, self.due_date, lights, calendar, today, threshold)

        loader = ctx.loaders.open_turno_lights_by_document_id
        if ctx.scope.calendar is not None and (open_turnos := at_hand(loader, self.db_id)) is not MISSING:
            return light(ctx.scope.calendar, open_turnos)

        async def later() -> TrafficLight:
            return light(await ctx.calendar(), await loader.load(self.db_id))

        return later()

    @strawberry.field(extensions=guarded_by(ConfidentialField), description="The document's own digitized files.")
    async def attachments(self, info: Info) -> list[Attachment] | None:
        return [
            Attachment.from_model(a) for a in await info.context.loaders.attachments_by_document_id.load(self.db_id)
        ]

    @strawberry.field(
        description="A link to the printable acuse de recibo (PDF, with a QR code that verifies the "
        "folio), signed for you like Attachment.url; null when not signed in.",
        extensions=[PerUser()],
    )
    def acuse_url(self, info: Info) -> str | None:
        return acuse_link(info.context, self.id, self.db_id)

    @strawberry.field(
        description="The actions you may take on this document now, decided by the same rules as "
        "the mutations (a listed action succeeds, another is refused)."
    )
    async def viewer_actions(self, info: Info) -> list[DocumentAction]:
        ctx = info.context
        if ctx.principal is None:
            return []
        document = await ctx.loaders.visible_document_by_id.load(self.db_id)
        turnos = await ctx.loaders.turnos_by_document_id.load(self.db_id)
        facts = DocumentFacts(document, pending_turno_numbers(turnos))
        return [DocumentAction(a) for a in document_actions(ctx.principal, facts)]

    @strawberry.field(description="The turnos of this document that you may see, in the order they were sent.")
    async def turnos(self, info: Info) -> list[Turno]:
        return [Turno.from_model(t) for t in await info.context.loaders.visible_turnos_by_document_id.load(self.db_id)]

    @strawberry.field
    async def archive(self, info: Info) -> ArchiveRecord | None:
        record = await info.context.loaders.archive_record_by_document_id.load(self.db_id)
        return ArchiveRecord.from_model(record) if record else None

    @strawberry.field(
        description="How long the document stayed in each unit, read from the history you may see: "
        "the registering unit, and the units of the turnos you may see."
    )
    async def time_by_unit(self, info: Info) -> list[UnitStay]:
        return [UnitStay.from_stay(s) for s in await document_stays(info.context, self.db_id, self.unit_db_id)]

    @strawberry.field(description="The registering unit.")
    def unit(self, info: Info) -> NowOrLater[OrgUnit]:
        return unit_of(info, self.unit_db_id)

    @strawberry.field
    async def registered_by(self, info: Info) -> User:
        return await user_of(info, self.registered_by_db_id)

    @strawberry.field(
        description=(
            "Why this document matches `search` (the text given as filter.search): a short excerpt of its summary, "
            "sender, reference, addressee or of the text read from a file, the words found marked. Only what you "
            "may read: a confidential document's summary, sender and files only if you may read them, an answer's "
            "file only if you may see it (as the search itself). Null when none of those holds a word of `search` "
            "(its folio or subject may: they are on the row already)."
        )
    )
    async def search_snippet(self, info: Info, search: str) -> SearchSnippet | None:
        snippet = await search_snippet(info.context, self.db_id, search)
        return SearchSnippet.from_snippet(snippet) if snippet else None

    @strawberry.field(description="What happened to this document, oldest first.")
    async def history(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Event]:
        return connection(await document_history(info.context, self.db_id, first=first, after=after), Event.from_model)


@strawberry.type
class ArchiveRecord:
    series: str = strawberry.field(description="An ArchiveSeries code.")
    file_number: str = strawberry.field(description="The file (expediente) number.")
    archived_at: datetime
    archived_by_db_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, m) -> "ArchiveRecord":
        return cls(
            series=m.series, file_number=m.file_number, archived_at=m.archived_at, archived_by_db_id=m.archived_by_id
        )

    @strawberry.field
    async def archived_by(self, info: Info) -> User:
        return await user_of(info, self.archived_by_db_id)


@strawberry.type
class UnitStay:
    entered_at: datetime
    left_at: datetime | None = strawberry.field(description="Null while the document is still there.")
    hours: float = strawberry.field(description="Hours held (overlapping turnos to the same unit count once).")
    business_days: int
    unit_db_id: strawberry.Private[int]

    @classmethod
    def from_stay(cls, stay) -> "UnitStay":
        return cls(
            entered_at=stay.entered_at,
            left_at=stay.left_at,
            hours=stay.hours,
            business_days=stay.business_days,
            unit_db_id=stay.unit_id,
        )

    @strawberry.field
    def unit(self, info: Info) -> NowOrLater[OrgUnit]:
        return unit_of(info, self.unit_db_id)


def document_of(info: Info, document_id: int | None) -> Document | None | Awaitable[Document | None]:
    """A document by key, or None when it does not exist or the caller may not see it; now when
    loaded (a list's look-ahead loads them), else later (schema/at_hand.py)."""
    if document_id is None:
        return None
    return built_once(
        info,
        "Document",
        info.context.loaders.visible_document_by_id,
        document_id,
        lambda m: Document.from_model(m) if m else None,
    )
