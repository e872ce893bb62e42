"""Exports across instances, for real: `mcs serve` processes sharing one database (and Redis, and
the files folder), with the default settings.

- An instance killed with SIGKILL while its exports run: another instance says FAILED (with the
  Spanish reason) within 30 s, and the jobs' partial files under exports/tmp are gone within 60 s,
  both when the owner keeps asking (`node`) and when nobody asks (the periodic cleaner).
- A live export whose chunk query takes longer than the stale timeout is not failed by another
  instance's cleaner: its heartbeat is a task of its own, in its own transactions.

The measured times are printed (`pytest -s`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select, text, update

import resolvers.exports.sources as exports_module
from models.clock import Clock
from models.documents import Document, DocumentUnit
from models.exports import STALE_ERROR, Export, ExportStatus
from resolvers.exports.runner import export_runner
from schema.ids import decode_id, to_global_id
from tests.conftest import REDIS_CHANNEL, REDIS_URL

MCS = Path(sys.executable).with_name("mcs")
START = """mutation($input: ExportInput!) { startExport(input: $input) {
  export { id status } errors { code field message } } }"""
NODE = """query($id: ID!) { node(id: $id) { ... on Export { id status rows totalRows error url } } }"""
FAILED_WITHIN = 30.0  # seconds from the kill (the targets, with the default settings)
FILES_GONE_WITHIN = 60.0
DOCUMENTS = 40_000  # several seconds of export on this kind of machine, loaded in a few seconds


# --- a real server: `mcs serve` in its own process ------------------------------------------------


@dataclasses.dataclass
class Instance:
    name: str
    process: subprocess.Popen
    log: Path
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


async def start_instance(name: str, env: dict[str, str], cwd: Path) -> Instance:
    log = cwd / f"{name}.log"
    with open(log, "wb") as out:  # a file, not a pipe: nothing blocks on a full pipe while the test polls
        process = subprocess.Popen(
            [str(MCS), "serve", "--host", "127.0.0.1", "--port", "0", "--no-migrate"],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    instance = Instance(name, process, log)
    deadline = time.monotonic() + 60
    while not (banner := re.search(r"^MCS sirve en http://127\.0\.0\.1:(\d+)/", instance.output(), re.M)):
        assert process.poll() is None, f"{name} ended (exit {process.returncode}):\n{instance.output()}"
        assert time.monotonic() < deadline, f"{name} did not start:\n{instance.output()}"
        await asyncio.sleep(0.1)
    instance.port = int(banner.group(1))
    return instance


async def stop_instance(instance: Instance) -> None:
    if instance.process.poll() is None:
        instance.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.to_thread(instance.process.wait), 30)
        except asyncio.TimeoutError:
            instance.process.kill()
            await asyncio.to_thread(instance.process.wait)


def instance_env(services, home: Path, **extra: str) -> dict[str, str]:
    """The environment of an instance: the test's database, Redis channel, files and key; every
    export setting at its default unless given."""
    settings = services.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCS_")}
    env.update(
        MCS_VAR_DIR=str(home),
        MCS_DATABASE_URL=settings.database_url,
        MCS_FILES_DIR=str(settings.files_dir),
        MCS_SECRET_KEY=settings.secret_key,
        MCS_DEADLINE_WATCH_SECONDS="0",
        MCS_TEXT_EXTRACTION_SECONDS="0",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    if settings.redis_url:
        env.update(MCS_REDIS_URL=REDIS_URL, MCS_REDIS_CHANNEL=REDIS_CHANNEL)
    return env


@pytest.fixture
async def instances(services, tmp_path):
    """start(name, **env) -> a running Instance; every one is stopped at the end."""
    started: list[Instance] = []

    async def start(name: str, **extra: str) -> Instance:
        home = tmp_path / name
        home.mkdir()
        instance = await start_instance(name, instance_env(services, home, **extra), tmp_path)
        started.append(instance)
        return instance

    yield start
    for instance in started:
        await stop_instance(instance)


@pytest.fixture
def real_clock(services, world):
    """The servers run on the real clock: so must the test's tokens and the in-process job."""
    services.clock = Clock(services.settings.timezone)
    return services.clock


async def gql(http: httpx.AsyncClient, instance: Instance, query: str, variables: dict, token: str) -> dict:
    response = await http.post(
        f"{instance.url}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


# --- data: many documents, loaded in bulk --------------------------------------------------------


async def load_documents(services, world, n: int) -> None:
    """n documents registered in the units below DG (their chains too), in batches of plain INSERTs:
    what registerDocument would leave, without its events (exports do not read them). On
    PostgreSQL, as a superuser, with the triggers off like a bulk load (the search index and the
    daily counts are of no use here, and kept row by row they take most of the time)."""
    units = [world.units[a] for a in ("DG", "DA", "SRH", "DRH", "DJ")]
    registrar = world.users["da_reg"].id
    start = datetime(2025, 1, 1, 15, 0, tzinfo=timezone.utc)
    batch = 5_000
    for first in range(0, n, batch):
        documents, chains = [], []
        for i in range(first, min(n, first + batch)):
            unit = units[i % len(units)]
            received = start + timedelta(minutes=7 * i)
            number = i // len(units) + 1
            documents.append(
                dict(
                    id=i + 1,
                    folio=f"{unit.acronym}/2025/{number:05d}",
                    unit_id=unit.id,
                    year=2025,
                    number=number,
                    origin="EXTERNAL",
                    document_type="OFICIO",
                    reference=f"REF/{i}",
                    subject=f"Solicitud de información número {i} sobre el programa de vivienda",
                    summary="Pide que se atienda a la brevedad y se informe del resultado." if i % 3 else None,
                    sender_level="STATE",
                    sender_name=f"Lic. María Pérez {i % 97}",
                    sender_organization="Secretaría de Desarrollo Urbano",
                    document_date=date(2025, 1, 1),
                    received_at=received,
                    due_date=date(2026, 1, 1) + timedelta(days=i % 300) if i % 2 else None,
                    priority="URGENT" if i % 10 == 0 else "NORMAL",
                    confidential=i % 33 == 0,
                    status="CONCLUDED" if i % 4 == 0 else "REGISTERED",
                    registered_by_id=registrar,
                    created_at=received,
                    turno_count=0,
                )
            )
            chains.append(dict(document_id=i + 1, unit_id=unit.id))
        async with services.db.transaction() as session:
            if (
                not services.db.is_sqlite
                and (await session.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))).scalar()
            ):
                await session.execute(text("SET LOCAL session_replication_role = replica"))
            await session.execute(insert(Document.__table__), documents)
            await session.execute(insert(DocumentUnit.__table__), chains)
    async with services.db.transaction() as session:
        if not services.db.is_sqlite:
            await session.execute(text("SELECT setval(pg_get_serial_sequence('documents', 'id'), :n)"), {"n": n})
    if not services.db.is_sqlite:
        async with services.db.engine.connect() as conn:  # fresh statistics, as autovacuum would leave
            await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(text("ANALYZE"))


async def export_row(services, export_id: int) -> Export:
    async with services.db.session() as session:
        return (await session.execute(select(Export).where(Export.id == export_id))).scalar_one()


def job_files(services, export_id: int) -> list[Path]:
    """The job's temporary files: its folder under exports/tmp and what is in it."""
    tmp = Path(services.settings.files_dir) / "exports" / "tmp"
    return (
        sorted(p for p in tmp.glob(f"{export_id}-*")) + sorted(p for p in tmp.glob(f"{export_id}-*/*"))
        if tmp.is_dir()
        else []
    )


# --- kill -9 ---------------------------------------------------------------------------------------


async def test_a_killed_instance_s_exports_fail_on_another_within_30_s(services, world, instances, real_clock, capsys):
    async def load() -> float:
        began = time.monotonic()
        await load_documents(services, world, DOCUMENTS)
        return time.monotonic() - began

    # the data loads while the two instances start (with the default export settings)
    loaded, a, b = await asyncio.gather(load(), instances("a"), instances("b"))
    token = world.tokens["dg_head"]

    async with httpx.AsyncClient(timeout=30) as http:
        # two jobs on A: the owner asks B about the first; nobody asks about the second
        ids = []
        for period in ({}, {"period": {"from": "2025-01-01"}}):
            started = (await gql(http, a, START, {"input": {"documents": period}}, token))["startExport"]
            assert started["errors"] == [], started
            ids.append(started["export"]["id"])
        asked, unasked = ids
        numeric = {i: decode_id(i, "Export", "id") for i in ids}

        # both RUNNING, rows written, a partial workbook on disk
        deadline = time.monotonic() + 60
        while True:
            states = [(await gql(http, b, NODE, {"id": i}, token))["node"] for i in ids]
            if all(s["status"] == "RUNNING" and s["rows"] > 0 for s in states) and all(
                any(p.is_file() for p in job_files(services, numeric[i])) for i in ids
            ):
                break
            assert all(s["status"] in ("PENDING", "RUNNING") for s in states), states
            assert time.monotonic() < deadline, (states, a.output())
            await asyncio.sleep(0.05)
        a.process.kill()  # SIGKILL: no shutdown, no FAILED written, the files left behind
        killed = time.monotonic()
        await asyncio.to_thread(a.process.wait)
        assert all(s["rows"] < s["totalRows"] for s in states), states  # killed mid-job
        partial = {i: job_files(services, numeric[i]) for i in ids}
        assert all(partial.values()), partial

        failed_at: dict[str, float] = {}
        gone_at: dict[str, float] = {}
        answers: dict[str, dict] = {}
        while len(failed_at) < 2 or len(gone_at) < 2:
            elapsed = time.monotonic() - killed
            assert elapsed < FILES_GONE_WITHIN + 5, (failed_at, gone_at, b.output()[-3000:])
            if asked not in failed_at:  # the owner keeps asking B
                node = (await gql(http, b, NODE, {"id": asked}, token))["node"]
                assert node["status"] in ("RUNNING", "FAILED"), node
                if node["status"] == "FAILED":
                    failed_at[asked], answers[asked] = elapsed, node
            if unasked not in failed_at:  # nobody asks: read the row (a read changes nothing)
                row = await export_row(services, numeric[unasked])
                if row.status == ExportStatus.FAILED.value:
                    failed_at[unasked] = elapsed
            for i in ids:
                if i not in gone_at and not job_files(services, numeric[i]):
                    gone_at[i] = elapsed
            await asyncio.sleep(0.2)
        answers[unasked] = (await gql(http, b, NODE, {"id": unasked}, token))["node"]

    with capsys.disabled():
        print(
            f"\n[{services.settings.database_url.split(':')[0]}] {DOCUMENTS:,} documents loaded in {loaded:.1f} s; "
            f"killed at rows {[s['rows'] for s in states]} of {states[0]['totalRows']}; kill -> FAILED: "
            f"owner asking B {failed_at[asked]:.1f} s, nobody asking {failed_at[unasked]:.1f} s; "
            f"kill -> partial files gone: {gone_at[asked]:.1f} s and {gone_at[unasked]:.1f} s"
        )
    for i in ids:
        assert failed_at[i] <= FAILED_WITHIN, (i, failed_at)
        assert gone_at[i] <= FILES_GONE_WITHIN, (i, gone_at)
        assert (answers[i]["status"], answers[i]["error"], answers[i]["url"]) == ("FAILED", STALE_ERROR, None)
        assert "se detuvo" in answers[i]["error"]  # the Spanish reason
    for files in partial.values():
        assert not any(p.exists() for p in files)
    exports = Path(services.settings.files_dir) / "exports"
    assert [p for p in exports.rglob("*") if p.is_file()] == []  # no finished file either


# --- a live job is not failed -----------------------------------------------------------------------


def slow_chunks(monkeypatch, services, seconds: float) -> list[float]:
    """Before each chunk's query the job's connection runs a query of `seconds` in the job's
    snapshot (pg_sleep; on SQLite a function that sleeps in the connection's thread): a chunk on a
    very busy database. Returns the list of when each slow query ended."""
    real = exports_module._keyset_chunks
    ended: list[float] = []

    async def slow(session, *args):
        connection = await session.connection()
        async for rows in real(session, *args):
            if services.db.is_sqlite:
                raw = await connection.get_raw_connection()
                await raw.driver_connection.create_function("mcs_test_sleep", 1, time.sleep)
                await connection.execute(text("SELECT mcs_test_sleep(:s)"), {"s": seconds})
            else:
                await connection.execute(text("SELECT pg_sleep(:s)"), {"s": seconds})
            ended.append(time.monotonic())
            yield rows

    monkeypatch.setattr(exports_module, "_keyset_chunks", slow)
    return ended


async def test_a_live_job_with_a_chunk_longer_than_the_stale_timeout_is_not_failed(
    api, services, world, instances, real_clock, monkeypatch
):
    """This process runs the job, with a stale timeout of 3 s (so it beats every 0.75 s); its one
    chunk takes 7.5 s. Instance B, with the same stale timeout and a pass every 0.5 s, fails a dead
    job that turns stale while that chunk runs (proof that its cleaner runs then, and sees the
    same rows and files), and leaves the live one alone."""
    stale = 3.0
    services.settings = dataclasses.replace(services.settings, export_stale_seconds=stale, export_cleanup_seconds=0)
    _, b = await asyncio.gather(
        load_documents(services, world, 300),
        instances("b", MCS_EXPORT_STALE_SECONDS=str(stale), MCS_EXPORT_CLEANUP_SECONDS="0.5"),
    )
    ended = slow_chunks(monkeypatch, services, seconds=2.5 * stale)
    started = (await api.ok(START, {"input": {"documents": {}}}, token=world.tokens["dg_head"]))["startExport"]
    assert started["errors"] == []
    export_id = decode_id(started["export"]["id"], "Export", "id")
    began = time.monotonic()
    while (await export_row(services, export_id)).status != "RUNNING":
        await asyncio.sleep(0.02)

    # a job whose process died just now, with its partial file
    now = real_clock.now()
    async with services.db.transaction() as session:
        dead = Export(
            user_id=world.users["da_reg"].id,
            kind="DOCUMENTS",
            filter="{}",
            status="RUNNING",
            rows=0,
            progress=0.0,
            filename="documentos.xlsx",
            created_at=now,
            heartbeat_at=now,
            expires_at=now + timedelta(hours=24),
        )
        session.add(dead)
    dead_files = Path(services.settings.files_dir) / "exports" / "tmp" / f"{dead.id}-0123456789abcdef"
    dead_files.mkdir(parents=True)
    (dead_files / f".{dead.id}.xlsx.part").write_bytes(b"PK partial")

    seen, beats, dead_gone = set(), set(), None
    while (row := await export_row(services, export_id)).status not in ("DONE", "FAILED"):
        seen.add(row.status)
        if not ended:  # the slow query still runs: the heartbeat moves on its own
            beats.add(row.heartbeat_at)
            if (
                dead_gone is None
                and (await export_row(services, dead.id)).status == "FAILED"
                and not dead_files.exists()
            ):
                dead_gone = time.monotonic()
        assert time.monotonic() - began < 60
        await asyncio.sleep(0.1)
    await export_runner(services).wait_idle()
    assert (row.status, row.error, row.rows) == ("DONE", None, 300), (row.status, row.error, b.output()[-3000:])
    assert "FAILED" not in seen
    assert ended and ended[0] - began > 2.5 * stale  # the chunk did take longer than the stale timeout
    assert len(beats) >= 4, sorted(beats)  # beats while the chunk's query ran, not only between chunks
    # meanwhile B failed the dead job and removed its partial file
    assert dead_gone is not None and dead_gone < ended[0], b.output()[-3000:]
    dead_row = await export_row(services, dead.id)
    assert (dead_row.status, dead_row.error) == ("FAILED", STALE_ERROR)

    # the live job's workbook is complete, and downloads from B
    node = (await api.ok(NODE, {"id": to_global_id("Export", export_id)}, token=world.tokens["dg_head"]))["node"]
    async with httpx.AsyncClient(base_url=b.url) as http:
        response = await http.get(node["url"])
    assert response.status_code == 200
    assert load_workbook(BytesIO(response.content))["Documentos"].max_row == 301


async def test_a_job_failed_as_stale_while_alive_stops_and_leaves_no_file(
    api, services, world, real_clock, monkeypatch
):
    """A job that only looked dead (its process was frozen, its database out of reach) and was
    FAILED meanwhile: its next heartbeat finds the row no longer running, and the job stops after
    its current chunk, removing its files; the row keeps what the check wrote."""
    services.settings = dataclasses.replace(services.settings, export_stale_seconds=2.0)
    monkeypatch.setattr(exports_module, "CHUNK", 100)
    await load_documents(services, world, 300)
    ended = slow_chunks(monkeypatch, services, seconds=1.0)
    started = (await api.ok(START, {"input": {"documents": {}}}, token=world.tokens["dg_head"]))["startExport"]
    export_id = decode_id(started["export"]["id"], "Export", "id")
    while not job_files(services, export_id):
        await asyncio.sleep(0.02)
    async with services.db.transaction() as session:  # what another instance's check would write
        await session.execute(
            update(Export)
            .where(Export.id == export_id)
            .values(status=ExportStatus.FAILED.value, error=STALE_ERROR, finished_at=real_clock.now())
        )
    await asyncio.wait_for(export_runner(services).wait_idle(), 30)
    row = await export_row(services, export_id)
    assert (row.status, row.error, row.file_key) == ("FAILED", STALE_ERROR, None)
    assert len(ended) < 3 and row.rows < 300  # it did not go on to the end
    assert [p for p in (Path(services.settings.files_dir) / "exports").rglob("*") if p.is_file()] == []
