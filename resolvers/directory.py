"""Reading the org tree and the catalogs (any signed-in user)."""

from __future__ import annotations

from sqlalchemy import select

from models.catalogs import DocumentType
from models.org import OrgUnit
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
