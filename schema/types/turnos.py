"""Turno, Response, Evaluation and the turno connection."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from models import turnos as turno_models
from models.actions import TurnoFacts, turno_actions
from models.calendar import explain_due_date
from models.traffic_light import turno_light, worst
from models.turnos import descendants_of
from models.workflow import CLOSED_TURNO, OPEN_TURNO
from resolvers.paper import volante_link
from schema.per_user import PerUser
from schema.enums import Decision, Instruction, Priority, TrafficLight, TurnoAction, TurnoStatus
from schema.at_hand import NowOrLater, with_calendar
from schema.guards import ResponseFilesField
from schema.ids import to_global_id
from schema.types.attachments import Attachment
from schema.types.node import Node
from schema.types.org import OrgUnit, User, unit_of, user_of

if TYPE_CHECKING:
    from schema.types.documents import Document

DocumentRef = Annotated["Document", strawberry.lazy("schema.types.documents")]
CLOSED_TURNO_VALUES = frozenset(s.value for s in CLOSED_TURNO)


async def light_of(info: Info, m: turno_models.Turno) -> TrafficLight:
    ctx = info.context
    return turno_light(
        m.status,
        m.due_date,
        m.answered_on_time,
        await ctx.calendar(),
        ctx.clock.today(),
        ctx.settings.yellow_threshold_days,
    )


@strawberry.type(name="Turno")
class Turno(Node):
    number: str = strawberry.field(description="The document's folio and the turno's ordinal, e.g. DG/2026/000123-T2.")
    instruction: Instruction
    notes: str | None
    priority: Priority
    sent_at: datetime
    received_at: datetime | None
    due_date: date | None = strawberry.field(description="The deadline in force (a RETURN may extend it).")
    status: TurnoStatus
    concluded_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None = strawberry.field(description="Why it was cancelled, when the canceller said so.")
    rounds: int = strawberry.field(description="How many answers were submitted (each RETURN opens a new round).")
    accepted_at_first_answer: bool | None = strawberry.field(
        description="True when the first answer was accepted; null until the turno concludes by acceptance."
    )
    model: strawberry.Private[turno_models.Turno]

    @classmethod
    def from_model(cls, m: turno_models.Turno) -> "Turno":
        return cls(
            id=to_global_id("Turno", m.id),
            number=m.number,
            instruction=Instruction(m.instruction),
            notes=m.notes,
            priority=Priority(m.priority),
            sent_at=m.sent_at,
            received_at=m.received_at,
            due_date=m.due_date,
            status=TurnoStatus(m.status),
            concluded_at=m.concluded_at,
            cancelled_at=m.cancelled_at,
            cancel_reason=m.cancel_reason,
            rounds=m.rounds,
            accepted_at_first_answer=m.accepted_at_first_answer,
            model=m,
        )

    @strawberry.field
    def document(self, info: Info) -> NowOrLater[DocumentRef]:
        from schema.types.documents import document_of

        return document_of(info, self.model.document_id)  # type: ignore[return-value]  # not None: a turno you see has a document you see (models/permissions.visible_turnos)

    @strawberry.field(description="The turno this one delegates; null for a first-level turno or one you may not see.")
    async def parent(self, info: Info) -> "Turno | None":
        if self.model.parent_id is None:
            return None
        m = await info.context.loaders.visible_turno_by_id.load(self.model.parent_id)
        return Turno.from_model(m) if m else None

    @strawberry.field(description="Delegations of this turno that you may see.")
    async def children(self, info: Info) -> list["Turno"]:
        siblings = await info.context.loaders.visible_turnos_by_document_id.load(self.model.document_id)
        return [Turno.from_model(t) for t in siblings if t.parent_id == self.model.id]

    @strawberry.field
    def from_unit(self, info: Info) -> NowOrLater[OrgUnit]:
        return unit_of(info, self.model.from_unit_id)

    @strawberry.field
    def to_unit(self, info: Info) -> NowOrLater[OrgUnit]:
        return unit_of(info, self.model.to_unit_id)

    @strawberry.field
    async def sent_by(self, info: Info) -> User:
        return await user_of(info, self.model.sent_by_id)

    @strawberry.field(
        description="Business days after today up to the due date: 0 = due today, negative = overdue; "
        "null without deadline or when closed."
    )
    def business_days_left(self, info: Info) -> NowOrLater[int | None]:
        m = self.model
        if m.due_date is None or m.status in CLOSED_TURNO_VALUES:
            return None
        today = info.context.clock.today()
        return with_calendar(info, lambda calendar: calendar.business_days_left(today, m.due_date))

    @strawberry.field
    def traffic_light(self, info: Info) -> NowOrLater[TrafficLight]:
        m, ctx = self.model, info.context
        today, threshold = ctx.clock.today(), ctx.settings.yellow_threshold_days
        return with_calendar(
            info, lambda calendar: turno_light(m.status, m.due_date, m.answered_on_time, calendar, today, threshold)
        )

    @strawberry.field(description="The worst light among this turno's open delegations, at any depth (NONE if none).")
    async def descendants_traffic_light(self, info: Info) -> TrafficLight:
        turnos = await info.context.loaders.turnos_by_document_id.load(self.model.document_id)
        open_below = [t for t in descendants_of(self.model.id, turnos) if t.status in {s.value for s in OPEN_TURNO}]
        return worst([await light_of(info, t) for t in open_below])

    @strawberry.field(description="The due date in words: days counted and the weekends and holidays skipped.")
    async def due_date_explanation(self, info: Info) -> str | None:
        m = self.model
        if m.due_date is None:
            return None
        return explain_due_date(
            await info.context.calendar(),
            m.due_counted_from or info.context.clock.local_date(m.sent_at),
            m.due_date,
            m.due_business_days,
        )

    @strawberry.field(
        description="A link to the printable volante de turno (PDF, with a QR code that verifies it), "
        "signed for you like Attachment.url; null when not signed in.",
        extensions=[PerUser()],
    )
    def volante_url(self, info: Info) -> str | None:
        return volante_link(info.context, self.id, self.model.id)

    @strawberry.field(
        description="The actions you may take on this turno now, decided by the same rules as the "
        "mutations (a listed action succeeds, another is refused)."
    )
    async def viewer_actions(self, info: Info) -> list[TurnoAction]:
        ctx = info.context
        if ctx.principal is None:
            return []
        m = self.model
        document = await ctx.loaders.visible_document_by_id.load(m.document_id)
        recipient = await ctx.loaders.org_unit_by_id.load(m.to_unit_id)
        children = await ctx.loaders.children_by_unit_id.load(m.to_unit_id)
        facts = TurnoFacts(m, document.status, recipient.acronym, any(c.active for c in children))
        return [TurnoAction(a) for a in turno_actions(ctx.principal, facts)]

    @strawberry.field
    async def responses(self, info: Info) -> list["Response"]:
        return [Response.from_model(r) for r in await info.context.loaders.responses_by_turno_id.load(self.model.id)]


@strawberry.type
class Evaluation:
    decision: Decision
    comment: str | None
    evaluated_at: datetime
    evaluated_by_db_id: strawberry.Private[int]

    @strawberry.field
    async def evaluated_by(self, info: Info) -> User:
        return await user_of(info, self.evaluated_by_db_id)


@strawberry.type(name="Response")
class Response(Node):
    body: str
    reference: str | None
    submitted_at: datetime
    round: int = strawberry.field(description="1 for the first answer, 2 after the first return, …")
    model: strawberry.Private[turno_models.Response]

    @classmethod
    def from_model(cls, m: turno_models.Response) -> "Response":
        return cls(
            id=to_global_id("Response", m.id),
            body=m.body,
            reference=m.reference,
            submitted_at=m.submitted_at,
            round=m.round,
            model=m,
        )

    @strawberry.field
    async def turno(self, info: Info) -> Turno:
        return Turno.from_model(await info.context.loaders.visible_turno_by_id.load(self.model.turno_id))

    @strawberry.field
    async def author(self, info: Info) -> User:
        return await user_of(info, self.model.author_id)

    @strawberry.field(permission_classes=[ResponseFilesField])
    async def attachments(self, info: Info) -> list[Attachment] | None:
        return [
            Attachment.from_model(a) for a in await info.context.loaders.attachments_by_response_id.load(self.model.id)
        ]

    @strawberry.field
    def evaluation(self) -> Evaluation | None:
        m = self.model
        if m.decision is None:
            return None
        # an evaluation writes the three together (resolvers/turnos.py)
        assert m.evaluated_at is not None and m.evaluated_by_id is not None
        return Evaluation(
            decision=Decision(m.decision),
            comment=m.comment,
            evaluated_at=m.evaluated_at,
            evaluated_by_db_id=m.evaluated_by_id,
        )


async def turno_of(info: Info, turno_id: int | None) -> Turno | None:
    if turno_id is None:
        return None
    m = await info.context.loaders.visible_turno_by_id.load(turno_id)
    return Turno.from_model(m) if m else None
