"""The year's documents: when each arrives, where it is registered, who sent it and what about."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from models.calendar import BusinessCalendar
from models.documents import Origin, Priority, SenderLevel
from models.traffic_light import TrafficLight

from mcs.demo.institution import Demo
from mcs.demo.org import ALL_MUNICIPALITIES, REGION_MUNICIPALITIES
from mcs.demo.people import TITLES, Person
from mcs.demo.senders import external_sender, internal_sender, next_number
from mcs.demo.subjects import AREA_OF, AREAS, INTERNAL, REGIONAL_AREAS, REGISTERING, Filler

if TYPE_CHECKING:
    from resolvers.documents import RegisterDocumentData

    from mcs.demo.planner import PlannedTurno


def receipt_moments(rng: random.Random, now: datetime, tz: ZoneInfo, count: int) -> list[datetime]:
    """`count` increasing moments in office hours of business days, over the 365 days to `now`."""
    calendar = BusinessCalendar()
    today = now.astimezone(tz).date()
    days = [today - timedelta(days=d) for d in range(364, 0, -1)]
    days = [d for d in days if calendar.is_business_day(d)]

    def weight(day: date) -> float:
        if (day.month == 12 and day.day >= 18) or (day.month == 1 and day.day <= 6):
            return 0.25  # winter vacation
        return 1.4 if day.weekday() == 0 else 1.0

    def moment(day: date) -> datetime:
        minutes = 8 * 60 + 30 + min(rng.randint(0, 9 * 60), rng.randint(0, 9 * 60))  # busier mornings
        local = datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, rng.randint(0, 59), tzinfo=tz)
        return local.astimezone(timezone.utc)

    # the first and last business day are always in, so the year is covered end to end
    chosen = [days[0], days[-1]] + rng.choices(days, weights=[weight(d) for d in days], k=count - 2)
    moments = [moment(d) for d in chosen]
    local_now = now.astimezone(tz)
    if calendar.is_business_day(today) and local_now.hour >= 10:  # a few from this very morning
        for _ in range(min(3, count // 50)):
            moments.pop(rng.randrange(2, len(moments)))
            span = int((local_now - local_now.replace(hour=8, minute=30)).total_seconds()) - 600
            moments.append(
                (
                    local_now.replace(hour=8, minute=30, second=0, microsecond=0)
                    + timedelta(seconds=rng.randint(0, span))
                ).astimezone(timezone.utc)
            )
    return sorted(moments)


@dataclass
class PlannedDocument:
    """A document to register at `at`, and what the workflow needs to know about it."""

    acronym: str  # the registering unit
    area: str | None  # what it is about (None: an internal memorandum)
    at: datetime
    data: RegisterDocumentData
    registrant: Person
    id: int | None = None
    focus: PlannedTurno | None = None  # the deepest turno of the main line: decides the archive series
    target: TrafficLight | None = None  # the light its first turno shows today (a few recent documents)
    route: list[str] = field(default_factory=list)  # down to a department whose staff has it today
    route_light: TrafficLight | None = None  # …where it shows this light


def plan_documents(demo: Demo, moments: list[datetime], tz: ZoneInfo) -> list[PlannedDocument]:
    """The documents, drawn from `demo.rng` in receipt order (the same draws as ever)."""
    rng = demo.rng
    calendar = BusinessCalendar()
    places, weights = zip(*REGISTERING)
    earlier: list[tuple[str, str]] = []  # (organization, reference) of external documents, for resends
    documents = []
    for at in moments:
        day = at.astimezone(tz).date()
        acronym = rng.choices(places, weights=weights)[0]
        data, area = plan_document(demo, acronym, day, calendar, earlier)
        data.received_at = at
        documents.append(PlannedDocument(acronym, area, at, data, demo.registrant[acronym]))
    return documents


def plan_document(demo: Demo, acronym: str, day: date, calendar: BusinessCalendar, earlier: list):
    """What a document received on `day` at `acronym` says (RegisterDocumentData), and its area."""
    from resolvers.documents import RegisterDocumentData, SenderData

    rng = demo.rng
    unit = demo.units[acronym]
    municipalities = REGION_MUNICIPALITIES.get(acronym, ALL_MUNICIPALITIES)
    fill = Filler(rng, day, municipalities)
    head = demo.head_of.get(acronym)
    addressee = f"{head.full_name}, {head.position}" if head else unit.name
    priority = Priority.URGENT if rng.random() < 0.12 else Priority.NORMAL
    confidential = rng.random() < (0.3 if acronym == "OIC" else 0.04)

    if rng.random() < 0.15 and acronym in {"DG", "DAF", "DRTT", "DPV", "DT", "DOR", "UIPPE"} | set(
        REGION_MUNICIPALITIES
    ):
        types, subject, summary = rng.choice(INTERNAL)
        sender_unit = internal_sender(demo, acronym)
        sender_head = demo.head_of.get(sender_unit.acronym)
        female = sender_head.female if sender_head else False
        sender = SenderData(
            level=SenderLevel.INTERNAL,
            name=f"{rng.choice(TITLES[female])} {sender_head.full_name}" if sender_head else sender_unit.name,
            position=sender_head.position if sender_head else None,
            organization=sender_unit.name,
        )
        origin = Origin.INTERNAL
        reference = f"{sender_unit.code}/{next_number(demo, sender_unit.code)}/{day.year}"
        area = None
    else:
        area = AREA_OF.get(acronym) or (
            rng.choice(REGIONAL_AREAS) if acronym in REGION_MUNICIPALITIES else rng.choice(list(AREAS))
        )
        key, types, subject, summary = rng.choice(AREAS[area])
        sender, reference = external_sender(demo, key, fill)
        origin = Origin.EXTERNAL
        if reference and earlier and rng.random() < 0.03:
            # sent again (a reminder, or a copy to another unit): the duplicate warning shows it
            sender.organization, reference = rng.choice(earlier)
            summary = "Se remite nuevamente para su atención."
        if reference and sender.organization:
            earlier.append((sender.organization, reference))
        if key in {"JDIST", "JUZCIV", "TRIJAEM", "CODHEM"}:
            confidential = confidential or rng.random() < 0.3

    subject, summary = fill.fill(subject), fill.fill(summary)
    document_type = rng.choice(types)
    if not summary and rng.random() < 0.4:
        summary = f"Documento recibido en {unit.name}; se registra para su atención y seguimiento."
    document_date = day - timedelta(days=rng.choice([0, 0, 1, 1, 2, 3, 5, 7, 10]))
    due_date = None
    if rng.random() < 0.2 or priority == Priority.URGENT:
        due_date = calendar.add_business_days(day, rng.choice([3, 5, 5, 10, 15]))
    return RegisterDocumentData(
        unit_id=unit.id,
        origin=origin,
        document_type=document_type,
        subject=subject,
        sender=sender,
        reference=reference,
        summary=summary,
        addressee=addressee,
        document_date=document_date,
        due_date=due_date,
        priority=priority,
        confidential=confidential,
    ), area
