"""Business days: Monday to Friday, minus Mexico's official holidays (the `holidays` package)
and the institution's own non-working days (managed by ADMIN, stored in `institution_holidays`).

"n business days from day d" is the n-th business day after d (d itself is not counted).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays as holidays_lib
from sqlalchemy import Date, String, select
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.db import Reader


class InstitutionHoliday(Base):
    __tablename__ = "institution_holidays"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    description: Mapped[str | None] = mapped_column(String(200))


@lru_cache(maxsize=64)
def official_holidays(year: int) -> dict[date, str]:
    """Mexico's official holidays of a year, named in Spanish."""
    return dict(holidays_lib.country_holidays("MX", years=year, language="es"))


class BusinessCalendar:
    def __init__(self, institution_days: dict[date, str | None] | None = None):
        self.institution_days = dict(institution_days or {})
        # a page of turnos asks the same (today, due) pairs many times (each light, days left,
        # the document's light): each walk is done once per calendar (one per request)
        self._days_left: dict[tuple[date, date], int] = {}

    def holiday_name(self, day: date) -> str | None:
        """Why a weekday is not a business day, or None when it is one."""
        if day in self.institution_days:
            return self.institution_days[day] or "Día inhábil de la institución"
        return official_holidays(day.year).get(day)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and self.holiday_name(day) is None

    def add_business_days(self, start: date, n: int) -> date:
        """The n-th business day after `start` (n >= 0; 0 gives `start` itself)."""
        if n < 0:
            raise ValueError("n must be >= 0")
        day = start
        while n:
            day += timedelta(days=1)
            if self.is_business_day(day):
                n -= 1
        return day

    def business_days_between(self, start: date, end: date) -> int:
        """Business days in (start, end]; negative when end is before start."""
        if end < start:
            return -self.business_days_between(end, start)
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_business_day(day)
        return count

    def business_days_left(self, today: date, due: date) -> int:
        """0 = due today, 1 = due on the next business day, negative = overdue.

        Past the due date it is never 0, even when only non-working days came since
        (a Friday deadline is overdue on Saturday: -1)."""
        key = (today, due)
        if (known := self._days_left.get(key)) is not None:
            return known
        if due < today:
            left = -max(1, self.business_days_between(due, today))
        else:
            left = self.business_days_between(today, due)
        self._days_left[key] = left
        return left

    def last_day_with_at_most(self, today: date, days_left: int) -> date:
        """The last date whose business_days_left(today, date) is at most `days_left`."""
        return self.add_business_days(today, days_left + 1) - timedelta(days=1)


async def load_calendar(session: Reader) -> BusinessCalendar:
    rows = (await session.execute(select(InstitutionHoliday.day, InstitutionHoliday.description))).all()
    return BusinessCalendar({day: description for day, description in rows})


WEEKDAYS_ES = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]
MONTHS_ES = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
]


def long_date_es(day: date) -> str:
    """'lunes 9 de marzo de 2026'."""
    return f"{WEEKDAYS_ES[day.weekday()]} {day.day} de {MONTHS_ES[day.month - 1]} de {day.year}"


def short_date_es(day: date) -> str:
    return f"{day.day} de {MONTHS_ES[day.month - 1]}"


def explain_due_date(calendar: BusinessCalendar, counted_from: date, due: date, business_days: int | None) -> str:
    """A due date in words a user understands: what was counted and what was skipped."""
    skipped_weekends: list[list[date]] = []  # runs of weekend days
    skipped_holidays: list[str] = []
    day = counted_from
    while day + timedelta(days=1) < due:  # the days in between: the due date itself is not "skipped"
        day += timedelta(days=1)
        if day.weekday() >= 5:
            if day.weekday() == 5 or not skipped_weekends or skipped_weekends[-1][-1] != day - timedelta(days=1):
                skipped_weekends.append([day])
            else:
                skipped_weekends[-1].append(day)
        elif (name := calendar.holiday_name(day)) is not None:
            skipped_holidays.append(f"{short_date_es(day)} ({name})")
    counted = calendar.business_days_between(counted_from, due)
    if business_days is not None:
        plural = business_days != 1
        text = (
            f"{business_days} día{'s' if plural else ''} hábil{'es' if plural else ''} "
            f"contado{'s' if plural else ''} a partir del {long_date_es(counted_from)}: vence el {long_date_es(due)}."
        )
    else:
        text = (
            f"Fecha límite fijada: {long_date_es(due)}, a {counted} día{'s' if counted != 1 else ''} "
            f"hábil{'es' if counted != 1 else ''} del {long_date_es(counted_from)}."
        )
    if skipped_weekends:
        parts = [" y ".join(short_date_es(d) for d in group) for group in skipped_weekends]
        text += f" No se cuentan los fines de semana ({'; '.join(parts)})"
        text += f" ni los días inhábiles: {', '.join(skipped_holidays)}." if skipped_holidays else "."
    elif skipped_holidays:
        text += f" No se cuentan los días inhábiles: {', '.join(skipped_holidays)}."
    return text
