"""Inbox and outbox: the turnos addressed to, and sent from, the caller's units; and their
counters for a dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select

from models.errors import DomainError, ErrorCode
from models.filters import TurnoFilterSpec, box_scope, turno_filter_clauses
from models.permissions import visible_turnos
from models.traffic_light import TrafficLight, turno_light_clause
from models.turnos import Turno
from models.workflow import OPEN_TURNO, TurnoStatus
from resolvers.context import Context
from resolvers.pagination import Page, datetime_key, int_key, keyset_page

TURNO_ORDER = [datetime_key(Turno.sent_at, "sent_at"), int_key(Turno.id, "id")]


async def box_clauses(ctx: Context, box: str, spec: TurnoFilterSpec | None) -> list[ColumnElement[bool]]:
    """box "inbox": turnos to my units; "outbox": from them. HEAD, REGISTRAR and VIEWER include
    their units' descendants unless the filter says includeSubunits: false."""
    principal = ctx.require_principal()
    unit_column = Turno.to_unit_id if box == "inbox" else Turno.from_unit_id
    spec = spec or TurnoFilterSpec(include_subunits=True)
    if spec.unit_id is not None:
        unit = await ctx.loaders.org_unit_by_id.load(spec.unit_id)
        if unit is None:
            raise DomainError(ErrorCode.NOT_FOUND, "La unidad no existe.", "filter.unitId")
        spec.unit_path = unit.path
    return [box_scope(principal, spec, unit_column), visible_turnos(principal),
            *turno_filter_clauses(spec, await ctx.filter_env(), unit_column)]


async def list_box(ctx: Context, box: str, spec: TurnoFilterSpec | None, *, first=None, after=None) -> Page:
    query = select(Turno).where(*await box_clauses(ctx, box, spec))
    return await keyset_page(ctx.session, query, TURNO_ORDER, descending=True, first=first, after=after,
                             default_size=ctx.settings.page_size_default, max_size=ctx.settings.page_size_max)


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
    yet acknowledged (SENT) and those waiting for the sender's evaluation (ANSWERED)."""
    env = await ctx.filter_env()
    is_open = Turno.status.in_([s.value for s in OPEN_TURNO])

    def count(condition) -> ColumnElement[int]:
        return func.count().filter(condition)

    lights = [count(is_open & turno_light_clause(light, Turno, env.calendar, env.clock.today(), env.yellow_threshold))
              for light in (TrafficLight.GREEN, TrafficLight.YELLOW, TrafficLight.RED, TrafficLight.NONE)]
    row = (await ctx.session.execute(
        select(*lights, count(Turno.status == TurnoStatus.SENT.value), count(Turno.status == TurnoStatus.ANSWERED.value))
        .where(*await box_clauses(ctx, box, spec))
    )).one()
    return BoxSummary(*row)
