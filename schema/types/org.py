"""OrgUnit, User and Membership."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date
from typing import Annotated, overload

import strawberry
from strawberry.types import Info

from models import org as org_models
from models import users as user_models
from schema.per_user import PerUser
from schema.at_hand import NowOrLater, built_once
from schema.enums import OrgUnitKind, Role
from models.permissions import ChainUnit, sees_unit
from schema.guards import DirectoryField, UnitInScopeField
from schema.ids import to_global_id
from schema.types.node import Node


@strawberry.type(name="OrgUnit")
class OrgUnit(Node):
    code: str
    acronym: str
    name: str
    kind: OrgUnitKind
    active: bool
    db_id: strawberry.Private[int]
    parent_db_id: strawberry.Private[int | None]
    ancestor_db_ids: strawberry.Private[list[int]]
    path: strawberry.Private[str]

    @classmethod
    def from_model(cls, m: org_models.OrgUnit) -> "OrgUnit":
        return cls(
            id=to_global_id("OrgUnit", m.id),
            code=m.code,
            acronym=m.acronym,
            name=m.name,
            kind=OrgUnitKind(m.kind),
            active=m.active,
            db_id=m.id,
            parent_db_id=m.parent_id,
            ancestor_db_ids=m.ancestor_ids,
            path=m.path,
        )

    @strawberry.field
    async def parent(self, info: Info) -> "OrgUnit | None":
        if self.parent_db_id is None:
            return None
        return OrgUnit.from_model(await info.context.loaders.org_unit_by_id.load(self.parent_db_id))

    @strawberry.field
    async def children(self, info: Info) -> list["OrgUnit"]:
        return [OrgUnit.from_model(u) for u in await info.context.loaders.children_by_unit_id.load(self.db_id)]

    @strawberry.field(description="From the root down to the parent.")
    async def ancestors(self, info: Info) -> list["OrgUnit"]:
        units = await info.context.loaders.org_unit_by_id.load_many(self.ancestor_db_ids)
        return [OrgUnit.from_model(u) for u in units if u is not None]

    @strawberry.field(
        permission_classes=[UnitInScopeField],
        description=(
            "The active people of this unit with their roles here in force today, by name (a person with two roles "
            "appears twice). "
            "Null with FORBIDDEN for a unit outside your scope (your units, the subtrees you see; ADMIN: all)."
        ),
    )
    async def members(self, info: Info) -> list[Annotated["Membership", strawberry.lazy("schema.types.org")]] | None:
        rows = await info.context.loaders.active_memberships_by_unit_id.load(self.db_id)
        today = info.context.clock.today()
        return [Membership.from_model(m, today) for m in rows if m.active_on(today)]


def unit_of(info: Info, unit_id: int) -> OrgUnit | Awaitable[OrgUnit]:
    """A unit named by a row the caller sees, built once per request; now when loaded (a list's
    look-ahead loads them), else later (schema/at_hand.py)."""
    return built_once(info, "OrgUnit", info.context.loaders.org_unit_by_id, unit_id, OrgUnit.from_model)


@strawberry.type
class Membership:
    role: Role
    starts_on: date | None = strawberry.field(
        description=(
            "A substitute (suplencia): the first day the membership counts (the institution's date); null: always."
        )
    )
    ends_on: date | None = strawberry.field(
        description=("A substitute (suplencia): the last day the membership counts, included; null: no end.")
    )
    in_force: bool = strawberry.field(
        description=("It counts today (between startsOn and endsOn): only memberships in force give access.")
    )
    unit_db_id: strawberry.Private[int]
    user_db_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, m: user_models.Membership, today: date) -> "Membership":
        return cls(
            role=Role(m.role),
            starts_on=m.starts_on,
            ends_on=m.ends_on,
            in_force=m.active_on(today),
            unit_db_id=m.unit_id,
            user_db_id=m.user_id,
        )

    @strawberry.field
    def unit(self, info: Info) -> NowOrLater[OrgUnit]:
        return unit_of(info, self.unit_db_id)

    @strawberry.field
    async def user(self, info: Info) -> "User":
        return await user_of(info, self.user_db_id)


@strawberry.type(name="User")
class User(Node):
    username: str
    full_name: str
    position: str | None
    email: str | None = strawberry.field(
        permission_classes=[DirectoryField],
        description=(
            "Null with FORBIDDEN for people outside your directory (yourself and the people of the units in your "
            "scope; ADMIN: everyone)."
        ),
    )
    active: bool
    db_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, m: user_models.User) -> "User":
        return cls(
            id=to_global_id("User", m.id),
            username=m.username,
            full_name=m.full_name,
            position=m.position,
            email=m.email,
            active=m.active,
            db_id=m.id,
        )

    @strawberry.field(
        description=(
            "The memberships in units of your scope (yours and ADMIN's: all) in force today; with includeInactive also "
            "those whose dates (a substitute's) have not begun or have ended."
        ),
        # one's own memberships are all shown, another's only in one's scope
        extensions=[PerUser()],
    )
    async def memberships(self, info: Info, include_inactive: bool | None = False) -> list[Membership]:
        ctx = info.context
        rows = await ctx.loaders.memberships_by_user_id.load(self.db_id)
        principal = ctx.principal
        if principal is None:
            return []
        today = ctx.clock.today()
        if not include_inactive:
            rows = [m for m in rows if m.active_on(today)]
        if not (principal.is_admin or principal.user_id == self.db_id):
            units = await ctx.loaders.org_unit_by_id.load_many([m.unit_id for m in rows])
            seen = {u.id for u in units if u is not None and sees_unit(principal, ChainUnit(u.id, u.path))}
            rows = [m for m in rows if m.unit_id in seen]
        return [Membership.from_model(m, today) for m in rows]


@overload
async def user_of(info: Info, user_id: int) -> User: ...
@overload
async def user_of(info: Info, user_id: int | None) -> User | None: ...
async def user_of(info: Info, user_id: int | None) -> User | None:
    """A person named by something the caller sees (an actor, an author): always there by name
    (users are never deleted, and every reference to one is a foreign key), so a key gives a User."""
    if user_id is None:
        return None
    user = await info.context.loaders.user_by_id.load(user_id)
    return User.from_model(user) if user else None


async def visible_user(info: Info, user_id: int) -> User | None:
    """`node(User)`: a person of the caller's directory, or None like a missing one."""
    user = await info.context.loaders.visible_user_by_id.load(user_id)
    return User.from_model(user) if user else None
