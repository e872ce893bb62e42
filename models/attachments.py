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
    FAILED = "FAILED"


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
    text: Mapped[str | None] = mapped_column(Text)  # extracted, folded for search

    __table_args__ = (
        Index("ix_attachments_document_id", "document_id"),
        Index("ix_attachments_response_id", "response_id"),
        Index("ix_attachments_sha256", "sha256"),
        Index("ix_attachments_text_status", "text_status"),
    )
