"""Wake-ups between instances over Redis pub/sub (redis.asyncio).

One pub/sub connection per process, reconnected with backoff and resubscribed after an
outage; after a reconnect it tells its hub "something may have been missed" (pub/sub is at
most once), and the hub makes every subscriber read from its cursor. Publishing retries with
the async Retry (the sync one silently does nothing on redis.asyncio, see docs/pitfalls.md); a
publish that still fails is logged and dropped: the periodic catch-up covers it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from realtime.bus import Listener, WakeUp

log = logging.getLogger("mcs.realtime")
CHANNEL = "mcs:events"


class RedisBus:
    def __init__(self, url: str, channel: str = CHANNEL):
        self.url = url
        self.channel = channel
        self._client = redis.Redis.from_url(
            url, retry=Retry(ExponentialBackoff(cap=2.0, base=0.05), 5),
            retry_on_error=[RedisConnectionError, RedisTimeoutError], socket_connect_timeout=2, socket_timeout=5,
        )
        self._listener: Listener | None = None
        self._task: asyncio.Task | None = None
        self.connected = asyncio.Event()

    async def start(self, listener: Listener) -> None:
        self._listener = listener
        self._task = asyncio.create_task(self._listen_forever(), name="mcs-redis-bus")

    async def publish(self, wakeup: WakeUp) -> None:
        try:
            await self._client.publish(self.channel, wakeup.encode())
        except (RedisConnectionError, RedisTimeoutError, OSError) as error:
            log.warning("wake-up %s not published (%s); subscribers catch up by polling", wakeup.sequence, error)

    async def _listen_forever(self) -> None:
        delay = 0.1
        first = True
        while True:
            pubsub = None
            try:
                client = redis.Redis.from_url(self.url, socket_connect_timeout=2)
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                await pubsub.subscribe(self.channel)
                self.connected.set()
                delay = 0.1
                if not first:
                    log.info("redis bus reconnected; looking for events announced meanwhile")
                    await self._listener(WakeUp(sequence=None))
                first = False
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        try:
                            wakeup = WakeUp.decode(message["data"])
                        except (ValueError, KeyError, TypeError):
                            log.warning("ignored a malformed wake-up: %r", message["data"])
                            continue
                        await self._listener(wakeup)
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
                    with contextlib.suppress(Exception):
                        await client.aclose()

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await self._client.aclose()
