"""Catalogs that ADMIN manages: document types (and, with the workflow, archival series)."""

from __future__ import annotations

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

SEED_DOCUMENT_TYPES = [
    ("OFICIO", "Oficio"),
    ("MEMORANDUM", "Memorándum"),
    ("CIRCULAR", "Circular"),
    ("TARJETA_INFORMATIVA", "Tarjeta informativa"),
    ("SOLICITUD_CIUDADANA", "Solicitud ciudadana"),
    ("INVITACION", "Invitación"),
    ("OTRO", "Otro"),
]


class DocumentType(Base):
    __tablename__ = "document_types"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


SEED_ARCHIVE_SERIES = [
    ("1C", "Legislación"),
    ("2C", "Asuntos Jurídicos"),
    ("3C", "Programación, Organización y Presupuestación"),
    ("4C", "Recursos Humanos"),
    ("5C", "Recursos Financieros"),
    ("6C", "Recursos Materiales y Obra Pública"),
    ("7C", "Servicios Generales"),
    ("8C", "Tecnologías y Servicios de la Información"),
    ("9C", "Comunicación Social"),
    ("10C", "Control y Auditoría de Actividades Públicas"),
    ("11C", "Planeación, Información, Evaluación y Políticas"),
    ("12C", "Vivienda"),
]


class ArchiveSeries(Base):
    """Series of the archival classification catalog (cuadro general de clasificación archivística)."""

    __tablename__ = "archive_series"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
