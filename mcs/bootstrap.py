"""Operator actions that precede any signed-in user: the first ADMIN and the root unit."""

from __future__ import annotations

from sqlalchemy import select

from core.settings import Settings
from models.db import ADMINISTRATION_LOCK, Database, advisory_lock
from models.errors import DomainError, ErrorCode
from models.events import EventKind, append_event
from models.org import OrgUnit, OrgUnitKind, create_unit
from models.clock import Clock
from models.users import Membership, Role, User, hash_password_in_thread
from resolvers.validation import Checker


async def create_admin(
    settings: Settings,
    username: str,
    password: str,
    *,
    full_name: str,
    root_code: str = "0",
    root_acronym: str = "INST",
    root_name: str = "Institución",
) -> OrgUnit:
    """Create an ADMIN on the root unit; on an empty database create the root unit first."""
    username = username.strip().lower()
    check = Checker()
    check.new_password(password, username)
    check.raise_if_any()
    password_hash = await hash_password_in_thread(password)  # argon2 off the event loop, before the transaction
    db = Database(settings.database_url)
    clock = Clock(settings.timezone)
    try:
        async with db.transaction() as session:
            await advisory_lock(session, ADMINISTRATION_LOCK)
            if (await session.execute(select(User.id).where(User.username == username))).first():
                raise DomainError(ErrorCode.CONFLICT, f"El usuario «{username}» ya existe.", "username")
            root = (
                await session.execute(select(OrgUnit).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id).limit(1))
            ).scalar_one_or_none()
            if root is None:
                root = await create_unit(
                    session, code=root_code, acronym=root_acronym, name=root_name, kind=OrgUnitKind.UNIT, parent=None
                )
            user = User(
                username=username,
                password_hash=password_hash,
                full_name=full_name,
                active=True,
                token_version=0,
                created_at=clock.now(),
                memberships=[Membership(unit_id=root.id, role=Role.ADMIN.value)],
            )
            session.add(user)
            await session.flush()
            await append_event(
                session,
                kind=EventKind.USER_CHANGED,
                occurred_at=clock.now(),
                actor_id=None,
                audience=[root.id],
                data={"userId": user.id, "change": "created"},
            )
        return root
    finally:
        await db.dispose()
