"""Faults for real: PostgreSQL and Redis of the test's own, stopped and started again under a live
server (uvicorn, tests/live.py).

- PostgreSQL down: every request that needs it answers HTTP 503 with Retry-After and one GraphQL
  error of code UNAVAILABLE (also when the database goes away in the middle of a query or a
  mutation), the keep-alive connection stays open, /health says 503 "database": "down", a
  websocket's connection_init is closed with 1013 (try again later) without a traceback; once
  PostgreSQL is back everything works again.
- Redis down: mutations stay fast (the wake-up is published in the background), /health says
  "redis": "down" (still 200), and once Redis is back subscribers on another instance receive the
  events again; the queue of wake-ups waiting for Redis is bounded.

The PostgreSQL is initdb'd in a temporary directory and listens on 127.0.0.1 from port 55432 up
(never the machine's shared server); the Redis servers listen from 56379 up."""

from __future__ import annotations

import asyncio
import dataclasses
import glob
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest

from mcs.app import build_services
from mcs.migrations import migrate
from core.settings import Settings
from models.clock import FrozenClock
from realtime.bus import WakeUp
from realtime.redis_bus import RedisBus
from tests.conftest import unavailable
from tests.live import WsClient, start_server
from tests.helpers import REGISTER, doc_input
from tests.world import build_world

SECRET = "test-secret-key-with-enough-length-for-hs256"
INBOX = "subscription { inboxEvents { sequence kind } }"
ME_AND_DOCUMENTS = "{ me { username } documents(first: 5) { edges { node { folio } } } }"
LOGIN = """mutation($input: LoginInput!) { login(input: $input) { token errors { code message } } }"""


def free_port_from(start: int) -> int:
    for port in range(start, start + 2000):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port from {start}")


# --- a PostgreSQL and a Redis of our own ---------------------------------------------------------


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


class OwnPostgres:
    """initdb in a temporary directory, pg_ctl start/stop on a port from 55432 up. As root the
    server runs as the `postgres` user (PostgreSQL refuses to run as root)."""

    def __init__(self, bin_dir: Path):
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="mcs-test-pg-"))
        self.data = self.root / "data"
        self.port = free_port_from(55432)
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.root, "postgres")

    def _run(self, *args: str) -> None:
        command = (["runuser", "-u", "postgres", "--"] if self.as_postgres else []) + list(args)
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)}: exit {done.returncode}\n{done.stdout}\n{done.stderr}")

    def init(self) -> None:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self.stop("immediate")
            except RuntimeError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)


class OwnRedis:
    def __init__(self):
        self.port = free_port_from(56379)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        import redis.asyncio as redis

        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        try:
            for _ in range(400):
                try:
                    if await client.ping():
                        return
                except Exception:  # noqa: BLE001 - not up yet
                    await asyncio.sleep(0.025)
            raise RuntimeError("redis-server did not start")
        finally:
            await client.aclose()

    def kill(self) -> None:
        """A crash: SIGKILL, nothing said to the clients."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


@pytest.fixture
async def own_redis():
    if shutil.which("redis-server") is None:
        unavailable("redis-server", FileNotFoundError("redis-server not on PATH"))
    redis = OwnRedis()
    await redis.start()
    yield redis
    redis.kill()


@pytest.fixture
async def own_postgres():
    bin_dir = postgres_bin()
    if bin_dir is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        unavailable("PostgreSQL binaries", FileNotFoundError("no initdb/pg_ctl (nor runuser as root)"))
    pg = OwnPostgres(bin_dir)
    try:
        await asyncio.to_thread(pg.init)
        await asyncio.to_thread(pg.start)
        import asyncpg

        conn = await asyncpg.connect(pg.dsn("postgres"), timeout=10)
        try:
            await conn.execute("CREATE DATABASE mcs")
        finally:
            await conn.close()
        await asyncio.to_thread(migrate, pg.url("mcs"))
        yield pg
    finally:
        await asyncio.to_thread(pg.remove)


def settings_for(database_url: str, redis_url: str | None, tmp_path: Path) -> Settings:
    # no periodic work: during an outage only the requests of the test touch the database
    return Settings.from_env(
        database_url=database_url,
        redis_url=redis_url,
        redis_channel=f"mcs:test:{uuid.uuid4().hex[:8]}",
        files_dir=tmp_path / "files",
        secret_key=SECRET,
        debug=False,
        deadline_watch_seconds=0,
        text_extraction_seconds=0,
        export_cleanup_seconds=0,
        realtime_catchup_seconds=0,
    )


# --- PostgreSQL down -----------------------------------------------------------------------------


def local_port(response: httpx.Response) -> int:
    """The client side port of the connection that carried `response`."""
    return response.extensions["network_stream"].get_extra_info("client_addr")[1]


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, (response.status_code, response.text)
    assert int(response.headers["retry-after"]) > 0
    assert "close" not in response.headers.get("connection", "").lower()  # the connection stays open
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"errors"}, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "UNAVAILABLE", body
    assert "base de datos" in error["message"] and "Intente de nuevo" in error["message"], error


async def locked_waiters(conn) -> int:
    return await conn.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = 'mcs' AND wait_event_type = 'Lock'"
    )


async def test_postgresql_down_answers_503_unavailable_and_keeps_the_connection(
    own_postgres, own_redis, tmp_path, caplog
):
    import asyncpg

    pg = own_postgres
    services = build_services(
        settings_for(pg.url("mcs"), own_redis.url, tmp_path),
        clock=FrozenClock(datetime(2026, 3, 2, 16, 0, tzinfo=timezone.utc)),
    )
    world = await build_world(services)
    server = await start_server(services)
    health_url = server.http_url.replace("/graphql", "/health")
    reg = {"Authorization": f"Bearer {world.tokens['da_reg']}"}
    uvicorn_log = logging.getLogger("uvicorn")

    def register(reference: str) -> dict:
        return {"query": REGISTER, "variables": {"input": doc_input(world, reference=reference)}}

    try:
        async with httpx.AsyncClient(timeout=30) as http:
            ok = await http.post(server.http_url, json=register("antes"), headers=reg)
            assert ok.json()["data"]["registerDocument"]["errors"] == [], ok.text
            assert (await http.get(health_url)).status_code == 200

            # 1. the database goes away under a query and a mutation already running: both wait for
            # a lock held here, and PostgreSQL is stopped while they wait
            admin = await asyncpg.connect(pg.dsn("mcs"), timeout=10)
            lock = admin.transaction()
            await lock.start()
            await admin.execute("LOCK TABLE documents IN ACCESS EXCLUSIVE MODE")
            running = [
                asyncio.create_task(http.post(server.http_url, json={"query": ME_AND_DOCUMENTS}, headers=reg)),
                asyncio.create_task(http.post(server.http_url, json=register("a medias"), headers=reg)),
            ]
            deadline = time.monotonic() + 20
            while await locked_waiters(admin) < 2:
                assert time.monotonic() < deadline and not any(t.done() for t in running), [
                    t.result().text for t in running if t.done()
                ]
                await asyncio.sleep(0.05)
            caplog.clear()
            caplog.set_level(logging.WARNING)
            uvicorn_log.addHandler(caplog.handler)  # uvicorn's loggers do not propagate to the root
            await asyncio.to_thread(pg.stop)
            for response in await asyncio.gather(*running):
                assert_unavailable(response)
            admin.terminate()

        # 2. while it is down: ONE keep-alive connection, requests of every kind; each is a 503
        # UNAVAILABLE and the connection is the same throughout
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=1)) as http:
            ports = set()
            for body, headers in [
                ({"query": ME_AND_DOCUMENTS}, reg),  # signed in: its session cannot be read
                (register("durante"), reg),  # a mutation, signed in
                (
                    {"query": LOGIN, "variables": {"input": {"username": "da_reg", "password": "x"}}},
                    {},
                ),  # not signed in
                ({"query": ME_AND_DOCUMENTS}, reg),
                (register("durante 2"), reg),
            ]:
                response = await http.post(server.http_url, json=body, headers=headers)
                assert_unavailable(response)
                ports.add(local_port(response))
            # what needs no database is still served
            anonymous = await http.post(server.http_url, json={"query": "{ me { username } }"})
            assert anonymous.status_code == 200 and anonymous.json() == {"data": {"me": None}}
            ports.add(local_port(anonymous))

            health = await http.get(health_url)
            assert health.status_code == 503 and int(health.headers["retry-after"]) > 0
            assert health.json()["database"] == "down" and health.json()["redis"] == "up"
            assert (
                health.json()["status"] == "unavailable"
                and "ocr" in health.json()
                and "textExtraction" in health.json()
            )
            ports.add(local_port(health))
            assert len(ports) == 1, f"the server closed the keep-alive connection: {ports}"

            # a websocket's connection_init: closed with 1013 (try again later), no traceback
            client = await WsClient.connect(server.ws_url, world.tokens["da_head"], ack=False)
            assert await client.closed_with() == 1013

            failures = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
            assert failures == [], [f"{r.name}: {r.getMessage()}" for r in failures]
            assert any("database unavailable" in r.getMessage() for r in caplog.records)

            # 3. PostgreSQL is back: the same client, the same kinds of requests, all served
            await asyncio.to_thread(pg.start)
            me = await http.post(server.http_url, json={"query": ME_AND_DOCUMENTS}, headers=reg)
            assert me.status_code == 200 and me.json()["data"]["me"] == {"username": "da_reg"}, me.text
            assert len(me.json()["data"]["documents"]["edges"]) == 1  # the one registered before
            after = await http.post(server.http_url, json=register("después"), headers=reg)
            assert after.status_code == 200 and after.json()["data"]["registerDocument"]["errors"] == [], after.text
            login = await http.post(
                server.http_url,
                json={"query": LOGIN, "variables": {"input": {"username": "da_reg", "password": "contraseña-segura"}}},
            )
            assert login.status_code == 200 and login.json()["data"]["login"]["token"], login.text
            health = await http.get(health_url)
            assert health.status_code == 200, health.text
            assert health.json() | {"ocr": None} == {
                "status": "ok",
                "database": "up",
                "redis": "up",
                "textExtraction": True,
                "ocr": None,
                "email": "off",
            }
            client = await WsClient.connect(server.ws_url, world.tokens["da_head"])  # acknowledged
            await client.close()
    finally:
        uvicorn_log.removeHandler(caplog.handler)
        await server.stop()
        await services.hub.close()
        await services.db.dispose()


# --- Redis down ----------------------------------------------------------------------------------


@pytest.fixture
def postgresql_only(backend):
    if backend != "postgresql":
        pytest.skip("the Redis fan-out runs with PostgreSQL")


async def test_redis_down_keeps_mutations_fast_and_subscribers_recover(postgresql_only, services, world, own_redis):
    # two instances: A is written to, B serves a subscriber; no periodic catch-up, so what B
    # receives came through Redis
    settings = dataclasses.replace(
        services.settings,
        redis_url=own_redis.url,
        realtime_catchup_seconds=0,
        deadline_watch_seconds=0,
        export_cleanup_seconds=0,
    )
    a, b = build_services(settings, clock=services.clock), build_services(settings, clock=services.clock)
    server_a, server_b = await start_server(a), await start_server(b)
    try:
        await asyncio.wait_for(a.hub.bus.connected.wait(), 5)
        await asyncio.wait_for(b.hub.bus.connected.wait(), 5)
        subscriber = await WsClient.connect(server_b.ws_url, world.tokens["da_head"])
        await subscriber.subscribe(INBOX)
        await server_b.wait_live(1)
        health_url = server_a.http_url.replace("/graphql", "/health")

        async with httpx.AsyncClient(timeout=30) as http:

            async def register(reference: str) -> float:
                started = time.monotonic()
                response = await http.post(
                    server_a.http_url,
                    json={"query": REGISTER, "variables": {"input": doc_input(world, reference=reference)}},
                    headers={"Authorization": f"Bearer {world.tokens['da_reg']}"},
                )
                took = time.monotonic() - started
                assert response.status_code == 200 and response.json()["data"]["registerDocument"]["errors"] == [], (
                    response.text
                )
                return took

            await register("antes")
            first = (await subscriber.next())["data"]["inboxEvents"]

            own_redis.kill()
            deadline = time.monotonic() + 10
            while a.hub.bus.connected.is_set():
                assert time.monotonic() < deadline, "the bus did not notice that Redis is gone"
                await asyncio.sleep(0.05)
            took = [await register(f"durante {i}") for i in range(5)]
            assert max(took) < 1.0, f"mutations wait for Redis: {took}"
            health = await http.get(health_url)
            assert health.status_code == 200, health.text
            assert (health.json()["status"], health.json()["database"], health.json()["redis"]) == ("ok", "up", "down")

            await own_redis.start()  # the same port: the buses reconnect
            await asyncio.wait_for(a.hub.bus.connected.wait(), 15)
            await asyncio.wait_for(b.hub.bus.connected.wait(), 15)
            await register("después")
            received = [(await subscriber.next(timeout=15))["data"]["inboxEvents"] for _ in range(6)]
            sequences = [int(first["sequence"])] + [int(e["sequence"]) for e in received]
            assert sequences == sorted(set(sequences)) and len(sequences) == 7, sequences
            await subscriber.nothing_for(1.0)  # nothing twice
            deadline = time.monotonic() + 10
            while (await http.get(health_url)).json()["redis"] != "up":
                assert time.monotonic() < deadline, "/health still says Redis is down"
                await asyncio.sleep(0.1)
        await subscriber.close()
    finally:
        await server_a.stop()
        await server_b.stop()


async def test_the_queue_of_wake_ups_waiting_for_redis_is_bounded(own_redis, caplog):
    """Redis killed: publishing returns at once; past the bound the oldest wake-ups are dropped
    with one warning, their users kept; once Redis is back what waited goes out (merged)."""
    heard: list[WakeUp] = []

    async def hub(wakeup: WakeUp) -> None:  # this process's hub: handed every wake-up at once
        heard.append(wakeup)

    bus = RedisBus(own_redis.url, f"mcs:test:{uuid.uuid4().hex[:8]}", publish_queue=10)
    await bus.start(hub)
    try:
        await asyncio.wait_for(bus.connected.wait(), 5)
        own_redis.kill()
        deadline = time.monotonic() + 10
        while bus.connected.is_set():
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        caplog.set_level(logging.WARNING, logger="mcs.realtime")
        caplog.clear()
        started = time.monotonic()
        for sequence in range(1, 51):
            await bus.publish(WakeUp(sequence=sequence, users=frozenset({sequence})))
        assert time.monotonic() - started < 0.5
        assert len(heard) == 50  # this process's subscribers miss nothing
        assert bus.queued == 10 and bus.stats["dropped"] == 40
        dropping = [r for r in caplog.records if "dropping the oldest" in r.getMessage()]
        assert len(dropping) == 1, [r.getMessage() for r in caplog.records]
        waiting = bus.waiting()
        assert set().union(*(w.users for w in waiting)) == set(range(1, 51))  # no access change is lost
        assert max(w.sequence for w in waiting) == 50

        sent: list[dict] = []  # what reaches Redis from now on: a spy on the redis client's publish
        publish = bus._client.publish

        async def recording(channel, message):
            result = await publish(channel, message)
            sent.append(json.loads(message))
            return result

        bus._client.publish = recording
        await own_redis.start()
        deadline = time.monotonic() + 15
        while bus.queued or bus.state != "up":
            assert time.monotonic() < deadline, (sent, bus.queued, bus.state)
            await asyncio.sleep(0.05)
        users = set().union(*(set(m["a"]) for m in sent))
        assert users == set(range(1, 51)) and max(m["s"] for m in sent) == 50, sent
        assert len(sent) <= 2, sent  # merged, not a burst of what waited
    finally:
        await bus.close()


async def test_health_reports_the_database_and_the_fan_out(api, services, backend):
    if backend == "postgresql":
        await services.hub.start()  # the app's lifespan does it; ASGITransport runs none
        await asyncio.wait_for(services.hub.bus.connected.wait(), 5)
    response = await api.client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "up" and body["textExtraction"] is True and "ocr" in body
    assert body["redis"] == ("off" if backend == "sqlite" else "up")  # in-process fan-out: no Redis to report


# --- connections that died while idle in the pool ------------------------------------------------


async def test_connections_that_died_idle_in_the_pool_are_replaced_unseen(api, services, world, backend):
    """A pooled connection idle for a while is pinged (one round trip) before use
    (models/db.py): one that PostgreSQL closed meanwhile (a restart, an idle timeout, an
    administrator) is replaced and the request is served. A connection used just now is not."""
    import asyncpg

    from models.db import ALIVE_WITHOUT_PING_SECONDS

    if backend != "postgresql":
        pytest.skip("SQLite has no server to lose the connection")
    token = world.tokens["da_reg"]

    async def served() -> None:
        bodies = await asyncio.gather(*[api.gql(ME_AND_DOCUMENTS, token=token) for _ in range(3)])
        assert all("errors" not in b and b["data"]["me"] == {"username": "da_reg"} for b in bodies), bodies

    await served()  # the pool now holds connections
    admin = await asyncpg.connect(services.settings.database_url.replace("+asyncpg", ""))
    try:
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        )
    finally:
        await admin.close()
    assert killed >= 1
    await asyncio.sleep(ALIVE_WITHOUT_PING_SECONDS + 0.2)
    await served()
