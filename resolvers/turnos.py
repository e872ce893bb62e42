"""Use cases of the workflow: send (turnar), acknowledge, answer, evaluate, cancel.

Each runs in one transaction that first locks the document's row: two users acting on the same
document at the same moment queue up, and the second one meets the state the first one left
(and, if that state no longer allows its action, an INVALID_TRANSITION error).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models.audience import turno_audience
from models.traffic_light import answered_on_time, exceeds_deadline
from models.calendar import explain_due_date, load_calendar
from models.documents import Document, Priority, add_to_chain
from models.errors import DomainError, ErrorCode, not_found, validation
from models.events import EventKind, append_event
from models.org import OrgUnit, is_in_subtree
from models.actions import (
    DocumentFacts,
    TurnoFacts,
    check_acknowledge,
    check_cancel,
    check_delegate,
    check_evaluate,
    check_respond,
    check_send_turno,
)
from models.permissions import visible_documents, visible_turnos
from models.turnos import Response, Turno, descendants_of
from models.workflow import (
    OPEN_TURNO,
    Decision,
    DocumentTransition,
    Instruction,
    InvalidTransition,
    TurnoTransition,
    TurnoStatus,
    next_document_status,
    next_turno_status,
)
from resolvers.context import Context
from resolvers.uploads import attachment_rows, uploads_for
from resolvers.validation import Checker

MAX_BUSINESS_DAYS = 365


@dataclass
class RecipientData:
    unit_id: int
    instruction: Instruction
    due_date: date | None = None
    business_days: int | None = None
    notes: str | None = None


@dataclass
class SendTurnoData:
    recipients: list[RecipientData]
    document_id: int | None = None
    parent_turno_id: int | None = None
    from_unit_id: int | None = None
    priority: Priority | None = None


async def lock_document(session: AsyncSession, document_id: int) -> Document:
    """The document row, locked until commit (SQLite: the IMMEDIATE transaction already is)."""
    document = (
        await session.execute(select(Document).where(Document.id == document_id).with_for_update())
    ).scalar_one_or_none()
    if document is None:
        raise not_found("El documento no existe o no tiene acceso.")
    return document


async def load_turno_locked(
    session: AsyncSession, ctx: Context, turno_id: int, field: str = "turnoId"
) -> tuple[Turno, Document]:
    """A turno the caller may see, with its document locked; read again after the lock."""
    document_id = (
        await session.execute(
            select(Turno.document_id).where(Turno.id == turno_id, visible_turnos(ctx.require_principal()))
        )
    ).scalar_one_or_none()
    if document_id is None:
        raise not_found("El turno no existe o no tiene acceso.", field)
    document = await lock_document(session, document_id)
    turno = (
        await session.execute(select(Turno).where(Turno.id == turno_id).execution_options(populate_existing=True))
    ).scalar_one()
    return turno, document


async def turno_facts(session: AsyncSession, turno: Turno, document: Document) -> TurnoFacts:
    """What models.actions needs to decide on `turno` (its document already loaded)."""
    child = aliased(OrgUnit)
    acronym, has_subunits = (
        await session.execute(
            select(OrgUnit.acronym, exists(select(1).where(child.parent_id == OrgUnit.id, child.active))).where(
                OrgUnit.id == turno.to_unit_id
            )
        )
    ).one()
    return TurnoFacts(turno, document.status, acronym, bool(has_subunits))


async def load_turno_audience(session: AsyncSession, turno: Turno) -> list[int]:
    units = {
        u.id: u
        for u in (
            await session.execute(select(OrgUnit).where(OrgUnit.id.in_([turno.from_unit_id, turno.to_unit_id])))
        ).scalars()
    }
    return turno_audience(units[turno.from_unit_id], units[turno.to_unit_id])


async def record(session: AsyncSession, ctx: Context, kind: EventKind, turno: Turno, **data) -> None:
    await append_event(
        session,
        kind=kind,
        occurred_at=ctx.clock.now(),
        actor_id=ctx.principal.user_id if ctx.principal else None,
        document_id=turno.document_id,
        turno_id=turno.id,
        audience=await load_turno_audience(session, turno),
        data={"number": turno.number, "status": turno.status, **data},
    )


# --- send ---------------------------------------------------------------------------------------


async def send_turno(ctx: Context, data: SendTurnoData) -> tuple[list[Turno], list[str]]:
    """The turnos created, and warnings that do not stop them (a fixed deadline on a non-working day)."""
    principal = ctx.require_principal()
    today = ctx.clock.today()
    now = ctx.clock.now()
    if (data.document_id is None) == (data.parent_turno_id is None):
        raise validation("Indique el documento (turno inicial) o el turno que se delega, no ambos.", "documentId")
    async with ctx.services.db.transaction() as session:
        parent: Turno | None = None
        if data.parent_turno_id is not None:
            parent, document = await load_turno_locked(session, ctx, data.parent_turno_id, "parentTurnoId")
            from_unit_id = parent.to_unit_id
        else:
            visible_doc = (
                await session.execute(
                    select(Document.id).where(Document.id == data.document_id, visible_documents(principal))
                )
            ).first()
            if visible_doc is None:
                raise not_found("El documento no existe o no tiene acceso.", "documentId")
            assert data.document_id is not None  # (one or the other, checked above)
            document = await lock_document(session, data.document_id)
            from_unit_id = document.unit_id
        if data.from_unit_id is not None and data.from_unit_id != from_unit_id:
            raise validation(
                "Turna la unidad que registró el documento o, al delegar, la unidad que recibió el turno.", "fromUnitId"
            )
        if parent is not None:
            check_delegate(principal, await turno_facts(session, parent, document))
        else:
            check_send_turno(principal, DocumentFacts(document, pending_turnos=()))

        from_unit = await session.get_one(OrgUnit, from_unit_id)  # the document's or the parent's unit
        calendar = await load_calendar(session)
        recipients, warnings = await _check_recipients(
            session, data.recipients, from_unit, parent, document, calendar, today
        )

        if parent is not None and parent.status == TurnoStatus.SENT.value:
            # delegating a turno means it was opened: record its receipt
            parent.status = next_turno_status(parent.status, TurnoTransition.ACKNOWLEDGE).value
            parent.received_at = now
            await record(session, ctx, EventKind.TURNO_RECEIVED, parent)
        document.status = next_document_status(document.status, DocumentTransition.START)
        turnos = []
        for recipient, due, counted_from in recipients:
            document.turno_count += 1
            turno = Turno(
                document_id=document.id,
                parent_id=parent.id if parent else None,
                number=f"{document.folio}-T{document.turno_count}",
                from_unit_id=from_unit.id,
                sent_by_id=principal.user_id,
                to_unit_id=recipient.unit_id,
                instruction=recipient.instruction.value,
                notes=recipient.notes,
                priority=(data.priority.value if data.priority else document.priority),
                sent_at=now,
                due_date=due,
                due_business_days=recipient.business_days if due else None,
                due_counted_from=counted_from,
                status=TurnoStatus.SENT.value,
                rounds=0,
            )
            session.add(turno)
            turnos.append(turno)
        await session.flush()
        await add_to_chain(session, document.id, [from_unit.id, *(t.to_unit_id for t in turnos)])
        for turno in turnos:
            await record(
                session,
                ctx,
                EventKind.TURNO_SENT,
                turno,
                fromUnitId=turno.from_unit_id,
                toUnitId=turno.to_unit_id,
                instruction=turno.instruction,
                dueDate=turno.due_date.isoformat() if turno.due_date else None,
            )
    return turnos, warnings


async def _check_recipients(
    session,
    recipients: list[RecipientData],
    from_unit: OrgUnit,
    parent: Turno | None,
    document: Document,
    calendar,
    today: date,
):
    check = Checker()
    if not recipients:
        raise validation("Indique al menos un destinatario.", "recipients")
    existing = set(
        (
            await session.execute(
                select(Turno.to_unit_id).where(
                    Turno.document_id == document.id,
                    Turno.parent_id == parent.id if parent else Turno.parent_id.is_(None),
                    Turno.status != TurnoStatus.CANCELLED.value,
                )
            )
        ).scalars()
    )
    seen: set[int] = set()
    result, warnings = [], []
    for i, r in enumerate(recipients):
        field = f"recipients.{i}"
        unit = await session.get(OrgUnit, r.unit_id)
        if unit is None:
            raise not_found("La unidad destinataria no existe.", f"{field}.unitId")
        if not unit.active:
            check.add(f"La unidad {unit.acronym} está inactiva.", f"{field}.unitId")
        if unit.id == from_unit.id:
            check.add("Una unidad no se turna a sí misma.", f"{field}.unitId")
        elif parent is not None and not is_in_subtree(unit.path, from_unit.path):
            check.add(f"Al delegar solo se turna a las subunidades de {from_unit.acronym}.", f"{field}.unitId")
        if unit.id in seen:
            check.add(f"La unidad {unit.acronym} aparece dos veces.", f"{field}.unitId")
        seen.add(unit.id)
        if unit.id in existing:
            raise DomainError(
                ErrorCode.CONFLICT,
                f"{unit.acronym} ya tiene un turno de este documento en este nivel.",
                f"{field}.unitId",
            )
        r.notes = check.text(r.notes, f"{field}.notes", "Las indicaciones", 5000)
        due, counted_from = None, None
        if r.instruction == Instruction.KNOWLEDGE:
            if r.due_date is not None or r.business_days is not None:
                check.add(
                    "Una copia para conocimiento no lleva fecha límite.",
                    f"{field}.{'dueDate' if r.due_date is not None else 'businessDays'}",
                )
        elif r.due_date is not None or r.business_days is not None:
            due, warning = deadline_of(check, calendar, today, r.due_date, r.business_days, field)
            counted_from = today if due is not None else None
            if warning:
                warnings.append(f"{unit.acronym}: {warning}")
        elif parent is not None and parent.due_date is not None:
            due, counted_from = parent.due_date, today  # a delegated turno inherits its parent's deadline
        if parent is not None and parent.due_date is not None and exceeds_deadline(due, parent.due_date):
            check.add(
                f"No puede vencer después del turno que se delega ({parent.due_date.isoformat()}).",
                f"{field}.{'businessDays' if r.business_days is not None else 'dueDate'}",
            )
        result.append((r, due, counted_from))
    check.raise_if_any()
    return result, warnings


def deadline_of(
    check: Checker, calendar, today: date, due_date: date | None, business_days: int | None, field: str
) -> tuple[date | None, str | None]:
    """A deadline asked as a date or as business days from today: the date, and a warning when a
    fixed date falls on a non-working day (accepted as given: the sender may mean it). Problems
    go to `check`, named under `field` (e.g. recipients.0). sendTurno and the preview
    (`dueDatePreview`) share it."""
    at = f"{field}." if field else ""
    if due_date is not None and business_days is not None:
        check.add("Indique la fecha límite o los días hábiles, no ambos.", f"{at}businessDays")
        return None, None
    if business_days is not None:
        if not 1 <= business_days <= MAX_BUSINESS_DAYS:
            check.add(f"Los días hábiles van de 1 a {MAX_BUSINESS_DAYS}.", f"{at}businessDays")
            return None, None
        return calendar.add_business_days(today, business_days), None
    if due_date is None:
        return None, None
    if due_date < today:
        check.add("La fecha límite ya pasó.", f"{at}dueDate")
        return None, None
    if calendar.is_business_day(due_date):
        return due_date, None
    why = calendar.holiday_name(due_date) or "fin de semana"
    return due_date, (
        f"la fecha límite {due_date.isoformat()} es inhábil ({why}); el siguiente día hábil es "
        f"{calendar.add_business_days(due_date, 1).isoformat()}."
    )


async def preview_deadline(ctx: Context, due_date: date | None, business_days: int | None):
    """What sendTurno would set for this deadline today: the date, its explanation, a warning."""
    ctx.require_principal()
    today = ctx.clock.today()
    calendar = await ctx.calendar()
    check = Checker()
    if due_date is None and business_days is None:
        check.add("Indique la fecha límite o los días hábiles.", "businessDays")
    due, warning = deadline_of(check, calendar, today, due_date, business_days, "")
    check.raise_if_any()
    assert due is not None  # (a deadline was asked, and not refused)
    return due, explain_due_date(calendar, today, due, business_days if due_date is None else None), warning


# --- the recipient's side ---------------------------------------------------------------------


async def acknowledge_turno(ctx: Context, turno_id: int) -> Turno:
    principal = ctx.require_principal()
    async with ctx.services.db.transaction() as session:
        turno, document = await load_turno_locked(session, ctx, turno_id)
        check_acknowledge(principal, await turno_facts(session, turno, document))
        knowledge = turno.instruction == Instruction.KNOWLEDGE.value
        turno.status = next_turno_status(
            turno.status, TurnoTransition.ACKNOWLEDGE_KNOWLEDGE if knowledge else TurnoTransition.ACKNOWLEDGE
        ).value
        turno.received_at = ctx.clock.now()
        await record(session, ctx, EventKind.TURNO_RECEIVED, turno)
        if knowledge:
            turno.concluded_at = turno.received_at
            await record(session, ctx, EventKind.TURNO_CONCLUDED, turno)
    return turno


async def respond_turno(
    ctx: Context, turno_id: int, *, body: str, reference: str | None = None, files=None
) -> Response:
    principal = ctx.require_principal()
    now = ctx.clock.now()
    async with uploads_for(ctx, files or []) as staged, ctx.services.db.transaction() as session:
        turno, document = await load_turno_locked(session, ctx, turno_id)
        check_respond(principal, await turno_facts(session, turno, document))
        check = Checker()
        body = check.required_text(body, "body", "La respuesta", 20_000)
        reference = check.text(reference, "reference", "El número de oficio de respuesta", 120)
        check.raise_if_any()
        turno.status = next_turno_status(turno.status, TurnoTransition.ANSWER).value
        if turno.received_at is None:
            turno.received_at = now  # answering records the receipt too
        turno.rounds += 1
        turno.answered_on_time = answered_on_time(turno.due_date, ctx.clock.local_date(now))
        calendar = await load_calendar(session)
        response = Response(
            turno_id=turno.id,
            round=turno.rounds,
            author_id=principal.user_id,
            body=body,
            reference=reference,
            submitted_at=now,
            business_days_to_answer=calendar.business_days_between(
                ctx.clock.local_date(turno.sent_at), ctx.clock.local_date(now)
            ),
        )
        session.add(response)
        await session.flush()
        session.add_all(
            attachment_rows(
                staged, document_id=turno.document_id, response_id=response.id, user_id=principal.user_id, now=now
            )
        )
        await record(
            session,
            ctx,
            EventKind.TURNO_ANSWERED,
            turno,
            responseId=response.id,
            round=response.round,
            attachments=len(staged),
        )
    return response


# --- the sender's side ------------------------------------------------------------------------


async def evaluate_response(
    ctx: Context, response_id: int, *, decision: Decision, comment: str | None = None, new_due_date: date | None = None
) -> tuple[Response, Turno]:
    principal = ctx.require_principal()
    now = ctx.clock.now()
    today = ctx.clock.today()
    async with ctx.services.db.transaction() as session:
        turno_id = (
            await session.execute(select(Response.turno_id).where(Response.id == response_id))
        ).scalar_one_or_none()
        if turno_id is None:
            raise not_found("La respuesta no existe o no tiene acceso.", "responseId")
        try:
            turno, document = await load_turno_locked(session, ctx, turno_id, "responseId")
        except DomainError:
            raise not_found("La respuesta no existe o no tiene acceso.", "responseId") from None
        check_evaluate(principal, await turno_facts(session, turno, document))
        response = (
            await session.execute(
                select(Response).where(Response.id == response_id).execution_options(populate_existing=True)
            )
        ).scalar_one()
        if response.decision is not None or response.round != turno.rounds:
            raise InvalidTransition("Esta respuesta ya fue evaluada o no es la más reciente.", "responseId")
        check = Checker()
        comment = check.text(comment, "comment", "Las observaciones", 5000, required=decision == Decision.RETURN)
        if new_due_date is not None:
            if decision == Decision.ACCEPT:
                check.add("Solo al devolver se fija una nueva fecha límite.", "newDueDate")
            elif new_due_date < today:
                check.add("La nueva fecha límite ya pasó.", "newDueDate")
            elif turno.parent_id is not None:
                parent = await session.get_one(Turno, turno.parent_id)
                if parent.due_date is not None and exceeds_deadline(new_due_date, parent.due_date):
                    check.add(
                        f"No puede vencer después del turno superior ({parent.due_date.isoformat()}).", "newDueDate"
                    )
        check.raise_if_any()
        action = TurnoTransition.ACCEPT if decision == Decision.ACCEPT else TurnoTransition.RETURN
        turno.status = next_turno_status(turno.status, action).value
        response.decision, response.comment = decision.value, comment
        response.evaluated_by_id, response.evaluated_at = principal.user_id, now
        if decision == Decision.ACCEPT:
            turno.concluded_at = now
            turno.accepted_at_first_answer = response.round == 1
            await record(session, ctx, EventKind.TURNO_CONCLUDED, turno, responseId=response.id)
        else:
            turno.answered_on_time = None  # pending again
            if new_due_date is not None:
                turno.due_date, turno.due_business_days, turno.due_counted_from = new_due_date, None, today
            await record(
                session,
                ctx,
                EventKind.TURNO_RETURNED,
                turno,
                responseId=response.id,
                dueDate=turno.due_date.isoformat() if turno.due_date else None,
            )
    return response, turno


async def cancel_turno(ctx: Context, turno_id: int, reason: str | None = None) -> Turno:
    """Cancel a turno that is not concluded, and its open sub-turnos with it; the reason, if
    given, goes on each of them and in their events (the recipients read it too)."""
    principal = ctx.require_principal()
    now = ctx.clock.now()
    check = Checker()
    reason = check.text(reason, "reason", "El motivo", 2000)
    check.raise_if_any()
    async with ctx.services.db.transaction() as session:
        turno, document = await load_turno_locked(session, ctx, turno_id)
        check_cancel(principal, await turno_facts(session, turno, document))
        turno.status = next_turno_status(turno.status, TurnoTransition.CANCEL).value
        turno.cancelled_at, turno.cancel_reason = now, reason
        await record(session, ctx, EventKind.TURNO_CANCELLED, turno, reason=reason)
        siblings = list(
            (
                await session.execute(select(Turno).where(Turno.document_id == turno.document_id).order_by(Turno.id))
            ).scalars()
        )
        for descendant in descendants_of(turno.id, siblings):
            if TurnoStatus(descendant.status) in OPEN_TURNO:
                descendant.status = next_turno_status(descendant.status, TurnoTransition.CANCEL).value
                descendant.cancelled_at, descendant.cancel_reason = now, reason
                await record(session, ctx, EventKind.TURNO_CANCELLED, descendant, cascadeFromId=turno.id, reason=reason)
    return turno
