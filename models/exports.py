"""Excel exports: the job table, and what a row of each kind of export says, in Spanish.

An export is a background job owned by one user: PENDING when asked for, RUNNING while a
server instance writes the workbook (a task of the job touches `heartbeat_at` every few seconds
while it is alive, whatever its queries take), then DONE with a file or FAILED with a reason. A
job whose heartbeat stops for MCS_EXPORT_STALE_SECONDS (its process died) is FAILED by the next
check (`stale_clause`), on any instance. Exports and their files are deleted `expires_at` (the TTL).

The labels and the sheets' columns live here, beside no I/O: resolvers/exports/ reads the rows,
files/xlsx.py writes them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any, Callable, Iterable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, UTCDateTime
from models.columns import Column, Kind
from models.filters import DocumentFilterSpec, TurnoFilterSpec
from models.traffic_light import TrafficLight
from models.workflow import CLOSED_TURNO


class ExportStatus(str, Enum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


class ExportKind(str, Enum):
    DOCUMENTS = "DOCUMENTS"
    TURNOS = "TURNOS"


ACTIVE_STATUSES = (ExportStatus.PENDING.value, ExportStatus.RUNNING.value)


class Export(Base):
    __tablename__ = "exports"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    filter: Mapped[str] = mapped_column(Text)  # the filter spec as JSON: the job needs nothing else
    status: Mapped[str] = mapped_column(String(10), default=ExportStatus.PENDING.value)
    total_rows: Mapped[int | None] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer, default=0)  # written so far
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(String(500))
    filename: Mapped[str] = mapped_column(String(120))  # the name the download gets
    file_key: Mapped[str | None] = mapped_column(String(120))  # the file under <files_dir>/exports
    size: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_exports_user_id_status", "user_id", "status"),
        Index("ix_exports_expires_at", "expires_at"),
        Index("ix_exports_status_heartbeat_at", "status", "heartbeat_at"),
    )


def stale_clause(now: datetime, stale_seconds: float):
    """SQL: a job said to be pending or running whose process stopped touching it."""
    return Export.status.in_(ACTIVE_STATUSES) & (Export.heartbeat_at < now - timedelta(seconds=stale_seconds))


STALE_ERROR = "La exportación se interrumpió (el servidor que la generaba se detuvo). Solicítela de nuevo."
SHUTDOWN_ERROR = "La exportación se interrumpió porque el servidor se reinició. Solicítela de nuevo."
INTERNAL_ERROR = "No se pudo generar el archivo por un error interno. Intente de nuevo más tarde."


# --- the filter, stored with the job -------------------------------------------------------


def dump_spec(spec: DocumentFilterSpec | TurnoFilterSpec) -> str:
    values = asdict(spec)
    values.pop("unit_path", None)  # resolved again when the job runs
    return json.dumps(
        {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def load_spec(kind: ExportKind, raw: str) -> DocumentFilterSpec | TurnoFilterSpec:
    cls = DocumentFilterSpec if kind == ExportKind.DOCUMENTS else TurnoFilterSpec
    values = json.loads(raw)
    known = {f.name for f in fields(cls)}
    given = {k: v for k, v in values.items() if k in known}
    for name in ("period_from", "period_to"):  # dates are stored as ISO text
        given[name] = date.fromisoformat(given[name]) if given.get(name) else None
    return cls(**given)


# --- Spanish labels ------------------------------------------------------------------------

LIGHT_ES = {
    TrafficLight.GREEN.value: "Verde",
    TrafficLight.YELLOW.value: "Amarillo",
    TrafficLight.RED.value: "Rojo",
    TrafficLight.NONE.value: "Sin semáforo",
}
DOCUMENT_STATUS_LABEL = {
    "REGISTERED": "Registrado",
    "IN_PROGRESS": "En trámite",
    "CONCLUDED": "Concluido",
    "ARCHIVED": "Archivado",
}
TURNO_STATUS_LABEL = {
    "SENT": "Enviado",
    "RECEIVED": "Recibido",
    "ANSWERED": "Respondido",
    "RETURNED": "Devuelto",
    "CONCLUDED": "Concluido",
    "CANCELLED": "Cancelado",
}
INSTRUCTION_LABEL = {
    "ATTENTION": "Atención",
    "RESPONSE": "Respuesta",
    "OPINION": "Opinión",
    "KNOWLEDGE": "Conocimiento",
}
PRIORITY_LABEL = {"NORMAL": "Normal", "URGENT": "Urgente"}
ORIGIN_LABEL = {"INTERNAL": "Interno", "EXTERNAL": "Externo"}
SENDER_LEVEL_LABEL = {
    "FEDERAL": "Federal",
    "STATE": "Estatal",
    "MUNICIPAL": "Municipal",
    "ORGANIZATION": "Organización",
    "CITIZEN": "Ciudadano",
    "INTERNAL": "Interno",
}
CONFIDENTIAL = "Confidencial"  # what a protected field says to who may not read it


def export_filename(kind: ExportKind, day: date) -> str:
    return f"{'documentos' if kind == ExportKind.DOCUMENTS else 'turnos'}-{day.isoformat()}.xlsx"


# --- the sheets: each column declared once ------------------------------------------------


class LocalTime:
    """UTC timestamps as the naive local times Excel shows (Excel has no time zones)."""

    def __init__(self, tz: str):
        self.tz = ZoneInfo(tz)

    def __call__(self, moment: datetime | None) -> datetime | None:
        return None if moment is None else moment.astimezone(self.tz).replace(tzinfo=None)


@dataclass
class RowContext:
    """What shaping a chunk of rows needs besides the rows: labels, the time zone, the
    documents whose protected fields the owner may read, each row's traffic light, and the
    business days left until a date."""

    local: LocalTime
    type_names: dict[str, str]
    readable: set[int]  # confidential documents of the chunk the owner may read
    lights: dict[int, str]  # row id -> TrafficLight value
    days_left: Callable[[date], int]  # BusinessCalendar.business_days_left from today


class Chunk:
    """A chunk of an export's rows, read by field name a field at a time: `chunk["status"]` is
    every row's status, in the rows' order (the names are the labels of the query's columns). A
    tuple per field rather than an object per row: SQLAlchemy's Row takes about half a microsecond
    to read an attribute by name (19 of them, 100,000 rows), and a named tuple per row kept the
    garbage collector busy enough to double the time spent shaping cells."""

    __slots__ = ("size", "fields")

    def __init__(self, names: Iterable[str], rows: Sequence[Sequence]):
        names = tuple(names)
        self.size = len(rows)
        self.fields: dict[str, tuple] = dict(zip(names, zip(*rows) if rows else [()] * len(names)))

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, name: str) -> tuple:
        return self.fields[name]


# How a column's cells are shaped: from the chunk's values of the column's field (and the chunk,
# for a cell that needs another field) to its cells, in order. A chunk and a column at a time,
# mostly one map() running in C: about three times cheaper than a Python call per cell.
Shape = Callable[[tuple, Chunk, RowContext], Iterable[Any]]


def labelled(labels: dict[str, str]) -> Shape:
    """A code as its Spanish label (an unknown code as it is)."""
    get = labels.get
    return lambda values, chunk, context: map(get, values, values)


def local_time(values, chunk, context: RowContext):
    return map(context.local, values)


def type_name(values, chunk, context: RowContext):
    """A document type's code as its name in the catalog."""
    get = context.type_names.get
    return map(get, values, values)


def yes_no(values, chunk, context: RowContext):
    return ["Sí" if value else "No" for value in values]


def traffic_light(ids, chunk, context: RowContext):
    """The light the job computed for each row (models/traffic_light.py), by the row's id."""
    lights = context.lights
    return [LIGHT_ES[lights.get(row_id, "NONE")] for row_id in ids]


CLOSED_TURNO_VALUES = {s.value for s in CLOSED_TURNO}


def business_days_left(dues, chunk, context: RowContext):
    """As Turno.businessDaysLeft says: null without a deadline or once the turno is closed."""
    days_left = context.days_left
    return [
        None if due is None or status in CLOSED_TURNO_VALUES else days_left(due)
        for due, status in zip(dues, chunk["status"])
    ]


@dataclass(frozen=True)
class ExportColumn:
    """One column of an export: the field it reads (its label in the export's query), its header,
    kind and width on the sheet, and how its cells are shaped."""

    name: str
    column: Column
    shape: Shape | None = None  # None: the values as they are
    protected: bool = False  # says CONFIDENTIAL to who may not read the row's confidential document


class ExportSheet:
    """One kind's table sheet, made from its columns: the fields its query selects (each column's
    and those the job reads besides) and the shaping of a chunk into cells. Adding a field to an
    export is one ExportColumn."""

    def __init__(self, title: str, columns: Sequence[ExportColumn], *, document: str, reads: Sequence[str]):
        """`document`: the field naming the row's document (its confidentiality is the row's);
        `reads`: fields the job needs whatever the columns (keyset order, traffic lights)."""
        self.title = title
        self.columns = tuple(c.column for c in columns)  # what files/xlsx.py writes
        self.fields = tuple(dict.fromkeys([document, "confidential", *reads, *(c.name for c in columns)]))
        self.document = document
        self._cells = [(c.name, c.shape, c.protected) for c in columns]

    def confidential_documents(self, chunk: Chunk) -> set[int]:
        """The confidential documents of the chunk's rows: the owner may not read all of them."""
        return {d for d, confidential in zip(chunk[self.document], chunk["confidential"]) if confidential}

    def shape(self, chunk: Chunk, context: RowContext) -> list[tuple]:
        """The chunk as the sheet's cells: a tuple per row, in the columns' order."""
        if not len(chunk):
            return []
        readable = context.readable
        hidden = [
            i
            for i, (d, confidential) in enumerate(zip(chunk[self.document], chunk["confidential"]))
            if confidential and d not in readable
        ]
        cells = []
        for name, shape, protected in self._cells:
            values = chunk[name] if shape is None else shape(chunk[name], chunk, context)
            if protected and hidden:
                values = list(values)
                for i in hidden:
                    values[i] = CONFIDENTIAL
            cells.append(values)
        return list(zip(*cells))


DOCUMENT_SHEET = ExportSheet(
    "Documentos",
    [
        ExportColumn("folio", Column("Folio", Kind.TEXT, 20)),
        ExportColumn("received_at", Column("Fecha de recepción", Kind.DATETIME, 17), local_time),
        ExportColumn("document_date", Column("Fecha del documento", Kind.DATE, 12)),
        ExportColumn("document_type", Column("Tipo", Kind.TEXT, 18), type_name),
        ExportColumn("origin", Column("Origen", Kind.TEXT, 10), labelled(ORIGIN_LABEL)),
        ExportColumn("reference", Column("Referencia", Kind.TEXT, 20)),
        ExportColumn("subject", Column("Asunto", Kind.TEXT, 50), protected=True),
        ExportColumn("summary", Column("Síntesis", Kind.TEXT, 50), protected=True),
        ExportColumn("sender_name", Column("Remitente", Kind.TEXT, 30), protected=True),
        ExportColumn("sender_organization", Column("Dependencia del remitente", Kind.TEXT, 30), protected=True),
        ExportColumn(
            "sender_level", Column("Nivel del remitente", Kind.TEXT, 14), labelled(SENDER_LEVEL_LABEL), protected=True
        ),
        ExportColumn("addressee", Column("Destinatario", Kind.TEXT, 25)),
        ExportColumn("unit_acronym", Column("Unidad", Kind.TEXT, 12)),
        ExportColumn("priority", Column("Prioridad", Kind.TEXT, 10), labelled(PRIORITY_LABEL)),
        ExportColumn("confidential", Column("Confidencial", Kind.TEXT, 12), yes_no),
        ExportColumn("status", Column("Estado", Kind.TEXT, 12), labelled(DOCUMENT_STATUS_LABEL)),
        ExportColumn("due_date", Column("Fecha límite", Kind.DATE, 12)),
        ExportColumn("id", Column("Semáforo", Kind.LIGHT, 13), traffic_light),
        ExportColumn("concluded_at", Column("Fecha de conclusión", Kind.DATETIME, 17), local_time),
    ],
    document="id",
    reads=("id", "received_at", "status", "due_date"),
)

TURNO_SHEET = ExportSheet(
    "Turnos",
    [
        ExportColumn("number", Column("Número", Kind.TEXT, 24)),
        ExportColumn("sent_at", Column("Fecha de envío", Kind.DATETIME, 17), local_time),
        ExportColumn("from_acronym", Column("De", Kind.TEXT, 12)),
        ExportColumn("to_acronym", Column("Para", Kind.TEXT, 12)),
        ExportColumn("instruction", Column("Instrucción", Kind.TEXT, 14), labelled(INSTRUCTION_LABEL)),
        ExportColumn("notes", Column("Indicaciones", Kind.TEXT, 40)),
        ExportColumn("priority", Column("Prioridad", Kind.TEXT, 10), labelled(PRIORITY_LABEL)),
        ExportColumn("status", Column("Estado", Kind.TEXT, 12), labelled(TURNO_STATUS_LABEL)),
        ExportColumn("received_at", Column("Fecha de recepción", Kind.DATETIME, 17), local_time),
        ExportColumn("due_date", Column("Fecha límite", Kind.DATE, 12)),
        ExportColumn("due_date", Column("Días hábiles restantes", Kind.INTEGER, 12), business_days_left),
        ExportColumn("id", Column("Semáforo", Kind.LIGHT, 13), traffic_light),
        ExportColumn("concluded_at", Column("Fecha de conclusión", Kind.DATETIME, 17), local_time),
        ExportColumn("document_type", Column("Tipo de documento", Kind.TEXT, 18), type_name),
        ExportColumn("subject", Column("Asunto del documento", Kind.TEXT, 50), protected=True),
        ExportColumn("sender_name", Column("Remitente", Kind.TEXT, 30), protected=True),
    ],
    document="document_id",
    reads=("id", "sent_at", "status", "due_date", "answered_on_time"),
)
