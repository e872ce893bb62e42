"""DataLoaders: one set per request (per delivered event on websockets), named XByYLoader.

Every relation the schema exposes goes through one of these, so a page costs a fixed number
of queries whatever its size.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import select
from strawberry.dataloader import DataLoader

from models.chains import load_chains
from models.archive import ArchiveRecord
from models.attachments import Attachment
from models.documents import Document
from models.org import OrgUnit
from models.permissions import visible_documents, visible_turnos, visible_users
from models.turnos import Response, Turno
from models.users import Membership, User
from models.workflow import OPEN_TURNO

if TYPE_CHECKING:
    from resolvers.context import Context


class ContextLoader(DataLoader):
    def __init__(self, ctx: "Context"):
        self.ctx = ctx
        super().__init__(load_fn=self.batch_load)

    @property
    def session(self):
        return self.ctx.session

    async def batch_load(self, keys):
        raise NotImplementedError


def by_key(rows, keys, attr="id"):
    found = {getattr(r, attr): r for r in rows}
    return [found.get(k) for k in keys]


def grouped_by(rows, keys, attr):
    groups = defaultdict(list)
    for r in rows:
        groups[getattr(r, attr)].append(r)
    return [groups[k] for k in keys]


class OrgUnitByIdLoader(ContextLoader):
    async def batch_load(self, keys):
        rows = (await self.session.execute(select(OrgUnit).where(OrgUnit.id.in_(keys)))).scalars()
        return by_key(rows, keys)


class ChildrenByUnitIdLoader(ContextLoader):
    async def batch_load(self, keys):
        rows = (
            await self.session.execute(select(OrgUnit).where(OrgUnit.parent_id.in_(keys)).order_by(OrgUnit.code))
        ).scalars()
        return grouped_by(rows, keys, "parent_id")


class UserByIdLoader(ContextLoader):
    async def batch_load(self, keys):
        rows = (await self.session.execute(select(User).where(User.id.in_(keys)))).scalars()
        return by_key(rows, keys)


class VisibleUserByIdLoader(ContextLoader):
    """People in the caller's directory (themselves, the people of units in their scope; ADMIN:
    all), None for others."""

    async def batch_load(self, keys):
        principal = self.ctx.principal
        if principal is None:
            return [None] * len(keys)
        rows = (await self.session.execute(select(User).where(User.id.in_(keys), visible_users(principal)))).scalars()
        return by_key(rows, keys)


class MembershipsByUserIdLoader(ContextLoader):
    async def batch_load(self, keys):
        rows = (
            await self.session.execute(select(Membership).where(Membership.user_id.in_(keys)).order_by(Membership.id))
        ).scalars()
        return grouped_by(rows, keys, "user_id")


class ActiveMembershipsByUnitIdLoader(ContextLoader):
    """The memberships of active people in each unit, by name."""

    async def batch_load(self, keys):
        rows = (
            await self.session.execute(
                select(Membership)
                .join(User, User.id == Membership.user_id)
                .where(Membership.unit_id.in_(keys), User.active)
                .order_by(User.full_name, Membership.id)
            )
        ).scalars()
        return grouped_by(rows, keys, "unit_id")


class ChainByDocumentIdLoader(ContextLoader):
    """The units on each document's chain, with their paths: what field guards decide on."""

    async def batch_load(self, keys):
        chains = await load_chains(self.session, keys)
        return [chains.get(k, []) for k in keys]


class VisibleDocumentByIdLoader(ContextLoader):
    """Documents by id, None for those the caller may not see (exactly like a missing one)."""

    async def batch_load(self, keys):
        principal = self.ctx.principal
        if principal is None:
            return [None] * len(keys)
        rows = (
            await self.session.execute(select(Document).where(Document.id.in_(keys), visible_documents(principal)))
        ).scalars()
        return by_key(rows, keys)


class TurnosByDocumentIdLoader(ContextLoader):
    """Every turno of each document, visible or not: for aggregates such as the worst light,
    which reveal no turno's details."""

    async def batch_load(self, keys):
        rows = (
            await self.session.execute(select(Turno).where(Turno.document_id.in_(keys)).order_by(Turno.id))
        ).scalars()
        return grouped_by(rows, keys, "document_id")


class OpenTurnoLightsByDocumentIdLoader(ContextLoader):
    """(status, due_date, answered_on_time) of each document's open turnos, visible or not: what a
    document's light needs, as plain rows (a page of 50 documents has ~150 turnos, most closed)."""

    async def batch_load(self, keys):
        rows = (
            await self.session.execute(
                select(Turno.document_id, Turno.status, Turno.due_date, Turno.answered_on_time).where(
                    Turno.document_id.in_(keys), Turno.status.in_(sorted(s.value for s in OPEN_TURNO))
                )
            )
        ).all()
        groups = defaultdict(list)
        for document_id, *light in rows:
            groups[document_id].append(tuple(light))
        return [groups[k] for k in keys]


class VisibleTurnosByDocumentIdLoader(ContextLoader):
    async def batch_load(self, keys):
        principal = self.ctx.principal
        if principal is None:
            return [[] for _ in keys]
        rows = (
            await self.session.execute(
                select(Turno).where(Turno.document_id.in_(keys), visible_turnos(principal)).order_by(Turno.id)
            )
        ).scalars()
        return grouped_by(rows, keys, "document_id")


class VisibleTurnoByIdLoader(ContextLoader):
    async def batch_load(self, keys):
        principal = self.ctx.principal
        if principal is None:
            return [None] * len(keys)
        rows = (
            await self.session.execute(select(Turno).where(Turno.id.in_(keys), visible_turnos(principal)))
        ).scalars()
        return by_key(rows, keys)


class ResponsesByTurnoIdLoader(ContextLoader):
    async def batch_load(self, keys):
        rows = (
            await self.session.execute(select(Response).where(Response.turno_id.in_(keys)).order_by(Response.round))
        ).scalars()
        return grouped_by(rows, keys, "turno_id")


class VisibleResponseByIdLoader(ContextLoader):
    async def batch_load(self, keys):
        principal = self.ctx.principal
        if principal is None:
            return [None] * len(keys)
        rows = (
            await self.session.execute(
                select(Response)
                .join(Turno, Turno.id == Response.turno_id)
                .where(Response.id.in_(keys), visible_turnos(principal))
            )
        ).scalars()
        return by_key(rows, keys)


class ArchiveRecordByDocumentIdLoader(ContextLoader):
    async def batch_load(self, keys):
        rows = (await self.session.execute(select(ArchiveRecord).where(ArchiveRecord.document_id.in_(keys)))).scalars()
        return by_key(rows, keys, "document_id")


class AttachmentsByDocumentIdLoader(ContextLoader):
    """The files of each document itself (not those of its answers)."""

    async def batch_load(self, keys):
        rows = (
            await self.session.execute(
                select(Attachment)
                .where(Attachment.document_id.in_(keys), Attachment.response_id.is_(None))
                .order_by(Attachment.id)
            )
        ).scalars()
        return grouped_by(rows, keys, "document_id")


class AttachmentsByResponseIdLoader(ContextLoader):
    async def batch_load(self, keys):
        rows = (
            await self.session.execute(
                select(Attachment).where(Attachment.response_id.in_(keys)).order_by(Attachment.id)
            )
        ).scalars()
        return grouped_by(rows, keys, "response_id")


class Loaders:
    """Built on first use, each: a delivered event usually needs two or three of them."""

    def __init__(self, ctx: "Context"):
        self._ctx = ctx
        # GraphQL objects already built in this request, by (type, key): a unit named by 100 turnos
        # of a page is built once (schema/at_hand.py built_once)
        self.built: dict[tuple[str, int], object] = {}

    @cached_property
    def org_unit_by_id(self) -> OrgUnitByIdLoader:
        return OrgUnitByIdLoader(self._ctx)

    @cached_property
    def children_by_unit_id(self) -> ChildrenByUnitIdLoader:
        return ChildrenByUnitIdLoader(self._ctx)

    @cached_property
    def user_by_id(self) -> UserByIdLoader:
        return UserByIdLoader(self._ctx)

    @cached_property
    def visible_user_by_id(self) -> VisibleUserByIdLoader:
        return VisibleUserByIdLoader(self._ctx)

    @cached_property
    def memberships_by_user_id(self) -> MembershipsByUserIdLoader:
        return MembershipsByUserIdLoader(self._ctx)

    @cached_property
    def active_memberships_by_unit_id(self) -> ActiveMembershipsByUnitIdLoader:
        return ActiveMembershipsByUnitIdLoader(self._ctx)

    @cached_property
    def chain_by_document_id(self) -> ChainByDocumentIdLoader:
        return ChainByDocumentIdLoader(self._ctx)

    @cached_property
    def visible_document_by_id(self) -> VisibleDocumentByIdLoader:
        return VisibleDocumentByIdLoader(self._ctx)

    @cached_property
    def turnos_by_document_id(self) -> TurnosByDocumentIdLoader:
        return TurnosByDocumentIdLoader(self._ctx)

    @cached_property
    def open_turno_lights_by_document_id(self) -> OpenTurnoLightsByDocumentIdLoader:
        return OpenTurnoLightsByDocumentIdLoader(self._ctx)

    @cached_property
    def visible_turnos_by_document_id(self) -> VisibleTurnosByDocumentIdLoader:
        return VisibleTurnosByDocumentIdLoader(self._ctx)

    @cached_property
    def visible_turno_by_id(self) -> VisibleTurnoByIdLoader:
        return VisibleTurnoByIdLoader(self._ctx)

    @cached_property
    def responses_by_turno_id(self) -> ResponsesByTurnoIdLoader:
        return ResponsesByTurnoIdLoader(self._ctx)

    @cached_property
    def visible_response_by_id(self) -> VisibleResponseByIdLoader:
        return VisibleResponseByIdLoader(self._ctx)

    @cached_property
    def archive_record_by_document_id(self) -> ArchiveRecordByDocumentIdLoader:
        return ArchiveRecordByDocumentIdLoader(self._ctx)

    @cached_property
    def attachments_by_document_id(self) -> AttachmentsByDocumentIdLoader:
        return AttachmentsByDocumentIdLoader(self._ctx)

    @cached_property
    def attachments_by_response_id(self) -> AttachmentsByResponseIdLoader:
        return AttachmentsByResponseIdLoader(self._ctx)
