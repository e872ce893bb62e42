"""Digitized files of a document or of an answer. The bytes live in the content-addressed
store (files/); a row says whose they are, under which name, and what was read from them."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, UTCDateTime


class TextStatus(str, Enum):
    PENDING = "PENDING"  # waiting for the background extraction
    DONE = "DONE"
    NONE = "NONE"  # nothing to read (a scan and no OCR here, or an empty page)
    FAILED = "FAILED"  # damaged from the first page: nothing read
    # Cut short by a limit (files/extraction.py), one value per reason so that no column is needed;
    # what was read before is stored and searchable. The API says PARTIAL (schema/types/attachments.py).
    CUT_TIME = "CUT_TIME"  # the time limit (wall clock or CPU)
    CUT_MEMORY = "CUT_MEMORY"  # the memory limit
    CUT_PAGES = "CUT_PAGES"  # a scan longer than the OCR page limit
    CUT_SIZE = "CUT_SIZE"  # a page too large: read at a lower resolution, or not at all
    CUT_TEXT = "CUT_TEXT"  # more text than is kept
    CUT_BROKEN = "CUT_BROKEN"  # damaged after the first pages

    @property
    def cut_short(self) -> bool:
        return self.name.startswith("CUT_")


def pages_read(text: str | None) -> int:
    """Pages whose text was read: each ends with a form feed in `Attachment.text`."""
    return text.count("\f") if text else 0


_CUT_SHORT = {
    TextStatus.CUT_TIME: "Se agotó el tiempo para leer el texto del archivo.",
    TextStatus.CUT_MEMORY: "Leer el texto del archivo requería más memoria de la permitida.",
    TextStatus.CUT_PAGES: "De un documento escaneado solo se lee el texto de las primeras páginas.",
    TextStatus.CUT_SIZE: "Alguna página es demasiado grande: se leyó a menor resolución, o no se leyó.",
    TextStatus.CUT_TEXT: "El archivo tiene más texto del que se guarda para las búsquedas.",
}


def cut_short_message(status: TextStatus, read: int, pages: int | None) -> str:
    """What happened, for the people who use the file (Spanish)."""
    reason = (
        f"El archivo está dañado a partir de la página {read + 1}."
        if status is TextStatus.CUT_BROKEN
        else _CUT_SHORT[status]
    )
    total = pages if pages and pages > read else None
    if read == 0:
        done = f"No se leyó ninguna de sus {pages} páginas" if pages and pages > 1 else "No se leyó ninguna página"
    elif read == 1:
        done = "Se leyó 1 página" + (f" de {total}" if total else "")
    else:
        done = f"Se leyeron {read}" + (f" de {total}" if total else "") + " páginas"
    if read == 0:
        lost = "su contenido no aparece en las búsquedas"
    elif status is TextStatus.CUT_SIZE:
        lost = "parte de su texto puede faltar en las búsquedas"
    else:
        lost = "lo que no se leyó no aparece en las búsquedas"
    return f"{reason} {done}; {lost}."


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigId)
    pages: Mapped[int | None] = mapped_column(Integer)
    unreadable: Mapped[bool] = mapped_column(Boolean, default=False)  # a PDF we could not parse
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text_status: Mapped[str] = mapped_column(String(10), default=TextStatus.PENDING.value)
    text: Mapped[str | None] = mapped_column(Text)  # extracted, folded for search; each page ends with \f

    __table_args__ = (
        Index("ix_attachments_document_id", "document_id"),
        Index("ix_attachments_response_id", "response_id"),
        Index("ix_attachments_sha256", "sha256"),
        Index("ix_attachments_text_status", "text_status"),
    )
