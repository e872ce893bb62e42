"""`mcs serve --workers N`: N processes share one port (PostgreSQL + Redis), and a subscription on
one worker receives what a mutation served by another one did; with SQLite, or without Redis,
the command refuses with one clear message and exit status 2.

The real command in a subprocess. Which worker holds a connection is read from /proc (Linux):
the server side of the TCP connection, by its ports, and the process holding that socket."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from mcs.app import build_services
from tests.live import WsClient
from tests.world import build_world

MCS = Path(sys.executable).with_name("mcs")
INBOX = "subscription { inboxEvents { sequence kind document { folio } } }"
REGISTER = """mutation($input: RegisterDocumentInput!) { registerDocument(input: $input) { document { folio } errors { code } } }"""


def clean_environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCS_")}
    env.update(
        MCS_VAR_DIR=str(tmp_path),
        PYTHONUNBUFFERED="1",
        MCS_DEADLINE_WATCH_SECONDS="0",
        MCS_TEXT_EXTRACTION_SECONDS="0",
        MCS_EXPORT_CLEANUP_SECONDS="0",
    )
    return env


@pytest.mark.parametrize(
    "database, redis", [("sqlite", None), ("sqlite", "redis://127.0.0.1:6379/15"), ("postgresql", None)]
)
def test_several_workers_need_postgresql_and_redis(tmp_path, database, redis):
    env = clean_environment(tmp_path)
    env["MCS_DATABASE_URL"] = (
        f"sqlite+aiosqlite:///{tmp_path / 'mcs.sqlite3'}"
        if database == "sqlite"
        else "postgresql+asyncpg://postgres@127.0.0.1:1/never_reached"
    )
    if redis:
        env["MCS_REDIS_URL"] = redis
    done = subprocess.run(
        [str(MCS), "serve", "--workers", "2", "--port", "0"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done
    assert done.stdout == "" and done.stderr.count("\n") == 1, done.stderr  # one line, nothing served or migrated
    assert (
        "--workers 2 necesita" in done.stderr
        and ("PostgreSQL" if database == "sqlite" else "MCS_REDIS_URL") in done.stderr
    )
    assert not (tmp_path / "mcs.sqlite3").exists()  # refused before migrating anything


def server_pid_of(client_port: int, server_port: int, pids: set[int]) -> int | None:
    """The process among `pids` holding the server side of the loopback connection from client_port."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as fh:
            next(fh)
            for line in fh:
                fields = line.split()
                local, remote, inode = fields[1], fields[2], fields[9]
                if int(local.rsplit(":", 1)[1], 16) == server_port and int(remote.rsplit(":", 1)[1], 16) == client_port:
                    inodes.add(f"socket:[{inode}]")
    for pid in pids:
        fd_dir = f"/proc/{pid}/fd"
        for fd in os.listdir(fd_dir):
            try:
                if os.readlink(f"{fd_dir}/{fd}") in inodes:
                    return pid
            except OSError:
                continue
    return None


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry))
    return found


async def raw_post(reader, writer, body: dict, token: str) -> dict:
    """One HTTP/1.1 request on an open connection (its local port tells which worker serves it)."""
    payload = json.dumps(body).encode()
    writer.write(
        b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {token}\r\nContent-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
        + payload
    )
    await writer.drain()
    response = await asyncio.wait_for(reader.read(), 30)
    head, _, content = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), response[:500]
    return json.loads(content)


@pytest.fixture
async def workers(services, backend, tmp_path):
    """`mcs serve --workers 2` on the test's PostgreSQL database and Redis (a channel of its own)."""
    if backend != "postgresql":
        pytest.skip("several workers need PostgreSQL and Redis")
    # the server checks tokens against the real clock: a world whose tokens are issued by it
    real = build_services(dataclasses.replace(services.settings, redis_url=None))
    try:
        world = await build_world(real)
        tokens = {name: world.tokens[name] for name in ("da_head", "da_reg")}
        unit_id = world.unit_id("DA")
    finally:
        await real.hub.close()
        await real.db.dispose()
    settings = services.settings
    env = clean_environment(tmp_path)
    env.update(
        MCS_DATABASE_URL=settings.database_url,
        MCS_REDIS_URL=settings.redis_url,
        MCS_REDIS_CHANNEL=f"mcs:test-workers:{uuid.uuid4().hex[:8]}",
        MCS_SECRET_KEY=settings.secret_key,
        # only a wake-up through Redis can deliver in time, not the periodic catch-up
        MCS_REALTIME_CATCHUP_SECONDS="60",
        MCS_MAX_CONNECTIONS_PER_USER="50",
    )
    process = await asyncio.create_subprocess_exec(
        str(MCS),
        "serve",
        "--no-migrate",
        "--workers",
        "2",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output: list[str] = []

    async def read_port() -> int:
        while True:
            line = (await process.stdout.readline()).decode()
            assert line, "mcs serve ended before listening:\n" + "".join(output)
            output.append(line)
            if match := re.search(r"MCS sirve en http://127\.0\.0\.1:(\d+)/", line):
                return int(match.group(1))

    port = await asyncio.wait_for(read_port(), 60)

    async def drain():
        while line := await process.stdout.readline():
            output.append(line.decode())

    reader = asyncio.create_task(drain())
    yield process, port, tokens, unit_id, output
    if process.returncode is None:
        process.kill()
        await process.wait()
    await asyncio.wait_for(reader, 10)


async def test_two_workers_share_the_port_and_the_events(workers):
    process, port, tokens, unit_id, output = workers
    url = f"ws://127.0.0.1:{port}/graphql"
    pids = set()
    for _ in range(100):  # both workers up (the banner comes from the first one)
        pids = children_of(process.pid)
        if len(pids) == 2:
            break
        await asyncio.sleep(0.05)
    assert len(pids) == 2, pids

    # the kernel spreads connections over the workers (SO_REUSEPORT): both answer on the port
    clients: dict[int, list[WsClient]] = {pid: [] for pid in pids}
    for _ in range(24):
        client = await WsClient.connect(url, tokens["da_head"])
        local_port = client.socket.local_address[1]
        clients[server_pid_of(local_port, port, pids)].append(client)
    assert all(clients.values()), {pid: len(c) for pid, c in clients.items()}
    (a, on_a), (b, _) = clients.items()
    subscriber = on_a[0]
    for client in [c for group in clients.values() for c in group if c is not subscriber]:
        await client.close()

    async def register_on(worker: int, subject: str) -> str:
        for _ in range(50):  # connect until the kernel picks that worker
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            if server_pid_of(writer.get_extra_info("sockname")[1], port, pids) == worker:
                answer = await raw_post(
                    reader,
                    writer,
                    {
                        "query": REGISTER,
                        "variables": {
                            "input": {
                                "unitId": unit_id,
                                "origin": "EXTERNAL",
                                "documentType": "OFICIO",
                                "subject": subject,
                                "sender": {"level": "STATE", "name": "Remitente"},
                            }
                        },
                    },
                    tokens["da_reg"],
                )
                writer.close()
                payload = answer["data"]["registerDocument"]
                assert payload["errors"] == [], payload
                return payload["document"]["folio"]
            writer.close()
        raise AssertionError(f"no connection reached worker {worker}")

    # the subscription on worker A is live once it received a first event (done on A itself)
    await subscriber.subscribe(INBOX)
    on_a_folios = set()
    for attempt in range(20):
        on_a_folios.add(await register_on(a, f"En A {attempt}"))
        try:
            event = (await subscriber.next(timeout=1))["data"]["inboxEvents"]
            break
        except asyncio.TimeoutError:
            continue  # subscribed after that commit: the next one is seen
    else:
        raise AssertionError("the subscription never went live")
    assert event["document"]["folio"] in on_a_folios

    # done on worker B, received on worker A: the wake-up went through Redis
    folio = await register_on(b, "En B")
    event = (await subscriber.next(timeout=5))["data"]["inboxEvents"]
    while event["document"]["folio"] in on_a_folios:  # one of A's, late
        event = (await subscriber.next(timeout=5))["data"]["inboxEvents"]
    assert event["kind"] == "DOCUMENT_REGISTERED" and event["document"]["folio"] == folio

    # SIGTERM to the supervisor: every worker stops gracefully (1012 on the websocket), exit 0
    process.send_signal(signal.SIGTERM)
    assert await subscriber.closed_with(timeout=20) == 1012
    assert await asyncio.wait_for(process.wait(), 30) == 0, "".join(output)
    await asyncio.sleep(0.2)
    log = "".join(output)
    assert "Traceback" not in log, log
    assert all(not Path(f"/proc/{pid}").exists() for pid in pids), "a worker outlived the supervisor"
