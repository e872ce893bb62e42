"""A filter's unitId, resolved once for every list, export and statistic."""

from __future__ import annotations

from typing import Protocol

from models.errors import DomainError, ErrorCode


class UnitFilter(Protocol):
    """What TurnoFilterSpec, DocumentFilterSpec and stats' UnitScope share."""

    unit_id: int | None
    unit_path: str | None


async def resolve_unit_filter(ctx, spec: UnitFilter | None, field: str = "filter.unitId") -> None:
    """Fill the unit's path the filter compilers match subtrees by; NOT_FOUND when no unit has
    that id (a unit the caller cannot see is not an error: the filter narrows what they see)."""
    if spec is None or spec.unit_id is None:
        return
    unit = await ctx.loaders.org_unit_by_id.load(spec.unit_id)
    if unit is None:
        raise DomainError(ErrorCode.NOT_FOUND, "La unidad no existe.", field)
    spec.unit_path = unit.path
