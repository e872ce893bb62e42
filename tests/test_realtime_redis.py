"""Several server instances share the feed through Redis (PostgreSQL + Redis only).

Each instance has its own engine, Redis bus and hub, behind its own uvicorn; the test starts
its own redis-server on a free port so it can stop and restart it.
"""

import asyncio
import dataclasses
import shutil
import subprocess

import pytest

from mcs.app import build_services
from tests.conftest import unavailable
from tests.live import WsClient, free_port, start_server

INBOX = "subscription($after: String) { inboxEvents(afterSequence: $after) { sequence kind } }"


class RedisProcess:
    def __init__(self):
        self.port = free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    async def wait_up(self):
        import redis.asyncio as redis

        client = redis.Redis.from_url(self.url)
        for _ in range(200):
            try:
                if await client.ping():
                    break
            except Exception:  # noqa: BLE001 - not up yet
                await asyncio.sleep(0.025)
        await client.aclose()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
async def redis_server(backend):
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


async def register_on(server, world, token_user, reference):
    import httpx

    from tests.helpers import REGISTER, doc_input

    async with httpx.AsyncClient() as http:
        response = await http.post(
            server.http_url,
            json={"query": REGISTER, "variables": {"input": doc_input(world, unit="DA", reference=reference)}},
            headers={"Authorization": f"Bearer {world.tokens[token_user]}"},
        )
    payload = response.json()["data"]["registerDocument"]
    assert payload["errors"] == [], payload
    return payload["document"]


async def test_a_subscriber_on_b_receives_what_is_done_on_a(two_instances, world):
    server_a, server_b = two_instances
    client = await WsClient.connect(server_b.ws_url, world.tokens["da_head"])
    await client.subscribe(INBOX)
    await server_b.wait_live(1)
    await register_on(server_a, world, "da_reg", "A/1")
    event = (await client.next(timeout=2))["data"]["inboxEvents"]
    assert event["kind"] == "DOCUMENT_REGISTERED"
    await client.close()


async def test_a_redis_restart_loses_nothing_and_duplicates_nothing(two_instances, redis_server, world):
    server_a, server_b = two_instances
    client = await WsClient.connect(server_b.ws_url, world.tokens["da_head"])
    await client.subscribe(INBOX)
    await server_b.wait_live(1)
    await register_on(server_a, world, "da_reg", "antes")
    assert (await client.next())["data"]["inboxEvents"]["kind"] == "DOCUMENT_REGISTERED"

    redis_server.stop()  # during the outage, A's wake-ups are lost
    for i in range(5):
        await register_on(server_a, world, "da_reg", f"durante/{i}")
    redis_server.start()
    await redis_server.wait_up()
    await asyncio.wait_for(server_a.services.hub.bus.connected.wait(), 10)
    await asyncio.wait_for(server_b.services.hub.bus.connected.wait(), 10)
    for i in range(5):
        await register_on(server_a, world, "da_reg", f"después/{i}")

    received = [(await client.next(timeout=10))["data"]["inboxEvents"] for _ in range(10)]
    sequences = [int(e["sequence"]) for e in received]
    assert sequences == sorted(sequences) and len(set(sequences)) == 10
    await client.nothing_for(1.5)  # and nothing twice
    await client.close()
