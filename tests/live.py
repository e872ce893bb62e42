"""A real server for the realtime tests: uvicorn on 127.0.0.1 (a free port), in the test's own
event loop, a graphql-transport-ws client built on the `websockets` library, and a redis-server
of the test's own (the `redis_server` fixture, tests/conftest.py)."""

from __future__ import annotations

import asyncio
import dataclasses
import contextlib
import json
import socket
import subprocess
from dataclasses import dataclass

import uvicorn
import websockets

from mcs.app import create_app
from mcs.serve import uvicorn_config

PROTOCOL = "graphql-transport-ws"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    services: object
    port: int
    server: uvicorn.Server
    task: asyncio.Task

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    async def wait_live(self, count: int, timeout: float = 5.0) -> None:
        """Wait until `count` subscriptions finished their replay and wait for news: only then
        may a test produce the event it expects (the protocol does not acknowledge subscribe)."""
        hub = self.services.hub
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            live = sum(1 for s in hub.subscriptions if s.live.is_set())
            if live >= count:
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{live} of {count} subscriptions live")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self.server.should_exit = True
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(self.task, 10)


async def start_server(services) -> LiveServer:
    port = free_port()
    app = create_app(services=services, host="127.0.0.1")
    # a connection a client left open (a browser's keep-alive) must not hold the shutdown past
    # stop()'s wait: cut short there, the lifespan would leave the background jobs running
    # against the next test's database
    settings = dataclasses.replace(
        services.settings, shutdown_grace_seconds=min(services.settings.shutdown_grace_seconds, 2.0)
    )
    config = uvicorn_config(app, settings, "127.0.0.1", port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    return LiveServer(services, port, server, task)


class WsClient:
    """Speaks graphql-transport-ws: connection_init with the token, subscribe, next/error/complete."""

    def __init__(self, socket):
        self.socket = socket
        self._ids = 0

    @classmethod
    async def connect(
        cls, url: str, token: str | None = None, payload: dict | None = None, ack: bool = True
    ) -> "WsClient":
        socket = await websockets.connect(url, subprotocols=[PROTOCOL], open_timeout=5)
        client = cls(socket)
        init = {
            "type": "connection_init",
            "payload": payload if payload is not None else ({"token": token} if token else {}),
        }
        await socket.send(json.dumps(init))
        if ack:
            message = await client.receive()
            assert message["type"] == "connection_ack", message
        return client

    async def receive(self, timeout: float = 5.0) -> dict:
        return json.loads(await asyncio.wait_for(self.socket.recv(), timeout))

    async def subscribe(self, query: str, variables: dict | None = None) -> str:
        self._ids += 1
        op_id = str(self._ids)
        await self.socket.send(
            json.dumps({"id": op_id, "type": "subscribe", "payload": {"query": query, "variables": variables or {}}})
        )
        return op_id

    async def next(self, timeout: float = 5.0) -> dict:
        """The payload of the next `next` message (fails on error/complete)."""
        message = await self.receive(timeout)
        assert message["type"] == "next", message
        return message["payload"]

    async def take(self, n: int, timeout: float = 10.0) -> list[dict]:
        return [await self.next(timeout) for _ in range(n)]

    async def nothing_for(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            message = await asyncio.wait_for(self.socket.recv(), seconds)
            raise AssertionError(f"unexpected message: {message}")

    async def closed_with(self, timeout: float = 5.0) -> int:
        """Wait for the server to close the socket; its close code."""
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await asyncio.wait_for(self.socket.recv(), timeout)
        return self.socket.close_code

    async def close(self) -> None:
        await self.socket.close()


class RedisProcess:
    """A redis-server on a free port of 127.0.0.1, keeping nothing on disk, that a test may stop and start."""

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
