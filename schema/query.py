"""Query root."""

from __future__ import annotations

import strawberry
from strawberry.permission import BasePermission
from strawberry.types import Info

from datetime import date
from typing import Annotated

from resolvers.directory import (
    list_archive_series,
    list_document_types,
    list_non_working_days,
    list_org_units,
    list_users,
)
from resolvers.inbox import box_summary, list_box
from resolvers.notification_preferences import my_preferences
from resolvers.notifier import notifications_of
from notifications.push import public_key_of, vapid_key
from resolvers.documents import list_documents
from resolvers.units import resolve_unit_filter
from resolvers.downloads import visible_attachment
from resolvers.events import list_events, visible_event
from resolvers.stats import StatsRequest, stats
from resolvers.turnos import preview_deadline
from schema.at_hand import settled
from schema.look_ahead import preload_document_rows, preload_turno_rows
from schema.enums import DocumentOrder, Granularity
from schema.guards import IsAuthenticated
from schema.ids import decode_optional_id, from_global_id, node_key
from schema.inputs import DocumentFilter, Period, TurnoFilter
from schema.types.attachments import Attachment
from schema.types.catalogs import ArchiveSeriesEntry, DocumentTypeEntry
from schema.types.turnos import Response, Turno, turno_of
from schema.types.documents import Document, document_of
from schema.types.events import Event
from schema.types.node import Connection, Node, connection
from schema.types.org import OrgUnit, User, user_of, visible_user
from schema.types.stats import StatsBucket
from schema.types.summary import BoxSummary
from schema.types.notifications import NotificationPreferences, NotificationRecord

AUTH: list[type[BasePermission]] = [IsAuthenticated]


@strawberry.type(description="A deadline as sendTurno would set it today.")
class DueDatePreview:
    due_date: date
    explanation: str = strawberry.field(description="In words: the business days counted and what was skipped.")
    warning: str | None = strawberry.field(description="A fixed date on a non-working day: the next business day.")


@strawberry.type
class NonWorkingDay:
    date: date
    description: str
    official: bool = strawberry.field(
        description="True for Mexico's official holidays, false for the institution's own days."
    )


async def _node(info: Info, type_name: str, pk: int) -> Node | None:
    ctx = info.context
    if type_name == "OrgUnit":
        unit = await ctx.loaders.org_unit_by_id.load(pk)
        return OrgUnit.from_model(unit) if unit else None
    if type_name == "User":
        return await visible_user(info, pk)
    if type_name == "Document":
        return await settled(document_of(info, pk))
    if type_name == "Turno":
        return await turno_of(info, pk)
    if type_name == "Response":
        m = await ctx.loaders.visible_response_by_id.load(pk)
        return Response.from_model(m) if m else None
    if type_name == "Attachment":
        m = await visible_attachment(ctx, pk)
        return Attachment.from_model(m) if m else None
    if type_name == "Event":
        row = await visible_event(ctx, pk)
        return Event.from_model(row) if row else None
    if type_name == "Export":  # its owner's only
        from resolvers.exports.progress import export_for_node
        from schema.types.exports import Export

        m = await export_for_node(ctx, pk)
        return Export.from_model(m) if m else None
    return None


@strawberry.type
class Query:
    @strawberry.field(
        permission_classes=AUTH, description="Any object by its global ID; null if missing or not visible."
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        parsed, key = from_global_id(id), node_key(id)
        if parsed is None or key is None:
            return None
        return await _node(info, parsed[0], key)

    @strawberry.field(description="The signed-in user; null without a valid token.")
    async def me(self, info: Info) -> User | None:
        principal = info.context.principal
        return await user_of(info, principal.user_id) if principal else None

    @strawberry.field(permission_classes=AUTH)
    async def org_units(self, info: Info, include_inactive: bool | None = None) -> list[OrgUnit]:
        return [OrgUnit.from_model(u) for u in await list_org_units(info.context, bool(include_inactive))]

    @strawberry.field(
        permission_classes=AUTH,
        description=(
            "ADMIN only (FORBIDDEN otherwise): people by username; `search` matches every word in the username, the name "
            "or the e-mail, without accents; `unitId` those with a membership there; `active` by state. Others find "
            "the people of their units through OrgUnit.members."
        ),
    )
    async def users(
        self,
        info: Info,
        search: str | None = None,
        unit_id: strawberry.ID | None = None,
        active: bool | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[User]:
        page = await list_users(
            info.context,
            search=search,
            unit_id=decode_optional_id(unit_id, "OrgUnit", "unitId"),
            active=active,
            first=first,
            after=after,
        )
        return connection(page, User.from_model)

    @strawberry.field(permission_classes=AUTH)
    async def document_types(self, info: Info) -> list[DocumentTypeEntry]:
        return [DocumentTypeEntry.from_model(r) for r in await list_document_types(info.context)]

    @strawberry.field(permission_classes=AUTH, description="The archival classification catalog.")
    async def archive_series(self, info: Info) -> list[ArchiveSeriesEntry]:
        return [ArchiveSeriesEntry.from_model(r) for r in await list_archive_series(info.context)]

    @strawberry.field(
        permission_classes=AUTH,
        description="Non-working days in a period (default: this year): "
        "Mexico's official holidays and the institution's own.",
    )
    async def non_working_days(self, info: Info, period: Period | None = None) -> list[NonWorkingDay]:
        rows = await list_non_working_days(
            info.context, period.from_ if period else None, period.to if period else None
        )
        return [NonWorkingDay(date=d, description=desc, official=official) for d, desc, official in rows]

    @strawberry.field(
        permission_classes=AUTH,
        description=(
            "The deadline a turno sent now would get, for a date or a number of business days (exactly one): "
            "to show it, with its explanation, before sending. Errors as sendTurno's (VALIDATION)."
        ),
    )
    async def due_date_preview(
        self, info: Info, business_days: int | None = None, due_date: date | None = None
    ) -> DueDatePreview:
        due, explanation, warning = await preview_deadline(info.context, due_date, business_days)
        return DueDatePreview(due_date=due, explanation=explanation, warning=warning)

    @strawberry.field(permission_classes=AUTH, description="Turnos addressed to my units, newest first.")
    async def inbox(
        self, info: Info, filter: TurnoFilter | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[Turno]:
        page = await list_box(info.context, "inbox", filter.to_spec() if filter else None, first=first, after=after)
        await preload_turno_rows(info, page.rows, "edges", "node")
        return connection(page, Turno.from_model)

    @strawberry.field(permission_classes=AUTH, description="Turnos sent from my units, newest first.")
    async def outbox(
        self, info: Info, filter: TurnoFilter | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[Turno]:
        page = await list_box(info.context, "outbox", filter.to_spec() if filter else None, first=first, after=after)
        await preload_turno_rows(info, page.rows, "edges", "node")
        return connection(page, Turno.from_model)

    @strawberry.field(
        description="The VAPID public key (base64url) browsers subscribe to Web Push with "
        "(PushManager.subscribe's applicationServerKey)."
    )
    async def web_push_public_key(self, info: Info) -> str:
        return public_key_of(await vapid_key(info.context.services))

    @strawberry.field(
        permission_classes=AUTH,
        description=(
            "Was I told? The notifications sent (or not) to me, or with userId to anyone for an ADMIN; newest first."
        ),
    )
    async def notifications(
        self, info: Info, user_id: strawberry.ID | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[NotificationRecord]:
        page = await notifications_of(
            info.context, decode_optional_id(user_id, "User", "userId"), first=first, after=after
        )
        return connection(page, NotificationRecord.from_model)

    @strawberry.field(permission_classes=AUTH, description="How and when I am notified (the defaults until I choose).")
    async def notification_preferences(self, info: Info) -> NotificationPreferences:
        return NotificationPreferences.of(*await my_preferences(info.context))

    @strawberry.field(permission_classes=AUTH, description="Counters of my inbox for the same filter (one query).")
    async def inbox_summary(self, info: Info, filter: TurnoFilter | None = None) -> BoxSummary:
        return BoxSummary.from_data(await box_summary(info.context, "inbox", filter.to_spec() if filter else None))

    @strawberry.field(permission_classes=AUTH, description="Counters of my outbox for the same filter (one query).")
    async def outbox_summary(self, info: Info, filter: TurnoFilter | None = None) -> BoxSummary:
        return BoxSummary.from_data(await box_summary(info.context, "outbox", filter.to_spec() if filter else None))

    @strawberry.field(
        permission_classes=AUTH,
        description="Newest received first, or with filter.search best match "
        "first (see orderBy); at most 100 per page.",
    )
    async def documents(
        self,
        info: Info,
        filter: DocumentFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        order_by: Annotated[
            DocumentOrder | None, strawberry.argument(description="Default: RELEVANCE with a search, RECEIVED without.")
        ] = None,
    ) -> Connection[Document]:
        spec = filter.to_spec() if filter else None
        if spec:
            await resolve_unit_filter(info.context, spec)
        page = await list_documents(
            info.context, spec, first=first, after=after, last=last, before=before, order=order_by
        )
        await preload_document_rows(info, page.rows, "edges", "node")
        return connection(page, Document.from_model)

    @strawberry.field(
        permission_classes=AUTH,
        description=(
            "Indicators by bucket of the period (and by unit with byUnit), zeros included, ordered by start then by "
            "unit (the org tree's order). At most 1,000 buckets. Counts only units in the caller's scope: a unitId "
            "outside it gives zeros."
        ),
    )
    async def stats(
        self,
        info: Info,
        period: Annotated[
            Period, strawberry.argument(description="Default: from the 1st of January of `to`'s year; `to` today.")
        ],
        granularity: Granularity,
        unit_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Count only this unit (as TurnoFilter.unitId, on each indicator's own unit)."
            ),
        ] = None,
        include_subunits: Annotated[
            bool | None,
            strawberry.argument(
                description="Default true: with unitId, its subunits count too; without unitId, false keeps "
                "only the caller's own units."
            ),
        ] = None,
        by_unit: Annotated[
            bool | None,
            strawberry.argument(description="One row per bucket and unit (units with something in the period)."),
        ] = None,
    ) -> list[StatsBucket]:
        rows = await stats(
            info.context,
            StatsRequest(
                period_from=period.from_,
                period_to=period.to,
                granularity=granularity,
                unit_id=decode_optional_id(unit_id, "OrgUnit", "unitId"),
                include_subunits=include_subunits,
                by_unit=bool(by_unit),
            ),
        )
        units = {u.id: OrgUnit.from_model(u) for _, u in rows if u is not None}
        return [StatsBucket.from_row(r, units[u.id] if u is not None else None) for r, u in rows]

    @strawberry.field(permission_classes=AUTH, description="Events I may see, in sequence order.")
    async def events(
        self, info: Info, after_sequence: str | None = None, first: int | None = None
    ) -> Connection[Event]:
        return connection(await list_events(info.context, after_sequence=after_sequence, first=first), Event.from_model)
