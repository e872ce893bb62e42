"""Indicators (the `stats` query): buckets of local calendar time, and the SQL that counts in them.

Buckets are days, ISO weeks (Monday to Sunday), months or years of the institution's time zone.
Their boundaries are computed here in Python (zoneinfo, so a DST change is a 23- or 25-hour day)
as UTC instants, [local start, next local start), clipped to the period; the database assigns
each row to its bucket by joining that list on `timestamp >= starts_at AND timestamp < ends_at`
and groups by bucket (and unit). No row is read into Python, and the number of statements does
not depend on the number of buckets: one per source (documents, turnos received, turnos sent,
responses sent, responses received).

Which units count comes from the permission layer (models.permissions.unit_in_scope) narrowed by
the lists' unit filter (models.filters.turno_filter_clauses: the unit, or with includeSubunits its
subtree, exactly as in the inbox and the outbox); each metric applies that set of units to its
own unit column: the registering unit of a document, the recipient or the sender of a turno, the
answering or the asking unit of a response.

Two ways to count, same numbers (tests/test_stats.py checks both against one expected history):

- from the rows (`stats_statements`): five statements, one per source. SQLite always counts this
  way, and so does PostgreSQL when its daily table does not follow the configured time zone;
- PostgreSQL, from `stats_daily`: per local day and unit, the counts that do not depend on
  today's date, kept by triggers (migration 0007) in the committing transaction, so a year is
  at most 365 rows per unit whatever the number of documents. What depends on today (pending,
  overdue) is counted from the open turnos only (`rollup_statements`). Two statements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    DateTime,
    FromClause,
    Index,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import SQLCoreOperations

from models.base import Base, BigId, UTCDateTime
from models.calendar import BusinessCalendar
from models.clock import Clock
from models.documents import Document
from models.filters import FilterEnv, TurnoFilterSpec, own_units_only, period_clause, turno_filter_clauses
from models.org import OrgUnit
from models.permissions import Principal, unit_in_scope
from models.traffic_light import TrafficLight, turno_light_clause
from models.turnos import Response, Turno
from models.workflow import OPEN_TURNO, TurnoStatus

MAX_BUCKETS = 1000
MAX_ROWS = 10_000  # buckets × units of a byUnit answer: beyond this nobody reads it, and it costs seconds
# the period's dates must leave room for the UTC conversion of their midnights
EARLIEST, LATEST = date(1900, 1, 1), date(9998, 12, 31)


class Granularity(str, Enum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    YEAR = "YEAR"


class StatsDaily(Base):
    """PostgreSQL only (on SQLite it stays empty): the indicators per local day and unit that
    do not depend on today, kept by the triggers of migration 0007 (see there for each column).
    The local day is that of the time zone in `stats_settings`, which must be Settings.timezone."""

    __tablename__ = "stats_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    unit_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    documents_received: Mapped[int] = mapped_column(Integer, default=0)
    turnos_sent: Mapped[int] = mapped_column(Integer, default=0)
    turnos_received: Mapped[int] = mapped_column(Integer, default=0)
    responses_sent: Mapped[int] = mapped_column(Integer, default=0)
    responses_received: Mapped[int] = mapped_column(Integer, default=0)
    business_days_sum: Mapped[int] = mapped_column(BigInteger, default=0)
    business_days_count: Mapped[int] = mapped_column(Integer, default=0)
    concluded_on_time: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_stats_daily_unit_id_day", "unit_id", "day"),)


GRANULARITY_ES = {
    Granularity.DAY: "días",
    Granularity.WEEK: "semanas",
    Granularity.MONTH: "meses",
    Granularity.YEAR: "años",
}


# --- buckets --------------------------------------------------------------------------------


def bucket_start(day: date, granularity: Granularity) -> date:
    """The first day of the day, ISO week (Monday), month or year holding `day`."""
    if granularity == Granularity.DAY:
        return day
    if granularity == Granularity.WEEK:
        return day - timedelta(days=day.weekday())
    if granularity == Granularity.MONTH:
        return day.replace(day=1)
    return date(day.year, 1, 1)


def next_bucket_start(start: date, granularity: Granularity) -> date:
    if granularity == Granularity.DAY:
        return start + timedelta(days=1)
    if granularity == Granularity.WEEK:
        return start + timedelta(days=7)
    if granularity == Granularity.MONTH:
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return date(start.year + 1, 1, 1)


def bucket_count(first: date, last: date, granularity: Granularity) -> int:
    """How many buckets the period [first, last] touches (arithmetic, before building any)."""
    if granularity == Granularity.DAY:
        return (last - first).days + 1
    if granularity == Granularity.WEEK:
        return (bucket_start(last, granularity) - bucket_start(first, granularity)).days // 7 + 1
    if granularity == Granularity.MONTH:
        return (last.year * 12 + last.month) - (first.year * 12 + first.month) + 1
    return last.year - first.year + 1


@dataclass(frozen=True)
class Bucket:
    start: date  # the first day of the day / week / month / year (may precede the period)
    first_day: date  # the first day it counts: max(start, the period's first day)
    starts_at: datetime  # UTC instant the counted part begins: max(start, period start), local midnight
    ends_at: datetime  # UTC instant it ends, exclusive: min(next start, day after the period), local midnight


def make_buckets(first: date, last: date, granularity: Granularity, clock: Clock) -> list[Bucket]:
    """The buckets of the local period [first, last], in order, each clipped to the period.

    Consecutive buckets share their boundary instant, so every timestamp of the period falls in
    exactly one; the boundaries are those of models.filters.period_clause (clock.start_of_day)."""
    buckets, start, end = [], bucket_start(first, granularity), last + timedelta(days=1)
    while start <= last:
        following = next_bucket_start(start, granularity)
        buckets.append(
            Bucket(
                start, max(start, first), clock.start_of_day(max(start, first)), clock.start_of_day(min(following, end))
            )
        )
        start = following
    return buckets


def bucket_table(buckets: list[Bucket]) -> FromClause:
    """The buckets as a table (bucket, starts_at, ends_at) for a statement to join (SQLite), where
    `bucket` is the index in `buckets`: a VALUES list."""
    rows = ", ".join(f"(:b{i}, :s{i}, :e{i})" for i in range(len(buckets)))
    params = []
    for i, b in enumerate(buckets):
        params += [
            bindparam(f"b{i}", i, type_=Integer),
            bindparam(f"s{i}", b.starts_at, type_=UTCDateTime),
            bindparam(f"e{i}", b.ends_at, type_=UTCDateTime),
        ]
    return (
        text(f"SELECT column1 AS bucket, column2 AS starts_at, column3 AS ends_at FROM (VALUES {rows})")
        .bindparams(*params)
        .columns(bucket=Integer, starts_at=UTCDateTime, ends_at=UTCDateTime)
        .subquery("buckets")
    )


# --- which units count ----------------------------------------------------------------------


@dataclass
class UnitScope:
    """The unitId / includeSubunits arguments, with the unit's path resolved by the caller."""

    unit_id: int | None = None
    unit_path: str | None = None
    include_subunits: bool = True


def counted_units(principal: Principal, scope: UnitScope, env: FilterEnv) -> Select | None:
    """SELECT of the ids of the units whose numbers count, or None for every unit.

    The caller's scope (ADMIN: every unit; HEAD, REGISTRAR, VIEWER: their units' subtrees;
    STAFF: their units), narrowed (never widened) by the lists' unit filter: with unitId, that
    unit or with includeSubunits its subtree; without unitId, includeSubunits false keeps only
    the caller's own units, as the inbox and the outbox do."""
    clauses: list[ColumnElement[bool]] = []
    if not principal.is_admin:
        clauses.append(unit_in_scope(principal, OrgUnit))
    if scope.unit_id is not None:
        spec = TurnoFilterSpec(
            unit_id=scope.unit_id, unit_path=scope.unit_path, include_subunits=scope.include_subunits
        )
        clauses += turno_filter_clauses(spec, env, OrgUnit.id)  # only its unit filter: nothing else is set
    elif own_units_only(scope.unit_id, scope.include_subunits):
        clauses.append(OrgUnit.id.in_(sorted(principal.unit_ids)))
    return select(OrgUnit.id).where(*clauses) if clauses else None


# --- the statements -------------------------------------------------------------------------


@dataclass
class StatsQuery:
    buckets: list[Bucket]
    period_from: date
    period_to: date
    units: Select | None  # counted_units(...)
    by_unit: bool
    clock: Clock
    calendar: BusinessCalendar
    yellow_threshold: int


def _bucketed(
    q: StatsQuery, dialect: str, source, timestamp, unit_column, measures: list, joins=(), where=()
) -> Select:
    """SELECT bucket[, unit_id], measures… over the rows of `source` whose `timestamp` falls in the
    period and whose `unit_column` is a counted unit, grouped by bucket (and unit); `bucket` is
    the index of the row's bucket in q.buckets.

    PostgreSQL: width_bucket(timestamp, array of the buckets' starts) finds it by binary search
    (one array parameter: the same SQL whatever the count, and a plan that stays a range scan of
    the timestamp's index even when PostgreSQL switches a prepared statement to its generic plan).
    SQLite: a join of the VALUES list on starts_at <= timestamp < ends_at."""
    if dialect == "postgresql":
        starts = bindparam("bucket_starts", [b.starts_at for b in q.buckets], type_=ARRAY(DateTime(timezone=True)))
        bucket = (func.width_bucket(timestamp, starts) - 1).label("bucket")
        statement = select(bucket).select_from(source)
    else:
        buckets = bucket_table(q.buckets)
        bucket = buckets.c.bucket.label("bucket")
        statement = (
            select(bucket)
            .select_from(buckets)
            .join(source, and_(timestamp >= buckets.c.starts_at, timestamp < buckets.c.ends_at))
        )
    keys = [literal_column("bucket")] + ([unit_column] if q.by_unit else [])
    if q.by_unit:
        statement = statement.add_columns(unit_column.label("unit_id"))
    statement = statement.add_columns(*measures)
    for table, on in joins:
        statement = statement.join(table, on)
    where = [*where, *period_clause(timestamp, q.period_from, q.period_to, q.clock)]  # the period: an index range
    if q.units is not None:
        where.append(unit_column.in_(q.units))
    return statement.where(*where).group_by(*keys)


def _count_if(condition: ColumnElement[bool]):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def stats_statements(q: StatsQuery, dialect: str) -> dict[str, Select]:
    """The five statements, by source. Every measure a bucket shows comes from one of them."""
    today = q.clock.today()
    is_open = Turno.status.in_([s.value for s in OPEN_TURNO])
    red = turno_light_clause(TrafficLight.RED, Turno, q.calendar, today, q.yellow_threshold)
    green = turno_light_clause(TrafficLight.GREEN, Turno, q.calendar, today, q.yellow_threshold)
    concluded = Turno.status == TurnoStatus.CONCLUDED.value
    answers = [(Turno, Turno.id == Response.turno_id)]
    return {
        "documents": _bucketed(
            q, dialect, Document, Document.received_at, Document.unit_id, [func.count().label("documents_received")]
        ),
        "turnos_received": _bucketed(
            q,
            dialect,
            Turno,
            Turno.sent_at,
            Turno.to_unit_id,
            [
                func.count().label("turnos_received"),
                _count_if(is_open).label("pending"),
                _count_if(is_open & red).label("overdue"),
                _count_if(concluded & green).label("concluded_on_time"),
            ],
        ),
        "turnos_sent": _bucketed(
            q, dialect, Turno, Turno.sent_at, Turno.from_unit_id, [func.count().label("turnos_sent")]
        ),
        "responses_sent": _bucketed(
            q,
            dialect,
            Response,
            Response.submitted_at,
            Turno.to_unit_id,
            [
                func.count().label("responses_sent"),
                func.sum(Response.business_days_to_answer).label("business_days_sum"),
                func.count(Response.business_days_to_answer).label("business_days_count"),
            ],
            joins=answers,
        ),
        "responses_received": _bucketed(
            q,
            dialect,
            Response,
            Response.submitted_at,
            Turno.from_unit_id,
            [func.count().label("responses_received")],
            joins=answers,
        ),
    }


OPEN_VALUES = sorted(s.value for s in OPEN_TURNO)
ROLLUP_COLUMNS = (
    "documents_received",
    "turnos_sent",
    "turnos_received",
    "responses_sent",
    "responses_received",
    "business_days_sum",
    "business_days_count",
    "concluded_on_time",
)


def rollup_statements(q: StatsQuery) -> dict[str, Select]:
    """PostgreSQL with stats_daily: the daily rows summed by bucket (and unit), and pending and
    overdue counted from the open turnos (the partial index ix_turnos_open_sent_at: the open
    statuses are written into the SQL, so that every plan can use it)."""
    first_days = bindparam("bucket_days", [b.first_day for b in q.buckets], type_=ARRAY(Date))
    bucket = (func.width_bucket(StatsDaily.day, first_days) - 1).label("bucket")
    keys: list[SQLCoreOperations[int]] = [literal_column("bucket")]
    if q.by_unit:
        keys.append(StatsDaily.unit_id)
    daily = select(
        bucket,
        *([StatsDaily.unit_id.label("unit_id")] if q.by_unit else []),
        *[func.sum(getattr(StatsDaily, c)).label(c) for c in ROLLUP_COLUMNS],
    )
    where = [StatsDaily.day >= q.period_from, StatsDaily.day <= q.period_to]
    if q.units is not None:
        where.append(StatsDaily.unit_id.in_(q.units))
    today = q.clock.today()
    is_open = Turno.status.in_(bindparam("open_statuses", OPEN_VALUES, expanding=True, literal_execute=True))
    red = turno_light_clause(TrafficLight.RED, Turno, q.calendar, today, q.yellow_threshold)
    return {
        "daily": daily.where(*where).group_by(*keys),
        "open": _bucketed(
            q,
            "postgresql",
            Turno,
            Turno.sent_at,
            Turno.to_unit_id,
            [func.count().label("pending"), _count_if(red).label("overdue")],
            where=[is_open],
        ),
    }


@dataclass
class StatsRow:
    start: date
    unit_id: int | None
    documents_received: int = 0
    turnos_sent: int = 0
    turnos_received: int = 0
    responses_sent: int = 0
    responses_received: int = 0
    pending: int = 0
    overdue: int = 0
    concluded_on_time: int = 0
    business_days_sum: int = 0
    business_days_count: int = 0

    @property
    def average_business_days_to_answer(self) -> float | None:
        return self.business_days_sum / self.business_days_count if self.business_days_count else None


COUNTED = (
    "documents_received",
    "turnos_sent",
    "turnos_received",
    "responses_sent",
    "responses_received",
    "pending",
    "overdue",
    "concluded_on_time",
    "business_days_sum",
    "business_days_count",
)


def assemble(buckets: list[Bucket], results: dict[str, list], by_unit: bool) -> dict[tuple[int, int | None], StatsRow]:
    """Every bucket (for each unit that has anything in the period, when by unit), zeros where
    nothing happened, filled from the grouped rows of the statements."""
    rows: dict[tuple[int, int | None], StatsRow] = {}
    units = {r.unit_id for result in results.values() for r in result} if by_unit else {None}
    for unit_id in units:
        for index, bucket in enumerate(buckets):
            rows[index, unit_id] = StatsRow(bucket.start, unit_id)
    for result in results.values():
        for r in result:
            row = rows[r.bucket, r.unit_id if by_unit else None]
            for name, value in r._mapping.items():
                if name in COUNTED:
                    setattr(row, name, int(value or 0))
    return rows
