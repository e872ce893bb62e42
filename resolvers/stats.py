"""The indicators: counts by day, week, month or year (and unit) over what the caller may see."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text

from models.errors import validation
from models.org import OrgUnit
from models.stats import (
    EARLIEST,
    GRANULARITY_ES,
    LATEST,
    MAX_BUCKETS,
    MAX_ROWS,
    Granularity,
    StatsQuery,
    StatsRow,
    UnitScope,
    assemble,
    bucket_count,
    counted_units,
    make_buckets,
    rollup_statements,
    stats_statements,
)
from resolvers.context import Context
from resolvers.units import resolve_unit_filter

log = logging.getLogger("mcs.stats")


@dataclass
class StatsRequest:
    period_from: date | None
    period_to: date | None
    granularity: Granularity
    unit_id: int | None = None
    include_subunits: bool | None = None
    by_unit: bool = False


def resolve_period(
    ctx: Context, period_from: date | None, period_to: date | None, granularity: Granularity
) -> tuple[date, date]:
    """`to` defaults to today, `from` to the 1st of January of `to`'s year (this year so far)."""
    last = period_to or ctx.clock.today()
    first = period_from or date(last.year, 1, 1)
    if first > last:
        raise validation("La fecha inicial del periodo no puede ser posterior a la final.", "period")
    if first < EARLIEST or last > LATEST:
        raise validation(f"El periodo debe estar entre {EARLIEST.year} y {LATEST.year}.", "period")
    count = bucket_count(first, last, granularity)
    if count > MAX_BUCKETS:
        raise validation(
            f"El periodo abarca {count:,} {GRANULARITY_ES[granularity]}; el máximo es "
            f"{MAX_BUCKETS:,}. Acorte el periodo o elija una granularidad mayor.",
            "granularity",
        )
    return first, last


async def rollup_ready(ctx: Context, dialect: str) -> bool:
    """PostgreSQL's stats_daily counts local days of the institution's time zone (one small
    statement). Otherwise the numbers come from the rows (slower, same result)."""
    if dialect != "postgresql":
        return False
    zone = (await ctx.session.execute(text("SELECT timezone FROM stats_settings LIMIT 1"))).scalar()
    if zone == ctx.settings.timezone:
        return True
    log.warning(
        "stats_daily follows the time zone %r, not %r: indicators are counted from the rows "
        "(SELECT mcs_stats_set_timezone('%s') rebuilds it)",
        zone,
        ctx.settings.timezone,
        ctx.settings.timezone,
    )
    return False


async def stats(ctx: Context, request: StatsRequest) -> list[tuple[StatsRow, OrgUnit | None]]:
    """Every bucket of the period in order (then by unit, in the org tree's order, when by unit),
    zeros included, each with its unit when by unit. A unit outside the caller's scope counts nothing: a unitId there gives zeros
    (a unit filter narrows what the caller sees, never widens it, as in the lists)."""
    principal = ctx.require_principal()
    first, last = resolve_period(ctx, request.period_from, request.period_to, request.granularity)
    scope = UnitScope(include_subunits=request.include_subunits is not False)  # default true, as in TurnoFilter
    scope.unit_id = request.unit_id
    await resolve_unit_filter(ctx, scope, "unitId")
    env = await ctx.filter_env()
    buckets = make_buckets(first, last, request.granularity, ctx.clock)
    query = StatsQuery(
        buckets=buckets,
        period_from=first,
        period_to=last,
        units=counted_units(principal, scope, env),
        by_unit=request.by_unit,
        clock=ctx.clock,
        calendar=env.calendar,
        yellow_threshold=env.yellow_threshold,
    )
    session = ctx.session
    dialect = session.get_bind().dialect.name
    statements = rollup_statements(query) if await rollup_ready(ctx, dialect) else stats_statements(query, dialect)
    results = {name: (await session.execute(statement)).all() for name, statement in statements.items()}
    rows = assemble(buckets, results, request.by_unit)
    if not request.by_unit:
        return [(rows[i, None], None) for i in range(len(buckets))]
    unit_ids = sorted({u for _, u in rows if u is not None})  # (by unit: every row has its unit)
    units = [u for u in await ctx.loaders.org_unit_by_id.load_many(unit_ids) if u is not None]
    if len(buckets) * len(units) > MAX_ROWS:  # refused before the rows are built and rendered
        raise validation(
            f"El resultado tendría {len(buckets) * len(units):,} filas ({len(buckets):,} periodos × "
            f"{len(units):,} unidades); el máximo es {MAX_ROWS:,}. Acorte el periodo, elija una "
            "granularidad mayor o una unidad.",
            "byUnit",
        )
    units.sort(key=lambda u: u.path)  # the org tree's order, as in orgUnits
    return [(rows[i, u.id], u) for i in range(len(buckets)) for u in units]
