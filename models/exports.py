"""Excel exports: the job table, and what a row of each kind of export says, in Spanish.

An export is a background job owned by one user: PENDING when asked for, RUNNING while a
server instance writes the workbook (a task of the job touches `heartbeat_at` every few seconds
while it is alive, whatever its queries take), then DONE with a file or FAILED with a reason. A
job whose heartbeat stops for MCS_EXPORT_STALE_SECONDS (its process died) is FAILED by the next
check (`stale_clause`), on any instance. Exports and their files are deleted `expires_at` (the TTL).

The columns and the labels live here, beside no I/O: resolvers/exports.py reads the rows,
files/xlsx.py writes them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta
from enum import Enum
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
    spec = cls(**{k: v for k, v in values.items() if k in known})
    spec.period_from = date.fromisoformat(spec.period_from) if spec.period_from else None
    spec.period_to = date.fromisoformat(spec.period_to) if spec.period_to else None
    return spec


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


# --- the sheets ----------------------------------------------------------------------------

DOCUMENT_COLUMNS = [
    Column("Folio", Kind.TEXT, 20),
    Column("Fecha de recepción", Kind.DATETIME, 17),
    Column("Fecha del documento", Kind.DATE, 12),
    Column("Tipo", Kind.TEXT, 18),
    Column("Origen", Kind.TEXT, 10),
    Column("Referencia", Kind.TEXT, 20),
    Column("Asunto", Kind.TEXT, 50),
    Column("Síntesis", Kind.TEXT, 50),
    Column("Remitente", Kind.TEXT, 30),
    Column("Dependencia del remitente", Kind.TEXT, 30),
    Column("Nivel del remitente", Kind.TEXT, 14),
    Column("Destinatario", Kind.TEXT, 25),
    Column("Unidad", Kind.TEXT, 12),
    Column("Prioridad", Kind.TEXT, 10),
    Column("Confidencial", Kind.TEXT, 12),
    Column("Estado", Kind.TEXT, 12),
    Column("Fecha límite", Kind.DATE, 12),
    Column("Semáforo", Kind.LIGHT, 13),
    Column("Fecha de conclusión", Kind.DATETIME, 17),
]

TURNO_COLUMNS = [
    Column("Número", Kind.TEXT, 24),
    Column("Fecha de envío", Kind.DATETIME, 17),
    Column("De", Kind.TEXT, 12),
    Column("Para", Kind.TEXT, 12),
    Column("Instrucción", Kind.TEXT, 14),
    Column("Indicaciones", Kind.TEXT, 40),
    Column("Prioridad", Kind.TEXT, 10),
    Column("Estado", Kind.TEXT, 12),
    Column("Fecha de recepción", Kind.DATETIME, 17),
    Column("Fecha límite", Kind.DATE, 12),
    Column("Días hábiles restantes", Kind.INTEGER, 12),
    Column("Semáforo", Kind.LIGHT, 13),
    Column("Fecha de conclusión", Kind.DATETIME, 17),
    Column("Tipo de documento", Kind.TEXT, 18),
    Column("Asunto del documento", Kind.TEXT, 50),
    Column("Remitente", Kind.TEXT, 30),
]


class LocalTime:
    """UTC timestamps as the naive local times Excel shows (Excel has no time zones)."""

    def __init__(self, tz: str):
        self.tz = ZoneInfo(tz)

    def __call__(self, moment: datetime | None) -> datetime | None:
        return None if moment is None else moment.astimezone(self.tz).replace(tzinfo=None)


@dataclass
class RowContext:
    """What shaping a chunk of rows needs besides the rows: labels, the time zone, the
    documents whose protected fields the owner may read, and each row's traffic light."""

    local: LocalTime
    type_names: dict[str, str]
    readable: set[int]  # confidential documents of the chunk the owner may read
    lights: dict[int, str]  # row id -> TrafficLight value


# The columns each export reads, in this order (resolvers/exports.py selects them so): a row is
# unpacked by position, which costs a fraction of reading 19 attributes by name, 100,000 times.
DOCUMENT_FIELDS = (
    "id",
    "folio",
    "received_at",
    "document_date",
    "document_type",
    "origin",
    "reference",
    "subject",
    "summary",
    "sender_name",
    "sender_organization",
    "sender_level",
    "addressee",
    "unit_acronym",
    "priority",
    "confidential",
    "status",
    "due_date",
    "concluded_at",
)
TURNO_FIELDS = (
    "id",
    "number",
    "sent_at",
    "from_acronym",
    "to_acronym",
    "instruction",
    "notes",
    "priority",
    "status",
    "received_at",
    "due_date",
    "answered_on_time",
    "concluded_at",
    "document_id",
    "document_type",
    "subject",
    "sender_name",
    "confidential",
)


def document_row(d, ctx: RowContext) -> tuple:
    """`d`: a row of DOCUMENT_FIELDS."""
    (
        id_,
        folio,
        received_at,
        document_date,
        document_type,
        origin,
        reference,
        subject,
        summary,
        sender_name,
        sender_organization,
        sender_level,
        addressee,
        unit_acronym,
        priority,
        confidential,
        status,
        due_date,
        concluded_at,
    ) = d
    local = ctx.local
    if confidential and id_ not in ctx.readable:
        subject = summary = sender_name = sender_organization = sender_level = CONFIDENTIAL
    else:
        sender_level = SENDER_LEVEL_LABEL.get(sender_level, sender_level)
    return (
        folio,
        local(received_at),
        document_date,
        ctx.type_names.get(document_type, document_type),
        ORIGIN_LABEL.get(origin, origin),
        reference,
        subject,
        summary,
        sender_name,
        sender_organization,
        sender_level,
        addressee,
        unit_acronym,
        PRIORITY_LABEL.get(priority, priority),
        "Sí" if confidential else "No",
        DOCUMENT_STATUS_LABEL.get(status, status),
        due_date,
        LIGHT_ES[ctx.lights.get(id_, "NONE")],
        local(concluded_at) if concluded_at is not None else None,
    )


CLOSED_TURNO_VALUES = {s.value for s in CLOSED_TURNO}


def turno_row(t, ctx: RowContext, days_left_until) -> tuple:
    """`t`: a row of TURNO_FIELDS; `days_left_until(due)`: BusinessCalendar.business_days_left from
    today, as Turno.businessDaysLeft says (null without a deadline or when closed)."""
    (
        id_,
        number,
        sent_at,
        from_acronym,
        to_acronym,
        instruction,
        notes,
        priority,
        status,
        received_at,
        due_date,
        _answered_on_time,
        concluded_at,
        document_id,
        document_type,
        subject,
        sender_name,
        confidential,
    ) = t
    if confidential and document_id not in ctx.readable:
        subject = sender_name = CONFIDENTIAL
    days_left = None if due_date is None or status in CLOSED_TURNO_VALUES else days_left_until(due_date)
    return (
        number,
        ctx.local(sent_at),
        from_acronym,
        to_acronym,
        INSTRUCTION_LABEL.get(instruction, instruction),
        notes,
        PRIORITY_LABEL.get(priority, priority),
        TURNO_STATUS_LABEL.get(status, status),
        ctx.local(received_at),
        due_date,
        days_left,
        LIGHT_ES[ctx.lights.get(id_, "NONE")],
        ctx.local(concluded_at),
        ctx.type_names.get(document_type, document_type),
        subject,
        sender_name,
    )
