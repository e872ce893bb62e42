"""People, their memberships (unit + role) and their passwords."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from enum import Enum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, ColumnElement, Date, ForeignKey, Integer, String, UniqueConstraint, and_, event, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId, UTCDateTime
from models.text import fold


class Role(str, Enum):
    ADMIN = "ADMIN"
    HEAD = "HEAD"
    REGISTRAR = "REGISTRAR"
    STAFF = "STAFF"
    VIEWER = "VIEWER"


# Roles that see the whole subtree of their unit, not only the unit itself.
SUBTREE_ROLES = frozenset({Role.HEAD, Role.REGISTRAR, Role.VIEWER})


USERNAME_MAX = 80


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    full_name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # bumped when the password changes or the user is deactivated: older tokens stop working
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # username, name and e-mail folded (lower case, no accents) for the directory's search
    search_text: Mapped[str | None] = mapped_column(String(600))

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="raise", order_by="Membership.id"
    )


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "unit_id", "role", name="uq_memberships_user_unit_role"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    # A membership with dates (a substitute standing in for an absent head: suplencia) counts only
    # from starts_on to ends_on, both included, in the institution's time zone; without them, always.
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)

    user: Mapped[User] = relationship(back_populates="memberships")

    def active_on(self, day: date) -> bool:
        """Python twin of `active_membership_clause`: the membership counts on `day`."""
        return membership_in_force(self.starts_on, self.ends_on, day)


def membership_in_force(starts_on: date | None, ends_on: date | None, day: date) -> bool:
    return (starts_on is None or starts_on <= day) and (ends_on is None or day <= ends_on)


def active_membership_clause(today: date | ColumnElement[date], membership=Membership) -> ColumnElement[bool]:
    """SQL predicate: the membership counts on `today` (the institution's date, models/clock).
    The one rule of membership dates: whatever makes a Principal, or counts who holds a role, uses it
    (or its twin, Membership.active_on)."""
    return and_(
        or_(membership.starts_on.is_(None), membership.starts_on <= today),
        or_(membership.ends_on.is_(None), membership.ends_on >= today),
    )


class RevokedToken(Base):
    """A token ended by `logout` before its expiry (its `jti` claim). Kept until it would have
    expired anyway; `logout(everywhere: true)` and password changes bump token_version instead."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


def user_search_text(username: str, full_name: str, email: str | None) -> str:
    return fold(" ".join(filter(None, (username, full_name, email))))


@event.listens_for(User, "before_insert")
@event.listens_for(User, "before_update")
def _keep_search_text(mapper, connection, user: User) -> None:
    """Wherever a user is created or changed (admin, bootstrap, demo), its search text follows."""
    user.search_text = user_search_text(user.username, user.full_name, user.email)


class LoginThrottle(Base):
    """Failed sign-ins counted per key, shared by every instance through the database.

    Keys (resolvers/throttle.py): "user:<username>" (clients not known to that account),
    "ip:<address>" (clients not known to the account they tried, over every account),
    "known:<username>|ip:<address>" and "known:<username>|dev:<device id>" (a client that signed
    in to that account before: last_success_at says when), and "global:<minute>" (every failure
    of that minute)."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


_hasher = PasswordHasher()
# verified against when the username does not exist, so both answers take the same time
_DUMMY_HASH = _hasher.hash("mcs-dummy-password")

PASSWORD_MIN = 12

# argon2 costs tenths of a second of CPU by design: it runs here, never on the event loop (other
# requests would wait behind it). argon2-cffi releases the GIL; half the cores at most, so a burst of
# sign-ins leaves CPU for everything else (they queue here instead).
_HASH_POOL = ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 2) // 2), thread_name_prefix="mcs-argon2")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def hash_password_in_thread(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_HASH_POOL, hash_password, password)


async def verify_password_in_thread(password_hash: str | None, password: str) -> bool:
    return await asyncio.get_running_loop().run_in_executor(_HASH_POOL, verify_password, password_hash, password)


def throttle_delay_seconds(failures: int, free: int = 5) -> float:
    """`free` tries first, then a wait that doubles per failure (2 s, 4 s, …), capped at 15 minutes."""
    if failures < free:
        return 0.0
    return float(min(2 ** min(failures - free + 1, 10), 900))
