"""The archive record of a concluded document (archivo de trámite)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class ArchiveRecord(Base):
    __tablename__ = "archive_records"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    series: Mapped[str] = mapped_column(ForeignKey("archive_series.code"))
    file_number: Mapped[str] = mapped_column(String(60))  # expediente
    archived_at: Mapped[datetime] = mapped_column(UTCDateTime)
    archived_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
