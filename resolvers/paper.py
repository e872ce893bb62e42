"""The printed papers: who may print what, the facts each one shows, and its QR's code.

- Acuse de recibo: whoever may see the document (models.permissions.visible_documents). Its
  subject and sender follow the API's confidential rule (can_see_confidential over the chain):
  who may not read them gets "Confidencial" printed instead. A citizen sender's personal data
  (email, phone, address) is never printed.
- Volante de turno: whoever may see the turno (visible_turnos); its subject, the same rule.
- Verification (/verificar/{code}): anyone with the code; only facts that are neither
  confidential nor personal (folio, dates, units, turno number).

What the caller may not see is answered exactly like what does not exist (None). Links are
signed like a file's (resolvers/links.py), with their own kinds: an acuse's link opens nothing
else. The pages counted are the ones stored at upload (resolvers/uploads.py: pypdf for a PDF,
1 for a JPEG or PNG): one SQL sum, no file read at print time; a file without a stored count
(a TIFF, a PDF that could not be parsed) is said apart rather than guessed.
"""

from __future__ import annotations

from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from files.paper import Acuse, Sender, Unit, Volante
from files.verification_page import Verified
from models.chains import load_chain
from models.attachments import Attachment
from models.calendar import explain_due_date, load_calendar
from models.catalogs import DocumentType
from models.documents import Document
from models.org import OrgUnit
from models.permissions import Principal, can_see_confidential, visible_documents, visible_turnos
from models.turnos import Turno
from models.users import User
from models.verification import PaperKind, VerificationCode, find_code, get_or_create_code
from models.workflow import TurnoStatus
from resolvers.context import Services
from resolvers.links import sign_link

ACUSE_LINK, VOLANTE_LINK = "acuse", "volante"  # sign_link kinds


# --- links --------------------------------------------------------------------------------------


def _link(ctx, kind: str, path: str, object_id: int) -> str | None:
    """A relative link signed for the caller (valid as long as a file's link), bare when the
    caller has no token version to sign with (a Bearer token opens it), None when signed out."""
    if ctx.principal is None:
        return None
    if ctx.token_version is None:
        return path
    expires = int(ctx.services.clock.now().timestamp()) + ctx.services.settings.file_url_ttl_seconds
    signature = sign_link(ctx.services, kind, object_id, ctx.principal, ctx.token_version, expires, ctx.token_id)
    return f"{path}?t={signature}"


def acuse_link(ctx, global_id: str, document_id: int) -> str | None:
    return _link(ctx, ACUSE_LINK, f"/documents/{quote(global_id, safe='')}/acuse.pdf", document_id)


def volante_link(ctx, global_id: str, turno_id: int) -> str | None:
    return _link(ctx, VOLANTE_LINK, f"/turnos/{quote(global_id, safe='')}/volante.pdf", turno_id)


def verification_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/verificar/{code}"


def paper_filename(prefix: str, number: str) -> str:
    """acuse-DA-2026-000123.pdf: the folio's slashes would read as directories."""
    return f"{prefix}-{number.replace('/', '-')}.pdf"


# --- shared reads -------------------------------------------------------------------------------


async def _readable(session, principal: Principal, document: Document) -> bool:
    """May the principal read the document's confidential fields (subject, sender)?"""
    return not document.confidential or can_see_confidential(principal, await load_chain(session, document.id))


async def _units(session, *unit_ids: int) -> dict[int, OrgUnit]:
    rows = (await session.execute(select(OrgUnit).where(OrgUnit.id.in_(set(unit_ids))))).scalars()
    return {u.id: u for u in rows}


async def _institution(session, unit: OrgUnit) -> str:
    """The institution's name: that of the root of the unit's branch of the org tree."""
    root_id = unit.lineage_ids[0]
    if root_id == unit.id:
        return unit.name
    return (await session.execute(select(OrgUnit.name).where(OrgUnit.id == root_id))).scalar_one()


def _unit(u: OrgUnit) -> Unit:
    return Unit(u.acronym, u.name)


async def _full_name(session, user_id: int) -> str:
    return (await session.execute(select(User.full_name).where(User.id == user_id))).scalar_one()


async def _code(services: Services, session, kind: PaperKind, document_id: int, turno_id: int | None = None) -> str:
    """The paper's verification code: read (every reprint), made on the first print only."""
    if code := await find_code(session, kind, document_id, turno_id):
        return code
    async with services.db.transaction() as writer:
        return await get_or_create_code(writer, kind, document_id, turno_id, services.clock.now())


# --- the papers ---------------------------------------------------------------------------------


async def acuse_for(services: Services, session, principal: Principal, document_id: int, base_url: str) -> Acuse | None:
    document = (
        await session.execute(select(Document).where(Document.id == document_id, visible_documents(principal)))
    ).scalar_one_or_none()
    if document is None:
        return None
    readable = await _readable(session, principal, document)
    unit = (await _units(session, document.unit_id))[document.unit_id]
    files, pages, counted = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(Attachment.pages), 0), func.count(Attachment.pages)).where(
                Attachment.document_id == document.id, Attachment.response_id.is_(None)
            )
        )
    ).one()
    document_type = (
        await session.execute(select(DocumentType.name).where(DocumentType.code == document.document_type))
    ).scalar_one_or_none()
    tz = ZoneInfo(services.settings.timezone)
    return Acuse(
        institution=await _institution(session, unit),
        folio=document.folio,
        received_at=document.received_at.astimezone(tz),
        timezone=services.settings.timezone,
        unit=_unit(unit),
        document_type=document_type or document.document_type,
        reference=document.reference,
        document_date=document.document_date,
        subject=document.subject if readable else None,
        sender=(
            Sender(document.sender_name, document.sender_position, document.sender_organization) if readable else None
        ),
        files=files,
        pages=pages,
        files_without_pages=files - counted,
        registered_by=await _full_name(session, document.registered_by_id),
        verification_url=verification_url(base_url, await _code(services, session, PaperKind.ACUSE, document.id)),
        printed_at=services.clock.now().astimezone(tz),
    )


async def volante_for(
    services: Services, session, principal: Principal, turno_id: int, base_url: str
) -> Volante | None:
    turno = (
        await session.execute(select(Turno).where(Turno.id == turno_id, visible_turnos(principal)))
    ).scalar_one_or_none()
    if turno is None:
        return None
    document = (await session.execute(select(Document).where(Document.id == turno.document_id))).scalar_one()
    readable = await _readable(session, principal, document)
    units = await _units(session, turno.from_unit_id, turno.to_unit_id)
    explanation = None
    if turno.due_date is not None:  # as Turno.dueDateExplanation says it
        explanation = explain_due_date(
            await load_calendar(session),
            turno.due_counted_from or services.clock.local_date(turno.sent_at),
            turno.due_date,
            turno.due_business_days,
        )
    tz = ZoneInfo(services.settings.timezone)
    return Volante(
        institution=await _institution(session, units[turno.from_unit_id]),
        folio=document.folio,
        turno_number=turno.number,
        from_unit=_unit(units[turno.from_unit_id]),
        to_unit=_unit(units[turno.to_unit_id]),
        instruction=turno.instruction,
        priority=turno.priority,
        due_date=turno.due_date,
        due_explanation=explanation,
        notes=turno.notes,
        sent_at=turno.sent_at.astimezone(tz),
        timezone=services.settings.timezone,
        sent_by=await _full_name(session, turno.sent_by_id),
        subject=document.subject if readable else None,
        cancelled=turno.status == TurnoStatus.CANCELLED.value,
        verification_url=verification_url(
            base_url, await _code(services, session, PaperKind.VOLANTE, document.id, turno.id)
        ),
        printed_at=services.clock.now().astimezone(tz),
    )


async def verified(services: Services, session, code: str) -> Verified | None:
    """What the public verification page may say about a code, or None for an unknown one."""
    row = (await session.execute(select(VerificationCode).where(VerificationCode.code == code))).scalar_one_or_none()
    if row is None:
        return None
    document = (await session.execute(select(Document).where(Document.id == row.document_id))).scalar_one()
    turno = None
    if row.turno_id is not None:
        turno = (await session.execute(select(Turno).where(Turno.id == row.turno_id))).scalar_one()
    unit_ids = [document.unit_id] + ([turno.from_unit_id, turno.to_unit_id] if turno else [])
    units = await _units(session, *unit_ids)
    tz = ZoneInfo(services.settings.timezone)
    return Verified(
        kind=row.kind,
        institution=await _institution(session, units[document.unit_id]),
        folio=document.folio,
        received_at=document.received_at.astimezone(tz),
        registered_at=document.created_at.astimezone(tz),
        timezone=services.settings.timezone,
        unit=_unit(units[document.unit_id]),
        turno_number=turno.number if turno else None,
        sent_at=turno.sent_at.astimezone(tz) if turno else None,
        from_unit=_unit(units[turno.from_unit_id]) if turno else None,
        to_unit=_unit(units[turno.to_unit_id]) if turno else None,
        turno_cancelled=bool(turno and turno.status == TurnoStatus.CANCELLED.value),
    )
