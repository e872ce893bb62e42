"""Following an export: `node` and `exportProgress` read its row (the job may run on another
instance; PostgreSQL is what they share). Only the owner sees it, and a job whose process died
is FAILED here first."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import AsyncGenerator

from sqlalchemy import select, update

from models.db import rows_matched
from models.errors import not_found
from models.exports import ACTIVE_STATUSES, STALE_ERROR, Export, ExportStatus, stale_clause
from models.principals import load_principal
from resolvers.context import Context, Services
from resolvers.exports.storage import exports_dir, remove_partials

POLL_SECONDS = 0.4  # how often exportProgress looks at the row


async def _owned(session, services: Services, user_id: int, export_id: int) -> Export | None:
    """The export if it is this user's (anyone else: None, like a missing one); a job whose
    process died is FAILED here first."""
    export = (await session.execute(select(Export).where(Export.id == export_id, Export.user_id == user_id))).scalar()
    now = services.clock.now()
    stale_before = now - timedelta(seconds=services.settings.export_stale_seconds)
    if export is not None and export.status in ACTIVE_STATUSES and export.heartbeat_at < stale_before:
        async with services.db.transaction() as writer:
            failed = rows_matched(
                await writer.execute(
                    update(Export)
                    .where(Export.id == export_id, stale_clause(now, services.settings.export_stale_seconds))
                    .values(status=ExportStatus.FAILED.value, error=STALE_ERROR, finished_at=now)
                )
            )
        if failed:  # its partial files go with it (its process is gone)
            await asyncio.to_thread(remove_partials, exports_dir(services), {export_id})
        await session.rollback()  # read it again, after the write
        export = (await session.execute(select(Export).where(Export.id == export_id))).scalar()
    return export


async def export_for_node(ctx: Context, export_id: int) -> Export | None:
    principal = ctx.require_principal()
    async with ctx.services.db.session() as session:
        return await _owned(session, ctx.services, principal.user_id, export_id)


async def progress_stream(ctx: Context, export_id: int) -> AsyncGenerator[Export, None]:
    """The export now, then each time it changes, until DONE or FAILED (then the stream ends).
    Only its owner may follow it. It reads the row: the job may run on another instance."""
    from resolvers.streams import close_socket

    services = ctx.services
    principal = ctx.require_principal()
    loop = asyncio.get_running_loop()
    recheck_at = loop.time() + services.settings.realtime_catchup_seconds
    last = None
    while True:
        if ctx.token_expires_at is not None and ctx.token_expires_at <= services.clock.now():
            await close_socket(ctx, 4403, "Sesión terminada")
            return
        async with services.db.session() as session:
            if loop.time() >= recheck_at:  # deactivated, or the password changed
                recheck_at = loop.time() + services.settings.realtime_catchup_seconds
                if (
                    await load_principal(
                        session, principal.user_id, token_version=ctx.token_version, today=services.clock.today()
                    )
                    is None
                ):
                    await close_socket(ctx, 4403, "Sesión terminada")
                    return
            export = await _owned(session, services, principal.user_id, export_id)
        if export is None:
            if last is None:
                raise not_found("La exportación no existe o no tiene acceso.", "exportId")
            return  # deleted meanwhile (expired)
        state = (export.status, export.rows, export.total_rows, export.progress, export.error, export.file_key)
        if state != last:
            last = state
            yield export
        if export.status in (ExportStatus.DONE.value, ExportStatus.FAILED.value):
            return
        await asyncio.sleep(POLL_SECONDS)
