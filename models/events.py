"""The append-only event log: history, subscription feed and base of the statistics.

`Event.id` is the sequence clients resume from. It must grow in commit order, or a reader
could pass a number whose transaction commits later and miss it. PostgreSQL hands out
identity values at insert time, so appenders take one transaction-scoped advisory lock
before inserting: from that moment to commit, event writers go one at a time. SQLite allows
one writer at a time anyway.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, Iterable

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, UTCDateTime
from models.db import EVENT_APPEND_LOCK, advisory_lock, note_changes



class EventKind(str, Enum):
    DOCUMENT_REGISTERED = "DOCUMENT_REGISTERED"
    DOCUMENT_UPDATED = "DOCUMENT_UPDATED"
    DOCUMENT_CONCLUDED = "DOCUMENT_CONCLUDED"
    DOCUMENT_ARCHIVED = "DOCUMENT_ARCHIVED"
    TURNO_SENT = "TURNO_SENT"
    TURNO_RECEIVED = "TURNO_RECEIVED"
    TURNO_ANSWERED = "TURNO_ANSWERED"
    TURNO_RETURNED = "TURNO_RETURNED"
    TURNO_CONCLUDED = "TURNO_CONCLUDED"
    TURNO_CANCELLED = "TURNO_CANCELLED"
    DEADLINE_NEAR = "DEADLINE_NEAR"
    DEADLINE_PASSED = "DEADLINE_PASSED"
    # administration (an audit trail; seen by ADMIN only)
    ORG_UNIT_CHANGED = "ORG_UNIT_CHANGED"
    USER_CHANGED = "USER_CHANGED"
    CATALOG_CHANGED = "CATALOG_CHANGED"  # document types, archival series, non-working days


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    # no foreign key: events outlive nothing, and turnos arrive in a later migration
    turno_id: Mapped[int | None] = mapped_column(BigInteger)
    data: Mapped[dict | None] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))

    __table_args__ = (
        Index("ix_events_document_id", "document_id", "id"),
        Index("ix_events_turno_id", "turno_id", "id"),
    )


class EventAudience(Base):
    """The units that must hear of an event (the involved units and their ancestors)."""

    __tablename__ = "event_audience"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), primary_key=True)

    __table_args__ = (Index("ix_event_audience_unit_id", "unit_id", "event_id"),)


async def append_event(
    session: AsyncSession,
    *,
    kind: EventKind,
    occurred_at: datetime,
    actor_id: int | None,
    audience: Iterable[int],
    document_id: int | None = None,
    turno_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    """Append one event in the caller's transaction; see the module docstring for the lock."""
    await advisory_lock(session, EVENT_APPEND_LOCK)
    event = Event(kind=EventKind(kind).value, occurred_at=occurred_at, actor_id=actor_id,
                  document_id=document_id, turno_id=turno_id, data=data or None)
    session.add(event)
    await session.flush()
    audience = list(dict.fromkeys(audience))
    for unit_id in audience:
        session.add(EventAudience(event_id=event.id, unit_id=unit_id))
    await session.flush()
    note_changes(session, sequence=event.id)
    return event
