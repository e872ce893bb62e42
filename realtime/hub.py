"""The hub of one server process: who is subscribed, and whom a wake-up concerns.

A wake-up names the units its events are about (the involved units and their ancestors).
Every user who may see an event holds a membership in one of those units, so the hub wakes
only the subscriptions of members of those units (and ADMINs); each then reads its events
after its own cursor. Waking is setting a flag: a subscriber that is busy or slow piles up
nothing in memory, it just reads more rows the next time.

A periodic catch-up covers what no wake-up announced (a Redis outage, a publish that failed):
one query per process checks the newest sequence, and one re-checks the subscribed users
(deactivated, password changed), whatever the number of subscribers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, select

from models.events import Event
from models.permissions import Principal
from models.users import User
from realtime.bus import Bus, WakeUp

log = logging.getLogger("mcs.realtime")


class Subscription:
    def __init__(self, principal: Principal, expires_at: datetime | None, token_version: int | None):
        self.principal = principal
        self.expires_at = expires_at
        self.token_version = token_version
        self.wake = asyncio.Event()
        self.recheck = False  # the user's access may have changed: load it again before reading
        self.live = asyncio.Event()  # set once the replay is done and the stream waits for news

    @property
    def user_id(self) -> int:
        return self.principal.user_id


class Hub:
    def __init__(self, services, bus: Bus, *, catchup_seconds: float = 5.0):
        self.services = services
        self.bus = bus
        self.catchup_seconds = catchup_seconds
        self.last_sequence = 0
        self._subscriptions: set[Subscription] = set()
        self._by_unit: dict[int, set[Subscription]] = defaultdict(set)
        self._by_user: dict[int, set[Subscription]] = defaultdict(set)
        self._admins: set[Subscription] = set()
        self.connections_by_user: dict[int, int] = defaultdict(int)
        # subscribers woken together read their events a few at a time, not all 1,000 at once
        # against a pool of a few connections (whose checkout would time out)
        self.read_slots = asyncio.Semaphore(8)
        self._poller: asyncio.Task | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        async with self.services.db.session() as session:
            self.last_sequence = (await session.execute(select(func.max(Event.id)))).scalar() or 0
        await self.bus.start(self.on_wakeup)
        if self.catchup_seconds > 0:
            self._poller = asyncio.create_task(self._catch_up_forever(), name="mcs-hub-catchup")

    async def close(self) -> None:
        if self._poller:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        await self.bus.close()

    # --- registry ----------------------------------------------------------------------------

    def subscribe(self, principal: Principal, expires_at: datetime | None, token_version: int | None) -> Subscription:
        subscription = Subscription(principal, expires_at, token_version)
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
        if s.principal.is_admin:
            self._admins.add(s)
        for unit_id in s.principal.unit_ids:
            self._by_unit[unit_id].add(s)

    def _unindex(self, s: Subscription) -> None:
        self._by_user[s.user_id].discard(s)
        self._admins.discard(s)
        for unit_id in s.principal.unit_ids:
            self._by_unit[unit_id].discard(s)

    @property
    def subscription_count(self) -> int:
        return len(self._subscriptions)

    # --- waking ------------------------------------------------------------------------------

    async def publish(self, wakeup: WakeUp) -> None:
        """Called after a commit that wrote events: reaches every instance through the bus."""
        await self.bus.publish(wakeup)

    async def on_wakeup(self, wakeup: WakeUp) -> None:
        self.last_sequence = max(self.last_sequence, wakeup.sequence)
        for user_id in wakeup.users:
            for s in self._by_user.get(user_id, ()):
                s.recheck = True
                s.wake.set()
        if wakeup.units is None:
            targets = self._subscriptions
        else:
            targets = set(self._admins)
            for unit_id in wakeup.units:
                targets.update(self._by_unit.get(unit_id, ()))
        for s in targets:
            s.wake.set()

    async def catch_up(self) -> None:
        """One round of the periodic catch-up (also callable from tests)."""
        async with self.services.db.session() as session:
            newest = (await session.execute(select(func.max(Event.id)))).scalar() or 0
            user_ids = list(self._by_user)
            changed: set[int] = set()
            if user_ids:
                rows = (await session.execute(
                    select(User.id, User.active, User.token_version).where(User.id.in_(user_ids))
                )).all()
                state = {r.id: r for r in rows}
                now = self.services.clock.now()
                for user_id in user_ids:
                    for s in self._by_user.get(user_id, ()):
                        row = state.get(user_id)
                        if (row is None or not row.active or row.token_version != s.token_version
                                or (s.expires_at and s.expires_at <= now)):
                            changed.add(user_id)
        if newest > self.last_sequence or changed:
            await self.on_wakeup(WakeUp(sequence=newest, units=None if newest > self.last_sequence else frozenset(),
                                        users=frozenset(changed)))

    async def _catch_up_forever(self) -> None:
        while True:
            await asyncio.sleep(self.catchup_seconds)
            try:
                await self.catch_up()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("realtime catch-up failed; retrying")
