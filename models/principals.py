"""Who is acting: a user's access as it is now, read from the database (models/permissions.py
Principal). Below every layer that needs it: requests (resolvers/auth.py), websockets and
realtime, the notifier (what a person may be told), exports."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, String, and_, bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncConnection

from models.clock import Clock
from models.db import Database, Reader
from models.org import OrgUnit
from models.permissions import MembershipGrant, Principal
from models.users import Membership, RevokedToken, Role, User, active_membership_clause


# Built once, with bind parameters: every authenticated request reads it, and composing it anew
# (then computing its cache key) cost more Python than the round trip (bench/REGISTRATIONS.md).
# A token without an id compares its NULL jti, so `revoked` is false.
PRINCIPAL_ROWS = (
    select(
        User.id,
        User.username,
        User.active,
        User.token_version,
        Membership.unit_id,
        Membership.role,
        OrgUnit.path,
        exists(select(1).where(RevokedToken.jti == bindparam("token_id", type_=String))).label("revoked"),
    )
    .outerjoin(
        Membership,
        and_(Membership.user_id == User.id, active_membership_clause(bindparam("today", type_=Date))),
    )
    .outerjoin(OrgUnit, OrgUnit.id == Membership.unit_id)
    .where(User.id == bindparam("user_id"))
    .order_by(Membership.id)
)


async def load_principal(
    session: Reader | AsyncConnection,
    user_id: int,
    token_version: int | None = None,
    token_id: str | None = None,
    *,
    today: date | None = None,
) -> Principal | None:
    """The user's current access, or None when the user is inactive, or the token's version is
    old (password changed, logged out everywhere), or the token itself was logged out.

    Only the memberships in force `today` count (a substitute's dated membership: models/users.py
    active_membership_clause). `today` is the institution's date, `services.clock.today()`: every
    server path passes it; without it, the wall clock's date in the default zone (scripts, tests of
    undated memberships). A membership that begins at midnight counts from the next load of the
    principal: each request, and a websocket's recheck."""
    if today is None:
        today = Clock().today()
    rows = (await session.execute(PRINCIPAL_ROWS, {"user_id": user_id, "today": today, "token_id": token_id})).all()
    if not rows or not rows[0].active or rows[0].revoked:
        return None
    if token_version is not None and rows[0].token_version != token_version:
        return None
    grants = tuple(MembershipGrant(r.unit_id, r.path, Role(r.role)) for r in rows if r.unit_id is not None)
    return Principal(user_id=rows[0].id, username=rows[0].username, memberships=grants)


async def read_principal(
    db: Database, clock: Clock, user_id: int, token_version: int | None = None, token_id: str | None = None
) -> Principal | None:
    """load_principal as of the institution's today, on a connection of its own handed back at
    once (Database.single_read): a request's caller, a websocket's, a recheck."""
    async with db.single_read() as connection:
        return await load_principal(connection, user_id, token_version, token_id, today=clock.today())
