"""Periodic jobs of every instance, declared in one list (`jobs`), each run by the one loop of
core/periodic.py (calm logging through an outage, a failed pass tried again at the next interval).

Each job is safe on several instances at once: the deadline watcher and the notifier claim their
rows (SKIP LOCKED), the others delete what is expired or sweep the instance's own disk.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Awaitable, Callable

from sqlalchemy import delete

from core.periodic import Sooner, run_periodically
from models.db import rows_matched
from models.idempotency import IdempotencyKey
from resolvers.context import Services
from resolvers.deadlines import run_deadline_pass
from resolvers.exports import clean_exports
from resolvers.notifier import forget_notifications, notify_pass, plan_digests
from resolvers.text_extraction import BATCH as EXTRACTION_BATCH
from resolvers.text_extraction import extract_pending

log = logging.getLogger("mcs.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float  # 0: off
    run: Callable[[Services], Awaitable[object]]
    # also at once when events are committed (the hub's wake-ups), not only every every_seconds
    on_events: bool = False
    # the first pass when the app starts, not one interval later (catching up after a downtime)
    at_start: bool = False


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
    return rows_matched(result)


async def clean_exports_soon(services: Services) -> Sooner | None:
    """A clean-up pass, the next one sooner when a job seen alive now would turn stale before it
    if it stopped beating: a dead job is FAILED about MCS_EXPORT_STALE_SECONDS after its last
    heartbeat, not up to a whole interval later."""
    result = await clean_exports(services)
    if result.next_stale_at is None:
        return None
    return Sooner(max((result.next_stale_at - services.clock.now()).total_seconds() + 0.25, 1.0))


async def extract_texts(services: Services) -> int:
    """Batches of files waiting for their text, until fewer than a batch are left."""
    done = 0
    while (count := await extract_pending(services)) == EXTRACTION_BATCH:
        done += count
    return done + count


def jobs(services: Services) -> list[Job]:
    settings = services.settings
    return [
        # DEADLINE_NEAR / DEADLINE_PASSED (resolvers/deadlines.py); at start: what passed while down
        Job("deadlines", settings.deadline_watch_seconds, run_deadline_pass, at_start=True),
        # the text of uploaded files, for search (resolvers/text_extraction.py)
        Job("text extraction", settings.text_extraction_seconds, extract_texts, at_start=True),
        # finished exports past their days, jobs whose process died (resolvers/exports cleanup)
        Job("export clean-up", settings.export_cleanup_seconds, clean_exports_soon, at_start=True),
        Job("staged uploads sweep", settings.staging_sweep_seconds, sweep_staged_uploads),
        # hourly is plenty: a key lives at least its hours, a little longer does no harm
        Job("idempotency keys", min(3600.0, settings.idempotency_key_hours * 3600 / 4), forget_idempotency_keys),
        # new events to notifications, and those due out (resolvers/notifier.py); safe on several instances
        Job("notifications", settings.notify_seconds, notify_pass, on_events=True),
        # each person's digest at their hour: looking once a minute is on time (plan_digests is idempotent)
        Job("notification digests", 60.0 if settings.notify_seconds > 0 else 0, plan_digests),
        # records past MCS_NOTIFICATION_DAYS forgotten, what a dead process left SENDING closed
        Job("notifications clean-up", 600.0 if settings.notify_seconds > 0 else 0, forget_notifications),
    ]


async def run_job(services: Services, job: Job) -> None:
    wake = None
    if job.on_events and services.hub is not None:
        wake = asyncio.Event()
        services.hub.event_watchers.append(wake)
    await run_periodically(
        job.name, lambda: job.run(services), every_seconds=job.every_seconds, wake=wake, at_start=job.at_start
    )


def start_jobs(services: Services) -> list[asyncio.Task]:
    return [
        asyncio.create_task(run_job(services, job), name=f"mcs-job:{job.name}")
        for job in jobs(services)
        if job.every_seconds > 0
    ]
