"""Reading the org tree and the catalogs (any signed-in user)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import exists, select

from models.calendar import InstitutionHoliday, official_holidays
from models.catalogs import ArchiveSeries, DocumentType
from models.org import OrgUnit
from models.text import fold, natural_key
from models.users import Membership, User
from models.errors import validation
from resolvers.admin import require_admin
from resolvers.context import Context
from resolvers.pagination import Page, int_key, keyset_page, text_key


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
    series = (await ctx.session.execute(select(ArchiveSeries))).scalars()
    return sorted(series, key=lambda s: natural_key(s.code))  # 1C, 2C, …, 10C: a small catalog


async def list_non_working_days(ctx: Context, start: date | None, end: date | None) -> list[tuple[date, str, bool]]:
    """Weekdays that are not business days in [start, end] (default: this year), with why."""
    ctx.require_principal()
    year = ctx.clock.today().year
    start, end = start or date(year, 1, 1), end or date(year, 12, 31)
    if end < start or (end - start).days > 3660:
        raise validation("El periodo va de «from» a «to» y abarca a lo más diez años.", "period")
    own = {
        day: description
        for day, description in (
            await ctx.session.execute(
                select(InstitutionHoliday.day, InstitutionHoliday.description).where(
                    InstitutionHoliday.day >= start, InstitutionHoliday.day <= end
                )
            )
        ).all()
    }
    days = {
        d: (name, True)
        for y in range(start.year, end.year + 1)
        for d, name in official_holidays(y).items()
        if start <= d <= end
    }
    days.update({d: (description or "Día inhábil de la institución", False) for d, description in own.items()})
    return [(d, name, official) for d, (name, official) in sorted(days.items())]


USER_ORDER = [text_key(User.username, "username"), int_key(User.id, "id")]


async def list_users(
    ctx: Context, *, search: str | None, unit_id: int | None, active: bool | None, first: int | None, after: str | None
) -> Page:
    """ADMIN's directory of people, by username; `search` matches every word in the username,
    name or e-mail, without accents."""
    require_admin(ctx)
    query = select(User)
    for word in fold(search or "").split()[:10]:
        query = query.where(User.search_text.contains(word, autoescape=True))
    if unit_id is not None:
        query = query.where(exists(select(1).where(Membership.user_id == User.id, Membership.unit_id == unit_id)))
    if active is not None:
        query = query.where(User.active.is_(active))
    return await keyset_page(
        ctx.session,
        query,
        USER_ORDER,
        descending=False,
        first=first,
        after=after,
        default_size=ctx.settings.page_size_default,
        max_size=ctx.settings.page_size_max,
    )
