"""The fan-out between server instances. It carries wake-ups, not events: "events up to this
sequence exist". Subscribers then read the events after their own cursor
from the database, so a lost wake-up loses nothing (the hub's periodic catch-up finds it).

Two implementations share one small interface: in-process (the embedded default) and Redis
pub/sub on redis.asyncio for several instances, chosen by MCS_REDIS_URL.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Protocol

log = logging.getLogger("mcs.realtime")


@dataclass(frozen=True)
class WakeUp:
    # events up to here are committed; None: unknown (the bus may have lost some), look now
    sequence: int | None
    users: frozenset[int] = field(default_factory=frozenset)  # users whose access changed

    def encode(self) -> str:
        return json.dumps({"s": self.sequence, "a": sorted(self.users)})

    @classmethod
    def decode(cls, raw: str | bytes) -> "WakeUp":
        data = json.loads(raw)
        sequence = data.get("s")
        return cls(None if sequence is None else int(sequence), frozenset(data.get("a") or ()))


Listener = Callable[[WakeUp], Awaitable[None]]


class Bus(Protocol):
    @property
    def state(self) -> str: ...  # for /health: "off" (in-process), "up" or "down" (Redis)

    async def start(self, listener: Listener) -> None: ...
    async def publish(self, wakeup: WakeUp) -> None: ...  # must not wait for the network
    async def close(self) -> None: ...


class InProcessBus:
    """One process: a publish reaches this process's hub directly."""

    state = "off"

    def __init__(self):
        self._listener: Listener | None = None

    async def start(self, listener: Listener) -> None:
        self._listener = listener

    async def publish(self, wakeup: WakeUp) -> None:
        if self._listener is not None:
            await self._listener(wakeup)

    async def close(self) -> None:
        self._listener = None


def create_bus(redis_url: str | None, channel: str = "mcs:events", *, publish_queue: int = 1000) -> Bus:
    if redis_url:
        from realtime.redis_bus import RedisBus

        return RedisBus(redis_url, channel, publish_queue=publish_queue)
    return InProcessBus()
