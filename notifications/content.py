"""What a notification says, decided when it is sent, with the person's access at that moment.

- The person must still be active, still want this kind on this channel, and still see the turno
  (models/permissions.py visible_turnos); otherwise nothing is sent (None).
- A confidential document's subject only for who may read it (can_see_confidential), else
  "Documento confidencial"; a citizen sender is never named, nor any sender's contact data.
- Every message links back to the exact turno in the web app (MCS_PUBLIC_URL).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from sqlalchemy import select

from models.chains import load_chain
from models.documents import Document, SenderLevel
from models.events import Event
from models.notifications import (
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationPreference,
    Preferences,
)
from models.org import OrgUnit
from models.permissions import Principal, can_see_confidential, visible_turnos
from models.turnos import Turno
from models.users import User
from notifications.digest import digest_message, digest_of, digest_push
from notifications.email import Message
from notifications.links import turno_link, turno_path
from notifications.push import PushPayload
from models.principals import load_principal
from core.global_ids import encode_global_id

CONFIDENTIAL = "Documento confidencial"
INSTRUCTION_WORDS = {
    "ATTENTION": "Atención",
    "RESPONSE": "Respuesta",
    "OPINION": "Opinión",
    "KNOWLEDGE": "Para conocimiento",
}
# kind -> (subject's opening, the first line of the body)
WORDS: dict[NotificationKind, tuple[str, str]] = {
    NotificationKind.NEW_TURNO: ("Nuevo turno", "Se turnó un documento a {to}."),
    NotificationKind.ANSWER_RECEIVED: (
        "Respuesta por evaluar",
        "{to} respondió el turno que envió {from_}; espera su evaluación.",
    ),
    NotificationKind.ANSWER_RETURNED: (
        "Respuesta devuelta",
        "{from_} devolvió la respuesta de {to}: hay que atenderla de nuevo.",
    ),
    NotificationKind.TURNO_CANCELLED: ("Turno cancelado", "{from_} canceló el turno a {to}."),
    NotificationKind.DEADLINE_PASSED: ("Plazo vencido", "El plazo del turno a {to} venció sin respuesta."),
}


@dataclass(frozen=True)
class About:
    """What a notification is about, as its person may see it now."""

    user: User
    kind: NotificationKind
    turno: Turno
    document: Document
    units: dict[int, OrgUnit]
    readable: bool  # the document's confidential text


async def message_for(session, services, notification: Notification) -> Message | None:
    if notification.kind == NotificationKind.DAILY_DIGEST.value:
        person = await person_now(session, services, notification)
        if person is None or not person.user.email:
            return None
        digest = await digest_of(
            session, services.settings, person.principal, person.preferences.include_subunits, notification.digest_date
        )
        return None if digest.empty else digest_message(services.settings, person.user.email, digest)
    about = await about_now(session, services, notification)
    if about is None or not about.user.email:
        return None
    return compose(
        services.settings,
        about.kind,
        about.user.email,
        about.turno,
        about.document,
        {i: u.name for i, u in about.units.items()},
        about.readable,
    )


async def push_payload_for(session, services, notification: Notification) -> PushPayload | None:
    """No confidential text at all, whoever reads it: the kind, the turno's number and the unit."""
    if notification.kind == NotificationKind.DAILY_DIGEST.value:
        person = await person_now(session, services, notification)
        if person is None:
            return None
        digest = await digest_of(
            session, services.settings, person.principal, person.preferences.include_subunits, notification.digest_date
        )
        return None if digest.empty else digest_push(digest)
    about = await about_now(session, services, notification)
    if about is None:
        return None
    turno, units = about.turno, about.units
    unit = units.get(turno.to_unit_id if about.kind != NotificationKind.ANSWER_RECEIVED else turno.from_unit_id)
    return PushPayload(
        title=WORDS[about.kind][0],
        body=f"{turno.number} · {unit.acronym if unit else ''}".strip(" ·"),
        url=turno_path(turno.id),
        kind=about.kind.value,
        turno_id=encode_global_id("Turno", turno.id),
    )


@dataclass(frozen=True)
class Person:
    user: User
    preferences: Preferences
    principal: Principal


async def person_now(session, services, notification: Notification) -> Person | None:
    """None when the person is gone or inactive, or no longer wants this kind on this channel."""
    user = await session.get(User, notification.user_id)
    if user is None or not user.active:
        return None
    preferences = Preferences.of(await session.get(NotificationPreference, user.id))
    if not preferences.wants(NotificationKind(notification.kind), NotificationChannel(notification.channel)):
        return None
    principal = await load_principal(session, user.id, today=services.clock.today())
    return Person(user, preferences, principal) if principal is not None else None


async def about_now(session, services, notification: Notification) -> About | None:
    """None as person_now, or when the person can no longer see the turno."""
    person = await person_now(session, services, notification)
    if person is None:
        return None
    user, principal, kind = person.user, person.principal, NotificationKind(notification.kind)
    event = await session.get(Event, notification.event_id)
    if event is None or event.turno_id is None:
        return None
    turno = (
        await session.execute(select(Turno).where(Turno.id == event.turno_id, visible_turnos(principal)))
    ).scalar_one_or_none()
    if turno is None:
        return None
    document = await session.get(Document, turno.document_id)
    units = {
        u.id: u
        for u in (
            await session.execute(select(OrgUnit).where(OrgUnit.id.in_([turno.from_unit_id, turno.to_unit_id])))
        ).scalars()
    }
    readable = True
    if document.confidential:
        chain = await load_chain(session, document.id)
        readable = can_see_confidential(principal, chain)
    return About(user, kind, turno, document, units, readable)


def compose(
    settings, kind: NotificationKind, to: str, turno: Turno, document: Document, units: dict[int, str], readable: bool
) -> Message:
    opening, first_line = WORDS[kind]
    subject_text = document.subject if readable else CONFIDENTIAL
    from_, to_unit = units.get(turno.from_unit_id, ""), units.get(turno.to_unit_id, "")
    link = turno_link(settings, turno.id)
    facts = [
        ("Turno", turno.number),
        ("Folio", document.folio),
        ("Asunto", subject_text),
        ("De", from_),
        ("Para", to_unit),
        ("Instrucción", INSTRUCTION_WORDS.get(turno.instruction, turno.instruction)),
    ]
    if turno.due_date:
        facts.append(("Fecha límite", turno.due_date.strftime("%d/%m/%Y")))
    if readable and document.sender_level != SenderLevel.CITIZEN.value and document.sender_organization:
        facts.append(("Remitente", document.sender_organization))
    intro = first_line.format(to=to_unit, from_=from_)
    text = "\n".join(
        [
            intro,
            "",
            *[f"{label}: {value}" for label, value in facts],
            "",
            f"Ábralo en MCS: {link}",
            "",
            "Recibe este aviso según sus preferencias de notificación en MCS.",
        ]
    )
    rows = "".join(
        f'<tr><th align="left" style="padding:2px 12px 2px 0">{escape(label)}</th><td>{escape(str(value))}</td></tr>'
        for label, value in facts
    )
    html = (
        f'<!doctype html><html lang="es"><body style="font-family:sans-serif">'
        f"<p>{escape(intro)}</p><table>{rows}</table>"
        f'<p><a href="{escape(link)}">Abrir el turno {escape(turno.number)} en MCS</a></p>'
        f'<p style="color:#555;font-size:small">Recibe este aviso según sus preferencias de notificación en MCS.'
        f"</p></body></html>"
    )
    return Message(to=to, subject=f"{opening}: {turno.number} · {subject_text}"[:300], text=text, html=html)
