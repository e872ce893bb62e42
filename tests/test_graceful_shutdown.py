"""`mcs serve` stops gracefully on SIGTERM (a deploy, a scale-down): it stops accepting, lets the
requests in flight finish, closes websockets with 1012 ("service restart": clients reconnect
elsewhere at once) and exits 0 within MCS_SHUTDOWN_GRACE_SECONDS.

The real command in a subprocess, on SQLite in a temporary MCS_VAR_DIR, under load from a few
keep-alive clients and with a subscription open. SQLite only: the process and its signals are
what is tested, not the database."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mcs.app import build_services
from mcs.migrations import migrate
from core.settings import Settings
from tests.live import WsClient
from tests.world import build_world, register_many

MCS = Path(sys.executable).with_name("mcs")
SECRET = "test-secret-key-with-enough-length-for-hs256"
GRACE = 15
INBOX = "subscription { inboxEvents { sequence kind } }"
# a few hundred milliseconds on SQLite: requests are surely in flight when the signal comes
SLOW = """{ documents(first: 40) { edges { node { folio subject sender { name organization }
  unit { acronym name parent { acronym } } registeredBy { username } turnos { number status } viewerActions } } } }"""
REGISTER = """mutation($input: RegisterDocumentInput!) { registerDocument(input: $input) { document { folio } errors { code } } }"""


def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCS_")}
    env.update(
        MCS_VAR_DIR=str(tmp_path),
        MCS_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'mcs.sqlite3'}",
        MCS_SECRET_KEY=SECRET,
        MCS_SHUTDOWN_GRACE_SECONDS=str(GRACE),
        MCS_DEADLINE_WATCH_SECONDS="0",
        MCS_TEXT_EXTRACTION_SECONDS="0",
        MCS_EXPORT_CLEANUP_SECONDS="0",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture
async def instance(tmp_path):
    """A migrated SQLite database with the test institution and 100 documents; `mcs serve` on it."""
    env = environment(tmp_path)
    await asyncio.to_thread(migrate, env["MCS_DATABASE_URL"])
    settings = Settings.from_env(
        database_url=env["MCS_DATABASE_URL"], redis_url=None, files_dir=tmp_path / "files", secret_key=SECRET
    )
    services = build_services(settings)  # the real clock: the server checks the tokens against it
    try:
        world = await build_world(services)
        await register_many(services, world, 100)
        tokens = {name: world.tokens[name] for name in ("da_head", "da_reg")}
        unit_id = world.unit_id("DA")
    finally:
        await services.hub.close()
        await services.db.dispose()

    process = await asyncio.create_subprocess_exec(
        str(MCS),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output = []

    async def read_port() -> int:
        while True:
            line = (await process.stdout.readline()).decode()
            assert line, "mcs serve ended before listening:\n" + "".join(output)
            output.append(line)
            if match := re.search(r"MCS sirve en http://127\.0\.0\.1:(\d+)/", line):
                return int(match.group(1))

    port = await asyncio.wait_for(read_port(), 60)

    async def drain():  # keep reading its log so the pipe never fills
        while line := await process.stdout.readline():
            output.append(line.decode())

    reader = asyncio.create_task(drain())
    yield process, port, tokens, unit_id, output
    if process.returncode is None:
        process.kill()
        await process.wait()
    await asyncio.wait_for(reader, 10)


async def test_sigterm_finishes_requests_in_flight_closes_sockets_with_1012_and_exits_0(instance):
    process, port, tokens, unit_id, output = instance
    url = f"http://127.0.0.1:{port}/graphql"
    loop = asyncio.get_running_loop()

    # a subscription open, and live (it receives a registration)
    socket = await WsClient.connect(f"ws://127.0.0.1:{port}/graphql", tokens["da_head"])
    await socket.subscribe(INBOX)
    await asyncio.sleep(0.3)
    async with httpx.AsyncClient() as http:
        registered = await http.post(
            url,
            json={
                "query": REGISTER,
                "variables": {
                    "input": {
                        "unitId": unit_id,
                        "origin": "EXTERNAL",
                        "documentType": "OFICIO",
                        "subject": "Antes del cierre",
                        "sender": {"level": "STATE", "name": "Remitente"},
                    }
                },
            },
            headers={"Authorization": f"Bearer {tokens['da_reg']}"},
        )
    assert registered.json()["data"]["registerDocument"]["errors"] == []
    assert (await socket.next())["data"]["inboxEvents"]["kind"] == "DOCUMENT_REGISTERED"

    # a few keep-alive clients, each sending a slow query (one of them a mutation now and then)
    # again as soon as the previous answer came, until the server is gone
    results: list[tuple[float, float, object]] = []  # (sent, answered, status or exception)
    stop = asyncio.Event()

    async def client(number: int):
        async with httpx.AsyncClient(timeout=GRACE + 10) as http:
            i = 0
            while not stop.is_set():
                i += 1
                if number == 0 and i % 3 == 0:
                    body = {
                        "query": REGISTER,
                        "variables": {
                            "input": {
                                "unitId": unit_id,
                                "origin": "EXTERNAL",
                                "documentType": "OFICIO",
                                "subject": f"Carga {i}",
                                "sender": {"level": "STATE", "name": "Remitente"},
                            }
                        },
                    }
                else:
                    body = {"query": SLOW}
                sent = loop.time()
                try:
                    response = await http.post(url, json=body, headers={"Authorization": f"Bearer {tokens['da_reg']}"})
                except httpx.TransportError as error:
                    results.append((sent, loop.time(), error))
                    return  # the server is gone (or going): no more from this client
                answer = response.json() if response.headers.get("content-type") == "application/json" else None
                complete = response.status_code == 200 and answer and "errors" not in answer and answer.get("data")
                results.append(
                    (sent, loop.time(), 200 if complete else f"{response.status_code}: {response.text[:300]}")
                )

    started = loop.time()
    clients = [asyncio.create_task(client(n)) for n in range(4)]
    deadline = loop.time() + 30
    while len(results) < 8 and loop.time() < deadline:  # every client under way
        await asyncio.sleep(0.05)
    assert all(outcome == 200 for _, _, outcome in results) and len(results) >= 8, results

    signalled = loop.time()
    process.send_signal(signal.SIGTERM)
    print(f"{len(results)} answers before the signal, in {signalled - started:.1f} s")

    assert await socket.closed_with(timeout=GRACE) == 1012, "the websocket must be closed with 1012 (service restart)"
    with pytest.raises(httpx.ConnectError):  # no longer accepting (still finishing, or gone)
        async with httpx.AsyncClient() as http:
            await http.get(f"http://127.0.0.1:{port}/health")
    returncode = await asyncio.wait_for(process.wait(), GRACE + 5)
    exited = loop.time() - signalled
    stop.set()
    await asyncio.wait_for(asyncio.gather(*clients), 10)

    log = "".join(output)
    assert returncode == 0, f"exit {returncode}\n{log}"
    assert exited < GRACE, exited
    before = [(sent, answered, outcome) for sent, answered, outcome in results if sent < signalled]
    failed = [outcome for _, _, outcome in before if outcome != 200]
    assert failed == [], f"requests sent before SIGTERM failed: {failed}\n{log}"
    assert any(answered > signalled for _, answered, _ in before), "no request was in flight at the signal"
    # after the signal: answered in full, or refused at the door (never a half answer or an error status)
    after = [outcome for sent, _, outcome in results if sent >= signalled]
    assert all(outcome == 200 or isinstance(outcome, httpx.TransportError) for outcome in after), after
    assert "Traceback" not in log, log
