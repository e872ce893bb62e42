"""Engine, sessions and the one-transaction-per-use-case helper."""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from collections.abc import Mapping
from typing import Any, AsyncIterator, Awaitable, Callable, Iterator, Protocol, TypeVarTuple, Unpack, overload

from sqlalchemy import Connection, Engine, Executable, Result, event, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.sql.selectable import TypedReturnsRows
from sqlalchemy.util import await_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

_Ts = TypeVarTuple("_Ts")


class Database:
    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10):
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict = {"echo": echo}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 30}
        else:
            # JIT compiles plans for 200-450 ms when a count looks expensive: right for analytics,
            # wrong for an API answering in milliseconds (measured in bench/README.md).
            # Custom plans: asyncpg prepares statements, and after five runs PostgreSQL may switch
            # to a generic plan that guesses a visibility scope of ~2 units; for a head of the
            # root that sorted the whole visible set per page (0.5 s instead of 20-40 ms,
            # bench/EXPORTS.md). Planning each time costs far less.
            kwargs.update(
                pool_size=pool_size,
                max_overflow=pool_size,
                # a database host that stops answering (not refusing) must not hold each request
                # for asyncpg's default 60 s before its 503 (core/outages.py)
                connect_args={"timeout": 5, "server_settings": {"jit": "off", "plan_cache_mode": "force_custom_plan"}},
            )
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        else:
            _ping_idle_connections(self.engine)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # called after a commit that wrote events, with what note_changes() collected
        self.after_commit: Callable[[dict], Awaitable[None]] | None = None

    def session(self) -> AsyncSession:
        """A session for reading; it begins a transaction lazily."""
        return self.sessions()

    @asynccontextmanager
    async def single_read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for ONE read statement: on PostgreSQL in AUTOCOMMIT, since a statement is
        its own snapshot; BEGIN and ROLLBACK around it were two of its three round trips. Core,
        not a Session: no identity map to build for rows nobody will change. The caller's
        principal of every request is read so (bench/REGISTRATIONS.md)."""
        async with self.engine.connect() as connection:
            if not self.is_sqlite:  # (pysqlite: one local call; our BEGIN listener stays as is)
                await connection.execution_options(isolation_level="AUTOCOMMIT")
            yield connection

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One use case, one transaction: commit on success, roll everything back on error.

        On SQLite the transaction begins IMMEDIATE, taking the write lock up front: a deferred
        transaction that reads and then writes can fail to upgrade its lock under concurrency.
        """
        async with self.sessions() as session:
            await session.connection(execution_options={"sqlite_immediate": True})
            hooks = _hooks.get()
            try:
                for hook in hooks:
                    hook.begin(session)
                yield session
                for hook in hooks:
                    await hook.before_commit(session)
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
            changes = session.info.pop(CHANGES, None)
        if changes and self.after_commit is not None:
            await self.after_commit(changes)

    async def dispose(self) -> None:
        await self.engine.dispose()


class TransactionHook(Protocol):
    """Work the current task attaches to its transactions (`hooked`)."""

    def begin(self, session: AsyncSession) -> None: ...
    async def before_commit(self, session: AsyncSession) -> None: ...


# Hooks of the current task (a request's use case): nothing after COMMIT may fail, so what must
# accompany a commit happens inside the transaction, just before it: the uploaded files are moved
# into the store (resolvers/uploads.py), the idempotency key is written (models/idempotency.py).
_hooks: ContextVar[tuple[TransactionHook, ...]] = ContextVar("mcs_transaction_hooks", default=())


@contextmanager
def hooked(hook: TransactionHook) -> Iterator[None]:
    """Attach `hook` to every transaction this task opens within the block."""
    token = _hooks.set(_hooks.get() + (hook,))
    try:
        yield
    finally:
        _hooks.reset(token)


# A connection handed back to the pool this recently is taken as alive, without a ping (HikariCP's
# aliveBypassWindowMs, 500 ms by default). SQLAlchemy's pool_pre_ping pinged every checkout with
# three round trips (BEGIN, ";", ROLLBACK, for pgbouncer's sake): a registration's two checkouts
# spent six of its thirteen round trips on them (bench/REGISTRATIONS.md).
ALIVE_WITHOUT_PING_SECONDS = 0.5
PING_TIMEOUT_SECONDS = 5  # a host that stops answering: as long as connecting may take (connect_args)


def _ping_idle_connections(engine: AsyncEngine) -> None:
    """Before a connection idle for longer than ALIVE_WITHOUT_PING_SECONDS is used, one round
    trip checks it; a dead one (the database restarted) is replaced by a fresh connection, so
    the first request after an outage is served rather than failed."""
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def checked_in(_dbapi_connection, record) -> None:
        if record is not None:
            record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def checked_out(dbapi_connection, record, _proxy) -> None:
        returned = record.info.pop("checked_in_at", None)  # none: connected just now
        if returned is None or time.monotonic() - returned < ALIVE_WITHOUT_PING_SECONDS:
            return
        try:
            # the simple query protocol: one round trip, outside any transaction
            await_(dbapi_connection.driver_connection.execute(";", timeout=PING_TIMEOUT_SECONDS))
        except Exception as error:
            # the pool disposes of this connection and checks out a fresh one (pessimistic
            # disconnect handling, SQLAlchemy's "checkout" event)
            raise DisconnectionError(f"ping failed: {error!r}") from error


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection, _record):
        # let us emit BEGIN ourselves (pysqlite's own transaction handling is off)
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn):
        immediate = conn.get_execution_options().get("sqlite_immediate")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


CHANGES = "mcs_changes"


def note_changes(session: AsyncSession, *, sequence: int = 0, users=()) -> None:
    """Remember, for after the commit, the newest event written and the users whose access changed."""
    changes = session.info.setdefault(CHANGES, {"sequence": 0, "users": set()})
    changes["sequence"] = max(changes["sequence"], sequence)
    changes["users"].update(users)


class Reader(Protocol):
    """What a read needs of its session: an AsyncSession, or a request's SharedSession."""

    @overload
    async def execute(
        self, statement: TypedReturnsRows[Unpack[_Ts]], params: Mapping[str, Any] | None = None
    ) -> Result[Unpack[_Ts]]: ...
    @overload
    async def execute(
        self, statement: Executable, params: Mapping[str, Any] | None = None
    ) -> Result[Unpack[tuple[Any, ...]]]: ...
    def get_bind(self) -> Engine | Connection: ...


class SharedSession:
    """A request's read session shared by resolvers that GraphQL runs concurrently.

    An AsyncSession allows one operation at a time; DataLoaders of different fields dispatch
    their batches together, so statements queue here.
    """

    def __init__(self, session: AsyncSession, release_after_each: bool = False):
        self._session = session
        self._lock = asyncio.Lock()
        # hold a pooled connection only during a statement (subscriptions: a slow client being
        # sent an event must not pin a connection)
        self._release_after_each = release_after_each

    async def execute(self, *args, **kwargs):
        async with self._lock:
            try:
                return await self._session.execute(*args, **kwargs)
            finally:
                if self._release_after_each:
                    await self._session.close()

    async def get(self, *args, **kwargs):
        async with self._lock:
            try:
                return await self._session.get(*args, **kwargs)
            finally:
                if self._release_after_each:
                    await self._session.close()

    async def release(self) -> None:
        """Give the connection back to the pool; the next statement takes one again."""
        async with self._lock:
            await self._session.close()

    def get_bind(self):
        return self._session.get_bind()


# Keys of transaction-scoped advisory locks (PostgreSQL); SQLite has one writer at a time anyway.
EVENT_APPEND_LOCK = 7_243_001
ADMINISTRATION_LOCK = 7_243_002


async def advisory_lock(session: AsyncSession, key: int) -> None:
    """Hold a database-wide lock until the transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def rows_matched(result: object) -> int:
    """The rows an UPDATE or DELETE matched (0 when the driver cannot say)."""
    # a CursorResult at run time, which AsyncSession.execute is typed to return as a plain Result
    return int(getattr(result, "rowcount", 0) or 0)
