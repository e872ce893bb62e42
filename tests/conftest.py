"""Fixtures: every test runs on SQLite and on PostgreSQL (the `backend` parameter).

PostgreSQL comes from MCS_TEST_POSTGRES_URL (default: the local server). When it is
unreachable the PostgreSQL half is skipped with the reason shown, except under CI=true, where
it fails: CI must prove both backends.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import uuid
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import event, text

from mcs.app import build_services, create_app
from mcs.migrations import migrate
from core.settings import Settings
from models.base import Base
from models.catalogs import SEED_ARCHIVE_SERIES, SEED_DOCUMENT_TYPES
from models.clock import FrozenClock
from tests.helpers import MONDAY

REDIS_URL = os.environ.get("MCS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PG_ADMIN_URL = os.environ.get("MCS_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
PG_TEST_DB = os.environ.get("MCS_TEST_PG_DB", "mcs_test")  # separate names let runs go side by side
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _pg_url(database: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database


async def _recreate_pg_database() -> None:
    import asyncpg

    dsn = PG_ADMIN_URL.replace("+asyncpg", "")
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{PG_TEST_DB}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{PG_TEST_DB}"')
    finally:
        await conn.close()


def unavailable(what: str, error: Exception):
    message = f"{what} unreachable ({type(error).__name__}: {error})"
    if IN_CI:
        pytest.fail(f"{message}; CI=true requires it", pytrace=False)
    pytest.skip(message)


async def _ping_redis() -> None:
    import redis.asyncio as redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    finally:
        await client.aclose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory) -> str:
    """A migrated, empty database of each backend, made once per test session. The
    "postgresql" backend is the production path: PostgreSQL with the Redis fan-out."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'mcs.sqlite3'}"
    else:
        try:
            asyncio.run(_recreate_pg_database())
        except Exception as error:  # noqa: BLE001 - any failure means "not available here"
            unavailable("PostgreSQL", error)
        try:
            asyncio.run(_ping_redis())
        except Exception as error:  # noqa: BLE001
            unavailable("Redis", error)
        url = _pg_url(PG_TEST_DB)
    migrate(url)
    return url


# one channel per test run: parallel runs on one Redis do not wake each other
REDIS_CHANNEL = f"mcs:test:{uuid.uuid4().hex[:8]}"


@pytest.fixture
def backend(database_url) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


TABLES_IN_DELETE_ORDER = [t.name for t in reversed(Base.metadata.sorted_tables)]
SEEDED_CATALOGS = {"document_types": SEED_DOCUMENT_TYPES, "archive_series": SEED_ARCHIVE_SERIES}


async def _empty_database(db) -> None:
    async with db.engine.begin() as conn:
        if db.is_sqlite:
            for name in TABLES_IN_DELETE_ORDER:
                await conn.execute(text(f'DELETE FROM "{name}"'))
            await conn.execute(text("DELETE FROM sqlite_sequence")) if (
                await conn.execute(text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'"))
            ).first() else None
        else:
            names = ", ".join(f'"{n}"' for n in TABLES_IN_DELETE_ORDER)
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        await conn.execute(text("INSERT INTO notifier_cursor (id, event_id) VALUES (1, 0)"))  # as migration 0016
        for table, rows in SEEDED_CATALOGS.items():  # what the migrations seed
            await conn.execute(
                text(f"INSERT INTO {table} (code, name, active) VALUES (:code, :name, :active)"),
                [{"code": c, "name": n, "active": True} for c, n in rows],
            )


class QueryCounter:
    def __init__(self, engine):
        self.count = 0
        self.statements: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany):
        if statement.strip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            return
        self.count += 1
        self.statements.append(statement)

    def reset(self):
        self.count = 0
        self.statements = []


@dataclass
class Api:
    """Talks to the app through its GraphQL endpoint, like any client."""

    client: httpx.AsyncClient

    async def post(
        self, query: str, variables: dict | None = None, token: str | None = None, **kwargs
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers, **kwargs
        )

    async def gql(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        response = await self.post(query, variables, token)
        assert response.status_code == 200, response.text
        return response.json()

    async def ok(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        """The data of a request that must raise no GraphQL error."""
        body = await self.gql(query, variables, token)
        assert "errors" not in body, body["errors"]
        return body["data"]


@pytest_asyncio.fixture
async def services(database_url, tmp_path):
    redis_url = None if database_url.startswith("sqlite") else REDIS_URL
    settings = Settings.from_env(
        database_url=database_url,
        redis_url=redis_url,
        redis_channel=REDIS_CHANNEL,
        files_dir=tmp_path / "files",
        deadline_watch_seconds=0,
        text_extraction_seconds=0,
        secret_key="test-secret-key-with-enough-length-for-hs256",
        debug=False,
    )
    services = build_services(settings, clock=FrozenClock(MONDAY))
    await _empty_database(services.db)
    yield services
    await services.hub.close()
    await services.db.dispose()


@pytest_asyncio.fixture
async def api(services):
    app = create_app(services=services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield Api(client)


@pytest.fixture
def clock(services) -> FrozenClock:
    return services.clock


@pytest.fixture
def queries(services) -> QueryCounter:
    return QueryCounter(services.db.engine)


@pytest_asyncio.fixture
async def world(services):
    from tests.world import build_world

    return await build_world(services)


@pytest.fixture
def flow(api, world, clock):
    """The workflow driven through the API (tests/workflow.py), on MONDAY."""
    from tests.workflow import Flow

    clock.set(MONDAY)
    return Flow(api, world)


# --- fixtures of several modules ------------------------------------------------------------------


@pytest.fixture
def ocr_tools():
    """Tesseract with Spanish and pdftoppm (tests/scans.py); missing: skip, or fail under CI=true."""
    from files import ocr

    missing = [
        what
        for what, present in [
            ("tesseract with Spanish (tesseract-ocr, tesseract-ocr-spa)", ocr.available()),
            ("pdftoppm (poppler-utils)", shutil.which("pdftoppm") is not None),
        ]
        if not present
    ]
    if missing:
        message = f"OCR tools missing: {', '.join(missing)}; `make setup` installs them where apt-get is available"
        if IN_CI:
            pytest.fail(f"{message}; CI=true requires them", pytrace=False)
        pytest.skip(message)


@pytest.fixture
async def redis_server(backend):
    """A redis-server of the test's own on a free port, which it may stop and start (PostgreSQL only)."""
    from tests.live import RedisProcess

    if backend != "postgresql":
        pytest.skip("several instances need a shared database server: PostgreSQL")
    if shutil.which("redis-server") is None:
        unavailable("redis-server", FileNotFoundError("redis-server not on PATH"))
    redis = RedisProcess()
    redis.start()
    await redis.wait_up()
    yield redis
    redis.stop()


@pytest.fixture
async def two_instances(services, redis_server):
    """Instance A serves the test's API client's writes... through its own HTTP; B serves subscribers."""
    from tests.live import start_server

    settings = dataclasses.replace(
        services.settings, redis_url=redis_server.url, realtime_catchup_seconds=0.5, deadline_watch_seconds=0
    )
    a = build_services(settings, clock=services.clock)
    b = build_services(settings, clock=services.clock)
    server_a, server_b = await start_server(a), await start_server(b)
    await asyncio.wait_for(a.hub.bus.connected.wait(), 5)
    await asyncio.wait_for(b.hub.bus.connected.wait(), 5)
    yield server_a, server_b
    await server_a.stop()
    await server_b.stop()
