"""The append-only event log: history, subscription feed and base of the statistics.

`Event.id` is the sequence clients resume from. It must grow in commit order, or a reader
could pass a number whose transaction commits later and miss it. PostgreSQL hands out
identity values at insert time, so appenders take one transaction-scoped advisory lock
before inserting: from that moment to commit, event writers go one at a time. SQLite allows
one writer at a time anyway. append_event_with takes it inside its one INSERT statement,
before that statement draws the id (for use cases that hold other locks meanwhile).
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, Iterable, Sequence

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Insert,
    String,
    case,
    func,
    insert,
    literal,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
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
    event = Event(
        kind=EventKind(kind).value,
        occurred_at=occurred_at,
        actor_id=actor_id,
        document_id=document_id,
        turno_id=turno_id,
        data=data or None,
    )
    session.add(event)
    await session.flush()
    audience = list(dict.fromkeys(audience))
    for unit_id in audience:
        session.add(EventAudience(event_id=event.id, unit_id=unit_id))
    await session.flush()
    note_changes(session, sequence=event.id)
    return event


def locked_event_id():
    """PostgreSQL: the id of an event appended inside a larger statement, drawn only once the
    event-log lock is held (CASE evaluates its condition first; see append_event_with)."""
    return case(
        (
            func.pg_advisory_xact_lock(literal(EVENT_APPEND_LOCK, BigInteger)).is_not(None),
            func.nextval(literal_column("pg_get_serial_sequence('events', 'id')")),
        )
    )


async def append_event_with(
    session: AsyncSession,
    writes: Sequence[Insert] = (),
    *,
    kind: EventKind,
    occurred_at: datetime,
    actor_id: int | None,
    audience: Iterable[int],
    document_id: int | None = None,
    turno_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> int:
    """append_event in ONE round trip, together with the caller's other INSERTs (`writes`, Core
    statements that do not read the event); returns the event's sequence. For a use case that holds
    other locks until COMMIT (a registration holds its unit's folio counter row): every round trip
    after they are taken lengthens what the others wait for.

    On PostgreSQL it is one statement of data-modifying CTEs: `writes`, the event, its audience.
    The event's id is `CASE WHEN <take the lock> IS NOT NULL THEN nextval(...) END`: CASE evaluates
    its condition first (PostgreSQL documents CASE as the way to force an order of evaluation), so
    the sequence number is drawn with the lock held, as append_event does in two statements; were
    the condition ever NULL the id would be, and the NOT NULL key would refuse the row. Foreign-key
    checks run at the end of the statement, with the lock held: `writes` should point only at rows
    the transaction already points at (the registration's document took their key locks), so the
    only new row locks taken under the event-log lock are the audience's units, as in append_event.
    SQLite (one writer at a time) runs the statements in turn."""
    units = list(dict.fromkeys(audience))
    columns = dict(
        kind=EventKind(kind).value,
        occurred_at=occurred_at,
        actor_id=actor_id,
        document_id=document_id,
        turno_id=turno_id,
        data=data or None,
    )
    table = Event.__table__
    if session.get_bind().dialect.name == "postgresql":
        appended = insert(table).values(id=locked_event_id(), **columns).returning(table.c.id).cte("appended_event")
        ctes = [write.cte(f"write_{i}") for i, write in enumerate(writes)]
        if units:
            ctes.append(
                insert(EventAudience.__table__)
                .from_select(
                    ["event_id", "unit_id"],
                    select(appended.c.id, func.unnest(literal(units, ARRAY(BigInteger)))),
                )
                .cte("appended_audience")
            )
        # data-modifying CTEs run exactly once, to completion, whether or not the query reads them
        sequence = (await session.execute(select(appended.c.id).add_cte(*ctes))).scalar_one()
    else:
        for write in writes:
            await session.execute(write)
        sequence = (await session.execute(insert(table).values(**columns).returning(table.c.id))).scalar_one()
        if units:
            await session.execute(
                insert(EventAudience.__table__), [{"event_id": sequence, "unit_id": u} for u in units]
            )
    note_changes(session, sequence=sequence)
    return sequence
