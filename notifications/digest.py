"""The daily digest: what a person has pending this morning, read with their access at sending time.

Three lists, each with its count and its first items (oldest deadline first), each item linking
to its turno in the web app:
- **Vencidos**: turnos to my units still awaiting an answer, past their due date;
- **Vencen hoy o pronto**: awaiting an answer, due from today to the yellow threshold;
- **Respuestas por evaluar**: turnos my units sent that were answered and await our evaluation.
"My units" is the inbox's scope: my own units, and with includeSubunits (HEAD, REGISTRAR,
VIEWER) their subunits. Nothing pending: no digest (SKIPPED).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

from sqlalchemy import func, select

from models.calendar import load_calendar
from models.filters import TurnoFilterSpec, box_unit_ids
from models.permissions import Principal
from models.traffic_light import TrafficLight, overdue_clause, turno_light_clause
from models.turnos import Turno
from models.workflow import TurnoStatus
from notifications.links import turno_link
from notifications.email import Message
from notifications.push import PushPayload

FIRST_ITEMS = 10


@dataclass(frozen=True)
class Item:
    turno_id: int
    number: str
    due_date: date | None


@dataclass(frozen=True)
class Section:
    title: str
    count: int
    items: list[Item]


@dataclass(frozen=True)
class Digest:
    day: date
    sections: list[Section]

    @property
    def empty(self) -> bool:
        return all(s.count == 0 for s in self.sections)


async def digest_of(session, settings, principal: Principal, include_subunits: bool, today: date) -> Digest:
    calendar = await load_calendar(session)
    units = sorted(await box_unit_ids(session, principal, TurnoFilterSpec(include_subunits=include_subunits)))
    due_soon = turno_light_clause(TrafficLight.YELLOW, Turno, calendar, today, settings.yellow_threshold_days)
    queries = [
        ("Vencidos", [Turno.to_unit_id.in_(units), overdue_clause(Turno, today)]),
        ("Vencen hoy o pronto", [Turno.to_unit_id.in_(units), due_soon]),
        ("Respuestas por evaluar", [Turno.from_unit_id.in_(units), Turno.status == TurnoStatus.ANSWERED.value]),
    ]
    sections = []
    for title, where in queries:
        count = (await session.execute(select(func.count()).select_from(Turno).where(*where))).scalar_one()
        rows = (
            (
                await session.execute(
                    select(Turno.id, Turno.number, Turno.due_date)
                    .where(*where)
                    .order_by(Turno.due_date.nulls_last(), Turno.id)
                    .limit(FIRST_ITEMS)
                )
            ).all()
            if count
            else []
        )
        sections.append(Section(title, count, [Item(*r) for r in rows]))
    return Digest(today, sections)


def digest_message(settings, to: str, digest: Digest) -> Message:
    day = digest.day.strftime("%d/%m/%Y")
    counts = ", ".join(f"{s.count} {s.title.lower()}" for s in digest.sections if s.count)
    lines = [f"Pendientes al {day}: {counts}.", ""]
    html = [f"<p>Pendientes al {escape(day)}: {escape(counts)}.</p>"]
    for section in digest.sections:
        if not section.count:
            continue
        lines.append(f"{section.title} ({section.count}):")
        html.append(f'<h2 style="font-size:1.1em">{escape(section.title)} ({section.count})</h2><ul>')
        for item in section.items:
            due = f" — fecha límite {item.due_date.strftime('%d/%m/%Y')}" if item.due_date else ""
            link = turno_link(settings, item.turno_id)
            lines.append(f"- {item.number}{due}: {link}")
            html.append(f'<li><a href="{escape(link)}">{escape(item.number)}</a>{escape(due)}</li>')
        if section.count > len(section.items):
            lines.append(f"  y {section.count - len(section.items)} más en MCS.")
            html.append(f"<li>y {section.count - len(section.items)} más en MCS.</li>")
        lines.append("")
        html.append("</ul>")
    lines.append("Recibe este resumen en días hábiles según sus preferencias de notificación en MCS.")
    html.append(
        '<p style="color:#555;font-size:small">Recibe este resumen en días hábiles según sus preferencias '
        "de notificación en MCS.</p>"
    )
    body = '<!doctype html><html lang="es"><body style="font-family:sans-serif">' + "".join(html) + "</body></html>"
    return Message(to=to, subject=f"Resumen del {day}: {counts}"[:300], text="\n".join(lines), html=body)


def digest_push(digest: Digest) -> PushPayload:
    counts = ", ".join(f"{s.count} {s.title.lower()}" for s in digest.sections if s.count)
    return PushPayload(
        title=f"Resumen del {digest.day.strftime('%d/%m/%Y')}",
        body=counts,
        url="/bandeja",
        kind="DAILY_DIGEST",
        turno_id="",
    )
