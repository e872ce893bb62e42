"""Copies of the application code the migrations use, frozen as it was when they were written.

A migration must mean the same thing forever: importing models/ would make an old migration
create other columns or fill other values as soon as the application changes. So nothing here
may import the application (tests/test_migrations.py checks), and nothing here may change: a
migration that needs other behaviour gets a new copy under a new name.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

import holidays as holidays_lib
from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """models.base.UTCDateTime (0001-0009): TIMESTAMP WITH TIME ZONE; SQLite stores naive UTC,
    read back timezone-aware (0007's backfill needs aware values on both databases)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def fold(text: str | None) -> str:
    """models.text.fold (0003, 0005): lowercase without diacritics, 'Información' -> 'informacion'."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=64)
def _official_holidays(year: int) -> dict[date, str]:
    return dict(holidays_lib.country_holidays("MX", years=year, language="es"))


class BusinessCalendar:
    """What 0007 used of models.calendar.BusinessCalendar: Monday to Friday, minus Mexico's
    official holidays (the `holidays` package) and the institution's own days."""

    def __init__(self, institution_days: dict[date, str | None] | None = None):
        self.institution_days = dict(institution_days or {})

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.institution_days and day not in _official_holidays(day.year)

    def business_days_between(self, start: date, end: date) -> int:
        """Business days in (start, end]; negative when end is before start."""
        if end < start:
            return -self.business_days_between(end, start)
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_business_day(day)
        return count
