"""How many turnos each unit received and sent, by status: an inbox's totalCount without a
scan of its rows.

PostgreSQL keeps `turno_counts` with triggers deferred to the commit (migration 0014), so a
count is a sum over the units in scope whatever their number of turnos; its twin, counting the
rows, is what SQLite runs and what tests hold it to. Only a count the table can answer uses it:
a filter by status and unit, nothing else (a light depends on today, a period on the rows).
"""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Date,
    Integer,
    Select,
    String,
    Table,
    and_,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.db import Reader
from models.permissions import Principal

BOXES = {"inbox": "in", "outbox": "out"}


class TurnoCount(Base):
    __tablename__ = "turno_counts"

    unit_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    box: Mapped[str] = mapped_column(String(3), primary_key=True)  # "in": addressed to the unit, "out": sent by it
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


# The open turnos of each unit alone (subtree false) and of each subtree (true), by what the light
# rule reads: a HEAD's counters are a few hundred rows of their subtree's root (migration 0015).
# Core only: no column is a key (due_date and answered_on_time may be null); a unique index
# NULLS NOT DISTINCT keeps one row per group.
open_turno_rollup = Table(
    "open_turno_rollup",
    Base.metadata,
    Column("box", String(3), nullable=False),
    Column("unit_id", BigInteger().with_variant(Integer(), "sqlite"), nullable=False),
    Column("subtree", Boolean, nullable=False),
    Column("status", String(20), nullable=False),
    Column("due_date", Date),
    Column("answered_on_time", Boolean),
    Column("n", BigInteger, nullable=False),
)


def rollup_scope(principal: Principal, box: str, include_subunits: bool) -> ColumnElement[bool]:
    """Twin of models.filters.box_unit_ids without a unit filter, over open_turno_rollup: the
    subtrees the principal sees whole and, alone, their other units."""
    rollup = open_turno_rollup.c
    roots = (
        sorted({m.unit_id for m in principal.memberships if m.unit_path in principal.subtree_paths})
        if include_subunits
        else []
    )
    alone = sorted(
        m.unit_id
        for m in principal.memberships
        if not any(m.unit_path.startswith(p) for p in (principal.subtree_paths if include_subunits else ()))
    )
    parts = []
    if roots:
        parts.append(and_(rollup.subtree.is_(True), rollup.unit_id.in_(roots)))
    if alone:
        parts.append(and_(rollup.subtree.is_(False), rollup.unit_id.in_(sorted(set(alone)))))
    return and_(rollup.box == BOXES[box], or_(*parts) if parts else false())


def kept_in_table(session: Reader) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def box_count_query(box: str, unit_ids: Iterable[int], statuses: Iterable[str] = ()) -> Select:
    """Turnos to (inbox) or from (outbox) the given units, with one of `statuses` (any if empty),
    from the table (PostgreSQL only)."""
    query = select(func.coalesce(func.sum(TurnoCount.n), 0)).where(
        TurnoCount.box == BOXES[box], TurnoCount.unit_id.in_(sorted(unit_ids))
    )
    if statuses:
        query = query.where(TurnoCount.status.in_(sorted(statuses)))
    return query
