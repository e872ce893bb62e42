"""The semáforo: GREEN on time, YELLOW near the deadline, RED overdue, NONE without one.

Each rule is written twice on purpose and side by side: in Python for one object and as a SQL
expression for filtering lists; tests hold the two to the same answers.
"""

from __future__ import annotations

from datetime import date
from enum import Enum

from sqlalchemy import ColumnElement, and_, false

from models.calendar import BusinessCalendar


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


def document_light(is_open: bool, due: date | None, calendar: BusinessCalendar, today: date, yellow_threshold: int) -> TrafficLight:
    """A document's own light: from its due date while it is open; NONE once closed."""
    return open_light(calendar, today, due, yellow_threshold) if is_open else TrafficLight.NONE
