"""Declarative base and the column types shared by every table."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, Table
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Named constraints so that Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL; INTEGER on SQLite, where only "INTEGER PRIMARY KEY" is the rowid alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")
MAX_KEY = 2**63 - 1  # the largest key either database stores


def parse_key(text: str) -> int | None:
    """A database key written in decimal ASCII digits, or None: '²', '-1' or a 20-digit number
    (past BIGINT) is no key, and must never reach a query (where it would be a server error)."""
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= MAX_KEY else None


class UTCDateTime(TypeDecorator):
    """Timestamps are stored in UTC and always come back timezone-aware.

    SQLite has no timezone type: we store naive UTC there and attach UTC on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None or value.tzinfo is timezone.utc:  # asyncpg's, as is: every timestamp of a page
            return value
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)

    if TYPE_CHECKING:
        # every model here maps one Table (DeclarativeBase declares any FromClause, as a
        # model may map a join or a select): insert(Model.__table__) and .c[...] then type-check
        __table__: ClassVar[Table]
