"""Use cases on documents: register, list, look up."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache, partial

from sqlalchemy import (
    BigInteger,
    Insert,
    String,
    any_,
    bindparam,
    func,
    insert,
    literal,
    literal_column,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from models.audience import chain_audience
from models.chains import load_chain
from models.archive import ArchiveRecord
from models.catalogs import ArchiveSeries, DocumentType
from models.documents import (
    ATTACHMENT_COLUMNS,
    Document,
    DocumentOrder,
    DocumentStatus,
    DocumentUnit,
    Origin,
    Priority,
    SenderLevel,
    folio_prefix,
    format_folio,
    next_folio_number,
    registration_statement,
)
from models.db import note_changes
from models.idempotency import pending_key
from models.errors import (
    ValidationFailed,
    forbidden,
    not_found,
    required_message,
    validation,
)
from models.dwell import stays_by_unit
from models.events import Event, EventKind, append_event, append_event_with
from models.filters import DocumentFilterSpec, document_filter_clauses, document_search_clause
from models.org import OrgUnit
from models.actions import (
    DocumentFacts,
    check_archive,
    check_attach,
    check_conclude,
    check_update,
    pending_turno_numbers,
)
from models.permissions import (
    can_register_in,
    confidential_readable,
    visible_attachments,
    visible_documents,
    visible_events,
)
from models.search import newest_matches, parse_search, ranked
from models.turnos import Turno
from models.users import User
from models.workflow import DocumentTransition, next_document_status
from resolvers.context import Context
from resolvers.pagination import (
    Page,
    SortKey,
    bounded_int,
    datetime_key,
    decode_cursor,
    float_key,
    int_key,
    keyset_page,
    page_size,
)
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
    keeps the folios gapless), so the unit's registrations go one at a time through that stretch.
    On PostgreSQL a registration is two statements and the COMMIT (bench/REGISTRATIONS.md): one
    read without the counter (the unit, the document type, the duplicate search, the document's id,
    the caller's user row locked FOR KEY SHARE) and one that writes everything
    (models.documents.registration_statement), so the row is held for one round trip and the
    COMMIT. SQLite (one writer at a time) runs the same steps in separate statements.
    """
    principal = ctx.require_principal()
    now = ctx.clock.now()
    async with uploads_for(ctx, data.files) as staged, ctx.services.db.transaction() as session:
        if ctx.services.db.is_sqlite:
            return await _register_step_by_step(ctx, session, principal, data, staged, now)
        return await _register_in_two_statements(ctx, session, principal, data, staged, now)


async def _register_in_two_statements(
    ctx: Context, session, principal, data: RegisterDocumentData, staged, now: datetime
) -> tuple[Document, list[str]]:
    # the duplicate key as the checked columns will give it (check.text strips): the search runs in
    # the first statement; its answer is used only if every check passes
    received_at = data.received_at or now
    probe = Document(
        reference=_stripped(data.reference),
        sender_name=_stripped(data.sender.name),
        sender_organization=_stripped(data.sender.organization),
    )
    probe.refresh_derived()
    window = timedelta(days=ctx.settings.duplicate_window_days)
    search = probe.duplicate_key is not None and received_at.tzinfo is not None
    row = (
        await session.execute(
            _registration_read(principal, search),
            {
                "unit_id": data.unit_id,
                "type_code": data.document_type,
                "me": principal.user_id,
                **(
                    {
                        "dup_key": probe.duplicate_key,
                        "dup_self": 0,
                        "dup_from": received_at - window,
                        "dup_to": received_at + window,
                    }
                    if search
                    else {}
                ),
            },
        )
    ).one_or_none()
    if row is None:
        raise not_found("La unidad no existe.", "unitId")
    unit = row.OrgUnit  # and the document type, if any, is in the session for checked_columns
    if not can_register_in(principal, unit.id):
        raise forbidden(
            "Solo el titular, el control de gestión de la unidad o un administrador pueden registrar en ella.", "unitId"
        )
    if not unit.active:
        raise validation("La unidad está inactiva.", "unitId")
    columns = await checked_columns(ctx, session, data)
    year = ctx.clock.local_date(now).year
    document = Document(
        id=row.document_id,
        unit_id=unit.id,
        year=year,
        **columns,
        status=DocumentStatus.REGISTERED.value,
        registered_by_id=principal.user_id,
        created_at=now,
        concluded_at=None,
        turno_count=0,
    )
    document.refresh_derived()
    warnings = _warnings(ctx, zip(row.dup_folios or (), row.dup_times or ())) if search else []
    files = attachment_rows(staged, document_id=document.id, response_id=None, user_id=principal.user_id, now=now)

    # locked from here to COMMIT: the unit's counter row, then the event log (models/events.py)
    params = {f"d_{c.key}": getattr(document, c.key) for c in Document.__table__.c if c.key not in ("folio", "number")}
    for i, f in enumerate(files):
        params.update({f"a{i}_{k}": getattr(f, k) for k in ATTACHMENT_COLUMNS})
    # the Idempotency-Key, if the request has one, is written by this statement too (one round trip less)
    key = pending_key(session)
    key_row = key.take(session, {"documents": [document.id]}) if key is not None else None
    if key_row is not None:
        params.update({f"k_{k}": v for k, v in key_row.items()})
    sequence, number = (
        await session.execute(
            registration_statement(len(files), key_row is not None),
            {
                **params,
                "unit_id": unit.id,
                "year": year,
                "folio_prefix": folio_prefix(unit.acronym, year),
                "e_kind": EventKind.DOCUMENT_REGISTERED.value,
                "e_occurred_at": now,
                "e_actor_id": principal.user_id,
                "e_data": {"unitId": unit.id, "attachments": len(staged)},
                "audience": unit.lineage_ids,
            },
        )
    ).one()
    document.number, document.folio = number, format_folio(unit.acronym, year, number)
    note_changes(session, sequence=sequence)
    if key is not None and key_row is not None:  # (a row only from a key)
        key.recorded = True
    return document, warnings


def _stripped(value: str | None) -> str | None:
    value = value.strip() if isinstance(value, str) else value
    return value or None


@lru_cache(maxsize=128)
def _registration_read(principal, search: bool):
    """PostgreSQL, the registration's one read before its number: the unit, the document type
    (outer-joined: a missing one is reported by checked_columns), the caller's user row locked FOR
    KEY SHARE (registration_statement's foreign keys), the document's id from its sequence and, if
    `search`, the duplicates (folios and reception times, most recent first). Built once per caller
    (the visibility predicates depend on them) and search; the values are bind parameters."""
    me = select(literal(1)).select_from(User).where(User.id == bindparam("me")).with_for_update(key_share=True)
    query = (
        select(
            OrgUnit,
            DocumentType,
            func.nextval(literal_column("pg_get_serial_sequence('documents', 'id')")).label("document_id"),
            me.scalar_subquery().label("user_locked"),
        )
        .select_from(OrgUnit)
        .outerjoin(DocumentType, DocumentType.code == bindparam("type_code"))
    )
    if search:
        found = _duplicates_query(principal).subquery()
        newest_first = found.c.received_at.desc()
        duplicates = select(
            func.array_agg(aggregate_order_by(found.c.folio, newest_first)).label("dup_folios"),
            func.array_agg(aggregate_order_by(found.c.received_at, newest_first)).label("dup_times"),
        ).subquery()
        query = query.add_columns(duplicates.c.dup_folios, duplicates.c.dup_times).join(duplicates, true())
    return query.where(OrgUnit.id == bindparam("unit_id"))


async def _register_step_by_step(
    ctx: Context, session, principal, data: RegisterDocumentData, staged, now: datetime
) -> tuple[Document, list[str]]:
    """SQLite: the same checks and writes, one statement each."""
    unit = await session.get(OrgUnit, data.unit_id)
    if unit is None:
        raise not_found("La unidad no existe.", "unitId")
    if not can_register_in(principal, unit.id):
        raise forbidden(
            "Solo el titular, el control de gestión de la unidad o un administrador pueden registrar en ella.", "unitId"
        )
    if not unit.active:
        raise validation("La unidad está inactiva.", "unitId")

    columns = await checked_columns(ctx, session, data)
    year = ctx.clock.local_date(now).year
    document = Document(
        unit_id=unit.id,
        year=year,
        **columns,
        status=DocumentStatus.REGISTERED.value,
        registered_by_id=principal.user_id,
        created_at=now,
    )
    document.refresh_derived()
    warnings = await duplicate_warnings(ctx, session, document)
    files = attachment_rows(staged, document_id=None, response_id=None, user_id=principal.user_id, now=now)

    number = await next_folio_number(session, unit.id, year)
    document.number, document.folio = number, format_folio(unit.acronym, year, number)
    session.add(document)
    await session.flush()
    await append_event_with(
        session,
        [
            insert(DocumentUnit.__table__).values(document_id=document.id, unit_id=unit.id),
            *rows_insert(files, document_id=document.id),
        ],
        kind=EventKind.DOCUMENT_REGISTERED,
        occurred_at=now,
        actor_id=principal.user_id,
        document_id=document.id,
        audience=unit.lineage_ids,
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
CORRECTABLE = {
    "origin": "origin",
    "document_type": "documentType",
    "subject": "subject",
    "summary": "summary",
    "reference": "reference",
    "addressee": "addressee",
    "document_date": "documentDate",
    "due_date": "dueDate",
    "priority": "priority",
    "confidential": "confidential",
    "sender_level": "sender.level",
    "sender_name": "sender.name",
    "sender_position": "sender.position",
    "sender_organization": "sender.organization",
    "sender_email": "sender.email",
    "sender_phone": "sender.phone",
    "sender_address": "sender.address",
}
REQUIRED_IN_A_CORRECTION = {
    "origin": "El origen",
    "document_type": "El tipo de documento",
    "priority": "La prioridad",
    "confidential": "La confidencialidad",
    "sender": "El remitente",
}


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
            unit_id=document.unit_id,
            origin=Origin(document.origin),
            document_type=document.document_type,
            subject=document.subject,
            reference=document.reference,
            summary=document.summary,
            addressee=document.addressee,
            document_date=document.document_date,
            received_at=document.received_at,
            due_date=document.due_date,
            priority=Priority(document.priority),
            confidential=document.confidential,
            sender=SenderData(
                level=SenderLevel(document.sender_level),
                name=document.sender_name,
                position=document.sender_position,
                organization=document.sender_organization,
                email=document.sender_email,
                phone=document.sender_phone,
                address=document.sender_address,
            ),
        )
        corrected = dataclasses.replace(current, **changes)
        try:
            columns = await checked_columns(ctx, session, corrected, kept_type=document.document_type)
        except ValidationFailed as failed:
            check.errors += failed.errors
        check.raise_if_any()
        del columns["received_at"]
        changed = [
            (column, getattr(document, column), value)
            for column, value in columns.items()
            if getattr(document, column) != value
        ]
        if not changed:
            return document, []
        was_citizen = document.sender_level == SenderLevel.CITIZEN.value
        was_confidential = document.confidential
        for column, _, value in changed:
            setattr(document, column, value)
        document.refresh_derived()
        await session.flush()
        warnings = (
            await duplicate_warnings(ctx, session, document)
            if {"reference", "sender_organization", "sender_name"} & {c for c, _, _ in changed}
            else []
        )
        await append_event(
            session,
            kind=EventKind.DOCUMENT_UPDATED,
            occurred_at=now,
            actor_id=principal.user_id,
            document_id=document.id,
            audience=chain_audience(await load_chain(session, document.id)),
            data={
                "folio": document.folio,
                "changes": [{"field": CORRECTABLE[c], "old": _json(old), "new": _json(new)} for c, old, new in changed],
                # whether the protected values in it were protected (before or after): history masks them
                "confidential": was_confidential or document.confidential,
                "citizen": was_citizen or document.sender_level == SenderLevel.CITIZEN.value,
            },
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
    rows = (
        await session.execute(
            _duplicates_query(ctx.principal),
            {
                "dup_key": document.duplicate_key,
                "dup_self": document.id or 0,
                "dup_from": document.received_at - window,
                "dup_to": document.received_at + window,
            },
        )
    ).all()
    return _warnings(ctx, rows)


def _warnings(ctx: Context, rows) -> list[str]:
    return [
        f"Posible duplicado: {folio}, recibido el {ctx.clock.local_date(at).isoformat()}, "
        "tiene el mismo remitente y la misma referencia."
        for folio, at in rows
    ]


@lru_cache(maxsize=128)
def _duplicates_query(principal):
    """The duplicate search of `principal`, the most recent 5 (the likeliest duplicates), its values
    as bind parameters (dup_key, dup_self: the document's own id or 0, dup_from, dup_to). Built once
    per caller: composing the visibility predicates cost more than running them (bench/REGISTRATIONS.md)."""
    return (
        select(Document.folio, Document.received_at)
        .where(
            Document.duplicate_key == bindparam("dup_key", type_=String),
            Document.id != bindparam("dup_self", type_=BigInteger),
            Document.received_at >= bindparam("dup_from", type_=Document.received_at.type),
            Document.received_at <= bindparam("dup_to", type_=Document.received_at.type),
            visible_documents(principal),
            confidential_readable(principal),
        )
        .order_by(Document.received_at.desc())
        .limit(5)
    )


async def list_documents(
    ctx: Context,
    spec: DocumentFilterSpec | None,
    *,
    first=None,
    after=None,
    last=None,
    before=None,
    order: DocumentOrder | None = None,
) -> Page:
    """Newest received first; with a search, best match first unless `order` says RECEIVED.
    Either way keyset-paginated: a relevance cursor carries the rank and the id."""
    principal = ctx.require_principal()
    search = parse_search(spec.search) if spec else None
    by_relevance = search is not None and order in (None, DocumentOrder.RELEVANCE)
    env = await ctx.filter_env()
    unsearched = select(Document).where(
        visible_documents(principal), *document_filter_clauses(spec, env, with_search=False)
    )
    searched = document_search_clause(spec.search, env) if spec else None
    matching = unsearched.where(searched) if searched is not None else unsearched
    query, keys, counted = matching, DOCUMENT_ORDER, None  # counted: every match, when the page reads fewer
    readable, visible_files = confidential_readable(principal), partial(visible_attachments, principal)
    if by_relevance and search is not None:  # (by relevance: there is a search)
        dialect = "sqlite" if ctx.services.db.is_sqlite else "postgresql"
        query, rank = ranked(unsearched, search, readable, Document, dialect, visible_files)
        keys = [
            float_key(rank, lambda row: row.search_rank),
            SortKey(Document.id, lambda row: row[0].id, bounded_int, int),
        ]
        counted = matching
    elif search is not None and search.terms and last is None and before is None and not ctx.services.db.is_sqlite:
        # by date, forward: the page is among the next newest matches (models/search.py newest_matches)
        size = page_size(first, ctx.settings.page_size_default, ctx.settings.page_size_max, "first") + 1
        bound = (
            [tuple_(Document.received_at, Document.id) < tuple_(*decode_cursor(DOCUMENT_ORDER, after, "after"))]
            if after
            else []
        )
        ids = newest_matches(unsearched, search, readable, Document, visible_files, size, *bound)
        query, counted = select(Document).where(Document.id == any_(ids)), matching
    count_query = (
        select(func.count()).select_from(counted.with_only_columns(Document.id).subquery())
        if counted is not None
        else None
    )
    return await keyset_page(
        ctx.session,
        query,
        keys,
        descending=True,
        first=first,
        after=after,
        last=last,
        before=before,
        default_size=ctx.settings.page_size_default,
        max_size=ctx.settings.page_size_max,
        count_query=count_query,
    )


async def conclude_document(ctx: Context, document_id: int) -> Document:
    """Conclude a document whose turnos are all concluded or cancelled (or that has none)."""
    principal = ctx.require_principal()
    async with ctx.services.db.transaction() as session:
        document = await _lock_visible_document(session, principal, document_id)
        check_conclude(principal, await document_facts(session, document))
        document.status = next_document_status(document.status, DocumentTransition.CONCLUDE)
        document.concluded_at = ctx.clock.now()
        await append_event(
            session,
            kind=EventKind.DOCUMENT_CONCLUDED,
            occurred_at=document.concluded_at,
            actor_id=principal.user_id,
            document_id=document.id,
            audience=chain_audience(await load_chain(session, document.id)),
            data={"folio": document.folio},
        )
    return document


async def archive_document(
    ctx: Context, document_id: int, *, series: str, file_number: str
) -> tuple[Document, ArchiveRecord]:
    """File a concluded document under an archival series and a file number (expediente)."""
    principal = ctx.require_principal()
    async with ctx.services.db.transaction() as session:
        document = await _lock_visible_document(session, principal, document_id)
        check_archive(principal, await document_facts(session, document))
        check = Checker()
        entry = await session.get(ArchiveSeries, (series or "").strip().upper())
        if entry is None or not entry.active:
            check.add("La serie documental no existe o está inactiva.", "series")
        file_number = check.required_text(file_number, "fileNumber", "El número de expediente", 60)
        check.raise_if_any()
        assert entry is not None  # (refused above when missing)
        document.status = next_document_status(document.status, DocumentTransition.ARCHIVE)
        record = ArchiveRecord(
            document_id=document.id,
            series=entry.code,
            file_number=file_number,
            archived_at=ctx.clock.now(),
            archived_by_id=principal.user_id,
        )
        session.add(record)
        await append_event(
            session,
            kind=EventKind.DOCUMENT_ARCHIVED,
            occurred_at=record.archived_at,
            actor_id=principal.user_id,
            document_id=document.id,
            audience=chain_audience(await load_chain(session, document.id)),
            data={"folio": document.folio, "series": entry.code, "fileNumber": file_number},
        )
    return document, record


async def document_facts(session, document: Document) -> DocumentFacts:
    """What models.actions needs to decide on `document`."""
    turnos = (
        await session.execute(select(Turno.id, Turno.number, Turno.status).where(Turno.document_id == document.id))
    ).all()
    return DocumentFacts(document, pending_turno_numbers(turnos))


async def _lock_visible_document(session, principal, document_id: int) -> Document:
    if (
        await session.execute(select(Document.id).where(Document.id == document_id, visible_documents(principal)))
    ).first() is None:
        raise not_found("El documento no existe o no tiene acceso.", "documentId")
    return await lock_document(session, document_id)


async def document_stays(ctx: Context, document_id: int, registering_unit_id: int):
    """How long the document stayed in each unit (the caller already sees the document): read
    from the events the caller may see, so a turno hidden from them (a sibling unit's) names no
    unit, date or hour here; the registering unit's stay comes from the document's own events."""
    events = (
        (
            await ctx.session.execute(
                select(Event)
                .where(Event.document_id == document_id, visible_events(ctx.require_principal()))
                .order_by(Event.id)
            )
        )
        .scalars()
        .all()
    )
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
        session.add_all(
            attachment_rows(staged, document_id=document.id, response_id=None, user_id=principal.user_id, now=now)
        )
        await append_event(
            session,
            kind=EventKind.DOCUMENT_UPDATED,
            occurred_at=now,
            actor_id=principal.user_id,
            document_id=document.id,
            audience=chain_audience(await load_chain(session, document.id)),
            data={"folio": document.folio, "attachments": len(staged)},
        )
    return document
