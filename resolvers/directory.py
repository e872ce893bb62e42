"""Reading the org tree and the catalogs (any signed-in user)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from models.calendar import InstitutionHoliday, official_holidays
from models.catalogs import ArchiveSeries, DocumentType
from models.org import OrgUnit
from models.errors import validation
from resolvers.context import Context


async def list_org_units(ctx: Context, include_inactive: bool) -> list[OrgUnit]:
    ctx.require_principal()
    query = select(OrgUnit).order_by(OrgUnit.path)
    if not include_inactive:
        query = query.where(OrgUnit.active)
    return list((await ctx.session.execute(query)).scalars())


async def list_document_types(ctx: Context) -> list[DocumentType]:
    ctx.require_principal()
    return list((await ctx.session.execute(select(DocumentType).order_by(DocumentType.name))).scalars())


async def list_archive_series(ctx: Context) -> list[ArchiveSeries]:
    ctx.require_principal()
    return list((await ctx.session.execute(select(ArchiveSeries).order_by(ArchiveSeries.code))).scalars())


async def list_non_working_days(ctx: Context, start: date | None, end: date | None) -> list[tuple[date, str, bool]]:
    """Weekdays that are not business days in [start, end] (default: this year), with why."""
    ctx.require_principal()
    year = ctx.clock.today().year
    start, end = start or date(year, 1, 1), end or date(year, 12, 31)
    if end < start or (end - start).days > 3660:
        raise validation("El periodo va de «from» a «to» y abarca a lo más diez años.", "period")
    own = {day: description for day, description in (await ctx.session.execute(
        select(InstitutionHoliday.day, InstitutionHoliday.description)
        .where(InstitutionHoliday.day >= start, InstitutionHoliday.day <= end))).all()}
    days = {d: (name, True) for y in range(start.year, end.year + 1)
            for d, name in official_holidays(y).items() if start <= d <= end}
    days.update({d: (description or "Día inhábil de la institución", False) for d, description in own.items()})
    return [(d, name, official) for d, (name, official) in sorted(days.items())]
