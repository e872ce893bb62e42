"""The hub of one server process: who is subscribed here, and what each of them receives.

A wake-up (from this process or, through Redis, from another) only says "events up to this
sequence exist". The hub then reads the new events once, with the facts that decide who may see
them (realtime/batch.py), and hands each to the subscriptions that may see it through a small
bounded queue. So the database work is one read per wake-up whatever the number of subscribers.

A subscription whose queue overflows, or that starts from an older cursor, reads from its own
cursor in the database instead (resolvers/streams.py): a slow subscriber costs memory for at most
`buffer_size` events, and loses nothing.

A periodic catch-up covers what no wake-up announced (a Redis outage, a publish that failed):
one query checks the newest sequence, and one re-checks the subscribed users (deactivated,
password changed), whatever the number of subscribers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from core.periodic import run_periodically
from models.events import Event
from models.permissions import Principal
from models.users import RevokedToken, User
from realtime.batch import EventBatch, load_batch
from realtime.bus import Bus, WakeUp

log = logging.getLogger("mcs.realtime")

PUMP_BATCH = 500


@dataclass(frozen=True)
class Delivery:
    """One event, shared by every subscription it is handed to."""

    event: Event
    batch: EventBatch
    renders: dict = field(default_factory=dict)  # results rendered once per group (schema/shared_render.py)


class Subscription:
    def __init__(
        self,
        principal: Principal,
        expires_at: datetime | None,
        token_version: int | None,
        *,
        document_id: int | None = None,
        buffer_size: int = 100,
        token_id: str | None = None,
    ):
        self.principal = principal
        self.expires_at = expires_at
        self.token_version = token_version
        self.token_id = token_id  # ended by logout: the stream's re-check finds it revoked
        self.document_id = document_id  # documentEvents: only this document's events
        self.buffer_size = buffer_size
        self.queue: deque[Delivery] = deque()
        # read from the cursor in the database before taking from the queue: at the start
        # (replay), and after an overflow
        self.fallback = True
        self.recheck = False  # the user's access may have changed: load it again before reading
        self.wake = asyncio.Event()
        self.live = asyncio.Event()  # set once the replay is done and the stream waits for news

    @property
    def user_id(self) -> int:
        return self.principal.user_id

    def wants(self, batch: EventBatch, event: Event) -> bool:
        if self.document_id is not None:
            return event.document_id == self.document_id and batch.visible(self.principal, event)
        return batch.in_inbox(self.principal, event)

    def offer(self, delivery: Delivery) -> None:
        if self.fallback:
            return  # it is about to read from its cursor, which includes this event
        if len(self.queue) >= self.buffer_size:
            self.queue.clear()  # bounded memory: read from the cursor instead
            self.fallback = True
        else:
            self.queue.append(delivery)
        self.wake.set()


class Hub:
    def __init__(self, services, bus: Bus, *, catchup_seconds: float = 5.0, buffer_size: int = 100):
        self.services = services
        self.bus = bus
        self.catchup_seconds = catchup_seconds
        self.buffer_size = buffer_size
        self.last_sequence = 0  # the newest sequence this process has heard of
        self.cursor = 0  # the newest event already handed to the subscriptions
        self._subscriptions: set[Subscription] = set()
        self._by_unit: dict[int, set[Subscription]] = defaultdict(set)
        self._by_user: dict[int, set[Subscription]] = defaultdict(set)
        self._admins: set[Subscription] = set()  # ADMIN inboxes: every event
        self._by_document: dict[int, set[Subscription]] = defaultdict(set)  # documentEvents
        self.connections_by_user: dict[int, int] = defaultdict(int)
        # subscriptions reading from their own cursor do so a few at a time, not 1,000 at once
        # against a pool of a few connections
        self.read_slots = asyncio.Semaphore(8)
        self._news = asyncio.Event()
        self._pumping = asyncio.Lock()  # one read at a time: the cursor, and the reading connection
        self._tasks: list[asyncio.Task] = []
        self.stats = {"batches": 0, "events": 0, "deliveries": 0, "overflows": 0}
        # set whenever a wake-up says events were committed (here or on another instance): the
        # periodic jobs that follow the events (mcs/jobs.py, the notifier) start their pass at once
        self.event_watchers: list[asyncio.Event] = []

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        async with self.services.db.session() as session:
            self.cursor = self.last_sequence = (await session.execute(select(func.max(Event.id)))).scalar() or 0
        await self.bus.start(self.on_wakeup)
        # the database away: the cursor stays, so nothing is lost; the pump tries again (back-off)
        pump = run_periodically("realtime: reading new events", self.pump, wake=self._news)
        self._tasks.append(asyncio.create_task(pump, name="mcs-hub-pump"))
        if self.catchup_seconds > 0:
            catch_up = run_periodically("realtime: catch-up", self.catch_up, every_seconds=self.catchup_seconds)
            self._tasks.append(asyncio.create_task(catch_up, name="mcs-hub-catchup"))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.bus.close()

    # --- registry ----------------------------------------------------------------------------

    def subscribe(
        self,
        principal: Principal,
        expires_at: datetime | None,
        token_version: int | None,
        *,
        document_id: int | None = None,
        token_id: str | None = None,
    ) -> Subscription:
        subscription = Subscription(
            principal,
            expires_at,
            token_version,
            document_id=document_id,
            buffer_size=self.buffer_size,
            token_id=token_id,
        )
        self._subscriptions.add(subscription)
        self._index(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)
        self._unindex(subscription)

    def update_principal(self, subscription: Subscription, principal: Principal) -> None:
        self._unindex(subscription)
        subscription.principal = principal
        self._index(subscription)

    def _index(self, s: Subscription) -> None:
        self._by_user[s.user_id].add(s)
        if s.document_id is not None:
            self._by_document[s.document_id].add(s)
        elif s.principal.is_admin:
            self._admins.add(s)
        else:  # an inbox: its events have one of the user's units in their audience
            for unit_id in s.principal.unit_ids:
                self._by_unit[unit_id].add(s)

    def _unindex(self, s: Subscription) -> None:
        for index, key in [
            (self._by_user, s.user_id),
            (self._by_document, s.document_id),
            *[(self._by_unit, unit_id) for unit_id in s.principal.unit_ids],
        ]:
            if key is None:  # an inbox's subscription has no document
                continue
            group = index.get(key)
            if group is not None:
                group.discard(s)
                if not group:
                    del index[key]
        self._admins.discard(s)

    @property
    def subscription_count(self) -> int:
        return len(self._subscriptions)

    @property
    def subscriptions(self) -> tuple[Subscription, ...]:
        """The open subscriptions (a copy): whether each is live, what it has queued."""
        return tuple(self._subscriptions)

    # --- waking ------------------------------------------------------------------------------

    async def publish(self, wakeup: WakeUp) -> None:
        """Called after a commit that wrote events: reaches every instance through the bus."""
        await self.bus.publish(wakeup)

    async def on_wakeup(self, wakeup: WakeUp) -> None:
        for watcher in self.event_watchers:
            watcher.set()
        for user_id in wakeup.users:
            for s in self._by_user.get(user_id, ()):
                s.recheck = True
                s.wake.set()
        if wakeup.sequence is None:  # the bus may have lost wake-ups: read whatever is new
            self._news.set()
        elif wakeup.sequence > self.last_sequence:
            self.last_sequence = wakeup.sequence
        if self.last_sequence > self.cursor:
            self._news.set()

    async def pump(self) -> None:
        """Hand every event after the hub's cursor to the subscriptions that may see it."""
        async with self._pumping:
            await self._pump()

    async def _pump(self) -> None:
        if not self._subscriptions and self.last_sequence > self.cursor:
            # nobody to hand events to: skip reading them. A subscription that arrives later
            # reads its own start from the database after registering (resolvers/streams.py),
            # so it misses nothing; what commits after it registered is read here as usual.
            self.cursor = self.last_sequence
            return
        while True:
            # a pooled session per read: a connection kept by the hub in autocommit (065b395) left
            # requests without an answer while PostgreSQL held a lock (tests/test_outages.py)
            async with self.services.db.session() as session:
                batch = await load_batch(session, after=self.cursor, limit=PUMP_BATCH)
            if not batch.events:
                return
            self._dispatch(batch)
            self.cursor = batch.events[-1].id
            self.last_sequence = max(self.last_sequence, self.cursor)
            if len(batch.events) < PUMP_BATCH:
                return

    def _dispatch(self, batch: EventBatch) -> None:
        stats = self.stats
        stats["batches"] += 1
        stats["events"] += len(batch.events)
        for event in batch.events:
            candidates = set(self._admins)
            for unit_id in batch.audience.get(event.id, ()):
                candidates.update(self._by_unit.get(unit_id, ()))
            if event.document_id is not None:
                candidates.update(self._by_document.get(event.document_id, ()))
            if not candidates:
                continue
            delivery = Delivery(event, batch)
            for s in candidates:
                try:
                    wanted = s.wants(batch, event)
                except Exception:  # a bug here must not stall every subscription: this one reads SQL
                    log.exception("realtime: deciding event %s for user %s failed", event.id, s.user_id)
                    s.queue.clear()
                    s.fallback = True
                    s.wake.set()
                    continue
                if wanted:
                    overflowing = not s.fallback and len(s.queue) >= s.buffer_size
                    s.offer(delivery)
                    stats["deliveries"] += 1
                    stats["overflows"] += overflowing

    async def catch_up(self) -> None:
        """One round of the periodic catch-up (also callable from tests)."""
        async with self.services.db.session() as session:
            newest = (await session.execute(select(func.max(Event.id)))).scalar() or 0
            user_ids = list(self._by_user)
            changed: set[int] = set()
            if user_ids:
                rows = (
                    await session.execute(select(User.id, User.active, User.token_version).where(User.id.in_(user_ids)))
                ).all()
                state = {r.id: r for r in rows}
                token_ids = [s.token_id for user_id in user_ids for s in self._by_user.get(user_id, ()) if s.token_id]
                revoked = (
                    set(
                        (
                            await session.execute(select(RevokedToken.jti).where(RevokedToken.jti.in_(token_ids)))
                        ).scalars()
                    )
                    if token_ids
                    else set()
                )
                now = self.services.clock.now()
                for user_id in user_ids:
                    for s in self._by_user.get(user_id, ()):
                        row = state.get(user_id)
                        if (
                            row is None
                            or not row.active
                            or row.token_version != s.token_version
                            or s.token_id in revoked
                            or (s.expires_at and s.expires_at <= now)
                        ):
                            changed.add(user_id)
        if newest > self.cursor or changed:
            await self.on_wakeup(WakeUp(sequence=newest, users=frozenset(changed)))
