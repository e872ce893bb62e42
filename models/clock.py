"""The clock the code asks for the time; tests freeze it instead of sleeping."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo


class Clock:
    def __init__(self, tz: str = "America/Mexico_City"):
        self.tz = ZoneInfo(tz)

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def today(self) -> date:
        """Today in the institution's time zone."""
        return self.now().astimezone(self.tz).date()

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def start_of_day(self, day: date) -> datetime:
        """The UTC instant a local calendar day starts."""
        return datetime(day.year, day.month, day.day, tzinfo=self.tz).astimezone(timezone.utc)


@dataclass
class FrozenClock(Clock):
    """A clock that says what it is told; `advance` moves it."""

    moment: datetime = datetime(2026, 3, 2, 16, 0, tzinfo=timezone.utc)
    tz_name: str = "America/Mexico_City"

    def __post_init__(self):
        super().__init__(self.tz_name)

    def now(self) -> datetime:
        return self.moment

    def set(self, moment: datetime) -> None:
        self.moment = moment

    def advance(self, **delta) -> None:
        self.moment = self.moment + timedelta(**delta)
