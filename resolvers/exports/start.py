"""startExport: check the filter and the per-user limit, write the PENDING job and start it in
this process. A dead job of the same user (stale heartbeat) is FAILED first: it does not count."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, text, update

from models.errors import DomainError, ErrorCode, validation
from models.exports import (
    ACTIVE_STATUSES,
    STALE_ERROR,
    Export,
    ExportKind,
    ExportStatus,
    dump_spec,
    export_filename,
    stale_clause,
)
from models.filters import DocumentFilterSpec, TurnoFilterSpec
from resolvers.context import Context
from resolvers.exports.runner import export_runner
from resolvers.units import resolve_unit_filter

EXPORT_LOCK = 7_243_003  # advisory lock namespace: one startExport at a time per user (PostgreSQL)


async def start_export(
    ctx: Context,
    *,
    documents: DocumentFilterSpec | None,
    turnos: TurnoFilterSpec | None,
    documents_given: bool,
    turnos_given: bool,
    box: str | None = None,
) -> Export:
    """Check the request, write the PENDING job and start it; the caller follows it with
    exportProgress or `node`. `box` ("inbox", "outbox"): the turnos that list shows."""
    principal = ctx.require_principal()
    if documents_given == turnos_given:
        raise validation("Indique qué exportar: «documents» o «turnos», solo uno de los dos.", "input")
    if box is not None and not turnos_given:
        raise validation("«box» elige la bandeja de los turnos: solo se usa al exportar «turnos».", "input.box")
    kind = ExportKind.DOCUMENTS if documents_given else ExportKind.TURNOS
    spec: DocumentFilterSpec | TurnoFilterSpec
    if documents_given:
        spec = documents or DocumentFilterSpec()
    else:
        spec = turnos or TurnoFilterSpec(include_subunits=True)
        if box is not None:
            spec.box = box
    await resolve_unit_filter(ctx, spec)
    services, settings = ctx.services, ctx.settings
    now = ctx.clock.now()
    async with services.db.transaction() as session:
        if not services.db.is_sqlite:  # SQLite: the transaction already holds the only write lock
            await session.execute(
                text("SELECT pg_advisory_xact_lock(:namespace, :user_id)"),
                {"namespace": EXPORT_LOCK, "user_id": principal.user_id % 2_147_483_647},
            )
        await session.execute(
            update(Export)
            .where(Export.user_id == principal.user_id, stale_clause(now, settings.export_stale_seconds))
            .values(status=ExportStatus.FAILED.value, error=STALE_ERROR, finished_at=now)
        )
        active = (
            await session.execute(
                select(func.count())
                .select_from(Export)
                .where(Export.user_id == principal.user_id, Export.status.in_(ACTIVE_STATUSES))
            )
        ).scalar_one()
        limit = settings.export_max_per_user
        if active >= limit:
            raise DomainError(
                ErrorCode.THROTTLED,
                f"Ya tiene {active} exportación(es) en curso y el máximo es {limit}: espere a que "
                "terminen para solicitar otra.",
            )
        export = Export(
            user_id=principal.user_id,
            kind=kind.value,
            filter=dump_spec(spec),
            status=ExportStatus.PENDING.value,
            rows=0,
            progress=0.0,
            filename=export_filename(kind, ctx.clock.local_date(now)),
            created_at=now,
            heartbeat_at=now,
            expires_at=now + timedelta(hours=settings.export_ttl_hours),
        )
        session.add(export)
        await session.flush()
    export_runner(services).launch(export.id)
    return export
