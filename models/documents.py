"""Registered correspondence, its chain of units and its gapless folio counters."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, UTCDateTime
from models.text import fold


class Origin(str, Enum):
    INTERNAL = "INTERNAL"
    EXTERNAL = "EXTERNAL"


class SenderLevel(str, Enum):
    FEDERAL = "FEDERAL"
    STATE = "STATE"
    MUNICIPAL = "MUNICIPAL"
    ORGANIZATION = "ORGANIZATION"
    CITIZEN = "CITIZEN"
    INTERNAL = "INTERNAL"


class Priority(str, Enum):
    NORMAL = "NORMAL"
    URGENT = "URGENT"


class DocumentStatus(str, Enum):
    REGISTERED = "REGISTERED"
    IN_PROGRESS = "IN_PROGRESS"
    CONCLUDED = "CONCLUDED"
    ARCHIVED = "ARCHIVED"


class DocumentOrder(str, Enum):
    RECEIVED = "RECEIVED"  # newest received first: the default without a search
    RELEVANCE = "RELEVANCE"  # best match of the search first: the default with one


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    folio: Mapped[str] = mapped_column(String(60), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(20))
    document_type: Mapped[str] = mapped_column(ForeignKey("document_types.code"))
    reference: Mapped[str | None] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str | None] = mapped_column(Text)
    sender_level: Mapped[str] = mapped_column(String(20))
    sender_name: Mapped[str] = mapped_column(String(300))
    sender_position: Mapped[str | None] = mapped_column(String(300))
    sender_organization: Mapped[str | None] = mapped_column(String(300))
    sender_email: Mapped[str | None] = mapped_column(String(200))
    sender_phone: Mapped[str | None] = mapped_column(String(60))
    sender_address: Mapped[str | None] = mapped_column(String(500))
    addressee: Mapped[str | None] = mapped_column(String(300))
    document_date: Mapped[date | None] = mapped_column(Date)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_date: Mapped[date | None] = mapped_column(Date)
    priority: Mapped[str] = mapped_column(String(10), default=Priority.NORMAL.value)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default=DocumentStatus.REGISTERED.value)
    registered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    concluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    turno_count: Mapped[int] = mapped_column(Integer, default=0)  # numbers its turnos: -T1, -T2…
    # folded sender organization and reference: the duplicate-suspicion key
    duplicate_key: Mapped[str | None] = mapped_column(String(500))
    # full-text search: the table document_search beside this one, kept by triggers (models/search.py)

    __table_args__ = (
        # the real uniqueness of a folio (an acronym may be renamed and reused later)
        UniqueConstraint("unit_id", "year", "number", name="uq_documents_unit_year_number"),
        # the default order of every list: newest received first, id breaks ties
        Index("ix_documents_received_at_id", "received_at", "id"),
        Index("ix_documents_unit_id_received_at", "unit_id", "received_at"),
        Index("ix_documents_duplicate_key", "duplicate_key", "received_at"),
    )

    def refresh_derived(self) -> None:
        """Recompute the denormalized duplicate key from the fields (the search index is kept by
        the database's triggers)."""
        org = fold(self.sender_organization or self.sender_name).strip()
        ref = fold(self.reference).replace(" ", "")
        self.duplicate_key = f"{org}|{ref}" if org and ref else None


class DocumentUnit(Base):
    """The chain of a document: its registering unit plus every unit that sent or received a turno on it."""

    __tablename__ = "document_units"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), primary_key=True)

    __table_args__ = (Index("ix_document_units_unit_id", "unit_id", "document_id"),)


class FolioCounter(Base):
    __tablename__ = "folio_counters"

    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


async def next_folio_number(session: AsyncSession, unit_id: int, year: int) -> int:
    """Take the next number of (unit, year) inside the caller's transaction.

    The upsert locks the counter row until commit, so concurrent registrations queue up;
    a rolled-back registration gives its number back: no gaps, no duplicates.
    """
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(FolioCounter).values(unit_id=unit_id, year=year, last_number=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[FolioCounter.unit_id, FolioCounter.year],
        set_={"last_number": FolioCounter.last_number + 1},
    ).returning(FolioCounter.last_number)
    return (await session.execute(stmt)).scalar_one()


def format_folio(acronym: str, year: int, number: int) -> str:
    return f"{acronym}/{year}/{number:06d}"


async def add_to_chain(session: AsyncSession, document_id: int, unit_ids: list[int]) -> None:
    """Put units on a document's chain (idempotent)."""
    existing = set(
        (await session.execute(
            select(DocumentUnit.unit_id).where(DocumentUnit.document_id == document_id)
        )).scalars()
    )
    for unit_id in dict.fromkeys(unit_ids):
        if unit_id not in existing:
            session.add(DocumentUnit(document_id=document_id, unit_id=unit_id))
    await session.flush()
