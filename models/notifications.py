"""Notifications for people who are not looking: what each person is told, on which channel, when.

The rules live here, without GraphQL or SMTP:
- `kind_of_event` and `recipient_clause`: which event tells whom (the people of the unit a turno
  went to, or came from), and `DEFAULT_CHANNELS`: what someone who never chose is sent.
- `Preferences`: a person's choices (channels per kind, subunits, digest hour, quiet period),
  `in_quiet_period` and `after_quiet_period`: a notice waits until the quiet period ends.
- `Notification`: one row per (person, kind, event or digest day, channel): the record of what
  was sent (an administrator answers "was I told?" from it) and the claim that makes each
  notification go out at most once, whatever the instances (resolvers/notifier.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import Enum

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, UTCDateTime
from models.events import EventKind


class NotificationKind(str, Enum):
    NEW_TURNO = "NEW_TURNO"  # a turno addressed to one of my units
    ANSWER_RECEIVED = "ANSWER_RECEIVED"  # an answer to a turno my unit sent: awaits our evaluation
    ANSWER_RETURNED = "ANSWER_RETURNED"  # my unit's answer came back
    TURNO_CANCELLED = "TURNO_CANCELLED"  # a turno to my unit was cancelled
    DEADLINE_PASSED = "DEADLINE_PASSED"  # a turno of my unit is overdue
    DAILY_DIGEST = "DAILY_DIGEST"  # the morning summary, on business days


class NotificationChannel(str, Enum):
    EMAIL = "EMAIL"
    PUSH = "PUSH"


# A notification claimed (SENDING) this long ago whose sender never recorded an outcome: its
# process died mid-pass. It is closed FAILED, not sent again (the message may have left).
SENDING_GIVEN_UP_AFTER = timedelta(minutes=10)
INTERRUPTED_ERROR = "Interrumpido: el proceso que lo enviaba se detuvo; no se reintenta para no enviarlo dos veces."
# what is done with and may be forgotten once older than MCS_NOTIFICATION_DAYS
FINISHED_STATUSES = ("SENT", "FAILED", "SKIPPED")


class NotificationStatus(str, Enum):
    PENDING = "PENDING"  # waiting for its time (a quiet period) or for a sender
    SENDING = "SENDING"  # claimed by a sender; left so by a process that died: never sent again
    SENT = "SENT"  # accepted by the SMTP server or the push service
    RETRY = "RETRY"  # the server or service failed; tried again at next_attempt_at
    FAILED = "FAILED"  # given up (too many attempts, or no address any more)
    SKIPPED = "SKIPPED"  # at sending time the person could no longer see it, or turned it off


# Which event tells whom: the unit whose people are told, as a turno column.
EVENT_KINDS: dict[str, tuple[NotificationKind, str]] = {
    EventKind.TURNO_SENT.value: (NotificationKind.NEW_TURNO, "to_unit_id"),
    EventKind.TURNO_ANSWERED.value: (NotificationKind.ANSWER_RECEIVED, "from_unit_id"),
    EventKind.TURNO_RETURNED.value: (NotificationKind.ANSWER_RETURNED, "to_unit_id"),
    EventKind.TURNO_CANCELLED.value: (NotificationKind.TURNO_CANCELLED, "to_unit_id"),
    EventKind.DEADLINE_PASSED.value: (NotificationKind.DEADLINE_PASSED, "to_unit_id"),
}

# What someone who never chose gets (by e-mail; a browser that subscribed to push gets the same)
DEFAULT_KINDS = frozenset(
    {
        NotificationKind.NEW_TURNO,
        NotificationKind.ANSWER_RECEIVED,
        NotificationKind.ANSWER_RETURNED,
        NotificationKind.DEADLINE_PASSED,
        NotificationKind.DAILY_DIGEST,
    }
)
DEFAULT_CHANNELS: dict[NotificationKind, tuple[NotificationChannel, ...]] = {
    kind: ((NotificationChannel.EMAIL, NotificationChannel.PUSH) if kind in DEFAULT_KINDS else ())
    for kind in NotificationKind
}
DEFAULT_DIGEST_HOUR = 8
MAX_ATTEMPTS = 6
RETRY_BACKOFF_SECONDS = (30, 120, 600, 1800, 3600)  # after attempt 1, 2, …


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=RETRY_BACKOFF_SECONDS[min(attempts, len(RETRY_BACKOFF_SECONDS)) - 1])


class NotificationPreference(Base):
    """A person's choices; no row: the defaults."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    channels: Mapped[dict | None] = mapped_column(JSON)  # kind -> [channel]; a kind absent: its default
    include_subunits: Mapped[bool] = mapped_column(Boolean, default=False)
    digest_hour: Mapped[int] = mapped_column(Integer, default=DEFAULT_DIGEST_HOUR)
    quiet_from: Mapped[str | None] = mapped_column(String(5))  # "HH:MM", the institution's time
    quiet_to: Mapped[str | None] = mapped_column(String(5))


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "event_id", "digest_date", "channel", name="uq_notifications_once"),
        Index("ix_notifications_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(10))
    # what it is about: an event, or for a digest the day it summarises (the other one is 0 / a
    # fixed date, so that the unique constraint holds: NULLs are distinct in it)
    event_id: Mapped[int] = mapped_column(BigId, default=0)
    digest_date: Mapped[date] = mapped_column(Date, default=date(1970, 1, 1))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # not before (a quiet period, a retry)
    status: Mapped[str] = mapped_column(String(10), default=NotificationStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    address: Mapped[str | None] = mapped_column(String(500))  # the e-mail address or push endpoint used
    subject: Mapped[str | None] = mapped_column(String(300))
    error: Mapped[str | None] = mapped_column(Text)


class NotifierCursor(Base):
    """The newest event already turned into notifications (one row). Its row lock is the claim:
    one instance at a time reads the events after it, writes their notifications and moves it,
    in one transaction, so each event is notified once whatever the instances."""

    __tablename__ = "notifier_cursor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(BigId)


@dataclass(frozen=True)
class Preferences:
    channels: dict[NotificationKind, tuple[NotificationChannel, ...]] = field(
        default_factory=lambda: dict(DEFAULT_CHANNELS)
    )
    include_subunits: bool = False
    digest_hour: int = DEFAULT_DIGEST_HOUR
    quiet_from: time | None = None
    quiet_to: time | None = None

    @classmethod
    def of(cls, row: NotificationPreference | None) -> "Preferences":
        if row is None:
            return cls()
        chosen = {
            NotificationKind(k): tuple(NotificationChannel(c) for c in v)
            for k, v in (row.channels or {}).items()
            if k in NotificationKind.__members__
        }
        return cls(
            channels={**DEFAULT_CHANNELS, **chosen},
            include_subunits=row.include_subunits,
            digest_hour=row.digest_hour,
            quiet_from=parse_hhmm(row.quiet_from),
            quiet_to=parse_hhmm(row.quiet_to),
        )

    def wants(self, kind: NotificationKind, channel: NotificationChannel) -> bool:
        return channel in self.channels.get(kind, ())


def parse_hhmm(value: str | None) -> time | None:
    """ "07:30" -> time(7, 30); None or "" -> None; anything else raises ValueError."""
    if not value:
        return None
    hours, _, minutes = value.partition(":")
    if len(hours) != 2 or len(minutes) != 2 or not (hours + minutes).isdigit():
        raise ValueError(value)
    return time(int(hours), int(minutes))


def in_quiet_period(preferences: Preferences, local: time) -> bool:
    """A period may cross midnight (22:00-07:00)."""
    start, end = preferences.quiet_from, preferences.quiet_to
    if start is None or end is None or start == end:
        return False
    return start <= local < end if start < end else (local >= start or local < end)


def after_quiet_period(preferences: Preferences, local_now: datetime) -> datetime:
    """When a notice made at `local_now` (aware, the institution's time) may go out."""
    quiet_to = preferences.quiet_to
    if quiet_to is None or not in_quiet_period(preferences, local_now.timetz().replace(tzinfo=None)):
        return local_now  # (no quiet period without both ends)
    end = local_now.replace(hour=quiet_to.hour, minute=quiet_to.minute, second=0, microsecond=0)
    return end if end > local_now else end + timedelta(days=1)


class PushSubscription(Base):
    """A browser's Web Push subscription (its PushSubscription.toJSON()): push notices go to each
    of the person's subscriptions; one the push service reports gone (404/410) is deleted."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebPushKey(Base):
    """The VAPID key pair every instance signs with (one row, made by the first instance that
    needs it), unless MCS_VAPID_PRIVATE_KEY gives one."""

    __tablename__ = "web_push_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
