"""The export jobs of this process: `ExportRunner` starts them (at most `export_workers` at
once), `run_export` runs one to DONE or FAILED.

A job reads everything in ONE read-only snapshot (REPEATABLE READ on PostgreSQL, one read
transaction on SQLite): the indicators, then the rows in chunks (sources.py). Each chunk is shaped
and written by a worker thread (files/xlsx.py), the event loop only waits for the database;
progress is written after every chunk. The workbook is written in the job's own folder
(storage.py) and renamed into place at the end: any error marks the job FAILED with a reason in
Spanish and removes the folder.

While a job lives, a task of its own (`_keepalive`, apart from the chunks: a chunk's query may
take longer than the stale timeout) touches `heartbeat_at` every HEARTBEAT_SECONDS in its own
short transaction. A job that finds its row no longer active (failed as stale meanwhile) stops
after its current chunk.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import logging
import os
from contextlib import nullcontext, suppress
from dataclasses import dataclass

from sqlalchemy import select, text, update

from files.xlsx import MAX_DATA_ROWS, XlsxBook
from models.db import rows_matched
from models.calendar import load_calendar
from models.catalogs import DocumentType
from models.errors import DomainError, ErrorCode
from models.exports import (
    ACTIVE_STATUSES,
    INTERNAL_ERROR,
    SHUTDOWN_ERROR,
    Chunk,
    Export,
    ExportKind,
    ExportStatus,
    LocalTime,
    RowContext,
    load_spec,
)
from models.filters import DocumentFilterSpec, FilterEnv
from models.org import OrgUnit
from models.principals import load_principal
from resolvers.context import Services
from resolvers.exports.describe import describe_filter
from resolvers.exports.sources import DocumentSource, TurnoSource, readable_confidential
from resolvers.exports.storage import exports_dir, new_file_key, new_job_folder, remove, remove_tree

log = logging.getLogger("mcs.exports")

HEARTBEAT_SECONDS = 5.0  # how often a live job touches its row (a quarter of the stale timeout when shorter)


class ExportRunner:
    """The export jobs this process runs: at most `export_workers` at once (the others wait,
    PENDING and kept alive); cancelled and marked FAILED when the process shuts down."""

    def __init__(self, services: Services):
        self.services = services
        self.slots = asyncio.Semaphore(max(1, services.settings.export_workers))
        self.tasks: set[asyncio.Task] = set()

    def launch(self, export_id: int) -> asyncio.Task:
        # a context of its own: the job outlives the request that started it, and must not carry
        # the request's context variables (e.g. the hooks models/db.py runs before its commits)
        task = asyncio.get_running_loop().create_task(
            run_export(self.services, export_id, self.slots), name=f"export-{export_id}", context=contextvars.Context()
        )
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def wait_idle(self) -> None:
        """Until every job of this process ended (tests, benchmarks)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def shutdown(self) -> None:
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError, Exception):
                await task


def export_runner(services: Services) -> ExportRunner:
    """The process's runner (mcs/app.py `build_services` makes it with the services)."""
    if services.exports is None:
        raise RuntimeError("no export runner: services not built by mcs.app.build_services")
    return services.exports


# --- the job ----------------------------------------------------------------------------------


@dataclass
class JobState:
    """What the heartbeat task tells the job."""

    lost: bool = False  # its row is no longer PENDING/RUNNING (failed as stale, deleted): stop


class JobLost(Exception):
    """The job's row was failed by someone else (it looked dead): nothing is left to record."""


async def run_export(services: Services, export_id: int, slots: asyncio.Semaphore | None = None) -> None:
    """Run one job to DONE or FAILED (never raises, except cancellation)."""
    state = JobState()
    keepalive = asyncio.create_task(_keepalive(services, export_id, state), name=f"export-{export_id}-heartbeat")
    try:
        async with slots or nullcontext():
            await _run(services, export_id, state)
    except asyncio.CancelledError:
        await _fail(services, export_id, SHUTDOWN_ERROR)
        raise
    except JobLost:
        log.warning("export %s: its row was failed as stale meanwhile; stopped", export_id)
    except DomainError as error:
        await _fail(services, export_id, error.message)
    except Exception:  # noqa: BLE001 - whatever it was, the job ends FAILED and says so
        log.exception("export %s failed", export_id)
        await _fail(services, export_id, INTERNAL_ERROR)
    finally:
        keepalive.cancel()
        with suppress(asyncio.CancelledError):
            await keepalive


def heartbeat_seconds(settings) -> float:
    """How often a live job touches its row: every HEARTBEAT_SECONDS, and at least four times per
    stale timeout (so a beat or two may be slow or lost without the job looking dead)."""
    return max(0.1, min(HEARTBEAT_SECONDS, settings.export_stale_seconds / 4))


async def _keepalive(services: Services, export_id: int, state: JobState) -> None:
    """The job's heartbeat, a task apart from the job: it beats while the job waits for a slot,
    for a chunk's query or for the worker thread. Each beat is its own short transaction on its
    own connection (never the job's read-only snapshot)."""
    loop = asyncio.get_running_loop()
    interval = heartbeat_seconds(services.settings)
    next_beat = loop.time() + interval
    while True:
        await asyncio.sleep(max(0.0, next_beat - loop.time()))
        next_beat = max(next_beat + interval, loop.time())  # a fixed cadence; a slow beat is not followed by a burst
        try:
            async with services.db.transaction() as session:
                touched = rows_matched(
                    await session.execute(
                        update(Export)
                        .where(Export.id == export_id, Export.status.in_(ACTIVE_STATUSES))
                        .values(heartbeat_at=services.clock.now())
                    )
                )
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the next beat tries again
            log.warning("export %s: heartbeat failed", export_id, exc_info=True)
            continue
        if not touched:  # failed as stale by another check, or deleted: the job stops at its next chunk
            state.lost = True
            return


async def _fail(services: Services, export_id: int, reason: str) -> None:
    try:
        async with services.db.transaction() as session:
            await session.execute(
                update(Export)
                .where(Export.id == export_id, Export.status.in_(ACTIVE_STATUSES))
                .values(status=ExportStatus.FAILED.value, error=reason[:500], finished_at=services.clock.now())
            )
    except Exception:  # noqa: BLE001 - then the heartbeat check fails it later
        log.exception("export %s: could not record its failure", export_id)


async def _set_progress(services: Services, export_id: int, rows: int, total: int) -> None:
    # 1.0 is kept for DONE: the package still has to be zipped after the last row
    progress = min(rows / total, 0.99) if total else 0.0
    async with services.db.transaction() as session:
        await session.execute(
            update(Export)
            .where(Export.id == export_id, Export.status == ExportStatus.RUNNING.value)
            .values(rows=rows, total_rows=total, progress=progress, heartbeat_at=services.clock.now())
        )


async def _in_thread(fn, *args):
    """Run blocking work in a worker thread; if the job is cancelled meanwhile, let the thread
    finish its piece first (the files it writes are about to be removed)."""
    future = asyncio.ensure_future(asyncio.to_thread(fn, *args))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        with suppress(BaseException):
            await future
        raise


async def _run(services: Services, export_id: int, state: JobState | None = None) -> None:
    state = state or JobState()
    clock, settings = services.clock, services.settings
    now = clock.now()
    async with services.db.transaction() as session:
        claimed = rows_matched(
            await session.execute(
                update(Export)
                .where(Export.id == export_id, Export.status == ExportStatus.PENDING.value)
                .values(status=ExportStatus.RUNNING.value, started_at=now, heartbeat_at=now)
            )
        )
        export = await session.get(Export, export_id) if claimed else None
        if export is None:
            return  # failed as stale meanwhile, or gone
        principal = await load_principal(session, export.user_id, today=services.clock.today())
    if principal is None:
        raise DomainError(ErrorCode.FORBIDDEN, "El usuario que solicitó la exportación ya no está activo.")
    kind = ExportKind(export.kind)
    spec = load_spec(kind, export.filter)

    async with services.db.session() as session:
        # one snapshot for the indicators and every chunk: the sheet and its totals agree
        options = {} if services.db.is_sqlite else {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        await session.connection(execution_options=options)
        if not services.db.is_sqlite:
            # each chunk's statement is the same prepared statement with new values: after five
            # executions PostgreSQL would switch to a generic plan that cannot see that the subtree
            # LIKE of the visibility predicate matches most units, drives from the units and sorts
            # the whole visible set for every chunk (0.5 s a chunk at 100,000 rows instead of 20 ms)
            await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        unit = None
        if spec.unit_id is not None:
            unit = await session.get(OrgUnit, spec.unit_id)
            if unit is None:
                raise DomainError(ErrorCode.NOT_FOUND, "La unidad del filtro ya no existe.")
            spec.unit_path = unit.path
        calendar = await load_calendar(session)
        env = FilterEnv(clock, calendar, settings.yellow_threshold_days, principal)
        # (load_spec read the spec of the export's kind)
        source: DocumentSource | TurnoSource = (
            DocumentSource(spec, env, calendar)
            if isinstance(spec, DocumentFilterSpec)
            else TurnoSource(spec, env, calendar)
        )
        total, indicators = await source.indicators(session)
        if total > MAX_DATA_ROWS:
            raise DomainError(
                ErrorCode.VALIDATION,
                f"El filtro abarca {total:,} filas y Excel admite a lo más {MAX_DATA_ROWS:,} por hoja: "
                "acótelo, por ejemplo por periodo.",
            )
        await _set_progress(services, export_id, 0, total)
        context = RowContext(
            local=LocalTime(settings.timezone),
            readable=set(),
            lights={},
            type_names=dict((await session.execute(select(DocumentType.code, DocumentType.name))).all()),
            days_left=source.days_left,
        )
        summary = [
            (f"Exportación de {'documentos' if kind == ExportKind.DOCUMENTS else 'turnos'}",),
            ("Generada el", context.local(now)),
            ("Filtro", describe_filter(kind, spec, unit)),
            ("Filas", total),
            (),
            *indicators,
        ]

        # the job's own folder: every temporary file of it, tied to it by its name
        work = new_job_folder(services, export_id)
        try:
            book = await _in_thread(XlsxBook, work)
        except BaseException:
            remove_tree(work)
            raise
        part = work / f".{export_id}.xlsx.part"
        chunks = source.chunks(session)

        async def read_chunk():
            """The next chunk with what shaping it needs from the database, or None at the end."""
            chunk = await anext(chunks, None)
            if chunk is None:
                return None
            readable = await readable_confidential(session, principal, source.confidential_ids(chunk))
            return chunk, readable, await source.open_turnos(session, chunk)

        reading = None
        try:
            sheet = await _in_thread(book.table, source.sheet.title, source.sheet.columns)
            written = 0
            reading = asyncio.ensure_future(read_chunk())
            while (chunk := await reading) is not None:
                if state.lost:
                    raise JobLost()
                # the database reads the next chunk while the worker thread writes this one
                reading = asyncio.ensure_future(read_chunk())
                written += await _in_thread(_write_chunk, sheet, source, *chunk, context)
                await _set_progress(services, export_id, written, total)
            if state.lost:
                raise JobLost()
            await _in_thread(book.key_values, "Indicadores", summary)
            size = await _in_thread(book.save, part)
            file_key = new_file_key(export_id)
            os.replace(part, exports_dir(services) / file_key)
        except BaseException:
            if reading is not None:  # let an ongoing read finish (one chunk) rather than cut a query short
                with suppress(BaseException):
                    await reading
            await _in_thread(book.discard)
            remove(part)
            raise
        finally:
            remove_tree(work)
            await chunks.aclose()

    try:
        async with services.db.transaction() as session:
            done = rows_matched(
                await session.execute(
                    update(Export)
                    .where(Export.id == export_id, Export.status == ExportStatus.RUNNING.value)
                    .values(
                        status=ExportStatus.DONE.value,
                        rows=written,
                        total_rows=written,
                        progress=1.0,
                        file_key=file_key,
                        size=size,
                        finished_at=clock.now(),
                        heartbeat_at=clock.now(),
                    )
                )
            )
    except BaseException:
        remove(exports_dir(services) / file_key)
        raise
    if not done:  # failed as stale or deleted meanwhile: nobody will ask for the file
        remove(exports_dir(services) / file_key)


def _write_chunk(sheet, source, chunk: Chunk, readable: set[int], turnos, context: RowContext) -> int:
    """In the worker thread: the lights, the labels, the XML."""
    context = dataclasses.replace(context, readable=readable, lights=source.lights(chunk, turnos))
    return sheet.append_rows(source.shape(chunk, context))
