"""ADMIN use cases: the org tree, users and their memberships, the document type catalog."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import overload

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from models.calendar import InstitutionHoliday
from models.catalogs import ArchiveSeries, DocumentType
from models.db import ADMINISTRATION_LOCK, advisory_lock, note_changes
from models.errors import DomainError, ErrorCode, forbidden, not_found, validation
from models.events import EventKind, append_event
from models.org import OrgUnit, OrgUnitKind, create_unit, update_unit
from models.permissions import can_administer
from models.passwords import password_problem
from models.users import Membership, Role, User, active_membership_clause, hash_password_in_thread
from resolvers.context import Context
from resolvers.validation import Checker

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,79}$")
UNSET = object()


def require_admin(ctx: Context):
    principal = ctx.require_principal()
    if not can_administer(principal):
        raise forbidden("Solo un administrador puede hacer esto.")
    return principal


@asynccontextmanager
async def administration(ctx: Context):
    """An ADMIN's transaction. Administration changes go one at a time (they are rare): checks
    such as "no cycle in the tree", "one admin remains" or "the code is free" then hold until
    commit, which concurrent transactions reading stale rows could not guarantee."""
    async with ctx.services.db.transaction() as session:
        await advisory_lock(session, ADMINISTRATION_LOCK)
        yield session


@overload
async def _unit(session, unit_id: int, field: str) -> OrgUnit: ...
@overload
async def _unit(session, unit_id: int | None, field: str) -> OrgUnit | None: ...
async def _unit(session, unit_id: int | None, field: str) -> OrgUnit | None:
    if unit_id is None:
        return None
    unit = await session.get(OrgUnit, unit_id)
    if unit is None:
        raise not_found("La unidad no existe.", field)
    return unit


# --- org tree -----------------------------------------------------------------------------


async def create_org_unit(ctx: Context, *, code, acronym, name, kind: OrgUnitKind, parent_id: int | None) -> OrgUnit:
    principal = require_admin(ctx)
    async with administration(ctx) as session:
        parent = await _unit(session, parent_id, "parentId")
        if parent is None and (await session.execute(select(func.count()).select_from(OrgUnit))).scalar_one():
            raise validation("Solo la unidad raíz carece de unidad superior; indique «parentId».", "parentId")
        unit = await create_unit(session, code=code, acronym=acronym, name=name, kind=kind, parent=parent)
        await append_event(
            session,
            kind=EventKind.ORG_UNIT_CHANGED,
            occurred_at=ctx.clock.now(),
            actor_id=principal.user_id,
            audience=unit.lineage_ids,
            data={"unitId": unit.id, "change": "created"},
        )
    return unit


async def update_org_unit(
    ctx: Context,
    unit_id: int,
    *,
    code=None,
    acronym=None,
    name=None,
    kind=None,
    parent_id: int | None = None,
    active: bool | None = None,
) -> OrgUnit:
    principal = require_admin(ctx)
    async with administration(ctx) as session:
        unit = await _unit(session, unit_id, "id")
        new_parent = await _unit(session, parent_id, "parentId")
        if (
            active is False
            and (
                await session.execute(
                    select(func.count()).select_from(OrgUnit).where(OrgUnit.parent_id == unit.id, OrgUnit.active)
                )
            ).scalar_one()
        ):
            raise validation("Desactive primero las subunidades activas.", "active")
        if active is True and not unit.active:
            parent = new_parent or await _unit(session, unit.parent_id, "parentId")
            if parent is not None and not parent.active:
                raise validation("Active primero la unidad superior.", "active")
        unit = await update_unit(
            session, unit, code=code, acronym=acronym, name=name, kind=kind, new_parent=new_parent, active=active
        )
        await append_event(
            session,
            kind=EventKind.ORG_UNIT_CHANGED,
            occurred_at=ctx.clock.now(),
            actor_id=principal.user_id,
            audience=unit.lineage_ids,
            data={"unitId": unit.id, "change": "updated"},
        )
    return unit


# --- users -----------------------------------------------------------------------------------


@dataclass
class MembershipData:
    unit_id: int
    role: Role
    # a substitute (suplencia): the membership counts only from starts_on to ends_on, both included
    starts_on: date | None = None
    ends_on: date | None = None

    def model(self) -> Membership:
        return Membership(
            unit_id=self.unit_id, role=Role(self.role).value, starts_on=self.starts_on, ends_on=self.ends_on
        )


async def _check_memberships(session, memberships: list[MembershipData], check: Checker) -> list[MembershipData]:
    """Errors name the position in the input; identical repeated entries are merged afterwards.
    A unit and role appear once per person (one dated period at a time)."""
    seen: dict[tuple[int, Role], MembershipData] = {}
    for i, m in enumerate(memberships):
        unit = await session.get(OrgUnit, m.unit_id)
        if unit is None:
            check.add("La unidad no existe.", f"memberships.{i}.unitId")
        elif not unit.active:
            check.add("La unidad está inactiva.", f"memberships.{i}.unitId")
        if m.starts_on is not None and m.ends_on is not None and m.ends_on < m.starts_on:
            check.add("La fecha de término no puede ser anterior a la de inicio.", f"memberships.{i}.endsOn")
        key = (m.unit_id, Role(m.role))
        other = seen.get(key)
        if other is not None and (other.starts_on, other.ends_on) != (m.starts_on, m.ends_on):
            check.add(
                "Esta persona ya tiene ese rol en esa unidad en otra fila; deje una sola.", f"memberships.{i}.role"
            )
        seen.setdefault(key, m)
    return list(seen.values())


async def _admin_count_without(session, user_id: int, today: date) -> int:
    """Other active people with an ADMIN membership in force today."""
    return (
        await session.execute(
            select(func.count(func.distinct(Membership.user_id)))
            .join(User, User.id == Membership.user_id)
            .where(
                Membership.role == Role.ADMIN.value, User.active, User.id != user_id, active_membership_clause(today)
            )
        )
    ).scalar_one()


def _audience(memberships) -> list[int]:
    return sorted({m.unit_id for m in memberships})


async def create_user(
    ctx: Context,
    *,
    username: str,
    password: str,
    full_name: str,
    position=None,
    email=None,
    memberships: list[MembershipData],
) -> User:
    principal = require_admin(ctx)
    # argon2 in a worker thread and before the transaction (on SQLite it holds the one write lock)
    password_hash = (
        await hash_password_in_thread(password)
        if password_problem(password, (username or "").strip().lower()) is None
        else None
    )
    async with administration(ctx) as session:
        check = Checker()
        username = (username or "").strip().lower()
        if not USERNAME.match(username):
            check.add("El usuario admite de 3 a 80 letras minúsculas, dígitos, punto, guion o guion bajo.", "username")
        elif (await session.execute(select(User.id).where(User.username == username))).first():
            raise DomainError(ErrorCode.CONFLICT, f"El usuario «{username}» ya existe.", "username")
        check.new_password(password, username)
        full_name = check.required_text(full_name, "fullName", "El nombre completo", 200)
        position = check.text(position, "position", "El cargo", 200)
        email = check.email(email, "email")
        memberships = await _check_memberships(session, memberships, check)
        check.raise_if_any()
        user = User(
            username=username,
            password_hash=password_hash,
            full_name=full_name,
            position=position,
            email=email,
            active=True,
            token_version=0,
            created_at=ctx.clock.now(),
            memberships=[m.model() for m in memberships],
        )
        session.add(user)
        await session.flush()
        await append_event(
            session,
            kind=EventKind.USER_CHANGED,
            occurred_at=ctx.clock.now(),
            actor_id=principal.user_id,
            audience=_audience(memberships),
            data={"userId": user.id, "change": "created"},
        )
    return user


async def update_user(
    ctx: Context,
    user_id: int,
    *,
    password=None,
    full_name=None,
    position=UNSET,
    email=UNSET,
    memberships: list[MembershipData] | None = None,
    active: bool | None = None,
) -> User:
    principal = require_admin(ctx)
    password_hash = None
    if password is not None:  # hashed before the transaction, as in create_user
        async with ctx.services.db.session() as session:
            username = (await session.execute(select(User.username).where(User.id == user_id))).scalar_one_or_none()
        if username is not None and password_problem(password, username) is None:
            password_hash = await hash_password_in_thread(password)
    async with administration(ctx) as session:
        user = await session.get(User, user_id, options=[selectinload(User.memberships)])
        if user is None:
            raise not_found("El usuario no existe.", "id")
        check = Checker()
        if password is not None:
            check.new_password(password, user.username)
            if not check.errors:
                user.password_hash = password_hash
                user.token_version += 1  # sessions opened with the old password end
        if full_name is not None:
            user.full_name = check.text(full_name, "fullName", "El nombre completo", 200, required=True)
        if position is not UNSET:
            user.position = check.text(position, "position", "El cargo", 200)
        if email is not UNSET:
            user.email = check.email(email, "email")
        if memberships is not None:
            memberships = await _check_memberships(session, memberships, check)
        check.raise_if_any()
        today = ctx.clock.today()
        was_admin = any(m.role == Role.ADMIN.value and m.active_on(today) for m in user.memberships)
        stays_admin = (
            any(m.role == Role.ADMIN and m.model().active_on(today) for m in memberships)
            if memberships is not None
            else was_admin
        )
        if active is False:
            stays_admin = False
        if was_admin and not stays_admin and await _admin_count_without(session, user.id, today) == 0:
            raise DomainError(
                ErrorCode.CONFLICT,
                "No se puede retirar al último administrador activo.",
                "active" if active is False else "memberships",
            )
        if memberships is not None:
            user.memberships.clear()
            await session.flush()  # the unique (user, unit, role) rows go before new ones come
            user.memberships.extend(m.model() for m in memberships)
        if active is not None and active != user.active:
            user.active = active
            user.token_version += 1
        await session.flush()
        note_changes(session, users=[user.id])  # their open subscriptions re-check their access
        await append_event(
            session,
            kind=EventKind.USER_CHANGED,
            occurred_at=ctx.clock.now(),
            actor_id=principal.user_id,
            audience=_audience(user.memberships),
            data={"userId": user.id, "change": "updated"},
        )
    return user


# --- catalogs --------------------------------------------------------------------------------

CATALOG_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_.-]{0,39}$")


CATALOGS = {
    "documentTypes": (DocumentType, "el tipo de documento", 120),
    "archiveSeries": (ArchiveSeries, "la serie documental", 200),
}


async def _catalog_event(session, ctx: Context, catalog: str, **data) -> None:
    await append_event(
        session,
        kind=EventKind.CATALOG_CHANGED,
        occurred_at=ctx.clock.now(),
        actor_id=ctx.require_principal().user_id,
        audience=[],
        data={"catalog": catalog, **data},
    )


async def create_catalog_entry(ctx: Context, catalog: str, *, code: str, name: str):
    """A new entry of a code/name catalog (document types, archival series)."""
    require_admin(ctx)
    model, label, name_max = CATALOGS[catalog]
    async with administration(ctx) as session:
        check = Checker()
        code = (code or "").strip().upper()
        if not CATALOG_CODE.match(code):
            check.add("La clave admite hasta 40 mayúsculas, dígitos, punto, guion o guion bajo.", "code")
        name = check.required_text(name, "name", "El nombre", name_max)
        check.raise_if_any()
        if await session.get(model, code):
            raise DomainError(ErrorCode.CONFLICT, f"Ya existe {label} «{code}».", "code")
        item = model(code=code, name=name, active=True)
        session.add(item)
        await _catalog_event(session, ctx, catalog, code=code, change="created")
    return item


async def update_catalog_entry(
    ctx: Context, catalog: str, *, code: str, name: str | None = None, active: bool | None = None
):
    require_admin(ctx)
    model, label, name_max = CATALOGS[catalog]
    async with administration(ctx) as session:
        item = await session.get(model, (code or "").strip().upper())
        if item is None:
            raise not_found(f"No existe {label}.", "code")
        check = Checker()
        if name is not None:
            item.name = check.text(name, "name", "El nombre", name_max, required=True)
        check.raise_if_any()
        if active is not None:
            item.active = active
        await _catalog_event(session, ctx, catalog, code=item.code, change="updated")
    return item


# --- the institution's own non-working days -------------------------------------------------


async def change_holidays(ctx: Context, days: list[date], *, description: str | None, add: bool) -> list[date]:
    """Add or remove institution non-working days; returns the whole list afterwards."""
    require_admin(ctx)
    async with administration(ctx) as session:
        check = Checker()
        if not days:
            check.add("Indique al menos una fecha.", "dates")
        description = check.text(description, "description", "La descripción", 200)
        check.raise_if_any()
        for day in sorted(set(days)):
            existing = await session.get(InstitutionHoliday, day)
            if add and existing is None:
                session.add(InstitutionHoliday(day=day, description=description))
            elif add:
                existing.description = description or existing.description
            elif existing is not None:
                await session.delete(existing)
        await session.flush()
        await _catalog_event(
            session,
            ctx,
            "holidays",
            change="added" if add else "removed",
            dates=[d.isoformat() for d in sorted(set(days))],
        )
        return list((await session.execute(select(InstitutionHoliday.day).order_by(InstitutionHoliday.day))).scalars())
