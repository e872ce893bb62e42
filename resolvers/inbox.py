"""Inbox and outbox: the turnos addressed to, and sent from, the caller's units."""

from __future__ import annotations

from sqlalchemy import select

from models.errors import DomainError, ErrorCode
from models.filters import TurnoFilterSpec, turno_filter_clauses
from models.permissions import unit_id_in_scope, visible_turnos
from models.turnos import Turno
from resolvers.context import Context
from resolvers.pagination import Page, datetime_key, int_key, keyset_page

TURNO_ORDER = [datetime_key(Turno.sent_at, "sent_at"), int_key(Turno.id, "id")]


async def list_box(ctx: Context, box: str, spec: TurnoFilterSpec | None, *, first=None, after=None) -> Page:
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
        mine = unit_id_in_scope(principal, unit_column)  # a unit filter narrows, never widens
    elif spec.include_subunits:
        mine = unit_id_in_scope(principal, unit_column)
    else:
        mine = unit_column.in_(sorted(principal.unit_ids))
    query = select(Turno).where(mine, visible_turnos(principal),
                                *turno_filter_clauses(spec, await ctx.filter_env(), unit_column))
    return await keyset_page(ctx.session, query, TURNO_ORDER, descending=True, first=first, after=after,
                             default_size=ctx.settings.page_size_default, max_size=ctx.settings.page_size_max)
