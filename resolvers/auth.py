"""Sign-in and token checks."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import jwt
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from models.db import note_changes
from models.events import EventKind, append_event
from models.errors import DomainError, ErrorCode
from models.permissions import Principal
from models.principals import load_principal, read_principal
from models.users import (
    USERNAME_MAX,
    RevokedToken,
    User,
    hash_password_in_thread,
    verify_password_in_thread,
)
from resolvers import throttle
from resolvers.context import Services

ALGORITHM = "HS256"
BAD_CREDENTIALS = "Usuario o contraseña incorrectos."


def issue_token(services: Services, user: User) -> str:
    now = services.clock.now()
    claims = {
        "sub": str(user.id),
        "ver": user.token_version,
        "jti": secrets.token_urlsafe(16),  # names this token alone, for logout
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=services.settings.token_ttl_hours)).timestamp()),
    }
    return jwt.encode(claims, services.settings.secret_key, algorithm=ALGORITHM)


async def login(ctx, username: str, password: str) -> tuple[str, User]:
    """The same answer for an unknown user and a wrong password; repeated failures wait longer
    (resolvers/throttle.py), and a throttled attempt costs no hashing. The password is checked
    in a worker thread, outside any transaction."""
    services = ctx.services
    username = (username or "").strip().lower()  # usernames are stored in lower case
    if len(username) > USERNAME_MAX:  # no such user can exist; a clear answer, not a database error
        raise DomainError(ErrorCode.VALIDATION, f"El usuario admite a lo más {USERNAME_MAX} caracteres.", "username")
    attempt = await throttle.admit(services, username, throttle.client_of(ctx))
    async with services.db.session() as session:
        user = (await session.execute(select(User).where(User.username == username))).scalar_one_or_none()
    if await verify_password_in_thread(user.password_hash if user else None, password or "") and user.active:
        await throttle.succeeded(services, attempt, getattr(ctx, "response", None))
        token = issue_token(services, user)
        await act_as(ctx, token)  # the rest of this request (the payload's user) is the signed-in person
        return token, user
    await throttle.failed(services, attempt)
    raise DomainError(ErrorCode.UNAUTHENTICATED, BAD_CREDENTIALS)


async def act_as(ctx, token: str) -> None:
    """Make `ctx` the session of `token` (just issued): its principal and claims."""
    claims = decode_token(ctx.services, token)
    assert claims is not None  # (just issued: it decodes)
    ctx.principal = await read_principal(ctx.services.db, ctx.services.clock, claims.user_id, claims.token_version)
    ctx.token_version, ctx.token_expires_at, ctx.token_id = claims.token_version, claims.expires_at, claims.token_id


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
    token_id: str | None = None  # the `jti` claim


def decode_token(services: Services, token: str | None) -> TokenClaims | None:
    """The claims of a token signed by us and not expired, or None."""
    if not token:
        return None
    try:
        # expiry is checked against our clock (the one tests freeze), not the wall clock
        claims = jwt.decode(
            token,
            services.settings.secret_key,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "sub"], "verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
        token_id = claims.get("jti")
        result = TokenClaims(
            int(claims["sub"]),
            claims.get("ver"),
            datetime.fromtimestamp(float(claims["exp"]), tz=timezone.utc),
            token_id if isinstance(token_id, str) else None,
        )
    except (jwt.PyJWTError, ValueError, TypeError, OverflowError):
        return None
    return result if result.expires_at > services.clock.now() else None


async def authenticate(services: Services, session: AsyncSession, token: str | None) -> Principal | None:
    """The principal of a valid token, or None. Checked against the database on every call,
    so a deactivated user or a changed password stops the token at once."""
    claims = decode_token(services, token)
    if claims is None:
        return None
    return await load_principal(
        session,
        claims.user_id,
        token_version=claims.token_version,
        token_id=claims.token_id,
        today=services.clock.today(),
    )


async def current_principal(ctx) -> Principal | None:
    """The caller's access as it is now, for a long-lived connection (a websocket authenticated
    once): None when the token expired, was logged out, or its user was deactivated or changed
    password; otherwise the principal with their current memberships."""
    if ctx.token_expires_at is None or ctx.token_expires_at <= ctx.services.clock.now() or ctx.principal is None:
        return None
    return await read_principal(
        ctx.services.db, ctx.services.clock, ctx.principal.user_id, ctx.token_version, ctx.token_id
    )


# --- my account -------------------------------------------------------------------------------


async def change_password(ctx, current: str, new: str) -> tuple[str, User]:
    """Every token issued before stops working (here and on every instance: the version is
    checked on each request and socket); the caller gets a new one.

    A wrong current password counts as a failed sign-in of the account (a stolen token must not
    allow unlimited guesses); the hashing runs in a worker thread, outside any transaction."""
    from resolvers.validation import Checker

    principal = ctx.require_principal()
    services = ctx.services
    async with services.db.session() as session:
        user = (await session.execute(select(User).where(User.id == principal.user_id))).scalar_one()
    verified_hash = user.password_hash
    check = Checker()
    check.new_password(new, user.username, "newPassword")
    check.raise_if_any()  # before the current password: a refused new one costs no hashing nor a try
    attempt = await throttle.admit(services, user.username, throttle.client_of(ctx), field="currentPassword")
    if not await verify_password_in_thread(user.password_hash, current or ""):
        await throttle.failed(services, attempt)
        raise DomainError(ErrorCode.VALIDATION, "La contraseña actual no es correcta.", "currentPassword")
    await throttle.succeeded(services, attempt, getattr(ctx, "response", None))
    new_hash = await hash_password_in_thread(new)
    async with services.db.transaction() as session:
        user = (await session.execute(select(User).where(User.id == principal.user_id).with_for_update())).scalar_one()
        if user.password_hash != verified_hash:  # changed meanwhile (another device, an ADMIN)
            raise DomainError(ErrorCode.VALIDATION, "La contraseña actual no es correcta.", "currentPassword")
        user.password_hash = new_hash
        user.token_version += 1
        note_changes(session, users=[user.id])  # open subscriptions re-check their access
        await append_event(
            session,
            kind=EventKind.USER_CHANGED,
            occurred_at=services.clock.now(),
            actor_id=user.id,
            audience=[],
            data={"userId": user.id, "change": "password"},
        )
    token = issue_token(services, user)
    await act_as(ctx, token)  # the payload describes the session that goes on with the new token
    return token, user


async def logout(ctx, everywhere: bool) -> None:
    """End this token (its `jti`), or every token of mine (a new token version)."""
    principal = ctx.require_principal()
    services = ctx.services
    async with services.db.transaction() as session:
        if everywhere or ctx.token_id is None:
            user = (
                await session.execute(select(User).where(User.id == principal.user_id).with_for_update())
            ).scalar_one()
            user.token_version += 1
            await append_event(
                session,
                kind=EventKind.USER_CHANGED,
                occurred_at=services.clock.now(),
                actor_id=user.id,
                audience=[],
                data={"userId": user.id, "change": "logoutEverywhere"},
            )
        else:
            # expired revocations are of no use any more: the table stays the size of the live ones
            await session.execute(delete(RevokedToken).where(RevokedToken.expires_at <= services.clock.now()))
            # the same token logged out twice at once (a double click, two tabs): one row, no error
            insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
            await session.execute(
                insert(RevokedToken)
                .values(
                    jti=ctx.token_id,
                    user_id=principal.user_id,
                    expires_at=ctx.token_expires_at,
                )
                .on_conflict_do_nothing(index_elements=[RevokedToken.jti])
            )
        note_changes(session, users=[principal.user_id])
