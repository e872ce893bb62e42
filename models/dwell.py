"""How long a document spent in each unit, read from its events.

A unit holds the document from the moment a turno reaches it until that turno is concluded or
cancelled; the registering unit holds it from registration until the document is concluded.
Overlapping stays of one unit (two turnos at once) count once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.calendar import BusinessCalendar
from models.clock import Clock

ENDS_A_TURNO = {"TURNO_CONCLUDED", "TURNO_CANCELLED"}
ENDS_THE_DOCUMENT = {"DOCUMENT_CONCLUDED", "DOCUMENT_ARCHIVED"}


@dataclass
class UnitStay:
    unit_id: int
    entered_at: datetime
    left_at: datetime | None  # None: still there
    hours: float
    business_days: int


def _union_seconds(intervals: list[tuple[datetime, datetime]]) -> float:
    total = 0.0
    current_start: datetime | None = None  # the interval being merged: both ends set together
    current_end: datetime | None = None
    for start, end in sorted(intervals):
        if current_end is None or start > current_end:
            if current_end is not None:
                assert current_start is not None
                total += (current_end - current_start).total_seconds()
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None:
        assert current_start is not None
        total += (current_end - current_start).total_seconds()
    return total


def stays_by_unit(
    events, registering_unit_id: int, now: datetime, clock: Clock, calendar: BusinessCalendar
) -> list[UnitStay]:
    """`events`: the document's events in sequence order (objects with kind, occurred_at, turno_id, data)."""
    intervals: dict[int, list[list]] = {}
    open_turnos: dict[int, list] = {}
    for event in events:
        if event.kind == "DOCUMENT_REGISTERED":
            intervals.setdefault(registering_unit_id, []).append([event.occurred_at, None])
        elif event.kind == "TURNO_SENT" and event.data and event.data.get("toUnitId") is not None:
            stay = [event.occurred_at, None]
            intervals.setdefault(int(event.data["toUnitId"]), []).append(stay)
            open_turnos[event.turno_id] = stay
        elif event.kind in ENDS_A_TURNO and event.turno_id in open_turnos:
            open_turnos.pop(event.turno_id)[1] = event.occurred_at
        elif event.kind in ENDS_THE_DOCUMENT:
            for stay in intervals.get(registering_unit_id, []):
                if stay[1] is None:
                    stay[1] = event.occurred_at
    result = []
    for unit_id, stays in intervals.items():
        still_there = any(end is None for _, end in stays)
        closed = [(start, end or now) for start, end in stays]
        entered = min(start for start, _ in closed)
        left = None if still_there else max(end for _, end in closed)
        result.append(
            UnitStay(
                unit_id=unit_id,
                entered_at=entered,
                left_at=left,
                hours=round(_union_seconds(closed) / 3600, 2),
                business_days=max(
                    0, calendar.business_days_between(clock.local_date(entered), clock.local_date(left or now))
                ),
            )
        )
    return sorted(result, key=lambda s: s.entered_at)
