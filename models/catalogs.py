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
