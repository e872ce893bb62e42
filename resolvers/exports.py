"""Excel exports: start a job, run it in the background, follow it, download it, clean up.

- `start_export` checks the filter and the per-user limit, writes the PENDING row and starts the
  job in this process (`export_runner(services).launch`).
- The job (`run_export`) reads everything in ONE read-only snapshot (REPEATABLE READ on
  PostgreSQL, one read transaction on SQLite): the indicators, then the rows in keyset-ordered
  chunks of CHUNK (never the whole set in memory). The filter goes through the same compiler and
  permission predicates as `documents` and the inbox (models/filters.py, models/permissions.py).
  Each chunk is shaped and written by a worker thread (files/xlsx.py), the event loop only
  waits for the database; progress is written after every chunk. The workbook is written under
  temporary names in the job's own folder <files_dir>/exports/tmp/<id>-<random> and renamed into
  place at the end: any error marks the job FAILED with a reason in Spanish and removes the folder.
- While a job lives, a task of its own (`_keepalive`, apart from the chunks: a chunk's query may
  take longer than the stale timeout) touches `heartbeat_at` every HEARTBEAT_SECONDS in its own
  short transaction. One whose process died (kill -9, a lost machine) is FAILED after
  MCS_EXPORT_STALE_SECONDS by the next check: the periodic cleaner of any instance (which wakes
  up when the oldest heartbeat it saw turns stale), `startExport` of its owner, `node`,
  `exportProgress`. Its temporary folder is tied to it by name and deleted with it. A job that
  finds its row no longer active (failed as stale meanwhile) stops after its current chunk.
- `progress_stream` polls the row (a job may run on another instance; PostgreSQL is what they
  share) and yields each change until DONE or FAILED.
- `downloadable_export` decides GET /exports/{id} (served by mcs/downloads.py): the owner only, with a valid token or a signed
  link; anyone else gets what a missing export gets.
- `clean_exports` deletes exports (rows and files) past their TTL.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import logging
import os
import re
import secrets
import shutil
import time
from contextlib import nullcontext, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import AsyncIterator

from sqlalchemy import case, delete, func, or_, select, text, update
from sqlalchemy.orm import aliased

from files.xlsx import MAX_DATA_ROWS, XlsxBook
from models.chains import load_chains
from models.calendar import BusinessCalendar, load_calendar
from models.catalogs import DocumentType
from models.documents import Document
from models.errors import DomainError, ErrorCode, not_found, validation
from models.exports import (
    ACTIVE_STATUSES,
    DOCUMENT_COLUMNS,
    DOCUMENT_STATUS_LABEL,
    INSTRUCTION_LABEL,
    INTERNAL_ERROR,
    LIGHT_ES,
    ORIGIN_LABEL,
    PRIORITY_LABEL,
    SENDER_LEVEL_LABEL,
    SHUTDOWN_ERROR,
    STALE_ERROR,
    TURNO_COLUMNS,
    TURNO_STATUS_LABEL,
    Export,
    ExportKind,
    ExportStatus,
    DOCUMENT_FIELDS,
    TURNO_FIELDS,
    LocalTime,
    RowContext,
    document_row,
    dump_spec,
    export_filename,
    load_spec,
    stale_clause,
    turno_row,
)
from models.filters import (
    OPEN_DOCUMENT_STATUSES,
    DocumentFilterSpec,
    FilterEnv,
    TurnoFilterSpec,
    box_scope,
    document_filter_clauses,
    document_light_clause,
    turno_filter_clauses,
)
from models.org import OrgUnit
from models.permissions import Principal, can_see_confidential, visible_documents, visible_turnos
from models.traffic_light import (
    TrafficLight,
    concluded_on_time_clause,
    document_light,
    overdue_clause,
    turno_light,
    turno_light_clause,
)
from models.turnos import Turno
from models.workflow import AWAITING_ANSWER, OPEN_TURNO
from models.principals import load_principal
from resolvers.context import Context, Services
from resolvers.units import resolve_unit_filter
from resolvers.links import sign_link

log = logging.getLogger("mcs.exports")

CHUNK = 2_000  # rows read, written and reported at a time
POLL_SECONDS = 0.4  # how often exportProgress looks at the row
EXPORT_LOCK = 7_243_003  # advisory lock namespace: one startExport at a time per user (PostgreSQL)
ORPHAN_MIN_AGE_SECONDS = 600  # a file whose name ties it to no export is deleted only once this old
HEARTBEAT_SECONDS = 5.0  # how often a live job touches its row (a quarter of the stale timeout when shorter)
JOB_FILE = re.compile(r"^\.?(\d+)-")  # <id>-... (a job's folder, a finished file) or .<id>-... (an older part file)
OPEN_TURNO_VALUES = [s.value for s in OPEN_TURNO]
D_ID, D_RECEIVED_AT, D_STATUS, D_DUE_DATE, D_CONFIDENTIAL = (
    DOCUMENT_FIELDS.index(name) for name in ("id", "received_at", "status", "due_date", "confidential")
)
T_ID, T_SENT_AT, T_STATUS, T_DUE_DATE, T_ANSWERED_ON_TIME, T_DOCUMENT_ID, T_CONFIDENTIAL = (
    TURNO_FIELDS.index(name)
    for name in ("id", "sent_at", "status", "due_date", "answered_on_time", "document_id", "confidential")
)
AWAITING_VALUES = [s.value for s in AWAITING_ANSWER]


def exports_dir(services: Services) -> Path:
    return Path(services.settings.files_dir) / "exports"


# --- start ------------------------------------------------------------------------------------


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
    spec = (
        (documents or DocumentFilterSpec()) if documents_given else (turnos or TurnoFilterSpec(include_subunits=True))
    )
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


# --- the runner: jobs of this process ---------------------------------------------------------


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
    """The process's runner, made on first use and kept on the services."""
    if services.exports is None:
        services.exports = ExportRunner(services)
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
                touched = (
                    await session.execute(
                        update(Export)
                        .where(Export.id == export_id, Export.status.in_(ACTIVE_STATUSES))
                        .values(heartbeat_at=services.clock.now())
                    )
                ).rowcount
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
        claimed = (
            await session.execute(
                update(Export)
                .where(Export.id == export_id, Export.status == ExportStatus.PENDING.value)
                .values(status=ExportStatus.RUNNING.value, started_at=now, heartbeat_at=now)
            )
        ).rowcount
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
        source = (DocumentSource if kind == ExportKind.DOCUMENTS else TurnoSource)(spec, env, calendar)
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
        work = exports_dir(services) / "tmp" / f"{export_id}-{secrets.token_hex(8)}"
        try:
            book = await _in_thread(XlsxBook, work)
        except BaseException:
            _remove_tree(work)
            raise
        part = work / f".{export_id}.xlsx.part"
        chunks = source.chunks(session)

        async def read_chunk():
            """The next chunk with what shaping it needs from the database, or None at the end."""
            rows = await anext(chunks, None)
            if rows is None:
                return None
            readable = await readable_confidential(session, principal, source.confidential_ids(rows))
            return rows, readable, await source.open_turnos(session, rows)

        reading = None
        try:
            sheet = await _in_thread(book.table, source.title, source.columns)
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
            file_key = f"{export_id}-{secrets.token_hex(12)}.xlsx"
            os.replace(part, exports_dir(services) / file_key)
        except BaseException:
            if reading is not None:  # let an ongoing read finish (one chunk) rather than cut a query short
                with suppress(BaseException):
                    await reading
            await _in_thread(book.discard)
            _remove(part)
            raise
        finally:
            _remove_tree(work)
            await chunks.aclose()

    try:
        async with services.db.transaction() as session:
            done = (
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
            ).rowcount
    except BaseException:
        _remove(exports_dir(services) / file_key)
        raise
    if not done:  # failed as stale or deleted meanwhile: nobody will ask for the file
        _remove(exports_dir(services) / file_key)


def _write_chunk(sheet, source, rows, readable: set[int], turnos, context: RowContext) -> int:
    """In the worker thread: the lights, the labels, the XML."""
    context = dataclasses.replace(context, readable=readable, lights=source.lights(rows, turnos))
    return sheet.append_rows([source.shape(r, context) for r in rows])


async def readable_confidential(session, principal: Principal, document_ids: set[int]) -> set[int]:
    """The confidential documents among these whose protected fields the owner may read: the
    rule of the GraphQL field guards (can_see_confidential over each document's chain)."""
    if not document_ids:
        return set()
    chains = await load_chains(session, document_ids)
    return {d for d in document_ids if can_see_confidential(principal, chains.get(d, []))}


class Lights:
    """The traffic lights of models/traffic_light.py (what the GraphQL fields answer), memoized
    by their inputs for one job: today is fixed, and many rows share a due date."""

    def __init__(self, calendar: BusinessCalendar, today, threshold: int):
        self.calendar, self.today, self.threshold = calendar, today, threshold
        self._turno: dict = {}
        self._document: dict = {}

    def turno(self, status: str, due, answered_on_time) -> TrafficLight:
        key = (status, due, answered_on_time)
        light = self._turno.get(key)
        if light is None:
            light = self._turno[key] = turno_light(
                status, due, answered_on_time, self.calendar, self.today, self.threshold
            )
        return light

    def document(self, is_open: bool, due, turno_lights: list[TrafficLight]) -> TrafficLight:
        if is_open and due is not None and due < self.today:
            # its own deadline passed: RED, the worst there is, whatever its turnos show (the
            # days counted back to an old deadline would only confirm it, at length)
            return TrafficLight.RED
        key = (is_open, due, frozenset(turno_lights)) if turno_lights else (is_open, due)
        light = self._document.get(key)
        if light is None:
            light = self._document[key] = document_light(
                is_open, due, turno_lights, self.calendar, self.today, self.threshold
            )
        return light


def _keyset_before(column, row_value, id_column, row_id):
    """Rows after (row_value, row_id) in descending order; the first clause lets the index start there."""
    return [column <= row_value, or_(column < row_value, id_column < row_id)]


async def _keyset_chunks(session, query, column, id_column, value_at: int, id_at: int) -> AsyncIterator[list]:
    """`query` (ordered by column DESC, id DESC, limited to CHUNK) chunk after chunk. Executed as
    Core on the session's connection: plain rows, without the ORM's per-row bookkeeping."""
    connection = await session.connection()
    after: list = []
    while True:
        rows = (await connection.execute(query.where(*after))).all()
        if rows:
            yield rows
        if len(rows) < CHUNK:
            return
        last = rows[-1]
        after = _keyset_before(column, last[value_at], id_column, last[id_at])


def _count_sum(condition):
    return func.sum(case((condition, 1), else_=0))


@dataclass
class DocumentSource:
    spec: DocumentFilterSpec
    env: FilterEnv
    calendar: BusinessCalendar
    title = "Documentos"
    columns = DOCUMENT_COLUMNS

    def __post_init__(self):
        self.where = [visible_documents(self.env.principal), *document_filter_clauses(self.spec, self.env)]
        self.light_of = Lights(self.calendar, self.env.clock.today(), self.env.yellow_threshold)

    async def chunks(self, session) -> AsyncIterator[list]:
        unit = aliased(OrgUnit)
        columns = {"unit_acronym": unit.acronym}
        query = (
            select(*[columns[name] if name in columns else getattr(Document, name) for name in DOCUMENT_FIELDS])
            .join(unit, unit.id == Document.unit_id)
            .where(*self.where)
            .order_by(Document.received_at.desc(), Document.id.desc())
            .limit(CHUNK)
        )
        async for rows in _keyset_chunks(session, query, Document.received_at, Document.id, D_RECEIVED_AT, D_ID):
            yield rows

    @staticmethod
    def confidential_ids(rows) -> set[int]:
        return {r[D_ID] for r in rows if r[D_CONFIDENTIAL]}

    async def open_turnos(self, session, rows) -> dict[int, list]:
        """The open turnos of the chunk's open documents, visible to the owner or not (the
        document's light is the worst of them all, as Document.trafficLight says)."""
        open_ids = [r[D_ID] for r in rows if r[D_STATUS] in OPEN_DOCUMENT_STATUSES]
        found: dict[int, list] = {}
        if open_ids:
            for t in (
                await session.execute(
                    select(Turno.document_id, Turno.status, Turno.due_date, Turno.answered_on_time).where(
                        Turno.document_id.in_(open_ids), Turno.status.in_(OPEN_TURNO_VALUES)
                    )
                )
            ).all():
                found.setdefault(t.document_id, []).append(t)
        return found

    def lights(self, rows, turnos: dict[int, list]) -> dict[int, str]:
        lights, light_of = {}, self.light_of
        for r in rows:
            document_id = r[D_ID]
            turno_lights = [
                light_of.turno(t.status, t.due_date, t.answered_on_time) for t in turnos.get(document_id, ())
            ]
            lights[document_id] = light_of.document(
                r[D_STATUS] in OPEN_DOCUMENT_STATUSES, r[D_DUE_DATE], turno_lights
            ).value
        return lights

    @staticmethod
    def shape(row, context: RowContext) -> tuple:
        return document_row(row, context)

    async def indicators(self, session) -> tuple[int, list[tuple]]:
        """One GROUP BY over the filtered set: the total, by status, by priority, by type, and the
        traffic lights (the filter's own SQL twin of the light)."""
        red, yellow, green = (
            document_light_clause(light, self.env)
            for light in (TrafficLight.RED, TrafficLight.YELLOW, TrafficLight.GREEN)
        )
        rows = (
            await session.execute(
                select(
                    Document.status,
                    Document.priority,
                    Document.document_type,
                    func.count().label("n"),
                    _count_sum(red).label("red"),
                    _count_sum(yellow).label("yellow"),
                    _count_sum(green).label("green"),
                )
                .where(*self.where)
                .group_by(Document.status, Document.priority, Document.document_type)
            )
        ).all()
        type_names = dict((await session.execute(select(DocumentType.code, DocumentType.name))).all())
        total = sum(r.n for r in rows)
        by_status = _tally(rows, "status")
        by_priority = _tally(rows, "priority")
        by_type = _tally(rows, "document_type")
        lights = {k: sum(getattr(r, k) or 0 for r in rows) for k in ("red", "yellow", "green")}
        open_count = sum(by_status.get(s, 0) for s in OPEN_DOCUMENT_STATUSES)
        return total, [
            ("Por estado",),
            *[(label, by_status.get(code, 0)) for code, label in DOCUMENT_STATUS_LABEL.items()],
            (),
            ("Por semáforo",),
            (LIGHT_ES["GREEN"], lights["green"]),
            (LIGHT_ES["YELLOW"], lights["yellow"]),
            (LIGHT_ES["RED"], lights["red"]),
            (LIGHT_ES["NONE"], total - lights["red"] - lights["yellow"] - lights["green"]),
            (),
            ("Seguimiento",),
            ("Abiertos (registrados o en trámite)", open_count),
            ("Vencidos (abiertos en rojo)", lights["red"]),
            ("Concluidos o archivados", total - open_count),
            (),
            ("Por prioridad",),
            *[(label, by_priority.get(code, 0)) for code, label in PRIORITY_LABEL.items()],
            (),
            ("Por tipo de documento",),
            *sorted(
                ((type_names.get(code, code), n) for code, n in by_type.items()), key=lambda item: (-item[1], item[0])
            ),
        ]


@dataclass
class TurnoSource:
    spec: TurnoFilterSpec
    env: FilterEnv
    calendar: BusinessCalendar
    title = "Turnos"
    columns = TURNO_COLUMNS

    def __post_init__(self):
        # the turnos the owner may see (from or to their scope); unitId is the recipient, as in the inbox;
        # with a box, the turnos of that list (the outbox: unitId the sending unit, as there)
        unit_column = Turno.from_unit_id if self.spec.box == "outbox" else Turno.to_unit_id
        mine = [box_scope(self.env.principal, self.spec, unit_column)] if self.spec.box else []
        self.where = [
            *mine,
            visible_turnos(self.env.principal),
            *turno_filter_clauses(self.spec, self.env, unit_column),
        ]
        self.today = self.env.clock.today()
        self.light_of = Lights(self.calendar, self.today, self.env.yellow_threshold)
        self._days_left: dict = {}

    async def chunks(self, session) -> AsyncIterator[list]:
        from_unit, to_unit = aliased(OrgUnit), aliased(OrgUnit)
        columns = {
            "from_acronym": from_unit.acronym,
            "to_acronym": to_unit.acronym,
            "document_type": Document.document_type,
            "subject": Document.subject,
            "sender_name": Document.sender_name,
            "confidential": Document.confidential,
        }
        query = (
            select(*[columns[name] if name in columns else getattr(Turno, name) for name in TURNO_FIELDS])
            .join(Document, Document.id == Turno.document_id)
            .join(from_unit, from_unit.id == Turno.from_unit_id)
            .join(to_unit, to_unit.id == Turno.to_unit_id)
            .where(*self.where)
            .order_by(Turno.sent_at.desc(), Turno.id.desc())
            .limit(CHUNK)
        )
        async for rows in _keyset_chunks(session, query, Turno.sent_at, Turno.id, T_SENT_AT, T_ID):
            yield rows

    @staticmethod
    def confidential_ids(rows) -> set[int]:
        return {r[T_DOCUMENT_ID] for r in rows if r[T_CONFIDENTIAL]}

    async def open_turnos(self, session, rows) -> dict:
        return {}

    def lights(self, rows, turnos) -> dict[int, str]:
        turno = self.light_of.turno
        return {r[T_ID]: turno(r[T_STATUS], r[T_DUE_DATE], r[T_ANSWERED_ON_TIME]).value for r in rows}

    def days_left_until(self, due) -> int:
        left = self._days_left.get(due)
        if left is None:
            left = self._days_left[due] = self.calendar.business_days_left(self.today, due)
        return left

    def shape(self, row, context: RowContext) -> tuple:
        return turno_row(row, context, self.days_left_until)

    async def indicators(self, session) -> tuple[int, list[tuple]]:
        """One GROUP BY over the filtered set: the total, by status, by instruction, the traffic
        lights (the filter's SQL twin), the overdue and those concluded on time or late."""
        env, today = self.env, self.today
        red, yellow, green = (
            turno_light_clause(light, Turno, self.calendar, today, env.yellow_threshold)
            for light in (TrafficLight.RED, TrafficLight.YELLOW, TrafficLight.GREEN)
        )
        rows = (
            await session.execute(
                select(
                    Turno.status,
                    Turno.instruction,
                    func.count().label("n"),
                    _count_sum(red).label("red"),
                    _count_sum(yellow).label("yellow"),
                    _count_sum(green).label("green"),
                    _count_sum(overdue_clause(Turno, today)).label("overdue"),
                    _count_sum(concluded_on_time_clause(True, Turno)).label("on_time"),
                    _count_sum(concluded_on_time_clause(False, Turno)).label("late"),
                )
                .where(*self.where)
                .group_by(Turno.status, Turno.instruction)
            )
        ).all()
        total = sum(r.n for r in rows)
        by_status = _tally(rows, "status")
        by_instruction = _tally(rows, "instruction")
        sums = {
            k: sum(getattr(r, k) or 0 for r in rows) for k in ("red", "yellow", "green", "overdue", "on_time", "late")
        }
        return total, [
            ("Por estado",),
            *[(label, by_status.get(code, 0)) for code, label in TURNO_STATUS_LABEL.items()],
            (),
            ("Por semáforo",),
            (LIGHT_ES["GREEN"], sums["green"]),
            (LIGHT_ES["YELLOW"], sums["yellow"]),
            (LIGHT_ES["RED"], sums["red"]),
            (LIGHT_ES["NONE"], total - sums["red"] - sums["yellow"] - sums["green"]),
            (),
            ("Seguimiento",),
            ("Pendientes de respuesta", sum(by_status.get(s, 0) for s in AWAITING_VALUES)),
            ("Vencidos sin respuesta", sums["overdue"]),
            ("Concluidos a tiempo", sums["on_time"]),
            ("Concluidos fuera de plazo", sums["late"]),
            (),
            ("Por instrucción",),
            *[(label, by_instruction.get(code, 0)) for code, label in INSTRUCTION_LABEL.items()],
        ]


def _tally(rows, attribute: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in rows:
        key = getattr(r, attribute)
        counts[key] = counts.get(key, 0) + r.n
    return counts


def describe_filter(kind: ExportKind, spec, unit: OrgUnit | None) -> str:
    """The filter in words, for the Indicadores sheet."""
    parts = []
    if getattr(spec, "box", None):
        parts.append(
            {
                "inbox": "Bandeja (turnos dirigidos a sus unidades)",
                "outbox": "Enviados (turnos enviados por sus unidades)",
            }[spec.box]
        )
    if spec.period_from or spec.period_to:
        label = "Periodo de recepción" if kind == ExportKind.DOCUMENTS else "Periodo de envío"
        since = spec.period_from.strftime("%d/%m/%Y") if spec.period_from else "el inicio"
        until = spec.period_to.strftime("%d/%m/%Y") if spec.period_to else "hoy"
        parts.append(f"{label}: de {since} a {until}")
    if unit is not None:
        label = "Unidad que envía" if getattr(spec, "box", None) == "outbox" else "Unidad"
        parts.append(f"{label}: {unit.acronym}{' y subunidades' if spec.include_subunits else ''}")
    labels = DOCUMENT_STATUS_LABEL if kind == ExportKind.DOCUMENTS else TURNO_STATUS_LABEL
    if spec.status:
        parts.append("Estado: " + ", ".join(labels.get(s, s) for s in spec.status))
    if getattr(spec, "instruction", None):
        parts.append("Instrucción: " + ", ".join(INSTRUCTION_LABEL.get(s, s) for s in spec.instruction))
    if spec.traffic_light:
        parts.append("Semáforo: " + ", ".join(LIGHT_ES.get(s, s) for s in spec.traffic_light))
    if spec.priority:
        parts.append(f"Prioridad: {PRIORITY_LABEL.get(spec.priority, spec.priority)}")
    if spec.origin:
        parts.append(f"Origen: {ORIGIN_LABEL.get(spec.origin, spec.origin)}")
    if spec.sender_level:
        parts.append("Nivel del remitente: " + ", ".join(SENDER_LEVEL_LABEL.get(s, s) for s in spec.sender_level))
    if spec.document_type:
        parts.append("Tipo: " + ", ".join(spec.document_type))
    if spec.search and spec.search.strip():
        parts.append(f"Búsqueda: «{spec.search.strip()}»")
    return "; ".join(parts) or "Sin filtro: todo lo que puede ver"


# --- reading: node, exportProgress --------------------------------------------------------------


async def _owned(session, services: Services, user_id: int, export_id: int) -> Export | None:
    """The export if it is this user's (anyone else: None, like a missing one); a job whose
    process died is FAILED here first."""
    export = (await session.execute(select(Export).where(Export.id == export_id, Export.user_id == user_id))).scalar()
    now = services.clock.now()
    stale_before = now - timedelta(seconds=services.settings.export_stale_seconds)
    if export is not None and export.status in ACTIVE_STATUSES and export.heartbeat_at < stale_before:
        async with services.db.transaction() as writer:
            failed = (
                await writer.execute(
                    update(Export)
                    .where(Export.id == export_id, stale_clause(now, services.settings.export_stale_seconds))
                    .values(status=ExportStatus.FAILED.value, error=STALE_ERROR, finished_at=now)
                )
            ).rowcount
        if failed:  # its partial files go with it (its process is gone)
            await asyncio.to_thread(_remove_partials, exports_dir(services), {export_id})
        await session.rollback()  # read it again, after the write
        export = (await session.execute(select(Export).where(Export.id == export_id))).scalar()
    return export


async def export_for_node(ctx: Context, export_id: int) -> Export | None:
    principal = ctx.require_principal()
    async with ctx.services.db.session() as session:
        return await _owned(session, ctx.services, principal.user_id, export_id)


async def progress_stream(ctx: Context, export_id: int) -> AsyncIterator[Export]:
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


# --- download ----------------------------------------------------------------------------------


def sign_download(
    services: Services, export: Export, principal: Principal, token_version: int, token_id: str | None = None
) -> str:
    """A link token for the owner: user, token version and expiry (an hour, or the export's end)."""
    expires = min(
        int(services.clock.now().timestamp()) + services.settings.file_url_ttl_seconds,
        int(export.expires_at.timestamp()),
    )
    return sign_link(services, "exports", export.id, principal, token_version, expires, token_id)


async def downloadable_export(services: Services, session, principal: Principal, export_id: int) -> Export | None:
    """The owner's finished, unexpired export, else None (like a missing one)."""
    return (
        await session.execute(
            select(Export).where(
                Export.id == export_id,
                Export.user_id == principal.user_id,
                Export.status == ExportStatus.DONE.value,
                Export.expires_at > services.clock.now(),
            )
        )
    ).scalar()


# --- clean-up ----------------------------------------------------------------------------------


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
            result.failed = (
                await session.execute(
                    update(Export)
                    .where(stale_clause(now, stale_seconds))
                    .values(status=ExportStatus.FAILED.value, error=STALE_ERROR, finished_at=now)
                )
            ).rowcount or 0
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
            if file_key and _remove(directory / file_key):
                result.files += 1
        async with services.db.transaction() as session:
            result.deleted += (
                await session.execute(
                    delete(Export).where(Export.id.in_([e.id for e in expired]), Export.expires_at <= now)
                )
            ).rowcount or 0
        if len(expired) < 500:
            break
    result.files += await _remove_orphans(services, directory)
    return result


async def _oldest_heartbeat(services: Services) -> datetime | None:
    async with services.db.session() as session:
        return (
            await session.execute(select(func.min(Export.heartbeat_at)).where(Export.status.in_(ACTIVE_STATUSES)))
        ).scalar()


def _job_id(name: str) -> int | None:
    match = JOB_FILE.match(name)
    return int(match.group(1)) if match else None


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
    ids = sorted({i for p in entries if (i := _job_id(p.name)) is not None})
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
        export_id = _job_id(path.name)
        if export_id is None:
            doomed = _mtime(path) < cutoff
        else:
            status, file_key = rows.get(export_id, (None, None))
            doomed = status not in ACTIVE_STATUSES and (path.parent == tmp or file_key != path.name)
        if doomed:
            removed += await asyncio.to_thread(_remove_entry, path)
    return removed


def _remove_partials(directory: Path, export_ids: set[int]) -> int:
    """The temporary files of these exports' jobs (their folders under exports/tmp)."""
    tmp = directory / "tmp"
    if not tmp.is_dir():
        return 0
    return sum(_remove_entry(p) for p in tmp.iterdir() if _job_id(p.name) in export_ids)


async def clean_exports_forever(services: Services, interval_seconds: float) -> None:
    """A pass every `interval_seconds`, and sooner when a job seen alive in the last pass turns
    stale before then if it stops beating (so a dead job is FAILED about MCS_EXPORT_STALE_SECONDS
    after its last heartbeat, not up to a whole interval later)."""
    while True:
        delay = interval_seconds
        try:
            result = await clean_exports(services)
            if result.next_stale_at is not None:
                until = (result.next_stale_at - services.clock.now()).total_seconds() + 0.25
                delay = min(interval_seconds, max(until, 1.0))
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the next pass tries again
            log.exception("export clean-up failed")
        await asyncio.sleep(delay)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return time.time()


def _remove_entry(path: Path) -> bool:
    """A file, or a job's folder with what is in it."""
    if path.is_dir() and not path.is_symlink():
        existed = path.exists()
        _remove_tree(path)
        return existed
    return _remove(path)


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _remove(path: Path) -> bool:
    try:
        os.remove(path)
        return True
    except FileNotFoundError:
        return False
