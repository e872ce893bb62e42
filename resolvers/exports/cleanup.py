"""Clean-up: stale jobs FAILED, expired exports deleted with their files, and files nothing
refers to any more removed (`clean_exports`, run by every instance every few minutes)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, select, update

from models.db import rows_matched
from models.exports import ACTIVE_STATUSES, STALE_ERROR, Export, ExportStatus, stale_clause
from resolvers.context import Services
from resolvers.exports.storage import exports_dir, job_id, mtime, remove, remove_entry

log = logging.getLogger("mcs.exports")

ORPHAN_MIN_AGE_SECONDS = 600  # a file whose name ties it to no export is deleted only once this old


@dataclass
class CleanResult:
    failed: int = 0
    deleted: int = 0
    files: int = 0
    next_stale_at: datetime | None = None  # when the oldest live job seen turns stale if it stops beating


async def clean_exports(services: Services) -> CleanResult:
    """One pass: FAIL the stale jobs, delete the expired exports and their files, and remove
    files nothing refers to any more: the folders of jobs that are no longer running (a process
    killed mid-job), a finished file whose job did not record it."""
    result = CleanResult()
    now = services.clock.now()
    stale_seconds = services.settings.export_stale_seconds
    oldest = await _oldest_heartbeat(services)
    if oldest is not None and oldest < now - timedelta(seconds=stale_seconds):
        # written only when there is something to fail (on SQLite a write takes the database's lock)
        async with services.db.transaction() as session:
            result.failed = rows_matched(
                await session.execute(
                    update(Export)
                    .where(stale_clause(now, stale_seconds))
                    .values(status=ExportStatus.FAILED.value, error=STALE_ERROR, finished_at=now)
                )
            )
        oldest = await _oldest_heartbeat(services)
    if oldest is not None:
        result.next_stale_at = oldest + timedelta(seconds=stale_seconds)
    directory = exports_dir(services)
    while True:
        async with services.db.session() as session:
            expired = (
                await session.execute(
                    select(Export.id, Export.file_key).where(Export.expires_at <= now).order_by(Export.id).limit(500)
                )
            ).all()
        if not expired:
            break
        for _, file_key in expired:
            if file_key and remove(directory / file_key):
                result.files += 1
        async with services.db.transaction() as session:
            result.deleted += rows_matched(
                await session.execute(
                    delete(Export).where(Export.id.in_([e.id for e in expired]), Export.expires_at <= now)
                )
            )
        if len(expired) < 500:
            break
    result.files += await _remove_orphans(services, directory)
    return result


async def _oldest_heartbeat(services: Services) -> datetime | None:
    async with services.db.session() as session:
        return (
            await session.execute(select(func.min(Export.heartbeat_at)).where(Export.status.in_(ACTIVE_STATUSES)))
        ).scalar()


async def _remove_orphans(services: Services, directory: Path) -> int:
    """What is left of jobs that will never finish, and files of exports that are gone.

    Under exports/tmp: a job's folder (or an older version's part file) named after its export
    goes as soon as that export is not PENDING or RUNNING (its job ended or was failed as dead:
    nothing will write there any more). In exports/: a finished file goes when its export is gone,
    or ended without recording it (the process died between the rename and DONE). Anything whose
    name ties it to no export goes once ORPHAN_MIN_AGE_SECONDS old."""
    if not directory.is_dir():
        return 0
    tmp = directory / "tmp"
    entries = [p for p in directory.iterdir() if p.is_file()] + (list(tmp.iterdir()) if tmp.is_dir() else [])
    ids = sorted({i for p in entries if (i := job_id(p.name)) is not None})
    rows: dict[int, tuple[str, str | None]] = {}
    if ids:
        async with services.db.session() as session:
            for batch in range(0, len(ids), 500):
                rows.update(
                    {
                        r.id: (r.status, r.file_key)
                        for r in (
                            await session.execute(
                                select(Export.id, Export.status, Export.file_key).where(
                                    Export.id.in_(ids[batch : batch + 500])
                                )
                            )
                        ).all()
                    }
                )
    cutoff = time.time() - max(ORPHAN_MIN_AGE_SECONDS, 2 * services.settings.export_stale_seconds)
    removed = 0
    for path in entries:
        export_id = job_id(path.name)
        if export_id is None:
            doomed = mtime(path) < cutoff
        else:
            status, file_key = rows.get(export_id, (None, None))
            doomed = status not in ACTIVE_STATUSES and (path.parent == tmp or file_key != path.name)
        if doomed:
            removed += await asyncio.to_thread(remove_entry, path)
    return removed
