"""The notifier: turns new events into notifications, and sends those that are due.

1. `collect` reads the events after the notifier's cursor (models/notifications.py
   NotifierCursor) under the cursor row's lock, writes one Notification per person, kind and
   channel, and moves the cursor, in one transaction: each event is notified once whatever the
   instances (the others skip the locked row, or find the cursor moved).
2. `send_due` claims due notifications (FOR UPDATE SKIP LOCKED on PostgreSQL) by marking them
   SENDING in a transaction of its own, then sends each and records the outcome. A process that
   dies between the two leaves SENDING: never sent twice, and the record says so.

What a message says is decided when it is sent, with the person's access at that moment
(notifications/content.py): someone who can no longer see the turno is not told (SKIPPED).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from dataclasses import dataclass
from email.utils import parseaddr
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import and_, delete, exists, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from models.calendar import load_calendar
from models.events import Event
from models.db import rows_matched
from models.notifications import (
    EVENT_KINDS,
    FINISHED_STATUSES,
    INTERRUPTED_ERROR,
    SENDING_GIVEN_UP_AFTER,
    MAX_ATTEMPTS,
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationPreference,
    NotificationStatus,
    NotifierCursor,
    Preferences,
    PushSubscription,
    after_quiet_period,
    retry_delay,
)
from models.org import OrgUnit, lineage_of
from models.turnos import Turno
from models.users import Membership, Role, User, active_membership_clause
from notifications.content import message_for, push_payload_for
from notifications.email import EmailUnavailable, Mailer
from notifications.push import PushGone, PushUnavailable, send_push, vapid_key
from models.errors import DomainError, ErrorCode
from resolvers.context import Services
from resolvers.pagination import Page, int_key, keyset_page

log = logging.getLogger("mcs.notifier")
BATCH = 500
SEND_BATCH = 50
# An event older than this when the notifier reaches it is passed over: history loaded in bulk
# (an import from paper or another system; the benchmarks' 12,000,000 events) would otherwise be
# notified now, weeks late, at the cost of every batch's audiences (bench/STATE.md). The daily
# digest still reports what is pending.
NOTIFY_WITHIN = timedelta(days=7)
# who a subunit's turno also tells, if they asked for subunits (notification_preferences.include_subunits)
SUBTREE_ROLES = (Role.HEAD.value, Role.REGISTRAR.value, Role.VIEWER.value)


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str | None
    has_push: bool  # at least one browser subscribed
    preferences: Preferences


async def collect(services: Services) -> int:
    """Notifications written from the events after the cursor (all of them, batch by batch)."""
    total = 0
    while True:
        written, more = await _collect_batch(services)
        total += written
        if not more:
            return total


async def _collect_batch(services: Services) -> tuple[int, bool]:
    now = services.clock.now()
    zone = ZoneInfo(services.settings.timezone)
    email_on = bool(services.settings.smtp_host)
    async with services.db.transaction() as session:
        cursor = (
            await session.execute(
                select(NotifierCursor).where(NotifierCursor.id == 1).with_for_update(skip_locked=True)
            )
        ).scalar_one_or_none()
        if cursor is None:  # another instance holds it (or the row is missing: nothing to do)
            return 0, False
        events = (
            await session.execute(
                select(Event.id, Event.kind, Event.turno_id, Event.actor_id, Event.occurred_at)
                .where(Event.id > cursor.event_id)
                .order_by(Event.id)
                .limit(BATCH)
            )
        ).all()
        if not events:
            return 0, False
        wanted = [
            e
            for e in events
            if e.kind in EVENT_KINDS and e.turno_id is not None and e.occurred_at >= now - NOTIFY_WITHIN
        ]
        turnos = (
            {
                t.id: t
                for t in (
                    await session.execute(
                        select(Turno.id, Turno.from_unit_id, Turno.to_unit_id).where(
                            Turno.id.in_({e.turno_id for e in wanted})
                        )
                    )
                ).all()
            }
            if wanted
            else {}
        )
        units = {t.from_unit_id for t in turnos.values()} | {t.to_unit_id for t in turnos.values()}
        audiences = await _people_of_units(session, units, services.clock.today())
        written = 0
        for event in wanted:
            turno = turnos.get(event.turno_id)
            if turno is None:
                continue
            kind, unit_column = EVENT_KINDS[event.kind]
            for person in audiences.get(getattr(turno, unit_column), ()):
                if person.user_id == event.actor_id:
                    continue  # who did it needs no notice
                for channel in person.preferences.channels.get(kind, ()):
                    if channel == NotificationChannel.EMAIL and not (email_on and person.email):
                        continue
                    if channel == NotificationChannel.PUSH and not person.has_push:
                        continue
                    due = after_quiet_period(person.preferences, now.astimezone(zone))
                    session.add(
                        Notification(
                            user_id=person.user_id,
                            kind=kind.value,
                            channel=channel.value,
                            event_id=event.id,
                            created_at=now,
                            due_at=due,
                            status=NotificationStatus.PENDING.value,
                            attempts=0,
                        )
                    )
                    written += 1
        cursor.event_id = events[-1].id
    return written, len(events) == BATCH


async def _people_of_units(session, unit_ids: set[int], today) -> dict[int, list[Recipient]]:
    """For each unit, the active people told of its turnos: its members, and the HEADs, REGISTRARs
    and VIEWERs of the units above it who asked for their subunits."""
    if not unit_ids:
        return {}
    paths = dict((await session.execute(select(OrgUnit.id, OrgUnit.path).where(OrgUnit.id.in_(unit_ids)))).all())
    ancestors = {unit_id for path in paths.values() for unit_id in lineage_of(path)}
    rows = (
        await session.execute(
            select(
                Membership.unit_id,
                Membership.role,
                User.id,
                User.email,
                exists().where(PushSubscription.user_id == User.id).label("has_push"),
                NotificationPreference,
            )
            .join(User, User.id == Membership.user_id)
            .outerjoin(NotificationPreference, NotificationPreference.user_id == User.id)
            .where(
                User.active,
                active_membership_clause(today),
                or_(
                    Membership.unit_id.in_(unit_ids),
                    and_(Membership.unit_id.in_(ancestors), Membership.role.in_(SUBTREE_ROLES)),
                ),
            )
        )
    ).all()
    by_unit: dict[int, dict[int, Recipient]] = {unit_id: {} for unit_id in unit_ids}
    for member_unit, role, user_id, email, has_push, preference in rows:
        person = Recipient(user_id, email, has_push, Preferences.of(preference))
        for unit_id, path in paths.items():
            own = member_unit == unit_id
            above = (
                role in SUBTREE_ROLES
                and person.preferences.include_subunits
                and f"/{member_unit}/" in path
                and member_unit != unit_id
            )
            if own or above:
                by_unit[unit_id][user_id] = person
    return {unit_id: list(people.values()) for unit_id, people in by_unit.items()}


async def send_due(services: Services, mailer: Mailer | None = None) -> int:
    """Sends what is due now; returns how many were accepted."""
    senders = Senders(
        services, mailer or (Mailer.from_settings(services.settings) if services.settings.smtp_host else None)
    )
    sent = 0
    try:
        while True:
            claimed = await _claim(services)
            for notification_id in claimed:
                sent += await _send_one(services, senders, notification_id)
            if len(claimed) < SEND_BATCH:
                return sent
    finally:
        await senders.close()


class Senders:
    """The pass's ways out: the mailer, and one HTTP session for every push."""

    def __init__(self, services: Services, mailer: Mailer | None):
        self.services = services
        self.mailer = mailer.connection() if mailer is not None else None
        self._http: aiohttp.ClientSession | None = None
        self._vapid = None  # read once per pass (a database read when no MCS_VAPID_PRIVATE_KEY)

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession()
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
        if self.mailer is not None:
            await self.mailer.close()

    async def email(self, session, notification: Notification) -> dict:
        message = await message_for(session, self.services, notification)
        if message is None or self.mailer is None:
            return _skipped()
        try:
            await self.mailer.send(message)
        except EmailUnavailable as error:
            return _failed(self.services, notification, error) | dict(address=message.to, subject=message.subject)
        return dict(
            status=NotificationStatus.SENT.value,
            sent_at=self.services.clock.now(),
            address=message.to,
            subject=message.subject,
        )

    async def push(self, session, notification: Notification) -> dict:
        """To each of the person's browsers; sent if one accepted it. One the service says is
        gone is deleted; one that failed makes the whole notification wait for a retry."""
        payload = await push_payload_for(session, self.services, notification)
        subscriptions = list(
            (
                await session.execute(select(PushSubscription).where(PushSubscription.user_id == notification.user_id))
            ).scalars()
        )
        if payload is None or not subscriptions:
            return _skipped()
        if self._vapid is None:
            self._vapid = await vapid_key(self.services)
        vapid = self._vapid
        contact = f"mailto:{parseaddr(self.services.settings.smtp_from)[1] or 'mcs@localhost'}"
        accepted, gone, failure = [], [], None
        for subscription in subscriptions:
            try:
                await send_push(vapid, subscription, payload, contact, self.http)
                accepted.append(subscription.endpoint)
            except PushGone:
                gone.append(subscription.id)
            except PushUnavailable as error:
                failure = error
        if gone:
            async with self.services.db.transaction() as write:
                await write.execute(delete(PushSubscription).where(PushSubscription.id.in_(gone)))
        if accepted:
            return dict(
                status=NotificationStatus.SENT.value,
                sent_at=self.services.clock.now(),
                address=" ".join(accepted)[:500],
                subject=payload.title,
            )
        if failure is not None:
            return _failed(self.services, notification, failure)
        return dict(status=NotificationStatus.FAILED.value, error="Todas las suscripciones ya no existen.")


def _skipped() -> dict:
    return dict(
        status=NotificationStatus.SKIPPED.value, error="Ya no tiene acceso, ya no lo pidió o no hay a dónde enviarlo."
    )


def _failed(services: Services, notification: Notification, error: Exception) -> dict:
    log.warning("notification %s: sending failed (attempt %s): %s", notification.id, notification.attempts, error)
    given_up = notification.attempts >= MAX_ATTEMPTS
    return dict(
        status=(NotificationStatus.FAILED if given_up else NotificationStatus.RETRY).value,
        error=str(error)[:1000],
        due_at=services.clock.now() + retry_delay(notification.attempts),
    )


async def _claim(services: Services) -> list[int]:
    now = services.clock.now()
    async with services.db.transaction() as session:
        ids = list(
            (
                await session.execute(
                    select(Notification.id)
                    .where(
                        Notification.status.in_([NotificationStatus.PENDING.value, NotificationStatus.RETRY.value]),
                        Notification.due_at <= now,
                    )
                    .order_by(Notification.due_at, Notification.id)
                    .limit(SEND_BATCH)
                    .with_for_update(skip_locked=True)
                )
            ).scalars()
        )
        if ids:
            await session.execute(
                update(Notification)
                .where(Notification.id.in_(ids))
                .values(status=NotificationStatus.SENDING.value, attempts=Notification.attempts + 1)
            )
    return ids


async def _send_one(services: Services, senders: Senders, notification_id: int) -> int:
    async with services.db.session() as session:
        notification = await session.get_one(Notification, notification_id)  # claimed just before
        if notification.channel == NotificationChannel.EMAIL.value:
            outcome = await senders.email(session, notification)
        else:
            outcome = await senders.push(session, notification)
    async with services.db.transaction() as session:
        await session.execute(update(Notification).where(Notification.id == notification_id).values(**outcome))
    return 1 if outcome["status"] == NotificationStatus.SENT.value else 0


async def plan_digests(services: Services) -> int:
    """The day's digest for each person whose digest hour has come, on business days: one row per
    person and channel, made once whatever the instances (the unique key; a conflict is skipped)."""
    now = services.clock.now()
    local = now.astimezone(ZoneInfo(services.settings.timezone))
    today = local.date()
    async with services.db.transaction() as session:
        if not (await load_calendar(session)).is_business_day(today):
            return 0
        done = select(Notification.id).where(
            Notification.user_id == User.id,
            Notification.kind == NotificationKind.DAILY_DIGEST.value,
            Notification.digest_date == today,
        )
        candidates = (
            await session.execute(
                select(User.id, User.email, exists().where(PushSubscription.user_id == User.id), NotificationPreference)
                .outerjoin(NotificationPreference, NotificationPreference.user_id == User.id)
                .where(User.active, ~exists(done))
            )
        ).all()
        rows = []
        for user_id, email, has_push, preference in candidates:
            preferences = Preferences.of(preference)
            if local.hour < preferences.digest_hour:
                continue
            for channel in preferences.channels.get(NotificationKind.DAILY_DIGEST, ()):
                if (channel == NotificationChannel.EMAIL and email and services.settings.smtp_host) or (
                    channel == NotificationChannel.PUSH and has_push
                ):
                    rows.append(
                        dict(
                            user_id=user_id,
                            kind=NotificationKind.DAILY_DIGEST.value,
                            channel=channel.value,
                            event_id=0,
                            digest_date=today,
                            created_at=now,
                            due_at=now,
                            status=NotificationStatus.PENDING.value,
                            attempts=0,
                        )
                    )
        if rows:
            insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
            await session.execute(insert(Notification).on_conflict_do_nothing(), rows)
    return len(rows)


async def notify_pass(services: Services) -> int:
    """One pass of the periodic job: new events to notifications, then what is due. (The day's
    digests are planned by a job of their own, mcs/jobs.py.)"""
    await collect(services)
    return await send_due(services)


async def forget_notifications(services: Services) -> int:
    """Close what a dead process left SENDING (FAILED, not sent again: the message may have left)
    and forget the finished records older than MCS_NOTIFICATION_DAYS. Returns the rows changed."""
    now = services.clock.now()
    async with services.db.transaction() as session:
        interrupted = rows_matched(
            await session.execute(
                update(Notification)
                .where(
                    Notification.status == NotificationStatus.SENDING.value,
                    Notification.due_at < now - SENDING_GIVEN_UP_AFTER,
                )
                .values(status=NotificationStatus.FAILED.value, error=INTERRUPTED_ERROR)
            )
        )
        forgotten = rows_matched(
            await session.execute(
                delete(Notification).where(
                    Notification.status.in_(FINISHED_STATUSES),
                    Notification.created_at < now - timedelta(days=services.settings.notification_days),
                )
            )
        )
    if interrupted:
        log.warning("%d notification(s) left SENDING by a process that stopped: closed FAILED", interrupted)
    return interrupted + forgotten


NOTIFICATION_ORDER = [int_key(Notification.id, "id")]


async def notifications_of(ctx, user_id: int | None, *, first: int | None, after: str | None) -> Page:
    """ "Was I told?": a person's notifications, newest first; mine, or anyone's for an ADMIN."""
    principal = ctx.require_principal()
    if user_id is not None and user_id != principal.user_id and not principal.is_admin:
        raise DomainError(
            ErrorCode.FORBIDDEN, "Solo administración consulta las notificaciones de otra persona.", "userId"
        )
    query = select(Notification).where(Notification.user_id == (user_id or principal.user_id))
    return await keyset_page(
        ctx.session,
        query,
        NOTIFICATION_ORDER,
        descending=True,
        first=first,
        after=after,
        default_size=ctx.settings.page_size_default,
        max_size=ctx.settings.page_size_max,
    )
