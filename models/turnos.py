"""Turnos (routings of a document to a unit) and the responses to them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, UTCDateTime
from models.workflow import TurnoStatus


class Turno(Base):
    __tablename__ = "turnos"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("turnos.id"))
    number: Mapped[str] = mapped_column(String(80))  # folio + "-T<n>"
    from_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    sent_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    to_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    instruction: Mapped[str] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(String(10))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the deadline in force, and how it was asked for (to explain it)
    due_date: Mapped[date | None] = mapped_column(Date)
    due_business_days: Mapped[int | None] = mapped_column(Integer)
    due_counted_from: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=TurnoStatus.SENT.value)
    concluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # the last answer was submitted by the deadline in force (None: no answer pending evaluation)
    answered_on_time: Mapped[bool | None] = mapped_column(Boolean)
    rounds: Mapped[int] = mapped_column(Integer, default=0)
    accepted_at_first_answer: Mapped[bool | None] = mapped_column(Boolean)
    # the deadline for which the watcher already wrote DEADLINE_NEAR / DEADLINE_PASSED
    near_notified_for: Mapped[date | None] = mapped_column(Date)
    passed_notified_for: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        # the document lock numbers turnos without gaps; this makes a duplicate impossible anyway
        UniqueConstraint("document_id", "number", name="uq_turnos_document_id_number"),
        Index("ix_turnos_parent_id", "parent_id"),
        Index("ix_turnos_to_unit_id_sent_at", "to_unit_id", "sent_at", "id"),
        Index("ix_turnos_from_unit_id_sent_at", "from_unit_id", "sent_at", "id"),
        Index("ix_turnos_sent_at_id", "sent_at", "id"),
        Index("ix_turnos_status_due_date", "status", "due_date"),
    )


class Response(Base):
    __tablename__ = "responses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    turno_id: Mapped[int] = mapped_column(ForeignKey("turnos.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(120))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decision: Mapped[str | None] = mapped_column(String(10))
    comment: Mapped[str | None] = mapped_column(Text)
    evaluated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # business days from the turno's sent date to this answer (local dates), for the indicators
    business_days_to_answer: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_responses_submitted_at", "submitted_at"),)


def descendants_of(turno_id: int, turnos: list) -> list:
    """Every turno below `turno_id` among `turnos` (one document's), parents before children."""
    children: dict[int | None, list] = {}
    for t in turnos:
        children.setdefault(t.parent_id, []).append(t)
    result, stack = [], list(reversed(children.get(turno_id, [])))
    while stack:
        t = stack.pop()
        result.append(t)
        stack.extend(reversed(children.get(t.id, [])))
    return result
