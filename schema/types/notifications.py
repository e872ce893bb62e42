"""A person's notification preferences."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from models import notifications
from models.notifications import Preferences
from schema.enums import NotificationChannel, NotificationKind, NotificationStatus


@strawberry.type
class NotificationKindChannels:
    kind: NotificationKind
    channels: list[NotificationChannel] = strawberry.field(description="Empty: not notified of this kind.")


@strawberry.type
class NotificationPreferences:
    channels: list[NotificationKindChannels] = strawberry.field(description="Every kind, in a fixed order.")
    include_subunits: bool = strawberry.field(
        description=("HEAD, REGISTRAR and VIEWER: also the turnos of my units' subunits (default: my own units only).")
    )
    digest_hour: int = strawberry.field(description="The local hour (0-23) of the daily digest; default 8.")
    quiet_from: str | None = strawberry.field(description="HH:MM: notices that arise from then until quietTo wait.")
    quiet_to: str | None
    email: str | None = strawberry.field(description="Where e-mail goes; null: no e-mail.")

    @classmethod
    def of(cls, preferences: Preferences, email: str | None) -> "NotificationPreferences":
        return cls(
            channels=[
                NotificationKindChannels(kind=kind, channels=list(preferences.channels.get(kind, ())))
                for kind in notifications.NotificationKind
            ],
            include_subunits=preferences.include_subunits,
            digest_hour=preferences.digest_hour,
            quiet_from=preferences.quiet_from.strftime("%H:%M") if preferences.quiet_from else None,
            quiet_to=preferences.quiet_to.strftime("%H:%M") if preferences.quiet_to else None,
            email=email,
        )


@strawberry.type(
    name="Notification",
    description=(
        'One notice to one person on one channel, and what became of it: an administrator answers "was I told?" '
        "from these."
    ),
)
class NotificationRecord:
    kind: NotificationKind
    channel: NotificationChannel
    status: NotificationStatus = strawberry.field(
        description=(
            "PENDING (waiting for its time or a sender), SENDING (claimed; left so by a process that stopped: never "
            "sent again), SENT, RETRY (the server failed; tried again), FAILED (given up), SKIPPED (at sending time "
            "the person could no longer see it, turned it off, or there was nothing to say)."
        )
    )
    attempts: int
    created_at: datetime
    due_at: datetime = strawberry.field(description="Not sent before: a quiet period, or the next retry.")
    sent_at: datetime | None
    address: str | None = strawberry.field(description="The e-mail address or push endpoint(s) used.")
    error: str | None
    digest_date: date | None = strawberry.field(description="DAILY_DIGEST: the day it summarises.")
    event_sequence: str | None = strawberry.field(description="The event it tells of (Event.sequence).")

    @classmethod
    def from_model(cls, m) -> "NotificationRecord":
        return cls(
            kind=notifications.NotificationKind(m.kind),
            channel=notifications.NotificationChannel(m.channel),
            status=notifications.NotificationStatus(m.status),
            attempts=m.attempts,
            created_at=m.created_at,
            due_at=m.due_at,
            sent_at=m.sent_at,
            address=m.address,
            error=m.error,
            digest_date=m.digest_date if m.kind == notifications.NotificationKind.DAILY_DIGEST.value else None,
            event_sequence=str(m.event_id) if m.event_id else None,
        )
