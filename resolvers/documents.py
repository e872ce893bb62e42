"""Use cases on documents: register, list, look up."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial

from sqlalchemy import Insert, insert, select

from models.archive import ArchiveRecord
from models.catalogs import ArchiveSeries, DocumentType
from models.documents import (
    Document, DocumentOrder, DocumentStatus, DocumentUnit, Origin, Priority, SenderLevel, format_folio,
    next_folio_number,
)
from models.errors import (
    DomainError, ErrorCode, ValidationFailed, forbidden, not_found, required_message, validation,
)
from models.dwell import stays_by_unit
from models.events import Event, EventKind, append_event, append_event_with
from models.filters import DocumentFilterSpec, document_filter_clauses
from models.org import OrgUnit
from models.actions import (
    DocumentFacts, check_archive, check_attach, check_conclude, check_update, pending_turno_numbers,
)
from models.permissions import (
    can_register_in, confidential_readable, visible_attachments, visible_documents, visible_events,
)
from models.search import parse_search, ranked
from models.turnos import Turno
from models.workflow import DocumentTransition, next_document_status
from resolvers.context import Context
from resolvers.pagination import Page, SortKey, bounded_int, datetime_key, float_key, int_key, keyset_page
from resolvers.turnos import lock_document
from resolvers.uploads import attachment_rows, uploads_for
from resolvers.validation import Checker

DOCUMENT_ORDER = [datetime_key(Document.received_at, "received_at"), int_key(Document.id, "id")]
CLOCK_SKEW = timedelta(minutes=5)


@dataclass
class SenderData:
    level: SenderLevel
    name: str
    position: str | None = None
    organization: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None


@dataclass
class RegisterDocumentData:
    unit_id: int
    origin: Origin
    document_type: str
    subject: str
    sender: SenderData
    reference: str | None = None
    summary: str | None = None
    addressee: str | None = None
    document_date: date | None = None
    received_at: datetime | None = None
    due_date: date | None = None
    priority: Priority | None = None
    confidential: bool | None = None
    files: list = field(default_factory=list)


async def register_document(ctx: Context, data: RegisterDocumentData) -> tuple[Document, list[str]]:
    """Register a received document with the next folio of its unit; warn of likely duplicates.

    From the moment its number is taken until COMMIT the unit's folio counter row is locked (that
    keeps the folios gapless), so the unit's registrations go one at a time through that stretch:
    everything that needs no lock comes before it (checks, catalog, duplicate search, the rows
    built), and then three round trips and the COMMIT: the number, the document (in the session),
    one statement for the chain, the files, the event-log lock, the event and its audience
    (models.events.append_event_with). See bench/REGISTRATIONS.md.
    """
    principal = ctx.require_principal()
    now = ctx.clock.now()
    async with uploads_for(ctx, data.files) as staged, ctx.services.db.transaction() as session:
        unit = await session.get(OrgUnit, data.unit_id)
        if unit is None:
            raise not_found("La unidad no existe.", "unitId")
        if not can_register_in(principal, unit.id):
            raise forbidden("Solo el titular, el control de gestión de la unidad o un administrador pueden registrar en ella.", "unitId")
        if not unit.active:
            raise validation("La unidad está inactiva.", "unitId")

        columns = await checked_columns(ctx, session, data)
        year = ctx.clock.local_date(now).year
        document = Document(
            unit_id=unit.id, year=year, **columns, status=DocumentStatus.REGISTERED.value,
            registered_by_id=principal.user_id, created_at=now,
        )
        document.refresh_derived()
        # before the number: it sees what was committed until now, as it did under the lock for
        # the unit's own registrations, which alone queued there (those of other units never did)
        warnings = await duplicate_warnings(ctx, session, document)
        files = attachment_rows(staged, document_id=None, response_id=None, user_id=principal.user_id, now=now)

        # locked from here to COMMIT: the unit's counter row, then the event log (models/events.py)
        number = await next_folio_number(session, unit.id, year)
        document.number, document.folio = number, format_folio(unit.acronym, year, number)
        session.add(document)
        await session.flush()
        await append_event_with(
            session, [insert(DocumentUnit.__table__).values(document_id=document.id, unit_id=unit.id),
                      *rows_insert(files, document_id=document.id)],
            kind=EventKind.DOCUMENT_REGISTERED, occurred_at=now, actor_id=principal.user_id,
            document_id=document.id, audience=unit.lineage_ids,
            data={"folio": document.folio, "unitId": unit.id, "attachments": len(staged)},
        )
    return document, warnings


def rows_insert(objects: list, **columns) -> list[Insert]:
    """One INSERT of mapped objects built but not added to the session, in their order (their ids
    follow it; none for no objects): the columns each was given, then `columns` (the id of the
    document they belong to, known only now). A single row is a single-row INSERT, whose compiled
    form SQLAlchemy caches (a multi-row one is compiled each time)."""
    if not objects:
        return []
    rows = [{c.key: getattr(o, c.key) for c in o.__table__.columns if c.key in vars(o)} | columns for o in objects]
    return [insert(objects[0].__table__).values(rows[0] if len(rows) == 1 else rows)]


async def checked_columns(ctx: Context, session, data: RegisterDocumentData, kept_type: str | None = None) -> dict:
    """Every field of a registration checked at once (each problem names its field), and the
    columns to store. A correction (updateDocument) checks the corrected whole the same way,
    except that a document type deactivated since (`kept_type`) may stay."""
    now, today = ctx.clock.now(), ctx.clock.today()
    check = Checker()
    sender = data.sender
    columns = dict(
        origin=data.origin.value if data.origin else None,
        document_type=data.document_type,
        subject=check.text(data.subject, "subject", "El asunto", 500, required=True),
        reference=check.text(data.reference, "reference", "La referencia", 120),
        summary=check.text(data.summary, "summary", "La síntesis", 10_000),
        addressee=check.text(data.addressee, "addressee", "El destinatario", 300),
        sender_level=sender.level.value,
        sender_name=check.text(sender.name, "sender.name", "El nombre del remitente", 300, required=True),
        sender_position=check.text(sender.position, "sender.position", "El cargo del remitente", 300),
        sender_organization=check.text(sender.organization, "sender.organization", "La dependencia del remitente", 300),
        sender_email=check.email(sender.email, "sender.email"),
        sender_phone=check.text(sender.phone, "sender.phone", "El teléfono del remitente", 60),
        sender_address=check.text(sender.address, "sender.address", "El domicilio del remitente", 500),
        document_date=data.document_date,
        due_date=data.due_date,
        priority=(data.priority or Priority.NORMAL).value,
        confidential=bool(data.confidential),
    )
    if (data.origin == Origin.INTERNAL) != (sender.level == SenderLevel.INTERNAL):
        check.add("Un documento interno tiene remitente interno, y uno externo, remitente externo.", "sender.level")
    doc_type = await session.get(DocumentType, data.document_type)
    if doc_type is None or not (doc_type.active or doc_type.code == kept_type):
        check.add("El tipo de documento no existe o está inactivo.", "documentType")
    received_at = data.received_at or now
    if received_at.tzinfo is None:
        check.add("La fecha de recepción debe indicar su zona horaria.", "receivedAt")
        received_at = now
    elif received_at > now + CLOCK_SKEW:
        check.add("La fecha de recepción no puede estar en el futuro.", "receivedAt")
    columns["received_at"] = received_at
    received_day = ctx.clock.local_date(received_at)
    if data.document_date and data.document_date > today:
        check.add("La fecha del documento no puede estar en el futuro.", "documentDate")
    elif data.document_date and data.document_date > received_day:
        check.add("La fecha del documento no puede ser posterior a su recepción.", "documentDate")
    if data.due_date and data.due_date < received_day:
        check.add("La fecha límite no puede ser anterior a la recepción.", "dueDate")
    check.raise_if_any()
    return columns


# a correction names the API's fields; the event records them by these names
CORRECTABLE = {"origin": "origin", "document_type": "documentType", "subject": "subject", "summary": "summary",
               "reference": "reference", "addressee": "addressee", "document_date": "documentDate",
               "due_date": "dueDate", "priority": "priority", "confidential": "confidential",
               "sender_level": "sender.level", "sender_name": "sender.name", "sender_position": "sender.position",
               "sender_organization": "sender.organization", "sender_email": "sender.email",
               "sender_phone": "sender.phone", "sender_address": "sender.address"}
REQUIRED_IN_A_CORRECTION = {"origin": "El origen", "document_type": "El tipo de documento", "priority": "La prioridad",
                            "confidential": "La confidencialidad", "sender": "El remitente"}


async def update_document(ctx: Context, document_id: int, changes: dict) -> tuple[Document, list[str]]:
    """Correct a registration: `changes` holds the RegisterDocumentData fields given (a None
    clears an optional one). The folio, the unit and the reception time never change. The
    DOCUMENT_UPDATED event records each changed field with its old and new value."""
    principal = ctx.require_principal()
    now = ctx.clock.now()
    check, changes = Checker(), dict(changes)
    for name, label in REQUIRED_IN_A_CORRECTION.items():
        if name in changes and changes[name] is None:
            check.add(required_message(label), CORRECTABLE.get(name, name).replace("_", ""))
            del changes[name]  # reported; the other fields are still checked (every problem at once)
    async with ctx.services.db.transaction() as session:
        document = await _lock_visible_document(session, principal, document_id)
        check_update(principal, await document_facts(session, document))
        current = RegisterDocumentData(
            unit_id=document.unit_id, origin=Origin(document.origin), document_type=document.document_type,
            subject=document.subject, reference=document.reference, summary=document.summary,
            addressee=document.addressee, document_date=document.document_date, received_at=document.received_at,
            due_date=document.due_date, priority=Priority(document.priority), confidential=document.confidential,
            sender=SenderData(level=SenderLevel(document.sender_level), name=document.sender_name,
                              position=document.sender_position, organization=document.sender_organization,
                              email=document.sender_email, phone=document.sender_phone, address=document.sender_address))
        corrected = dataclasses.replace(current, **changes)
        try:
            columns = await checked_columns(ctx, session, corrected, kept_type=document.document_type)
        except ValidationFailed as failed:
            check.errors += failed.errors
        check.raise_if_any()
        del columns["received_at"]
        changed = [(column, getattr(document, column), value) for column, value in columns.items()
                   if getattr(document, column) != value]
        if not changed:
            return document, []
        was_citizen = document.sender_level == SenderLevel.CITIZEN.value
        was_confidential = document.confidential
        for column, _, value in changed:
            setattr(document, column, value)
        document.refresh_derived()
        await session.flush()
        warnings = await duplicate_warnings(ctx, session, document) if {"reference", "sender_organization", "sender_name"} & {
            c for c, _, _ in changed} else []
        await append_event(
            session, kind=EventKind.DOCUMENT_UPDATED, occurred_at=now, actor_id=principal.user_id,
            document_id=document.id, audience=await chain_audience(session, document.id),
            data={"folio": document.folio,
                  "changes": [{"field": CORRECTABLE[c], "old": _json(old), "new": _json(new)} for c, old, new in changed],
                  # whether the protected values in it were protected (before or after): history masks them
                  "confidential": was_confidential or document.confidential,
                  "citizen": was_citizen or document.sender_level == SenderLevel.CITIZEN.value},
        )
    return document, warnings


def _json(value):
    return value.isoformat() if isinstance(value, (date, datetime)) else value


async def duplicate_warnings(ctx: Context, session, document: Document) -> list[str]:
    """Same sender organization and reference within the window, among documents whose sender
    the user may read: a confidential document's sender must not be learnt by guessing it here
    (the same reference with the right or a wrong sender gives the same warnings). `document` may
    not be written yet (a registration looks before taking its number)."""
    if not document.duplicate_key:
        return []
    window = timedelta(days=ctx.settings.duplicate_window_days)
    rows = (await session.execute(
        select(Document.folio, Document.received_at)
        .where(
            Document.duplicate_key == document.duplicate_key,
            *([Document.id != document.id] if document.id is not None else []),
            Document.received_at >= document.received_at - window,
            Document.received_at <= document.received_at + window,
            visible_documents(ctx.principal),
            confidential_readable(ctx.principal),
        )
        .order_by(Document.received_at.desc())  # the most recent first: the likeliest duplicate
        .limit(5)
    )).all()
    return [
        f"Posible duplicado: {folio}, recibido el {ctx.clock.local_date(at).isoformat()}, "
        "tiene el mismo remitente y la misma referencia."
        for folio, at in rows
    ]


async def list_documents(
    ctx: Context, spec: DocumentFilterSpec | None, *, first=None, after=None, last=None, before=None,
    order: DocumentOrder | None = None,
) -> Page:
    """Newest received first; with a search, best match first unless `order` says RECEIVED.
    Either way keyset-paginated: a relevance cursor carries the rank and the id."""
    principal = ctx.require_principal()
    search = parse_search(spec.search) if spec else None
    by_relevance = search is not None and order in (None, DocumentOrder.RELEVANCE)
    env = await ctx.filter_env()
    query = select(Document).where(
        visible_documents(principal), *document_filter_clauses(spec, env, with_search=not by_relevance)
    )
    keys = DOCUMENT_ORDER
    if by_relevance:
        dialect = "sqlite" if ctx.services.db.is_sqlite else "postgresql"
        query, rank = ranked(query, search, confidential_readable(principal), Document, dialect,
                             partial(visible_attachments, principal))
        keys = [float_key(rank, lambda row: row.search_rank), SortKey(Document.id, lambda row: row[0].id, bounded_int, int)]
    return await keyset_page(
        ctx.session, query, keys, descending=True, first=first, after=after, last=last,
        before=before, default_size=ctx.settings.page_size_default, max_size=ctx.settings.page_size_max,
    )


async def resolve_unit_filter(ctx: Context, spec: DocumentFilterSpec) -> None:
    """Fill the unit's path the filter compiler needs from the unitId given."""
    if spec.unit_id is None:
        return
    unit = await ctx.loaders.org_unit_by_id.load(spec.unit_id)
    if unit is None:
        raise DomainError(ErrorCode.NOT_FOUND, "La unidad no existe.", "filter.unitId")
    spec.unit_path = unit.path


async def conclude_document(ctx: Context, document_id: int) -> Document:
    """Conclude a document whose turnos are all concluded or cancelled (or that has none)."""
    principal = ctx.require_principal()
    async with ctx.services.db.transaction() as session:
        document = await _lock_visible_document(session, principal, document_id)
        check_conclude(principal, await document_facts(session, document))
        document.status = next_document_status(document.status, DocumentTransition.CONCLUDE)
        document.concluded_at = ctx.clock.now()
        await append_event(session, kind=EventKind.DOCUMENT_CONCLUDED, occurred_at=document.concluded_at,
                           actor_id=principal.user_id, document_id=document.id,
                           audience=await chain_audience(session, document.id), data={"folio": document.folio})
    return document


async def archive_document(ctx: Context, document_id: int, *, series: str, file_number: str) -> tuple[Document, ArchiveRecord]:
    """File a concluded document under an archival series and a file number (expediente)."""
    principal = ctx.require_principal()
    async with ctx.services.db.transaction() as session:
        document = await _lock_visible_document(session, principal, document_id)
        check_archive(principal, await document_facts(session, document))
        check = Checker()
        entry = await session.get(ArchiveSeries, (series or "").strip().upper())
        if entry is None or not entry.active:
            check.add("La serie documental no existe o está inactiva.", "series")
        file_number = check.text(file_number, "fileNumber", "El número de expediente", 60, required=True)
        check.raise_if_any()
        document.status = next_document_status(document.status, DocumentTransition.ARCHIVE)
        record = ArchiveRecord(document_id=document.id, series=entry.code, file_number=file_number,
                               archived_at=ctx.clock.now(), archived_by_id=principal.user_id)
        session.add(record)
        await append_event(session, kind=EventKind.DOCUMENT_ARCHIVED, occurred_at=record.archived_at,
                           actor_id=principal.user_id, document_id=document.id,
                           audience=await chain_audience(session, document.id),
                           data={"folio": document.folio, "series": entry.code, "fileNumber": file_number})
    return document, record


async def document_facts(session, document: Document) -> DocumentFacts:
    """What models.actions needs to decide on `document`."""
    turnos = (await session.execute(
        select(Turno.id, Turno.number, Turno.status).where(Turno.document_id == document.id))).all()
    return DocumentFacts(document, pending_turno_numbers(turnos))


async def _lock_visible_document(session, principal, document_id: int) -> Document:
    if (await session.execute(select(Document.id).where(Document.id == document_id, visible_documents(principal)))).first() is None:
        raise not_found("El documento no existe o no tiene acceso.", "documentId")
    return await lock_document(session, document_id)


async def chain_audience(session, document_id: int) -> list[int]:
    """Every unit on the document's chain and their ancestors."""
    paths = (await session.execute(
        select(OrgUnit.path).join(DocumentUnit, DocumentUnit.unit_id == OrgUnit.id).where(DocumentUnit.document_id == document_id)
    )).scalars()
    return sorted({int(p) for path in paths for p in path.strip("/").split("/") if p})


async def document_stays(ctx: Context, document_id: int, registering_unit_id: int):
    """How long the document stayed in each unit (the caller already sees the document): read
    from the events the caller may see, so a turno hidden from them (a sibling unit's) names no
    unit, date or hour here; the registering unit's stay comes from the document's own events."""
    events = (await ctx.session.execute(
        select(Event).where(Event.document_id == document_id, visible_events(ctx.require_principal()))
        .order_by(Event.id)
    )).scalars().all()
    return stays_by_unit(events, registering_unit_id, ctx.clock.now(), ctx.clock, await ctx.calendar())


async def attach_files(ctx: Context, document_id: int, files: list) -> Document:
    """Add digitized files to a registered document (its unit's REGISTRAR or HEAD, or ADMIN)."""
    principal = ctx.require_principal()
    now = ctx.clock.now()
    if not files:
        raise validation("Adjunte al menos un archivo.", "files")
    async with ctx.services.db.transaction() as session:
        document = await _lock_visible_document(session, principal, document_id)
        check_attach(principal, await document_facts(session, document))
    async with uploads_for(ctx, files) as staged, ctx.services.db.transaction() as session:
        document = await lock_document(session, document_id)
        session.add_all(attachment_rows(staged, document_id=document.id, response_id=None,
                                        user_id=principal.user_id, now=now))
        await append_event(session, kind=EventKind.DOCUMENT_UPDATED, occurred_at=now, actor_id=principal.user_id,
                           document_id=document.id, audience=await chain_audience(session, document.id),
                           data={"folio": document.folio, "attachments": len(staged)})
    return document
