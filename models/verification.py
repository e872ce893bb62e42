"""Verification codes: what the QR of a printed acuse de recibo or volante de turno carries.

A code is random (192 bits), so it can be shown on a public page without letting anyone
enumerate folios. One code per printed paper: made on the first print, the same on every
reprint, so a copy printed later verifies like the first one.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import Enum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class PaperKind(str, Enum):
    ACUSE = "ACUSE"  # acuse de recibo of a document
    VOLANTE = "VOLANTE"  # volante de turno of a turno


# a partial index for the acuses (turno_id is null there, and nulls never conflict);
# the volantes are unique by turno alone
ACUSE_ONE_PER_DOCUMENT = "kind = 'ACUSE'"


class VerificationCode(Base):
    __tablename__ = "verification_codes"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))  # a volante's too: the folio it verifies
    turno_id: Mapped[int | None] = mapped_column(ForeignKey("turnos.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint(
            "(kind = 'ACUSE' AND turno_id IS NULL) OR (kind = 'VOLANTE' AND turno_id IS NOT NULL)",
            name="kind_matches_turno",
        ),
        Index(
            "uq_verification_codes_acuse_document_id",
            "document_id",
            unique=True,
            sqlite_where=text(ACUSE_ONE_PER_DOCUMENT),
            postgresql_where=text(ACUSE_ONE_PER_DOCUMENT),
        ),
        Index("uq_verification_codes_turno_id", "turno_id", unique=True),
    )


def new_code() -> str:
    """32 URL-safe characters: 192 random bits."""
    return secrets.token_urlsafe(24)


def _code_of(kind: PaperKind, document_id: int, turno_id: int | None):
    query = select(VerificationCode.code).where(VerificationCode.kind == kind.value)
    if kind == PaperKind.ACUSE:
        return query.where(VerificationCode.document_id == document_id)
    return query.where(VerificationCode.turno_id == turno_id)


async def find_code(session: AsyncSession, kind: PaperKind, document_id: int, turno_id: int | None) -> str | None:
    return (await session.execute(_code_of(kind, document_id, turno_id))).scalar_one_or_none()


async def get_or_create_code(
    session: AsyncSession, kind: PaperKind, document_id: int, turno_id: int | None, now: datetime
) -> str:
    """The paper's code, made now if it has none, inside the caller's transaction.

    Two first prints at once both insert; the unique index lets one row in and the other
    insert does nothing (on PostgreSQL it waits for the first to commit), then both read the
    same row."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(VerificationCode).values(
        code=new_code(), kind=kind.value, document_id=document_id, turno_id=turno_id, created_at=now
    )
    if kind == PaperKind.ACUSE:
        stmt = stmt.on_conflict_do_nothing(
            index_elements=[VerificationCode.document_id], index_where=text(ACUSE_ONE_PER_DOCUMENT)
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=[VerificationCode.turno_id])
    await session.execute(stmt)
    return (await session.execute(_code_of(kind, document_id, turno_id))).scalar_one()  # ours or the first's
