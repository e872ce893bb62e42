"""A person's notification preferences."""

from __future__ import annotations

import strawberry

from models import notifications
from models.notifications import Preferences
from schema.enums import NotificationChannel, NotificationKind


@strawberry.type
class NotificationKindChannels:
    kind: NotificationKind
    channels: list[NotificationChannel] = strawberry.field(description="Empty: not notified of this kind.")


@strawberry.type
class NotificationPreferences:
    channels: list[NotificationKindChannels] = strawberry.field(description="Every kind, in a fixed order.")
    include_subunits: bool = strawberry.field(description=(
        "HEAD, REGISTRAR and VIEWER: also the turnos of my units' subunits (default: my own units only)."))
    digest_hour: int = strawberry.field(description="The local hour (0-23) of the daily digest; default 8.")
    quiet_from: str | None = strawberry.field(description="HH:MM: notices that arise from then until quietTo wait.")
    quiet_to: str | None
    email: str | None = strawberry.field(description="Where e-mail goes; null: no e-mail.")

    @classmethod
    def of(cls, preferences: Preferences, email: str | None) -> "NotificationPreferences":
        return cls(
            channels=[NotificationKindChannels(kind=kind, channels=list(preferences.channels.get(kind, ())))
                      for kind in notifications.NotificationKind],
            include_subunits=preferences.include_subunits, digest_hour=preferences.digest_hour,
            quiet_from=preferences.quiet_from.strftime("%H:%M") if preferences.quiet_from else None,
            quiet_to=preferences.quiet_to.strftime("%H:%M") if preferences.quiet_to else None, email=email)
