"""The semáforo: GREEN on time, YELLOW near the deadline, RED overdue, NONE without one.

Each rule is written twice on purpose and side by side: in Python for one object and as a SQL
expression for filtering lists; tests hold the two to the same answers.
"""

from __future__ import annotations

from datetime import date
from enum import Enum

from sqlalchemy import ColumnElement, and_, false, or_, true

from models.calendar import BusinessCalendar
from models.workflow import AWAITING_ANSWER, TurnoStatus


class TrafficLight(str, Enum):
    GREEN = "GREEN"
    YELLOW = "YELLOW"
    RED = "RED"
    NONE = "NONE"


# worst first: a parent shows the worst light among its open descendants
SEVERITY = {TrafficLight.RED: 3, TrafficLight.YELLOW: 2, TrafficLight.GREEN: 1, TrafficLight.NONE: 0}


def worst(lights) -> TrafficLight:
    return max(lights, key=SEVERITY.__getitem__, default=TrafficLight.NONE)


def open_light(calendar: BusinessCalendar, today: date, due: date | None, yellow_threshold: int) -> TrafficLight:
    """The light of something still pending with deadline `due`."""
    if due is None:
        return TrafficLight.NONE
    left = calendar.business_days_left(today, due)
    if left < 0:
        return TrafficLight.RED
    if left <= yellow_threshold:
        return TrafficLight.YELLOW
    return TrafficLight.GREEN


def open_light_clause(
    light: TrafficLight, due_column, calendar: BusinessCalendar, today: date, yellow_threshold: int
) -> ColumnElement[bool]:
    """SQL for `open_light(...) == light` over a due-date column."""
    yellow_until = calendar.last_day_with_at_most(today, yellow_threshold)
    if light == TrafficLight.RED:
        return due_column < today
    if light == TrafficLight.YELLOW:
        return and_(due_column >= today, due_column <= yellow_until)
    if light == TrafficLight.GREEN:
        return due_column > yellow_until
    if light == TrafficLight.NONE:
        return due_column.is_(None)
    return false()


def turno_light(
    status: str,
    due: date | None,
    answered_on_time: bool | None,
    calendar: BusinessCalendar,
    today: date,
    yellow_threshold: int,
) -> TrafficLight:
    """Awaiting an answer: by the days left. Answered or concluded: GREEN if the answer came by the
    deadline in force, RED if later (an answer given in time never turns red while it waits to be
    evaluated). Cancelled, a copy for knowledge, or no deadline: NONE."""
    if due is None:
        return TrafficLight.NONE
    if status in AWAITING_ANSWER:
        return open_light(calendar, today, due, yellow_threshold)
    if status in (TurnoStatus.ANSWERED, TurnoStatus.CONCLUDED) and answered_on_time is not None:
        return TrafficLight.GREEN if answered_on_time else TrafficLight.RED
    return TrafficLight.NONE


def turno_light_clause(
    light: TrafficLight, turno, calendar: BusinessCalendar, today: date, yellow_threshold: int
) -> ColumnElement[bool]:
    """SQL twin of `turno_light(...) == light` over a Turno alias."""
    awaiting = turno.status.in_([s.value for s in AWAITING_ANSWER])
    answered = turno.status.in_([TurnoStatus.ANSWERED.value, TurnoStatus.CONCLUDED.value])
    has_due = turno.due_date.is_not(None)
    if light == TrafficLight.RED:
        return has_due & or_(
            awaiting & open_light_clause(light, turno.due_date, calendar, today, yellow_threshold),
            answered & turno.answered_on_time.is_not(None) & (turno.answered_on_time == false()),
        )
    if light == TrafficLight.YELLOW:
        return has_due & awaiting & open_light_clause(light, turno.due_date, calendar, today, yellow_threshold)
    if light == TrafficLight.GREEN:
        return has_due & or_(
            awaiting & open_light_clause(light, turno.due_date, calendar, today, yellow_threshold),
            answered & turno.answered_on_time.is_not(None) & (turno.answered_on_time == true()),
        )
    return ~or_(
        *[
            turno_light_clause(other, turno, calendar, today, yellow_threshold)
            for other in (TrafficLight.RED, TrafficLight.YELLOW, TrafficLight.GREEN)
        ]
    )


def document_light(
    is_open: bool, due: date | None, open_turno_lights, calendar: BusinessCalendar, today: date, yellow_threshold: int
) -> TrafficLight:
    """An open document shows the worst of its own deadline and of its open turnos; closed: NONE."""
    if not is_open:
        return TrafficLight.NONE
    return worst([open_light(calendar, today, due, yellow_threshold), *open_turno_lights])


# --- what the light says, by name: overdue, answered and concluded on time ------------------------
# Each with its SQL twin (tests/test_calendar.py holds them together). The daily statistics keep
# "concluded on time" in PostgreSQL triggers too: `mcs_stats_on_time` of migration 0007, frozen
# there as migrations are, and held to `concluded_on_time` by tests/test_stats.py.


def answered_on_time(due: date | None, answered_day: date) -> bool | None:
    """An answer counts as on time when given by the deadline in force (any hour of that day)."""
    return None if due is None else answered_day <= due


def is_overdue(status: str, due: date | None, today: date) -> bool:
    """Awaiting an answer past its deadline: the RED of a turno still waiting."""
    return status in AWAITING_ANSWER and due is not None and due < today


def overdue_clause(turno, today: date) -> ColumnElement[bool]:
    """SQL twin of `is_overdue` over a Turno (alias or table columns)."""
    return turno.status.in_([s.value for s in AWAITING_ANSWER]) & turno.due_date.is_not(None) & (turno.due_date < today)


def concluded_on_time(status: str, due: date | None, on_time: bool | None) -> bool | None:
    """A concluded turno with a deadline: True when its answer came in time, False when late;
    None for every other turno (not concluded, or with no deadline to be late for)."""
    if status != TurnoStatus.CONCLUDED or due is None or on_time is None:
        return None
    return on_time


def concluded_on_time_clause(on_time: bool, turno) -> ColumnElement[bool]:
    """SQL twin of `concluded_on_time(...) is on_time`."""
    return (
        (turno.status == TurnoStatus.CONCLUDED.value)
        & turno.due_date.is_not(None)
        & (turno.answered_on_time == (true() if on_time else false()))
    )


def exceeds_deadline(due: date | None, bound: date | None) -> bool:
    """A delegated turno may not fall due after the turno it comes from (`bound`, if it has one)."""
    return due is not None and bound is not None and due > bound
