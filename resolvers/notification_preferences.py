"""A person's notification preferences: read them (the defaults when never chosen) and change them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from sqlalchemy import select

from models.notifications import (
    NotificationChannel,
    NotificationKind,
    NotificationPreference,
    Preferences,
    parse_hhmm,
)
from models.users import User
from resolvers.context import Context
from resolvers.validation import Checker


class Unset(Enum):
    """A field the input leaves out: unchanged (None is a value: it clears)."""

    UNSET = "UNSET"


UNSET = Unset.UNSET


@dataclass
class PreferencesData:
    channels: list[tuple[NotificationKind, list[NotificationChannel]]] | None = None  # kinds not listed: unchanged
    include_subunits: bool | None = None
    digest_hour: int | None = None
    quiet_from: str | None | Unset = UNSET  # "HH:MM", None / "" clears
    quiet_to: str | None | Unset = UNSET
    email: str | None | Unset = UNSET  # the person's own address, None / "" clears


async def my_preferences(ctx: Context) -> tuple[Preferences, str | None]:
    principal = ctx.require_principal()
    row = await ctx.session.get(NotificationPreference, principal.user_id)
    email = (await ctx.session.execute(select(User.email).where(User.id == principal.user_id))).scalar_one()
    return Preferences.of(row), email


async def update_preferences(ctx: Context, data: PreferencesData) -> tuple[Preferences, str | None]:
    """Every problem of the input at once (VALIDATION, by field); nothing written unless all pass."""
    principal = ctx.require_principal()
    check = Checker()
    if data.digest_hour is not None and not 0 <= data.digest_hour <= 23:
        check.add("La hora del resumen va de 0 a 23.", "digestHour")
    quiet = {}
    for name, field, value in (("quiet_from", "quietFrom", data.quiet_from), ("quiet_to", "quietTo", data.quiet_to)):
        if value is UNSET:
            continue
        try:
            parse_hhmm(value)  # time() refuses 24:00 or 07:60 with the same ValueError
            quiet[name] = value or None
        except ValueError:
            check.add("Escriba la hora como HH:MM, de 00:00 a 23:59.", field)
    seen = set()
    for kind, _ in data.channels or []:
        if kind in seen:
            check.add(f"El tipo {kind.value} aparece dos veces.", "channels")
        seen.add(kind)
    email = check.email(data.email, "email") if data.email is not UNSET else UNSET
    check.raise_if_any()
    async with ctx.services.db.transaction() as session:
        row = await session.get(NotificationPreference, principal.user_id, with_for_update=True)
        if row is None:
            row = NotificationPreference(
                user_id=principal.user_id, channels=None, include_subunits=False, digest_hour=Preferences().digest_hour
            )
            session.add(row)
        if data.channels:
            channels = dict(row.channels or {})
            for kind, chosen in data.channels:
                channels[kind.value] = sorted({c.value for c in chosen})
            row.channels = channels
        if data.include_subunits is not None:
            row.include_subunits = data.include_subunits
        if data.digest_hour is not None:
            row.digest_hour = data.digest_hour
        for name, value in quiet.items():
            setattr(row, name, value)
        user = await session.get_one(User, principal.user_id)  # the caller's own
        if email is not UNSET:
            user.email = email
        await session.flush()
        return Preferences.of(row), user.email
