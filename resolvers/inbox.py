"""Inbox and outbox: the turnos addressed to, and sent from, the caller's units; and their
counters for a dashboard."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, Column, ColumnElement, bindparam, func, select, true, tuple_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased

from models import turno_counts
from models.filters import TurnoFilterSpec, box_unit_ids, counted_by_unit_and_status, turno_filter_clauses
from models.traffic_light import TrafficLight, turno_light_clause
from models.turnos import Turno
from models.workflow import OPEN_TURNO, TurnoStatus
from resolvers.context import Context
from resolvers.units import resolve_unit_filter
from resolvers.pagination import Page, datetime_key, decode_cursor, int_key, keyset_page, page_size

if TYPE_CHECKING:
    from sqlalchemy.sql.base import ReadOnlyColumnCollection

TURNO_ORDER = [datetime_key(Turno.sent_at, "sent_at"), int_key(Turno.id, "id")]


async def box_unit_ids_of(ctx: Context, box: str, spec: TurnoFilterSpec) -> frozenset[int]:
    """HEAD, REGISTRAR and VIEWER include their units' descendants unless the filter says
    includeSubunits: false; a unit filter narrows that, never widens it."""
    await resolve_unit_filter(ctx, spec)
    return await box_unit_ids(ctx.session, ctx.require_principal(), spec)


async def box_clauses(
    ctx: Context, box: str, spec: TurnoFilterSpec | None, unit_ids: frozenset[int] | None = None
) -> list[ColumnElement[bool]]:
    """box "inbox": turnos to my units; "outbox": from them. A turno to (from) a unit in my scope
    is visible to me (models/permissions.py visible_turnos), so the box's scope is the whole
    permission check: repeating visible_turnos here tripled the work per row."""
    spec = spec or TurnoFilterSpec(include_subunits=True)
    if unit_ids is None:
        unit_ids = await box_unit_ids_of(ctx, box, spec)
    return [box_unit_column(box).in_(sorted(unit_ids)), *await filter_clauses(ctx, box, spec)]


async def filter_clauses(ctx: Context, box: str, spec: TurnoFilterSpec, turno=Turno) -> list[ColumnElement[bool]]:
    """The filter's clauses but its unit, which the box's unit ids already apply."""
    others = replace(spec, unit_id=None, unit_path=None)
    return turno_filter_clauses(others, await ctx.filter_env(), box_unit_column(box, turno), turno)


def box_unit_column(box: str, turno=Turno):
    return turno.to_unit_id if box == "inbox" else turno.from_unit_id


# Up to this many units, PostgreSQL reads a page unit by unit (below). A few small units among a
# state's 9,000,000 turnos: the newest-first walk over every turno skipped 93,000 rows (138 ms)
# for the 25 units of a directorate, unit by unit 0.9 ms; a secretariat of 900 units is better
# served by the walk (0.5 ms against 54 ms), which PostgreSQL picks itself (bench/STATE.md).
PER_UNIT_MAX = 64
_PER_UNIT = aliased(Turno, name="per_unit")


async def list_box(ctx: Context, box: str, spec: TurnoFilterSpec | None, *, first=None, after=None) -> Page:
    spec = spec or TurnoFilterSpec(include_subunits=True)
    unit_ids = await box_unit_ids_of(ctx, box, spec)
    where = await box_clauses(ctx, box, spec, unit_ids)
    query = select(Turno).where(*where)
    count_query = select(func.count()).select_from(Turno).where(*where)
    if turno_counts.kept_in_table(ctx.session):
        if counted_by_unit_and_status(spec):
            count_query = turno_counts.box_count_query(box, unit_ids, spec.status)
        if len(unit_ids) <= PER_UNIT_MAX:
            query = select(Turno).where(Turno.id.in_(await newest_per_unit(ctx, box, spec, unit_ids, first, after)))
    return await keyset_page(
        ctx.session,
        query,
        TURNO_ORDER,
        descending=True,
        first=first,
        after=after,
        default_size=ctx.settings.page_size_default,
        max_size=ctx.settings.page_size_max,
        count_query=count_query,
    )


async def newest_per_unit(ctx: Context, box: str, spec: TurnoFilterSpec, unit_ids: frozenset[int], first, after):
    """The ids of at most a page of the newest matching turnos of each unit (after the cursor):
    each unit's part is a short backward read of its own index; the page is among them."""
    size = page_size(first, ctx.settings.page_size_default, ctx.settings.page_size_max, "first") + 1
    t = _PER_UNIT
    units = (
        func.unnest(bindparam("box_units", sorted(unit_ids), type_=ARRAY(BigInteger)))
        .table_valued("unit_id")
        .render_derived(name="box_unit")
    )
    bound = []
    if after:
        bound.append(tuple_(t.sent_at, t.id) < tuple_(*decode_cursor(TURNO_ORDER, after, "after")))
    newest = (
        select(t.id)
        .where(box_unit_column(box, t) == units.c.unit_id, *await filter_clauses(ctx, box, spec, t), *bound)
        .order_by(t.sent_at.desc(), t.id.desc())
        .limit(size)
        .lateral("newest")
    )
    return select(newest.c.id).select_from(units).join(newest, true())


@dataclass(frozen=True)
class BoxSummary:
    green: int
    yellow: int
    red: int
    none: int
    not_acknowledged: int
    awaiting_evaluation: int


async def box_summary(ctx: Context, box: str, spec: TurnoFilterSpec | None) -> BoxSummary:
    """What the same filter lists, counted in one statement: the open turnos by light, those not
    yet acknowledged (SENT) and those waiting for the sender's evaluation (ANSWERED). Every one
    of them is open, so only open turnos are read: on PostgreSQL, without a filter but status,
    their rollup by subtree (migration 0015); else the rows (a partial index holds them, 0014)."""
    env = await ctx.filter_env()
    spec = spec or TurnoFilterSpec(include_subunits=True)
    today = env.clock.today()
    turno: type[Turno] | ReadOnlyColumnCollection[str, Column[Any]]  # what is counted: the rollup's rows or the turnos
    if counted_by_unit_and_status(spec) and spec.unit_id is None and turno_counts.kept_in_table(ctx.session):
        rows = turno_counts.open_turno_rollup.c

        def count(condition) -> ColumnElement[int]:
            return func.coalesce(func.sum(rows.n).filter(condition), 0)

        where = [
            turno_counts.rollup_scope(ctx.require_principal(), box, spec.include_subunits),
            *([rows.status.in_(spec.status)] if spec.status else []),
        ]
        turno = rows
    else:

        def count(condition) -> ColumnElement[int]:
            return func.count().filter(condition)

        where = [Turno.status.in_(sorted(s.value for s in OPEN_TURNO)), *await box_clauses(ctx, box, spec)]
        turno = Turno
    lights = [
        count(turno_light_clause(light, turno, env.calendar, today, env.yellow_threshold))
        for light in (TrafficLight.GREEN, TrafficLight.YELLOW, TrafficLight.RED, TrafficLight.NONE)
    ]
    row = (
        await ctx.session.execute(
            select(
                *lights,
                count(turno.status == TurnoStatus.SENT.value),
                count(turno.status == TurnoStatus.ANSWERED.value),
            ).where(*where)
        )
    ).one()
    return BoxSummary(*(int(n) for n in row))
