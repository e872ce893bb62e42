"""Query root."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.directory import list_document_types, list_org_units
from resolvers.documents import list_documents, resolve_unit_filter
from resolvers.events import list_events, visible_event
from schema.guards import IsAuthenticated
from schema.ids import from_global_id
from schema.inputs import DocumentFilter
from schema.types.catalogs import DocumentTypeEntry
from schema.types.documents import DocumentConnection, document_of
from schema.types.events import Event, EventConnection
from schema.types.node import Node
from schema.types.org import OrgUnit, User, user_of

AUTH = [IsAuthenticated]


async def _node(info: Info, type_name: str, pk: int) -> Node | None:
    ctx = info.context
    if type_name == "OrgUnit":
        unit = await ctx.loaders.org_unit_by_id.load(pk)
        return OrgUnit.from_model(unit) if unit else None
    if type_name == "User":
        return await user_of(info, pk)
    if type_name == "Document":
        return await document_of(info, pk)
    if type_name == "Event":
        row = await visible_event(ctx, pk)
        return Event.from_model(row) if row else None
    return None


@strawberry.type
class Query:
    @strawberry.field(permission_classes=AUTH, description="Any object by its global ID; null if missing or not visible.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        parsed = from_global_id(id)
        if parsed is None or not parsed[1].isdigit():
            return None
        return await _node(info, parsed[0], int(parsed[1]))

    @strawberry.field(description="The signed-in user; null without a valid token.")
    async def me(self, info: Info) -> User | None:
        principal = info.context.principal
        return await user_of(info, principal.user_id) if principal else None

    @strawberry.field(permission_classes=AUTH)
    async def org_units(self, info: Info, include_inactive: bool | None = None) -> list[OrgUnit]:
        return [OrgUnit.from_model(u) for u in await list_org_units(info.context, bool(include_inactive))]

    @strawberry.field(permission_classes=AUTH)
    async def document_types(self, info: Info) -> list[DocumentTypeEntry]:
        return [DocumentTypeEntry.from_model(r) for r in await list_document_types(info.context)]

    @strawberry.field(permission_classes=AUTH, description="Newest received first; at most 100 per page.")
    async def documents(self, info: Info, filter: DocumentFilter | None = None, first: int | None = None,
                        after: str | None = None, last: int | None = None, before: str | None = None) -> DocumentConnection:
        spec = filter.to_spec() if filter else None
        if spec:
            await resolve_unit_filter(info.context, spec)
        page = await list_documents(info.context, spec, first=first, after=after, last=last, before=before)
        return DocumentConnection.from_page(page)

    @strawberry.field(permission_classes=AUTH, description="Events I may see, in sequence order.")
    async def events(self, info: Info, after_sequence: str | None = None, first: int | None = None) -> EventConnection:
        return EventConnection.from_page(await list_events(info.context, after_sequence=after_sequence, first=first))
