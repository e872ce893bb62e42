"""`mcs serve` tells where it serves (the port really bound, also with --port 0) and, while the demo is
in place, the demo accounts; `mcs demo --show-users` lists them without loading anything.

The demo's users come from the demo's own `create_institution` (its org tree and people, one argon2
hash for all: about a second), not from a full `mcs demo`, which takes 20-30 s."""

import asyncio
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from mcs.app import build_services
from mcs.demo import DEMO_PASSWORD, SEED, Demo, People, create_institution
from mcs.demo_users import SHOWN, demo_accounts
from mcs.migrations import migrate
from core.settings import Settings
from models.clock import FrozenClock
from models.users import User, hash_password

MCS = Path(sys.executable).with_name("mcs")


async def add_demo_people(services) -> None:
    rng = random.Random(SEED)
    await create_institution(services, Demo(rng=rng, people=People(rng)))


def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCS_")}
    env.update(
        MCS_VAR_DIR=str(tmp_path),
        MCS_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'mcs.sqlite3'}",
        MCS_DEADLINE_WATCH_SECONDS="0",
        MCS_TEXT_EXTRACTION_SECONDS="0",
        MCS_EXPORT_CLEANUP_SECONDS="0",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture
async def demo_database(tmp_path) -> dict[str, str]:
    """A SQLite file under tmp_path with the demo's org tree and people; the environment to use it."""
    env = environment(tmp_path)
    await asyncio.to_thread(migrate, env["MCS_DATABASE_URL"])  # it runs its own event loop
    settings = Settings.from_env(
        database_url=env["MCS_DATABASE_URL"],
        redis_url=None,
        files_dir=tmp_path / "files",
        secret_key="test-secret-key-with-enough-length-for-hs256",
    )
    services = build_services(settings, clock=FrozenClock(tz_name=settings.timezone))
    try:
        await add_demo_people(services)
    finally:
        await services.hub.close()
        await services.db.dispose()
    return env


async def test_demo_accounts_are_shown_while_they_keep_the_demo_password(services):
    assert await demo_accounts(services.db) == []  # no demo: nothing to show
    await add_demo_people(services)
    accounts = await demo_accounts(services.db)
    assert [a.username for a in accounts] == [name for names in SHOWN.values() for name in names]
    assert {a.role for a in accounts} == {
        "Administración",
        "Titular",
        "Control de gestión",
        "Personal operativo",
        "Consulta",
    }
    assert next(a for a in accounts if a.username == "registro.rh").units == "DNOM, DDP"

    async with services.db.transaction() as session:
        await session.execute(
            update(User).where(User.username == "admin").values(password_hash=hash_password("otra-clave-segura"))
        )
        await session.execute(update(User).where(User.username == "consulta.dg").values(active=False))
    names = [a.username for a in await demo_accounts(services.db)]
    assert "admin" not in names and "consulta.dg" not in names and "titular.dg" in names


def test_show_users_lists_the_demo_accounts(demo_database, tmp_path):
    shown = subprocess.run(
        [str(MCS), "demo", "--show-users"], env=demo_database, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert shown.returncode == 0, shown.stderr
    assert DEMO_PASSWORD in shown.stdout
    for username in ("admin", "titular.dg", "registro.dg", "analista.nominas", "consulta.dg"):
        assert re.search(rf"^\s+{re.escape(username)}\s", shown.stdout, re.M), shown.stdout
    assert "Datos de demostración cargados" not in shown.stdout  # it loaded nothing


def test_show_users_without_the_demo(tmp_path):
    shown = subprocess.run(
        [str(MCS), "demo", "--show-users"],
        env=environment(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 1 and DEMO_PASSWORD not in shown.stdout
    assert "no tiene cuentas de demostración" in shown.stderr


async def test_serve_prints_the_port_it_bound_and_the_demo_accounts(demo_database, tmp_path):
    process = await asyncio.create_subprocess_exec(
        str(MCS),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        env=demo_database,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        output = ""

        async def read_until(pattern: str) -> re.Match:
            nonlocal output
            while not (match := re.search(pattern, output, re.M)):
                line = await process.stdout.readline()
                assert line, f"mcs serve ended (exit {process.returncode}) before printing {pattern!r}:\n{output}"
                output += line.decode()
            return match

        banner = await asyncio.wait_for(
            read_until(r"^MCS sirve en http://127\.0\.0\.1:(\d+)/ \(API: http://127\.0\.0\.1:(\d+)/graphql\)$"), 60
        )
        port = int(banner.group(1))
        assert port != 0 and banner.group(2) == banner.group(1)
        await asyncio.wait_for(read_until(r"^\s+auditoria\.oic\s"), 10)  # the last of the accounts' table
        assert f"contraseña de todas: {DEMO_PASSWORD}" in output and re.search(
            r"^\s+admin\s+Administración", output, re.M
        )

        async with httpx.AsyncClient() as http:
            health = await http.get(f"http://127.0.0.1:{port}/health")
            assert health.status_code == 200 and health.json()["status"] == "ok"
            # a signed link's signature is a credential: the access log keeps the path only
            await http.get(f"http://127.0.0.1:{port}/files/QXR0YWNobWVudDox?t=FIRMA-SECRETA.abc&x=1")
        logged = await asyncio.wait_for(read_until(r"^.*GET /files/QXR0YWNobWVudDox\?t=.*$"), 10)
        assert "FIRMA-SECRETA" not in logged.group(0) and "t=…&x=1" in logged.group(0), logged.group(0)
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.wait(), 30)
