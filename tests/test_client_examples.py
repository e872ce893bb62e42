"""The client examples follow a live server: print events, keep their cursor, resume after a
restart. Run once (on the SQLite backend); CI needs Node.js for the JavaScript one."""

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import unavailable
from tests.live import start_server
from tests.workflow import Flow

EXAMPLES = Path(__file__).resolve().parents[1] / "client-examples"


@pytest.fixture
async def server(services, backend):
    if backend != "sqlite":
        pytest.skip("the client examples run once, against the SQLite server")
    live = await start_server(services)
    yield live
    await live.stop()


def python_command(server, token, cursor_file, n):
    return [
        sys.executable,
        str(EXAMPLES / "python" / "follow_inbox.py"),
        "--url",
        server.http_url,
        "--token",
        token,
        "--cursor-file",
        str(cursor_file),
        "--max-events",
        str(n),
    ]


def node_command(server, token, cursor_file, n):
    js = EXAMPLES / "js"
    if shutil.which("node") is None:
        unavailable("Node.js", FileNotFoundError("node not on PATH"))
    if not (js / "node_modules" / "graphql-ws").exists():
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund"], cwd=js, check=True, capture_output=True, timeout=300
        )
    return [
        "node",
        str(js / "follow-inbox.mjs"),
        "--url",
        server.http_url,
        "--token",
        token,
        "--cursor-file",
        str(cursor_file),
        "--max-events",
        str(n),
    ]


async def run_until_done(command, timeout=30):
    process = await asyncio.create_subprocess_exec(
        *command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode == 0, stderr.decode()
    return [json.loads(line) for line in stdout.decode().splitlines() if line.strip()]


@pytest.mark.parametrize("client", ["python", "javascript"])
async def test_follower_prints_keeps_its_cursor_and_resumes(server, api, world, tmp_path, client):
    command = python_command if client == "python" else node_command
    flow = Flow(api, world)
    cursor = tmp_path / "cursor"
    token = world.tokens["da_head"]

    # first run: without a cursor the follower starts live; 3 events happen once it listens
    follower = asyncio.create_task(run_until_done(command(server, token, cursor, 3)))
    await server.wait_live(1, timeout=20)
    for i in range(3):
        await flow.register(user="da_reg", unit="DA", reference=f"C/{i}")
    first = await follower
    assert [e["kind"] for e in first] == ["DOCUMENT_REGISTERED"] * 3
    assert cursor.read_text().strip() == first[-1]["sequence"]

    # while it is stopped, 2 more happen; the next run resumes from the cursor file
    for i in range(2):
        await flow.register(user="da_reg", unit="DA", reference=f"D/{i}")
    second = await run_until_done(command(server, token, cursor, 2))
    assert [int(e["sequence"]) for e in second] == [int(first[-1]["sequence"]) + 1, int(first[-1]["sequence"]) + 2]
