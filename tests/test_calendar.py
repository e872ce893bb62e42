"""The business-day calendar and the semáforo, without a database (these tests run once, not per
backend): hypothesis properties for `BusinessCalendar`, worked examples on the 2026 calendar, and
the SQL twins of the traffic light (`open_light_clause`, `turno_light_clause`) evaluated in an
in-memory SQLite and held to the answers of their Python originals.

The oracle for "is this a business day" is written here independently of models.calendar:
Monday to Friday, not in the `holidays` package's Mexican holidays, not an institution day.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import holidays as holidays_lib
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Boolean, Column, Date, Integer, MetaData, String, Table, create_engine, insert, select

from models.calendar import BusinessCalendar, explain_due_date, official_holidays
from models.traffic_light import (
    TrafficLight,
    concluded_on_time,
    concluded_on_time_clause,
    is_overdue,
    open_light,
    open_light_clause,
    overdue_clause,
    turno_light,
    turno_light_clause,
)
from models.workflow import TurnoStatus

START, END = date(2020, 1, 1), date(2035, 12, 31)
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_MX = {}


def mexican_holidays(year: int):
    if year not in _MX:
        _MX[year] = holidays_lib.country_holidays("MX", years=year)
    return _MX[year]


def oracle_is_business_day(day: date, institution: dict) -> bool:
    return day.weekday() < 5 and day not in mexican_holidays(day.year) and day not in institution


def oracle_count(start: date, end: date, institution: dict) -> int:
    """Business days in (start, end], by brute force; negative when end < start."""
    if end < start:
        return -oracle_count(end, start, institution)
    return sum(oracle_is_business_day(start + timedelta(days=i), institution) for i in range(1, (end - start).days + 1))


@st.composite
def institution_days(draw, around: date | None = None, span: int = 600, max_size: int = 40):
    """Non-working days of the institution, near `around` so they actually get in the way."""
    if around is None:
        around = draw(st.dates(START, END))
    offsets = draw(st.lists(st.integers(-60, span), max_size=max_size, unique=True))
    names = st.one_of(st.none(), st.sampled_from(["Vacaciones de primavera", "Vacaciones de verano", "Puente"]))
    return {around + timedelta(days=o): draw(names) for o in offsets}


@st.composite
def calendar_case(draw):
    start = draw(st.dates(START, END))
    return start, draw(institution_days(around=start))


# --- properties of BusinessCalendar -------------------------------------------------------------


@PROPERTY_SETTINGS
@given(case=calendar_case(), n=st.integers(0, 400))
@example(case=(date(2026, 3, 12), {date(2026, 3, 20): "Vacaciones"}), n=5)
@example(case=(date(2026, 3, 13), {}), n=1)  # Friday → Tuesday: a weekend and 16 March
def test_counting_back_gives_n(case, n):
    start, days = case
    calendar = BusinessCalendar(days)
    due = calendar.add_business_days(start, n)
    assert calendar.business_days_between(start, due) == n
    assert calendar.business_days_between(due, start) == -n
    assert oracle_count(start, due, days) == n
    if n >= 1:
        # it is the n-th one: the day before it still had only n - 1
        assert calendar.business_days_between(start, due - timedelta(days=1)) == n - 1


@PROPERTY_SETTINGS
@given(case=calendar_case(), n=st.integers(1, 400))
def test_result_is_never_a_weekend_or_holiday(case, n):
    start, days = case
    calendar = BusinessCalendar(days)
    due = calendar.add_business_days(start, n)
    assert due > start
    assert due.weekday() < 5, due
    assert due not in mexican_holidays(due.year), (due, mexican_holidays(due.year).get(due))
    assert due not in days
    assert calendar.is_business_day(due)


def test_zero_business_days_is_the_start_and_negative_is_refused():
    calendar = BusinessCalendar()
    saturday = date(2026, 3, 7)
    assert calendar.add_business_days(saturday, 0) == saturday
    with pytest.raises(ValueError):
        calendar.add_business_days(saturday, -1)


@PROPERTY_SETTINGS
@given(
    case=calendar_case(),
    n=st.integers(0, 400),
    seed=st.integers(0, 2**32 - 1),
    probes=st.lists(st.integers(-30, 600), min_size=1, max_size=10),
)
def test_order_of_institution_days_does_not_matter(case, n, seed, probes):
    start, days = case
    items = list(days.items())
    shuffled = items[:]
    random.Random(seed).shuffle(shuffled)
    calendars = [
        BusinessCalendar(dict(items)),
        BusinessCalendar(dict(shuffled)),
        BusinessCalendar(dict(reversed(items))),
        BusinessCalendar(dict(sorted(items))),
    ]
    due = calendars[0].add_business_days(start, n)
    days_probed = [start + timedelta(days=p) for p in probes]
    for other in calendars[1:]:
        assert other.add_business_days(start, n) == due
        assert other.business_days_between(start, due) == n
        for day in days_probed:
            assert other.is_business_day(day) == calendars[0].is_business_day(day)
            assert other.holiday_name(day) == calendars[0].holiday_name(day)
            assert other.business_days_left(start, day) == calendars[0].business_days_left(start, day)
        assert other.last_day_with_at_most(start, n % 10) == calendars[0].last_day_with_at_most(start, n % 10)


@PROPERTY_SETTINGS
@given(case=calendar_case(), offset=st.integers(-400, 400))
@example(case=(date(2026, 3, 7), {}), offset=-1)  # Friday deadline, today Saturday
@example(case=(date(2026, 3, 6), {}), offset=1)  # due on Saturday, today Friday
@example(case=(date(2026, 3, 13), {}), offset=3)  # due on the 16 March holiday
def test_business_days_left(case, offset):
    today, days = case
    calendar = BusinessCalendar(days)
    due = today + timedelta(days=offset)
    left = calendar.business_days_left(today, due)
    assert (left < 0) == (due < today)
    if due == today:
        assert left == 0
    if due >= today:
        # the business days after today up to and including the due date
        assert left == oracle_count(today, due, days) >= 0
        # 0 exactly while no business day has come between today and the due date
        assert (left == 0) == (due < calendar.add_business_days(today, 1))
    else:
        # overdue: never 0, even when only non-working days came since the due date
        assert left == -max(1, oracle_count(due, today, days))
    # a later deadline never has fewer days left
    assert calendar.business_days_left(today, due + timedelta(days=1)) >= left
    # a due date on a non-working day after today counts like the business day before it
    if due > today and not calendar.is_business_day(due):
        assert left == calendar.business_days_left(today, due - timedelta(days=1))


@PROPERTY_SETTINGS
@given(case=calendar_case(), k=st.integers(0, 30))
@example(case=(date(2026, 3, 6), {}), k=0)  # Friday: Saturday and Sunday still have 0 left
@example(case=(date(2026, 3, 12), {date(2026, 3, 20): None}), k=2)
def test_last_day_with_at_most_is_consistent_with_days_left(case, k):
    today, days = case
    calendar = BusinessCalendar(days)
    last = calendar.last_day_with_at_most(today, k)
    assert last >= today
    day = today
    while day <= last:
        assert 0 <= calendar.business_days_left(today, day) <= k, day
        day += timedelta(days=1)
    assert calendar.business_days_left(today, last + timedelta(days=1)) > k
    # and the light agrees: yellow up to it (threshold k), green right after
    assert open_light(calendar, today, last, k) == TrafficLight.YELLOW
    assert open_light(calendar, today, last + timedelta(days=1), k) == TrafficLight.GREEN


# --- examples on the 2026 calendar -----------------------------------------------------------------


def test_official_holidays_come_from_the_holidays_package_in_spanish():
    calendar = BusinessCalendar()
    assert official_holidays(2026)[date(2026, 3, 16)] == "Natalicio de Benito Juárez"
    assert calendar.holiday_name(date(2026, 3, 16)) == "Natalicio de Benito Juárez"
    for holiday in (
        date(2026, 2, 2),
        date(2026, 3, 16),
        date(2026, 9, 16),
        date(2026, 11, 16),
        date(2026, 1, 1),
        date(2026, 5, 1),
        date(2026, 12, 25),
    ):
        assert holiday.weekday() < 5  # a weekday that is not a business day
        assert not calendar.is_business_day(holiday), holiday
        assert calendar.holiday_name(holiday)
    assert calendar.is_business_day(date(2026, 3, 17))
    assert calendar.holiday_name(date(2026, 3, 17)) is None
    assert not calendar.is_business_day(date(2026, 3, 14))  # a Saturday
    # every Mexican holiday of the package, for a few years, is refused
    for year in (2020, 2024, 2030, 2035):
        for day in mexican_holidays(year):
            assert not calendar.is_business_day(day), (day, mexican_holidays(year)[day])


def test_five_business_days_skip_weekend_holiday_and_institution_day():
    calendar = BusinessCalendar({date(2026, 3, 20): "Vacaciones de primavera"})
    thursday = date(2026, 3, 12)
    assert calendar.add_business_days(thursday, 5) == date(2026, 3, 23)  # Monday
    assert calendar.holiday_name(date(2026, 3, 20)) == "Vacaciones de primavera"
    unnamed = BusinessCalendar({date(2026, 3, 20): None})
    assert unnamed.holiday_name(date(2026, 3, 20)) == "Día inhábil de la institución"
    # without the institution day it would have been Friday 20 March
    assert BusinessCalendar().add_business_days(thursday, 5) == date(2026, 3, 20)


def test_friday_deadline_is_overdue_on_saturday():
    calendar = BusinessCalendar()
    friday = date(2026, 3, 6)
    assert calendar.business_days_left(friday, friday) == 0
    assert calendar.business_days_left(date(2026, 3, 7), friday) == -1  # Saturday
    assert calendar.business_days_left(date(2026, 3, 8), friday) == -1  # Sunday
    assert calendar.business_days_left(date(2026, 3, 9), friday) == -1  # Monday
    assert calendar.business_days_left(date(2026, 3, 10), friday) == -2
    assert open_light(calendar, date(2026, 3, 7), friday, 2) == TrafficLight.RED
    assert open_light(calendar, friday, friday, 2) == TrafficLight.YELLOW
    # the Friday before the 16 March holiday: Tuesday 17 is 1 business day away
    assert calendar.business_days_left(date(2026, 3, 13), date(2026, 3, 17)) == 1


def test_explain_business_days_deadline():
    calendar = BusinessCalendar({date(2026, 3, 20): "Vacaciones de primavera"})
    text = explain_due_date(calendar, date(2026, 3, 12), date(2026, 3, 23), 5)
    assert text.startswith("5 días hábiles")
    assert "jueves 12 de marzo de 2026" in text and "lunes 23 de marzo de 2026" in text
    for weekend_day in ("14 de marzo", "15 de marzo", "21 de marzo", "22 de marzo"):
        assert weekend_day in text
    assert "16 de marzo (Natalicio de Benito Juárez)" in text
    assert "20 de marzo (Vacaciones de primavera)" in text
    assert "17 de marzo" not in text and "19 de marzo" not in text  # business days are not "skipped"


def test_explain_fixed_date():
    calendar = BusinessCalendar()
    text = explain_due_date(calendar, date(2026, 3, 2), date(2026, 3, 17), None)
    assert "martes 17 de marzo de 2026" in text
    assert "a 10 días hábiles del lunes 2 de marzo de 2026" in text
    assert "7 de marzo" in text and "8 de marzo" in text and "14 de marzo" in text and "15 de marzo" in text
    assert "16 de marzo (Natalicio de Benito Juárez)" in text
    # one business day, nothing skipped: singular, and no list of skipped days
    short = explain_due_date(calendar, date(2026, 3, 2), date(2026, 3, 3), 1)
    assert short.startswith("1 día hábil ") and "No se cuentan" not in short


# --- the SQL twins agree with the Python -------------------------------------------------------------


class PrefixCalendar(BusinessCalendar):
    """The same calendar, counting with prefix sums over `is_business_day` (the day-by-day count
    is tested above; here thousands of rows are compared and the loop would take minutes)."""

    FIRST, LAST = date(2025, 6, 1), date(2028, 1, 1)

    def __init__(self, institution_days=None):
        super().__init__(institution_days)
        self._index, total = {}, 0
        day = self.FIRST
        while day <= self.LAST:
            total += self.is_business_day(day)
            self._index[day] = total
            day += timedelta(days=1)

    def business_days_between(self, start: date, end: date) -> int:
        return self._index[end] - self._index[start]


def test_prefix_calendar_counts_like_the_real_one():
    days = {date(2026, 3, 20): None, date(2026, 12, 28): "Vacaciones"}
    fast, real = PrefixCalendar(days), BusinessCalendar(days)
    rng = random.Random(7)
    for _ in range(300):
        a = date(2026, 1, 1) + timedelta(days=rng.randrange(500))
        b = date(2026, 1, 1) + timedelta(days=rng.randrange(500))
        assert fast.business_days_between(a, b) == real.business_days_between(a, b)
        assert fast.business_days_left(a, b) == real.business_days_left(a, b)


TODAYS = [
    date(2026, 3, 2),
    date(2026, 3, 6),
    date(2026, 3, 7),
    date(2026, 3, 8),
    date(2026, 3, 12),
    date(2026, 3, 13),
    date(2026, 3, 16),
    date(2026, 3, 17),
    date(2026, 12, 23),
    date(2026, 12, 31),
    date(2026, 9, 14),
    date(2026, 11, 13),
]
CALENDARS = [
    PrefixCalendar(),
    PrefixCalendar(
        {date(2026, 3, 20): "Vacaciones", date(2026, 3, 11): None, date(2026, 12, 28): None, date(2026, 12, 29): None}
    ),
]


@pytest.fixture(scope="module")
def sql():
    engine = create_engine("sqlite://")
    metadata = MetaData()
    dues = Table("dues", metadata, Column("id", Integer, primary_key=True), Column("due_date", Date))
    turnos = Table(
        "turnos",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("status", String(20)),
        Column("due_date", Date),
        Column("answered_on_time", Boolean),
    )
    metadata.create_all(engine)
    due_values = [None] + [date(2026, 2, 1) + timedelta(days=i) for i in range(400)]
    turno_rows = []
    for status in TurnoStatus:
        for due in [None] + [date(2026, 2, 20) + timedelta(days=i) for i in range(0, 330, 3)]:
            for on_time in (None, True, False):
                turno_rows.append({"status": status.value, "due_date": due, "answered_on_time": on_time})
    with engine.begin() as conn:
        conn.execute(insert(dues), [{"due_date": d} for d in due_values])
        conn.execute(insert(turnos), turno_rows)
    with engine.connect() as conn:
        dues_rows = {r.id: r.due_date for r in conn.execute(select(dues))}
        turno_rows = {r.id: r for r in conn.execute(select(turnos))}
    yield engine, dues, dues_rows, turnos, turno_rows
    engine.dispose()


@pytest.mark.parametrize("calendar", CALENDARS, ids=["official", "with-institution-days"])
@pytest.mark.parametrize("threshold", [0, 1, 2, 5])
def test_open_light_clause_matches_open_light(sql, calendar, threshold):
    engine, dues, rows, _, _ = sql
    with engine.connect() as conn:
        for today in TODAYS:
            for light in TrafficLight:
                clause = open_light_clause(light, dues.c.due_date, calendar, today, threshold)
                got = set(conn.execute(select(dues.c.id).where(clause)).scalars())
                expected = {i for i, due in rows.items() if open_light(calendar, today, due, threshold) == light}
                assert got == expected, (today, light, sorted(rows[i] for i in got ^ expected)[:5])


@pytest.mark.parametrize("calendar", CALENDARS, ids=["official", "with-institution-days"])
@pytest.mark.parametrize("threshold", [0, 2, 4])
def test_turno_light_clause_matches_turno_light(sql, calendar, threshold):
    engine, _, _, turnos, rows = sql
    with engine.connect() as conn:
        for today in TODAYS:
            seen = set()
            for light in TrafficLight:
                clause = turno_light_clause(light, turnos.c, calendar, today, threshold)
                got = set(conn.execute(select(turnos.c.id).where(clause)).scalars())
                expected = {
                    i
                    for i, r in rows.items()
                    if turno_light(r.status, r.due_date, r.answered_on_time, calendar, today, threshold) == light
                }
                diff = sorted((rows[i].status, rows[i].due_date, rows[i].answered_on_time) for i in got ^ expected)
                assert got == expected, (today, light, diff[:5])
                assert not (got & seen)  # each row has exactly one light
                seen |= got
            assert seen == set(rows)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    today=st.dates(date(2026, 2, 1), date(2026, 12, 31)),
    threshold=st.integers(0, 6),
    days=institution_days(around=date(2026, 2, 1), span=400, max_size=25),
)
def test_open_light_clause_matches_for_random_calendars(sql, today, threshold, days):
    engine, dues, rows, _, _ = sql
    calendar = PrefixCalendar(days)
    with engine.connect() as conn:
        for light in (TrafficLight.RED, TrafficLight.YELLOW, TrafficLight.GREEN):
            got = set(
                conn.execute(
                    select(dues.c.id).where(open_light_clause(light, dues.c.due_date, calendar, today, threshold))
                ).scalars()
            )
            expected = {i for i, due in rows.items() if open_light(calendar, today, due, threshold) == light}
            assert got == expected, (today, light)


@pytest.mark.parametrize("today", TODAYS)
def test_overdue_clause_matches_is_overdue_and_the_red_of_a_waiting_turno(sql, today):
    engine, _, _, turnos, rows = sql
    with engine.connect() as conn:
        got = set(conn.execute(select(turnos.c.id).where(overdue_clause(turnos.c, today))).scalars())
    expected = {i for i, r in rows.items() if is_overdue(r.status, r.due_date, today)}
    assert got == expected and expected
    calendar = CALENDARS[0]
    waiting_red = {
        i
        for i, r in rows.items()
        if r.status in ("SENT", "RECEIVED", "RETURNED")
        and turno_light(r.status, r.due_date, r.answered_on_time, calendar, today, 2) == TrafficLight.RED
    }
    assert expected == waiting_red


@pytest.mark.parametrize("on_time", [True, False])
def test_concluded_on_time_clause_matches_concluded_on_time(sql, on_time):
    engine, _, _, turnos, rows = sql
    with engine.connect() as conn:
        got = set(conn.execute(select(turnos.c.id).where(concluded_on_time_clause(on_time, turnos.c))).scalars())
    expected = {i for i, r in rows.items() if concluded_on_time(r.status, r.due_date, r.answered_on_time) is on_time}
    assert got == expected and expected
