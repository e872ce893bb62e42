"""Periodic jobs of every instance, declared in one list (`jobs`), run by one loop each.

Each job is safe on several instances at once (a delete of what is expired, a sweep of one's
own disk). A failing pass is logged and tried again at the next interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Awaitable, Callable

from sqlalchemy import delete

from models.idempotency import IdempotencyKey
from resolvers.context import Services
from resolvers.notifier import notify_pass

log = logging.getLogger("mcs.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float  # 0: off
    run: Callable[[Services], Awaitable[object]]
    # also at once when events are committed (the hub's wake-ups), not only every every_seconds
    on_events: bool = False


async def sweep_staged_uploads(services: Services) -> int:
    """Staged uploads nothing claimed (a process killed while receiving): removed once old."""
    removed = await asyncio.to_thread(services.storage.sweep_staging, services.settings.staging_sweep_seconds)
    if removed:
        log.info("removed %d abandoned staged upload(s)", removed)
    return removed


async def forget_idempotency_keys(services: Services) -> int:
    older = services.clock.now() - timedelta(hours=services.settings.idempotency_key_hours)
    async with services.db.transaction() as session:
        result = await session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < older))
    return result.rowcount or 0


def jobs(services: Services) -> list[Job]:
    settings = services.settings
    return [
        Job("staged uploads sweep", settings.staging_sweep_seconds, sweep_staged_uploads),
        # hourly is plenty: a key lives at least its hours, a little longer does no harm
        Job("idempotency keys", min(3600.0, settings.idempotency_key_hours * 3600 / 4), forget_idempotency_keys),
        # new events to notifications, and those due out (resolvers/notifier.py); safe on several instances
        Job("notifications", settings.notify_seconds, notify_pass, on_events=True),
    ]


async def run_every(services: Services, job: Job) -> None:
    events = asyncio.Event()
    if job.on_events and services.hub is not None:
        services.hub.event_watchers.append(events)
    while True:
        if job.on_events:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(events.wait(), job.every_seconds)
            events.clear()  # before the pass: events committed during it wake the next one
        else:
            await asyncio.sleep(job.every_seconds)
        try:
            await job.run(services)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the next pass tries again
            log.exception("periodic job %r failed", job.name)


def start_jobs(services: Services) -> list[asyncio.Task]:
    return [
        asyncio.create_task(run_every(services, job), name=f"mcs-job:{job.name}")
        for job in jobs(services)
        if job.every_seconds > 0
    ]
