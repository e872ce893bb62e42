"""Business days: Monday to Friday, minus Mexico's official holidays (the `holidays` package)
and the institution's own non-working days (managed by ADMIN, stored in `institution_holidays`).

"n business days from day d" is the n-th business day after d (d itself is not counted).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays as holidays_lib
from sqlalchemy import Date, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class InstitutionHoliday(Base):
    __tablename__ = "institution_holidays"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    description: Mapped[str | None] = mapped_column(String(200))


@lru_cache(maxsize=64)
def _official_holidays(year: int) -> dict[date, str]:
    return dict(holidays_lib.country_holidays("MX", years=year, language="es"))


class BusinessCalendar:
    def __init__(self, institution_days: dict[date, str | None] | None = None):
        self.institution_days = dict(institution_days or {})

    def holiday_name(self, day: date) -> str | None:
        """Why a weekday is not a business day, or None when it is one."""
        if day in self.institution_days:
            return self.institution_days[day] or "Día inhábil de la institución"
        return _official_holidays(day.year).get(day)

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
        """0 = due today, 1 = due on the next business day, negative = overdue."""
        return self.business_days_between(today, due)

    def last_day_with_at_most(self, today: date, days_left: int) -> date:
        """The last date whose business_days_left(today, date) is at most `days_left`."""
        return self.add_business_days(today, days_left + 1) - timedelta(days=1)


async def load_calendar(session: AsyncSession) -> BusinessCalendar:
    rows = (await session.execute(select(InstitutionHoliday.day, InstitutionHoliday.description))).all()
    return BusinessCalendar({day: description for day, description in rows})
