"""Idempotency keys: a retried mutation returns what its first try created.

A client that lost the answer to a mutation (the connection dropped while COMMIT was answered)
cannot know whether it happened. Sent again with the same `Idempotency-Key` header, it gets the
original result instead of a second document. The key is written in the SAME transaction as what
it created (a transaction hook, models/db.py), so a key exists exactly when its creation does.

- one key per user (two users may use the same key); kept at least MCS_IDEMPOTENCY_KEY_HOURS
- `created` is what the transaction added, by table: {"documents": [12], "attachments": [40, 41]}
  (collected by an after_flush listener while a key is pending; a use case that writes its rows
  with Core statements writes the key with them: PendingKey.take)
- `fingerprint` is a hash of the operation's input: the same key with another input is refused
  (CONFLICT) rather than answered with the result of something else
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, bindparam, event, exists, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, BigId, UTCDateTime

MAX_KEY_LENGTH = 200


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    operation: Mapped[str] = mapped_column(String(60))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created: Mapped[str] = mapped_column(Text)  # JSON: table name -> ids added by the transaction
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    def created_ids(self, table: str) -> list[int]:
        return json.loads(self.created).get(table, [])


@dataclass
class PendingKey:
    """A transaction hook (models/db.py): the key is written with the first transaction of the
    use case that creates something, in that transaction."""

    user_id: int
    key: str
    operation: str
    fingerprint: str
    now: datetime
    recorded: bool = False
    created: dict[str, list[int]] = field(default_factory=dict)

    def begin(self, session) -> None:
        if not self.recorded:
            session.sync_session.info[TRACK] = self

    def take(self, session, created: dict[str, list[int]]) -> dict | None:
        """For a use case that writes the key itself, in its own statement (a registration on
        PostgreSQL): the key's row with `created`, or None when no key is pending in this
        transaction. Once taken, the hook writes nothing; the caller sets `recorded` once its
        statement succeeded (if it fails, so does the transaction; a concurrent try's key is then
        found by the replay, as after the hook's flush)."""
        if getattr(session, "sync_session", session).info.get(TRACK) is not self:
            return None
        del getattr(session, "sync_session", session).info[TRACK]
        for table, ids in created.items():
            self.created.setdefault(table, []).extend(ids)
        return dict(
            user_id=self.user_id,
            key=self.key,
            operation=self.operation,
            fingerprint=self.fingerprint,
            created=json.dumps(self.created),
            created_at=self.now,
        )

    async def before_commit(self, session) -> None:
        if session.sync_session.info.get(TRACK) is not self:
            return
        await session.flush()
        del session.sync_session.info[TRACK]
        if not self.created:  # it only read (a permission check): the next transaction writes the key
            return
        session.add(
            IdempotencyKey(
                user_id=self.user_id,
                key=self.key,
                operation=self.operation,
                fingerprint=self.fingerprint,
                created=json.dumps(self.created),
                created_at=self.now,
            )
        )
        await session.flush()
        self.recorded = True


TRACK = "mcs_track_created"  # session.info: the PendingKey collecting what this transaction adds


@event.listens_for(Session, "after_flush")
def _collect_created(session: Session, _flush_context) -> None:
    pending = session.info.get(TRACK)
    if pending is None:
        return
    for obj in session.new:  # still the pre-flush list here, with the ids just assigned
        table = getattr(obj, "__tablename__", None)
        ident = getattr(obj, "id", None)
        if table and isinstance(ident, int):
            pending.created.setdefault(table, []).append(ident)


def pending_key(session) -> PendingKey | None:
    """The Idempotency-Key to be recorded with this transaction, if any."""
    return getattr(session, "sync_session", session).info.get(TRACK)


async def find_key(session, user_id: int, key: str) -> IdempotencyKey | None:
    return (
        await session.execute(
            select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
        )
    ).scalar_one_or_none()


# Asked before every keyed mutation (the web app sends a key with each), nearly always answered
# "no": built once, read on a connection of its own (models/db.py Database.single_read).
KEY_EXISTS = select(
    exists().where(IdempotencyKey.user_id == bindparam("user_id"), IdempotencyKey.key == bindparam("key"))
)


async def key_exists(connection, user_id: int, key: str) -> bool:
    return bool((await connection.execute(KEY_EXISTS, {"user_id": user_id, "key": key})).scalar())
