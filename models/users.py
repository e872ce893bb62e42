"""People, their memberships (unit + role) and their passwords."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, event
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


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
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

    user: Mapped[User] = relationship(back_populates="memberships")


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
    """Consecutive failed sign-ins per username (known or not), to slow down guessing."""

    __tablename__ = "login_throttle"

    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)


_hasher = PasswordHasher()
# verified against when the username does not exist, so both answers take the same time
_DUMMY_HASH = _hasher.hash("mcs-dummy-password")

PASSWORD_MIN = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def throttle_delay_seconds(failures: int) -> float:
    """Free tries first, then a wait that doubles per failure, capped at 15 minutes."""
    free = 5
    if failures < free:
        return 0.0
    return float(min(2 ** (failures - free + 1), 900))
