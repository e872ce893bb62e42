"""What an export reads: its rows in keyset-ordered chunks of CHUNK (never the whole set in
memory), the facts shaping a chunk needs from the database (confidential chains, open turnos)
and each row's traffic light. The filter goes through the same compiler and permission
predicates as `documents` and the inbox (models/filters.py, models/permissions.py); the columns
and how their cells are shaped are models/exports.py's (DOCUMENT_SHEET, TURNO_SHEET)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import AsyncGenerator, AsyncIterator, ClassVar, Generic, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from models.calendar import BusinessCalendar
from models.chains import load_chains
from models.documents import Document
from models.exports import DOCUMENT_SHEET, TURNO_SHEET, Chunk, ExportSheet, RowContext
from models.filters import (
    OPEN_DOCUMENT_STATUSES,
    DocumentFilterSpec,
    FilterEnv,
    TurnoFilterSpec,
    box_scope,
    document_filter_clauses,
    turno_filter_clauses,
)
from models.org import OrgUnit
from models.permissions import Principal, can_see_confidential, visible_documents, visible_turnos
from models.traffic_light import TrafficLight, document_light, turno_light
from models.turnos import Turno
from models.workflow import OPEN_TURNO
from resolvers.exports.indicators import document_indicators, turno_indicators

CHUNK = 2_000  # rows read, written and reported at a time
OPEN_TURNO_VALUES = [s.value for s in OPEN_TURNO]


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


def _selected(sheet: ExportSheet, model, joined: dict) -> list:
    """The sheet's fields as the query's columns, each labelled with its name (a chunk is read by
    these labels): the model's own column unless `joined` says where else it comes from."""
    return [(joined[name] if name in joined else getattr(model, name)).label(name) for name in sheet.fields]


def _keyset_before(column, row_value, id_column, row_id):
    """Rows after (row_value, row_id) in descending order; the first clause lets the index start there."""
    return [column <= row_value, or_(column < row_value, id_column < row_id)]


async def _keyset_chunks(session, query, column, id_column) -> AsyncIterator[Chunk]:
    """`query` (ordered by column DESC, id DESC, limited to CHUNK) chunk after chunk. Executed as
    Core on the session's connection: plain rows, without the ORM's per-row bookkeeping."""
    connection = await session.connection()
    after: list = []
    while True:
        result = await connection.execute(query.where(*after))
        chunk = Chunk(result.keys(), result.all())
        if chunk.size:
            yield chunk
        if chunk.size < CHUNK:
            return
        after = _keyset_before(column, chunk[column.key][-1], id_column, chunk[id_column.key][-1])


Spec = TypeVar("Spec", DocumentFilterSpec, TurnoFilterSpec)


@dataclass
class Source(Generic[Spec]):
    """One export's rows and what shaping them needs (DocumentSource, TurnoSource)."""

    spec: Spec
    env: FilterEnv
    calendar: BusinessCalendar
    sheet: ClassVar[ExportSheet]

    def __post_init__(self):
        self.today = self.env.clock.today()
        self.light_of = Lights(self.calendar, self.today, self.env.yellow_threshold)
        self._days_left: dict = {}

    def confidential_ids(self, chunk: Chunk) -> set[int]:
        return self.sheet.confidential_documents(chunk)

    async def open_turnos(self, session, chunk: Chunk) -> dict[int, list]:
        return {}

    def days_left(self, due) -> int:
        """BusinessCalendar.business_days_left from today, memoized (many rows share a due date)."""
        left = self._days_left.get(due)
        if left is None:
            left = self._days_left[due] = self.calendar.business_days_left(self.today, due)
        return left

    def shape(self, chunk: Chunk, context: RowContext) -> list[tuple]:
        return self.sheet.shape(chunk, context)


class DocumentSource(Source[DocumentFilterSpec]):
    sheet = DOCUMENT_SHEET

    def __post_init__(self):
        super().__post_init__()
        self.where = [visible_documents(self.env.principal), *document_filter_clauses(self.spec, self.env)]

    async def chunks(self, session) -> AsyncGenerator[Chunk, None]:
        unit = aliased(OrgUnit)
        query = (
            select(*_selected(self.sheet, Document, {"unit_acronym": unit.acronym}))
            .join(unit, unit.id == Document.unit_id)
            .where(*self.where)
            .order_by(Document.received_at.desc(), Document.id.desc())
            .limit(CHUNK)
        )
        async for rows in _keyset_chunks(session, query, Document.received_at, Document.id):
            yield rows

    async def open_turnos(self, session, chunk: Chunk) -> dict[int, list]:
        """The open turnos of the chunk's open documents, visible to the owner or not (the
        document's light is the worst of them all, as Document.trafficLight says)."""
        open_ids = [d for d, status in zip(chunk["id"], chunk["status"]) if status in OPEN_DOCUMENT_STATUSES]
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

    def lights(self, chunk: Chunk, turnos: dict[int, list]) -> dict[int, str]:
        lights, light_of = {}, self.light_of
        for document_id, status, due in zip(chunk["id"], chunk["status"], chunk["due_date"]):
            turno_lights = [
                light_of.turno(t.status, t.due_date, t.answered_on_time) for t in turnos.get(document_id, ())
            ]
            lights[document_id] = light_of.document(status in OPEN_DOCUMENT_STATUSES, due, turno_lights).value
        return lights

    async def indicators(self, session) -> tuple[int, list[tuple]]:
        return await document_indicators(session, self.where, self.env)


class TurnoSource(Source[TurnoFilterSpec]):
    sheet = TURNO_SHEET

    def __post_init__(self):
        super().__post_init__()
        # the turnos the owner may see (from or to their scope); unitId is the recipient, as in the inbox;
        # with a box, the turnos of that list (the outbox: unitId the sending unit, as there)
        unit_column = Turno.from_unit_id if self.spec.box == "outbox" else Turno.to_unit_id
        mine = [box_scope(self.env.principal, self.spec, unit_column)] if self.spec.box else []
        self.where = [
            *mine,
            visible_turnos(self.env.principal),
            *turno_filter_clauses(self.spec, self.env, unit_column),
        ]

    async def chunks(self, session) -> AsyncGenerator[Chunk, None]:
        from_unit, to_unit = aliased(OrgUnit), aliased(OrgUnit)
        joined = {
            "from_acronym": from_unit.acronym,
            "to_acronym": to_unit.acronym,
            "document_type": Document.document_type,
            "subject": Document.subject,
            "sender_name": Document.sender_name,
            "confidential": Document.confidential,
        }
        query = (
            select(*_selected(self.sheet, Turno, joined))
            .join(Document, Document.id == Turno.document_id)
            .join(from_unit, from_unit.id == Turno.from_unit_id)
            .join(to_unit, to_unit.id == Turno.to_unit_id)
            .where(*self.where)
            .order_by(Turno.sent_at.desc(), Turno.id.desc())
            .limit(CHUNK)
        )
        async for rows in _keyset_chunks(session, query, Turno.sent_at, Turno.id):
            yield rows

    def lights(self, chunk: Chunk, turnos) -> dict[int, str]:
        turno = self.light_of.turno
        return {
            turno_id: turno(status, due, answered_on_time).value
            for turno_id, status, due, answered_on_time in zip(
                chunk["id"], chunk["status"], chunk["due_date"], chunk["answered_on_time"]
            )
        }

    async def indicators(self, session) -> tuple[int, list[tuple]]:
        return await turno_indicators(session, self.where, self.env, self.calendar, self.today)
