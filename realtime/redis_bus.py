"""Wake-ups between instances over Redis pub/sub (redis.asyncio).

Publishing never holds a request: `publish` hands the wake-up to this process's hub at once
(its own subscribers need no round trip through Redis, and keep receiving while Redis is away)
and puts it in a bounded queue that a background task sends to the other instances. While
Redis is unreachable the task retries with backoff, merging what waits into one wake-up (the
newest sequence, every user whose access changed); when the queue is full the oldest wake-up
is dropped, with one warning, and its users are folded into the next one: a later wake-up
covers an earlier one's sequence, and the hubs' periodic catch-up covers the rest. Nothing is
retried inside redis-py (its Retry, awaited by the request, made every mutation take 3.2 s while
Redis was down): the task retries, once at once after a failure (a stale pooled connection after
a Redis restart, docs/pitfalls.md), then with backoff.

One pub/sub connection per process listens, reconnected with backoff and resubscribed after an
outage; after a reconnect it tells its hub "something may have been missed" (pub/sub is at most
once), and the hub makes every subscriber read from its cursor. A wake-up this process
published comes back through Redis and is ignored (it was handed to the hub already).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import deque

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from realtime.bus import Listener, WakeUp

log = logging.getLogger("mcs.realtime")
CHANNEL = "mcs:events"
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
FLUSH_ON_CLOSE_SECONDS = 2.0  # on shutdown, how long the last wake-ups may take to go out


def merge(older: WakeUp, newer: WakeUp) -> WakeUp:
    """One wake-up that says what both said: the newest sequence, and every user of both."""
    sequences = [s for s in (older.sequence, newer.sequence) if s is not None]
    return WakeUp(max(sequences) if sequences else None, older.users | newer.users)


def _client(url: str, **options) -> redis.Redis:
    # no retries inside redis-py: the loops below retry, without holding anyone
    return redis.Redis.from_url(url, retry=Retry(NoBackoff(), 0), socket_connect_timeout=2, **options)


class RedisBus:
    def __init__(self, url: str, channel: str = CHANNEL, *, publish_queue: int = 1000):
        self.url = url
        self.channel = channel
        self.origin = uuid.uuid4().hex  # marks what this process published
        self._client = _client(url, socket_timeout=5)
        self._listener: Listener | None = None
        self._task: asyncio.Task | None = None
        self._publisher: asyncio.Task | None = None
        self.connected = asyncio.Event()  # the listening connection is subscribed
        self.queue_size = max(1, publish_queue)
        self._queue: deque[WakeUp] = deque()
        self._queued = asyncio.Event()
        self._publish_failing = False  # the last attempt to publish failed (retrying)
        self._overflowing = False  # a warning about dropped wake-ups was logged (until the queue drains)
        self.stats = {"published": 0, "dropped": 0, "failures": 0}

    @property
    def state(self) -> str:
        """For /health: "up" while subscribed and publishing works, else "down"."""
        return "up" if self.connected.is_set() and not self._publish_failing else "down"

    @property
    def queued(self) -> int:
        return len(self._queue)

    def waiting(self) -> tuple[WakeUp, ...]:
        """The wake-ups not yet published, oldest first (merged ones already merged)."""
        return tuple(self._queue)

    async def start(self, listener: Listener) -> None:
        self._listener = listener
        self._task = asyncio.create_task(self._listen_forever(listener), name="mcs-redis-bus")
        self._publisher = asyncio.create_task(self._publish_forever(), name="mcs-redis-publish")

    async def publish(self, wakeup: WakeUp) -> None:
        """Hand the wake-up to this process's hub, and queue it for the others. Never waits for Redis."""
        if len(self._queue) >= self.queue_size:
            dropped = self._queue.popleft()
            if self._queue:
                self._queue[0] = merge(dropped, self._queue[0])
            else:
                wakeup = merge(dropped, wakeup)
            self.stats["dropped"] += 1
            if not self._overflowing:
                self._overflowing = True
                log.warning(
                    "realtime: %d wake-ups wait to be published to Redis; dropping the oldest (a later one "
                    "covers them, and subscribers catch up by polling)",
                    self.queue_size,
                )
        self._queue.append(wakeup)
        self._queued.set()
        if self._listener is not None:
            await self._listener(wakeup)

    def _encode(self, wakeup: WakeUp) -> str:
        return json.dumps({"s": wakeup.sequence, "a": sorted(wakeup.users), "o": self.origin})

    async def _publish_forever(self) -> None:
        delay = 0.1
        while True:
            if not self._queue:
                self._overflowing = False
                self._queued.clear()
                await self._queued.wait()
                continue
            if self._publish_failing and len(self._queue) > 1:
                # retrying after a failure: what waits goes out as one wake-up, not as a burst
                merged = self._queue.popleft()
                while self._queue:
                    merged = merge(merged, self._queue.popleft())
                self._queue.append(merged)
            wakeup = self._queue[0]
            try:
                try:
                    await self._client.publish(self.channel, self._encode(wakeup))
                except UNREACHABLE:
                    if self._publish_failing:
                        raise
                    # after a Redis restart the first command on a pooled connection fails
                    # ("Connection closed by server", docs/pitfalls.md): once more, on a new one
                    await self._client.publish(self.channel, self._encode(wakeup))
            except asyncio.CancelledError:
                raise
            except UNREACHABLE as error:
                self.stats["failures"] += 1
                if not self._publish_failing:
                    self._publish_failing = True
                    log.warning(
                        "realtime: wake-ups not published, Redis unreachable (%s); up to %d wait for it, and "
                        "the other instances' subscribers catch up by polling meanwhile",
                        error,
                        self.queue_size,
                    )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            except RedisError as error:  # refused by Redis itself (not an outage): drop this one
                log.warning("realtime: wake-up %s not published (%s)", wakeup.sequence, error)
                self._publish_failing = False  # Redis answered
            else:
                self.stats["published"] += 1
                if self._publish_failing:
                    self._publish_failing = False
                    log.info("realtime: publishing to Redis again")
                delay = 0.1
            if self._queue and self._queue[0] is wakeup:
                self._queue.popleft()

    async def _listen_forever(self, listener: Listener) -> None:
        delay = 0.1
        first = True
        while True:
            pubsub = client = None
            try:
                client = _client(self.url)
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                await pubsub.subscribe(self.channel)
                self.connected.set()
                delay = 0.1
                if not first:
                    log.info("redis bus reconnected; looking for events announced meanwhile")
                    await listener(WakeUp(sequence=None))
                first = False
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        try:
                            raw = message["data"]
                            if json.loads(raw).get("o") == self.origin:
                                continue  # ours: the hub had it when it was published
                            wakeup = WakeUp.decode(raw)
                        except (ValueError, KeyError, TypeError, AttributeError):
                            log.warning("ignored a malformed wake-up: %r", message["data"])
                            continue
                        await listener(wakeup)
                raise RedisConnectionError("pub/sub stream ended")
            except asyncio.CancelledError:
                raise
            except Exception as error:  # any failure: reconnect with backoff
                self.connected.clear()
                log.warning("redis bus disconnected (%s); retrying in %.1fs", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                if pubsub is not None:
                    with contextlib.suppress(Exception):
                        await pubsub.aclose()
                if client is not None:
                    with contextlib.suppress(Exception):
                        await client.aclose()

    async def close(self) -> None:
        """Stop listening; send what waits (for a moment, if Redis answers), then stop publishing."""
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._publisher:
            with contextlib.suppress(asyncio.TimeoutError):
                async with asyncio.timeout(FLUSH_ON_CLOSE_SECONDS):
                    while self._queue and not self._publish_failing and not self._publisher.done():
                        await asyncio.sleep(0.01)
            self._publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._publisher
        self.connected.clear()
        with contextlib.suppress(Exception):
            await self._client.aclose()
