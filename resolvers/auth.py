"""Sign-in and token checks."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import jwt
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from models.errors import DomainError, ErrorCode
from models.org import OrgUnit
from models.permissions import MembershipGrant, Principal
from models.users import LoginThrottle, Membership, Role, User, throttle_delay_seconds, verify_password
from resolvers.context import Services

ALGORITHM = "HS256"
BAD_CREDENTIALS = "Usuario o contraseña incorrectos."


def issue_token(services: Services, user: User) -> str:
    now = services.clock.now()
    claims = {
        "sub": str(user.id),
        "ver": user.token_version,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=services.settings.token_ttl_hours)).timestamp()),
    }
    return jwt.encode(claims, services.settings.secret_key, algorithm=ALGORITHM)


async def login(services: Services, username: str, password: str) -> tuple[str, User]:
    """The same answer for an unknown user and a wrong password; repeated failures wait longer.

    The throttle row of the username is locked while the password is checked, so guesses sent
    at the same moment are counted one after another like any others."""
    username = (username or "").strip().lower()  # usernames are stored in lower case
    now = services.clock.now()
    async with services.db.transaction() as session:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        await session.execute(insert(LoginThrottle).values(username=username, failures=0, last_failure_at=now)
                              .on_conflict_do_nothing(index_elements=[LoginThrottle.username]))
        throttle = (await session.execute(
            select(LoginThrottle).where(LoginThrottle.username == username).with_for_update()
        )).scalar_one()
        wait = throttle_delay_seconds(throttle.failures)
        remaining = (throttle.last_failure_at + timedelta(seconds=wait) - now).total_seconds()
        if throttle.failures and remaining > 0:
            raise DomainError(ErrorCode.THROTTLED,
                              f"Demasiados intentos fallidos. Intente de nuevo en {math.ceil(remaining)} segundos.")
        user = (await session.execute(select(User).where(User.username == username))).scalar_one_or_none()
        if verify_password(user.password_hash if user else None, password or "") and user.active:
            await session.delete(throttle)
            return issue_token(services, user), user
        throttle.failures += 1
        throttle.last_failure_at = now
    raise DomainError(ErrorCode.UNAUTHENTICATED, BAD_CREDENTIALS)


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    token_version: int | None
    expires_at: datetime


def decode_token(services: Services, token: str | None) -> TokenClaims | None:
    """The claims of a token signed by us and not expired, or None."""
    if not token:
        return None
    try:
        # expiry is checked against our clock (the one tests freeze), not the wall clock
        claims = jwt.decode(token, services.settings.secret_key, algorithms=[ALGORITHM],
                            options={"require": ["exp", "sub"], "verify_exp": False, "verify_iat": False, "verify_nbf": False})
        result = TokenClaims(int(claims["sub"]), claims.get("ver"),
                             datetime.fromtimestamp(float(claims["exp"]), tz=timezone.utc))
    except (jwt.PyJWTError, ValueError, TypeError, OverflowError):
        return None
    return result if result.expires_at > services.clock.now() else None


async def authenticate(services: Services, session: AsyncSession, token: str | None) -> Principal | None:
    """The principal of a valid token, or None. Checked against the database on every call,
    so a deactivated user or a changed password stops the token at once."""
    claims = decode_token(services, token)
    if claims is None:
        return None
    return await load_principal(session, claims.user_id, token_version=claims.token_version)


async def load_principal(session: AsyncSession, user_id: int, token_version: int | None = None) -> Principal | None:
    rows = (await session.execute(
        select(User.id, User.username, User.active, User.token_version,
               Membership.unit_id, Membership.role, OrgUnit.path)
        .outerjoin(Membership, Membership.user_id == User.id)
        .outerjoin(OrgUnit, OrgUnit.id == Membership.unit_id)
        .where(User.id == user_id)
        .order_by(Membership.id)
    )).all()
    if not rows or not rows[0].active:
        return None
    if token_version is not None and rows[0].token_version != token_version:
        return None
    grants = tuple(MembershipGrant(r.unit_id, r.path, Role(r.role)) for r in rows if r.unit_id is not None)
    return Principal(user_id=rows[0].id, username=rows[0].username, memberships=grants)
