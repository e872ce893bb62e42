"""Registered correspondence, its chain of units and its gapless folio counters."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from functools import lru_cache

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    cast,
    func,
    insert,
    null,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
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
    counted = (
        insert(FolioCounter)
        .values(unit_id=unit_id, year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=[FolioCounter.unit_id, FolioCounter.year],
            set_={"last_number": FolioCounter.last_number + 1},
        )
        .returning(FolioCounter.last_number)
    )
    return (await session.execute(counted)).scalar_one()


def format_folio(acronym: str, year: int, number: int) -> str:
    return f"{acronym}/{year}/{number:06d}"


def folio_prefix(acronym: str, year: int) -> str:
    """The folio without its number (registration_statement adds the number in SQL)."""
    return f"{acronym}/{year}/"


# the columns of `attachments` a registration gives (resolvers/uploads.py attachment_rows)
ATTACHMENT_COLUMNS = (
    "response_id",
    "sha256",
    "filename",
    "content_type",
    "size",
    "pages",
    "unreadable",
    "uploaded_at",
    "uploaded_by_id",
    "text_status",
)


@lru_cache(maxsize=32)
def registration_statement(files: int, keyed: bool = False):
    """PostgreSQL: everything a registration writes once its checks passed, in ONE statement of
    data-modifying CTEs (bench/REGISTRATIONS.md): the unit's next number (the counter row is
    locked from here to COMMIT), the document with its folio formatted here as format_folio does,
    its chain, its `files` attachments (one multi-row INSERT: ids in upload order), the event-log
    lock, the DOCUMENT_REGISTERED event (its data gets the folio) and its audience. Returns one row
    (event id, number). Built once per number of files, run with bind parameters: `d_<column>`
    for every column of the document but its folio and number (`d_id` drawn beforehand from its
    sequence), unit_id, year, folio_prefix, `a<i>_<column>` per file, e_kind, e_occurred_at,
    e_actor_id, e_data (without the folio), audience; `keyed`: also the Idempotency-Key's row, `k_<column>`
    (models/idempotency.py PendingKey.take), which the transaction hook would write in one more round trip.

    Foreign keys are checked at the end of the statement, with the event-log lock held: the caller
    has locked its user's row (FOR KEY SHARE) before, so that a changePassword or logout holding that
    row FOR UPDATE while it waits for the event log cannot deadlock with it; the units (the
    counter's, the chain's, the audience's) are locked under the event log as in append_event."""
    from models.attachments import Attachment
    from models.events import Event, EventAudience, locked_event_id

    counter = (
        pg_insert(FolioCounter)
        .values(unit_id=bindparam("unit_id", type_=BigInteger), year=bindparam("year", type_=Integer), last_number=1)
        .on_conflict_do_update(
            index_elements=[FolioCounter.unit_id, FolioCounter.year], set_={"last_number": FolioCounter.last_number + 1}
        )
        .returning(FolioCounter.last_number)
        .cte("folio_number")
    )
    number = counter.c.last_number
    digits = cast(number, Text)
    folio = bindparam("folio_prefix", type_=String).concat(
        func.lpad(digits, func.greatest(6, func.length(digits)), "0")
    )
    table = Document.__table__
    given = [c for c in table.c if c.key not in ("folio", "number")]
    document = (
        insert(table)
        .from_select(
            [*(c.key for c in given), "folio", "number"],
            select(*(bindparam(f"d_{c.key}", type_=c.type) for c in given), folio, number),
        )
        .returning(table.c.folio, table.c.number)
        .cte("registered_document")
    )
    document_id = bindparam("d_id", type_=BigInteger)
    writes = [
        insert(DocumentUnit.__table__)
        .values(document_id=document_id, unit_id=bindparam("unit_id", type_=BigInteger))
        .cte("chain")
    ]
    if files:
        columns = Attachment.__table__.c
        writes.append(
            insert(Attachment.__table__)
            .values(
                [
                    {
                        "document_id": document_id,
                        **{k: bindparam(f"a{i}_{k}", type_=columns[k].type) for k in ATTACHMENT_COLUMNS},
                    }
                    for i in range(files)
                ]
            )
            .cte("files")
        )
    if keyed:
        from models.idempotency import IdempotencyKey

        keys = IdempotencyKey.__table__
        writes.append(
            insert(keys)
            .values({c.key: bindparam(f"k_{c.key}", type_=c.type) for c in keys.c if c.key != "id"})
            .cte("idempotency_key")
        )
    events = Event.__table__
    data = bindparam("e_data", type_=JSONB).op("||", return_type=JSONB)(
        func.jsonb_build_object("folio", document.c.folio)
    )
    event = (
        insert(events)
        .from_select(
            ["id", "kind", "occurred_at", "actor_id", "document_id", "turno_id", "data"],
            select(
                locked_event_id(),
                bindparam("e_kind", type_=events.c.kind.type),
                bindparam("e_occurred_at", type_=events.c.occurred_at.type),
                bindparam("e_actor_id", type_=BigInteger),
                document_id,
                null(),
                data,
            ),
        )
        .returning(events.c.id)
        .cte("appended_event")
    )
    audience = (
        insert(EventAudience.__table__)
        .from_select(
            ["event_id", "unit_id"], select(event.c.id, func.unnest(bindparam("audience", type_=ARRAY(BigInteger))))
        )
        .cte("appended_audience")
    )
    # data-modifying CTEs run exactly once, to completion, whether or not the query reads them
    return select(event.c.id, document.c.number).select_from(event.join(document, true())).add_cte(*writes, audience)


async def add_to_chain(session: AsyncSession, document_id: int, unit_ids: list[int]) -> None:
    """Put units on a document's chain (idempotent)."""
    existing = set(
        (await session.execute(select(DocumentUnit.unit_id).where(DocumentUnit.document_id == document_id))).scalars()
    )
    for unit_id in dict.fromkeys(unit_ids):
        if unit_id not in existing:
            session.add(DocumentUnit(document_id=document_id, unit_id=unit_id))
    await session.flush()
