"""Throughput of the MCS GraphQL API on PostgreSQL, through a real HTTP server.

    .venv/bin/python -m bench.core [--documents N] [--database-url URL] [--seconds S]

1. drop, recreate and migrate the database; create an org tree of 101 units and its users;
2. bulk-load N documents (COPY): documents, their chain, one DOCUMENT_REGISTERED event each
   with its audience, and the folio counters;
3. start `mcs serve` as a subprocess and drive it with concurrent httpx clients:
   `{ __typename }` (without and with a token), a filtered `documents` page of 50 (with and
   without a search term) and `registerDocument`;
4. replay one documents page in-process, capture its SQL and run it under EXPLAIN ANALYZE.

It prints figures, then one `RESULT core.<line> …` line per measured line, and asserts nothing
about speed. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator

import asyncpg
import httpx
from sqlalchemy import event
from sqlalchemy.engine import make_url

from mcs.app import build_services, create_app
from mcs.migrations import migrate
from core.settings import Settings
from models.clock import Clock
from models.db import Database
from models.documents import Document, DocumentStatus, Origin, Priority, SenderLevel, format_folio
from models.events import EventKind
from models.org import OrgUnit, OrgUnitKind, create_unit
from models.users import Membership, Role, User, hash_password
from schema.ids import to_global_id

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/mcs_bench"
REPO = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password"
HEAD_USERNAME = "bench_head"  # HEAD of the root unit: every read goes through the visibility predicate
REGISTER_UNIT = "DG1D1"  # its REGISTRAR runs the mutations
COPY_BATCH = 5_000
SPREAD = timedelta(days=730)  # received_at is spread over the last two years

# --- sample data ---------------------------------------------------------------------------

MUNICIPALITIES = [
    "Tlalnepantla",
    "Ecatepec",
    "Naucalpan",
    "Toluca",
    "Texcoco",
    "Chalco",
    "Metepec",
    "Zumpango",
    "Tecámac",
    "Nezahualcóyotl",
    "Huixquilucan",
    "Atizapán",
]
ORGANIZATIONS = {
    SenderLevel.FEDERAL: [
        ("Secretaría de Hacienda y Crédito Público", "SHCP"),
        ("Comisión Nacional de Vivienda", "CONAVI"),
        ("Secretaría de Bienestar", "BIEN"),
        ("Instituto Mexicano del Seguro Social", "IMSS"),
    ],
    SenderLevel.STATE: [
        ("Secretaría de Desarrollo Urbano", "SEDUR"),
        ("Secretaría de Salud del Estado", "SSE"),
        ("Secretaría de Finanzas del Estado", "SEFIN"),
        ("Instituto Estatal de Educación", "IEE"),
    ],
    SenderLevel.MUNICIPAL: [(f"Ayuntamiento de {m}", f"MUN{i:02d}") for i, m in enumerate(MUNICIPALITIES)],
    SenderLevel.ORGANIZATION: [
        ("Cámara Nacional de Comercio", "CANACO"),
        ("Fundación Techo Digno, A.C.", "FTD"),
        ("Asociación de Colonos del Valle, A.C.", "ACV"),
    ],
}
LEVEL_WEIGHTS = {
    SenderLevel.FEDERAL: 15,
    SenderLevel.STATE: 25,
    SenderLevel.MUNICIPAL: 20,
    SenderLevel.ORGANIZATION: 10,
    SenderLevel.CITIZEN: 20,
    SenderLevel.INTERNAL: 10,
}
SUBJECTS = [
    "Solicitud de información sobre el programa de vivienda",
    "Petición de apoyo para mejoramiento de vivienda",
    "Invitación a la reunión de coordinación regional",
    "Remisión del informe trimestral de actividades",
    "Solicitud de audiencia con el titular",
    "Queja por falta de servicio de agua potable",
    "Solicitud de pago a proveedores",
    "Convocatoria al comité de transparencia",
    "Requerimiento de información de la auditoría",
    "Solicitud de reparación de alumbrado público",
    "Envío de observaciones al proyecto de presupuesto",
    "Solicitud de constancia de no adeudo",
    "Propuesta de convenio de colaboración",
    "Notificación de cambio de domicilio fiscal",
    "Solicitud de becas para estudiantes",
    "Petición de poda de árboles en la vía pública",
]
SUMMARIES = [
    "Solicita el padrón de beneficiarios del ejercicio anterior.",
    "Pide que se atienda a la brevedad y se informe del resultado.",
    "Adjunta el documento de referencia para su conocimiento y atención.",
    "Requiere respuesta dentro del plazo señalado por la normatividad aplicable.",
    "Informa de los avances y solicita la validación correspondiente.",
]
FIRST_NAMES = [
    "María",
    "José",
    "Guadalupe",
    "Juan",
    "Ana",
    "Luis",
    "Rosa",
    "Carlos",
    "Patricia",
    "Jorge",
    "Verónica",
    "Miguel",
    "Leticia",
    "Francisco",
    "Sofía",
    "Ramón",
]
LAST_NAMES = [
    "Hernández",
    "García",
    "Martínez",
    "López",
    "González",
    "Pérez",
    "Rodríguez",
    "Sánchez",
    "Ramírez",
    "Cruz",
    "Flores",
    "Gómez",
    "Morales",
    "Vázquez",
    "Jiménez",
    "Núñez",
]
TITLES = ["Lic.", "Ing.", "Mtra.", "Mtro.", "Dr.", "C.P.", "Arq."]
POSITIONS = ["Director General", "Directora de Área", "Subdirector", "Jefa de Departamento", "Coordinador", "Titular"]
INTERNAL_TYPES = ["MEMORANDUM", "TARJETA_INFORMATIVA", "CIRCULAR"]
# status by age: recent documents are open, old ones mostly concluded or archived
RECENT_STATUS = ([DocumentStatus.REGISTERED, DocumentStatus.IN_PROGRESS, DocumentStatus.CONCLUDED], [45, 40, 15])
OLD_STATUS = (
    [DocumentStatus.REGISTERED, DocumentStatus.IN_PROGRESS, DocumentStatus.CONCLUDED, DocumentStatus.ARCHIVED],
    [5, 10, 65, 20],
)

# --- GraphQL ---------------------------------------------------------------------------------

LOGIN = "mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) { token errors { code message } } }"
TYPENAME = "{ __typename }"
DOCUMENTS = """query($filter: DocumentFilter) {
  documents(filter: $filter, first: 50) {
    totalCount
    edges { node { folio subject unit { acronym } registeredBy { fullName } sender { name level } trafficLight } }
  }
}"""
REGISTER = """mutation($input: RegisterDocumentInput!) {
  registerDocument(input: $input) { document { id folio } warnings errors { code field message } }
}"""


# --- phase 1: database, org tree, users ------------------------------------------------------


def libpq_dsn(url: str, database: str | None = None) -> str:
    """The SQLAlchemy URL as a plain DSN for asyncpg (optionally for another database)."""
    parsed = make_url(url).set(drivername="postgresql")
    if database:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def recreate_database(url: str) -> None:
    name = make_url(url).database
    conn = await asyncpg.connect(libpq_dsn(url, "postgres"), timeout=10)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def org_plan() -> list[tuple[str, str, str, OrgUnitKind, str | None]]:
    """(acronym, code, name, kind, parent): a root, 4 general directorates, 16 directorates, 80 below."""
    plan = [("INST", "0", "Institución", OrgUnitKind.UNIT, None)]
    for g in range(1, 5):
        dg = f"DG{g}"
        plan.append((dg, f"{g}", f"Dirección General {g}", OrgUnitKind.GENERAL_DIRECTORATE, "INST"))
        for d in range(1, 5):
            da = f"{dg}D{d}"
            plan.append((da, f"{g}.{d}", f"Dirección {g}.{d}", OrgUnitKind.DIRECTORATE, dg))
            for s in range(1, 6):
                kind, label = (
                    (OrgUnitKind.SUBDIRECTORATE, "Subdirección") if s <= 2 else (OrgUnitKind.DEPARTMENT, "Departamento")
                )
                plan.append((f"{da}S{s}", f"{g}.{d}.{s}", f"{label} {g}.{d}.{s}", kind, da))
    return plan


@dataclass
class World:
    units: list[OrgUnit]
    registrar_of: dict[int, int]  # unit id -> user id of its REGISTRAR
    register_unit: OrgUnit

    @property
    def register_username(self) -> str:
        return registrar_username(self.register_unit)

    @property
    def user_count(self) -> int:
        return len(self.registrar_of) + 1


def registrar_username(unit: OrgUnit) -> str:
    return f"reg_{unit.acronym.lower()}"


async def create_org_and_users(url: str) -> World:
    """The org tree through the model (create_unit), a HEAD of the root and a REGISTRAR per unit."""
    db = Database(url)
    password_hash = hash_password(PASSWORD)  # argon2 is slow on purpose: hash once, reuse
    now = datetime.now(timezone.utc)
    try:
        async with db.transaction() as session:
            units: dict[str, OrgUnit] = {}
            for acronym, code, name, kind, parent in org_plan():
                units[acronym] = await create_unit(
                    session, code=code, acronym=acronym, name=name, kind=kind, parent=units[parent] if parent else None
                )

            def user(username: str, full_name: str, unit: OrgUnit, role: Role) -> User:
                person = User(
                    username=username,
                    password_hash=password_hash,
                    full_name=full_name,
                    active=True,
                    token_version=0,
                    created_at=now,
                    memberships=[Membership(unit_id=unit.id, role=role.value)],
                )
                session.add(person)
                return person

            user(HEAD_USERNAME, "Titular de la Institución", units["INST"], Role.HEAD)
            registrars = {
                u.id: user(registrar_username(u), f"Control de gestión {u.acronym}", u, Role.REGISTRAR)
                for u in units.values()
            }
            await session.flush()
        return World(
            units=list(units.values()),
            registrar_of={uid: r.id for uid, r in registrars.items()},
            register_unit=units[REGISTER_UNIT],
        )
    finally:
        await db.dispose()


# --- phase 2: bulk load ----------------------------------------------------------------------


def person(rng: random.Random) -> str:
    return f"{rng.choice(TITLES)} {rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {rng.choice(LAST_NAMES)}"


def generate_documents(world: World, n: int, seed: int, clock: Clock) -> Iterator[Document]:
    """N documents in received order (ids 1..N), folios numbered per unit and year like registration does."""
    rng = random.Random(seed)
    now = clock.now()
    received = sorted(now - SPREAD * rng.random() for _ in range(n))
    numbers: dict[tuple[int, int], int] = defaultdict(int)
    levels, weights = list(LEVEL_WEIGHTS), list(LEVEL_WEIGHTS.values())
    for doc_id, received_at in enumerate(received, start=1):
        unit = rng.choice(world.units)
        day = clock.local_date(received_at)
        numbers[unit.id, day.year] += 1
        number = numbers[unit.id, day.year]
        level = rng.choices(levels, weights)[0]
        email = phone = address = organization = reference = position = None
        if level == SenderLevel.INTERNAL:
            sender_unit = rng.choice(world.units)
            name, position, organization = person(rng), rng.choice(POSITIONS), sender_unit.name
            reference = f"{sender_unit.acronym}/{rng.randint(1, 9999):04d}/{day.year}"
            document_type = rng.choice(INTERNAL_TYPES)
        elif level == SenderLevel.CITIZEN:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            name = f"C. {first} {last} {rng.choice(LAST_NAMES)}"
            email = f"{first[0].lower()}{last.lower()}{rng.randint(1, 999)}@correo.mx"
            phone = f"55{rng.randint(10_000_000, 99_999_999)}"
            address = f"Calle {rng.choice(LAST_NAMES)} {rng.randint(1, 300)}, {rng.choice(MUNICIPALITIES)}"
            document_type = "SOLICITUD_CIUDADANA"
        else:
            organization, acronym = rng.choice(ORGANIZATIONS[level])
            name, position = person(rng), rng.choice(POSITIONS)
            reference = f"{acronym}/{rng.randint(1, 9999):04d}/{day.year}"
            document_type = "OFICIO" if rng.random() < 0.8 else "INVITACION"
        subject = rng.choice(SUBJECTS) + (f" en {rng.choice(MUNICIPALITIES)}" if rng.random() < 0.5 else "")
        status_choices, status_weights = OLD_STATUS if (now - received_at).days > 60 else RECENT_STATUS
        document = Document(
            id=doc_id,
            folio=format_folio(unit.acronym, day.year, number),
            unit_id=unit.id,
            year=day.year,
            number=number,
            origin=(Origin.INTERNAL if level == SenderLevel.INTERNAL else Origin.EXTERNAL).value,
            document_type=document_type,
            reference=reference,
            subject=subject,
            summary=rng.choice(SUMMARIES) if rng.random() < 0.7 else None,
            sender_level=level.value,
            sender_name=name,
            sender_position=position,
            sender_organization=organization,
            sender_email=email,
            sender_phone=phone,
            sender_address=address,
            addressee=f"Titular de {unit.name}" if rng.random() < 0.5 else None,
            document_date=day - timedelta(days=rng.randint(0, 10)),
            received_at=received_at,
            due_date=day + timedelta(days=rng.randint(5, 30)) if rng.random() < 0.6 else None,
            priority=(Priority.URGENT if rng.random() < 0.1 else Priority.NORMAL).value,
            confidential=rng.random() < 0.03,
            status=rng.choices(status_choices, status_weights)[0].value,
            registered_by_id=world.registrar_of[unit.id],
            created_at=min(now, received_at + timedelta(minutes=rng.randint(0, 30))),
        )
        document.refresh_derived()
        yield document


DOCUMENT_COLUMNS = list(Document.__table__.columns)


def document_record(document: Document) -> tuple:
    """The row COPY writes; unset attributes take their column's default, as a flush would."""
    values = []
    for column in DOCUMENT_COLUMNS:
        value = getattr(document, column.key)
        if value is None and column.default is not None and column.default.is_scalar:
            value = column.default.arg
        values.append(value)
    return tuple(values)


EVENT_COLUMNS = ["id", "kind", "occurred_at", "actor_id", "document_id", "data"]

FINISH_LOAD = """
INSERT INTO folio_counters (unit_id, year, last_number)
    SELECT unit_id, year, max(number) FROM documents GROUP BY unit_id, year;
SELECT setval(pg_get_serial_sequence('documents', 'id'), (SELECT max(id) FROM documents));
SELECT setval(pg_get_serial_sequence('events', 'id'), (SELECT max(id) FROM events));
-- the loaded events are history: the notifier starts after them, as migration 0016 starts an
-- existing installation's (else a server spends its first minutes notifying the past: on the
-- state's 12,000,000 events, 30 ms of CPU per registration went to it)
UPDATE notifier_cursor SET event_id = (SELECT coalesce(max(id), 0) FROM events);
"""


async def copy_batch(conn: asyncpg.Connection, documents: list[Document], lineage: dict[int, list[int]]) -> None:
    """One batch: documents, their chain (the registering unit), one event each and its audience."""
    await conn.copy_records_to_table(
        "documents", columns=[c.name for c in DOCUMENT_COLUMNS], records=[document_record(d) for d in documents]
    )
    await conn.copy_records_to_table(
        "document_units", columns=["document_id", "unit_id"], records=[(d.id, d.unit_id) for d in documents]
    )
    # event id = document id: the log is in registration order, as if registered one by one
    await conn.copy_records_to_table(
        "events",
        columns=EVENT_COLUMNS,
        records=[
            (
                d.id,
                EventKind.DOCUMENT_REGISTERED.value,
                d.created_at,
                d.registered_by_id,
                d.id,
                json.dumps({"folio": d.folio, "unitId": d.unit_id}),
            )
            for d in documents
        ],
    )
    await conn.copy_records_to_table(
        "event_audience",
        columns=["event_id", "unit_id"],
        records=[(d.id, unit_id) for d in documents for unit_id in lineage[d.unit_id]],
    )


async def load_documents(url: str, world: World, n: int, seed: int) -> None:
    lineage = {u.id: u.lineage_ids for u in world.units}
    conn = await asyncpg.connect(libpq_dsn(url))
    try:
        async with conn.transaction():
            batch: list[Document] = []
            for document in generate_documents(world, n, seed, Clock()):
                batch.append(document)
                if len(batch) == COPY_BATCH:
                    await copy_batch(conn, batch, lineage)
                    batch = []
            if batch:
                await copy_batch(conn, batch, lineage)
            await conn.execute(FINISH_LOAD)
        # what autovacuum would do eventually: fresh statistics and a visibility map
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


# --- phase 3: the server and what it costs ---------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def proc_status_mb(pid: int, key: str) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return None


class Server:
    """`mcs serve --no-migrate` on a free loopback port, in a subprocess (the real server)."""

    def __init__(self, url: str, secret: str, workdir: Path, extra_env: dict[str, str] | None = None):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "server.log"
        env = {
            **os.environ,
            "MCS_DATABASE_URL": url,
            "MCS_SECRET_KEY": secret,
            "MCS_VAR_DIR": str(workdir),
            **(extra_env or {}),
        }  # e.g. bench.notifications: the SMTP server and the notifier's period
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "mcs.cli",
                    "serve",
                    "--no-migrate",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                env=env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.base_url) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise SystemExit(f"the server exited with {self.process.returncode}:\n{self.log_tail()}")
                try:
                    if (await client.get("/health")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
        raise SystemExit(f"the server did not answer /health in {timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    @property
    def rss_mb(self) -> float | None:
        return proc_status_mb(self.process.pid, "VmRSS")

    @property
    def peak_rss_mb(self) -> float | None:
        return proc_status_mb(self.process.pid, "VmHWM")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def machine_busy_seconds() -> float:
    """CPU time the whole machine spent busy (all cores), from /proc/stat."""
    try:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(
            int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
        )
    except (FileNotFoundError, ValueError):
        return 0.0
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def tcp_ports_of(pid: int) -> set[int]:
    """The local TCP ports of a process's sockets (its connections to PostgreSQL among them)."""
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except FileNotFoundError:
        return set()
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for row in rows:
            fields = row.split()
            if fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


class CpuMeter:
    """CPU used by the server process, the PostgreSQL backends connected to it, this process (the
    client) and everything else on the machine (other work competing for the cores).

    Backends are matched by the client port of their connection (and parallel workers by their
    leader): other sessions on the same database are not the server's cost. A backend's last CPU
    seen is kept after it exits, so the count never goes backwards (a pooled connection closed
    between two snapshots made the difference negative)."""

    def __init__(self, server: Server, monitor: asyncpg.Connection):
        self.server, self.monitor = server, monitor
        self.backend_cpu: dict[int, float] = {}

    async def snapshot(self) -> dict[str, float]:
        ports = sorted(tcp_ports_of(self.server.process.pid))
        pids = [
            r["pid"]
            for r in await self.monitor.fetch(
                "WITH ours AS (SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "              AND client_port = ANY($1::int[])) "
                "SELECT pid FROM ours UNION SELECT pid FROM pg_stat_activity WHERE leader_pid IN (SELECT pid FROM ours)",
                ports,
            )
        ]
        for pid in pids:
            self.backend_cpu[pid] = max(self.backend_cpu.get(pid, 0.0), cpu_seconds(pid))
        ours = {
            "server": cpu_seconds(self.server.process.pid),
            "db": sum(self.backend_cpu.values()),
            "client": time.process_time(),
        }
        return {**ours, "others": machine_busy_seconds() - sum(ours.values())}


# --- phase 3: measurements -------------------------------------------------------------------


@dataclass
class Result:
    name: str
    latencies: list[float]
    elapsed: float
    failures: list[str] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)  # share of one core during the run

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed

    def percentile_ms(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


Check = Callable[[dict], str | None]


def problem_of(response: httpx.Response, check: Check) -> str | None:
    """Why a response does not count as a success, or None."""
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:300]}"
    body = response.json()
    if body.get("errors"):
        return json.dumps(body["errors"], ensure_ascii=False)[:300]
    return check(body["data"])


async def drive(
    client: httpx.AsyncClient,
    make_body: Callable[[], dict],
    check: Check,
    token: str | None,
    seconds: float,
    clients: int,
) -> tuple[list[float], list[str], float]:
    """`clients` workers send requests back to back for `seconds`; latencies of the successful ones."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    latencies: list[float] = []
    failures: list[str] = []
    stop_at = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < stop_at:
            body = make_body()
            started = time.perf_counter()
            response = await client.post("/graphql", json=body, headers=headers)
            latency = time.perf_counter() - started
            problem = problem_of(response, check)
            if problem:
                failures.append(problem)
            else:
                latencies.append(latency)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies, failures, time.perf_counter() - started


async def measure(
    name: str,
    client: httpx.AsyncClient,
    meter: CpuMeter,
    make_body: Callable[[], dict],
    check: Check,
    token: str | None,
    seconds: float,
    clients: int,
) -> Result:
    """One request first (it must succeed), a short warm-up, then the measured run."""
    probe = problem_of(
        await client.post("/graphql", json=make_body(), headers={"Authorization": f"Bearer {token}"} if token else {}),
        check,
    )
    if probe:
        raise SystemExit(f"{name}: the request fails: {probe}")
    await drive(client, make_body, check, token, min(2.0, seconds / 5), clients)
    before = await meter.snapshot()
    latencies, failures, elapsed = await drive(client, make_body, check, token, seconds, clients)
    after = await meter.snapshot()
    cpu = {k: (after[k] - before[k]) / elapsed for k in before}
    return Result(name, latencies, elapsed, failures, cpu)


def ok(_data: dict) -> str | None:
    return None


def page_check(data: dict) -> str | None:
    return None if data["documents"]["edges"] else "empty page"


def register_check(data: dict) -> str | None:
    payload = data["registerDocument"]
    return json.dumps(payload["errors"], ensure_ascii=False) if payload["errors"] else None


def document_filters(clock: Clock) -> dict[str, dict]:
    today = clock.today()
    base = {
        "period": {"from": (today - timedelta(days=365)).isoformat(), "to": today.isoformat()},
        "status": ["REGISTERED"],
        "senderLevel": ["STATE", "FEDERAL"],
    }
    return {'search "vivienda"': {**base, "search": "vivienda"}, "no search": base}


def register_body_factory(unit: OrgUnit, seed: int) -> Callable[[], dict]:
    """registerDocument inputs with a fresh reference each (so no duplicate warnings) and varied text."""
    rng = random.Random(seed)
    counter = itertools.count(1)
    unit_id = to_global_id("OrgUnit", unit.id)

    def make() -> dict:
        organization, acronym = rng.choice(ORGANIZATIONS[SenderLevel.STATE])
        return {
            "query": REGISTER,
            "variables": {
                "input": {
                    "unitId": unit_id,
                    "origin": "EXTERNAL",
                    "documentType": "OFICIO",
                    "reference": f"{acronym}/BENCH/{next(counter):06d}",
                    "subject": rng.choice(SUBJECTS),
                    "summary": rng.choice(SUMMARIES),
                    "sender": {
                        "level": "STATE",
                        "name": person(rng),
                        "position": rng.choice(POSITIONS),
                        "organization": organization,
                    },
                }
            },
        }

    return make


async def login(client: httpx.AsyncClient, username: str) -> str:
    response = await client.post("/graphql", json={"query": LOGIN, "variables": {"u": username, "p": PASSWORD}})
    payload = response.json()["data"]["login"]
    if not payload["token"]:
        raise SystemExit(f"login of {username} failed: {payload['errors']}")
    return payload["token"]


@dataclass
class ServerRun:
    results: list[Result]
    page_matches: dict[str, int]
    rss_idle: float | None
    rss_end: float | None
    rss_peak: float | None


async def run_server_phases(url: str, secret: str, world: World, seconds: float, clients: int) -> ServerRun:
    filters = document_filters(Clock())
    with tempfile.TemporaryDirectory(prefix="mcs-bench-") as workdir:
        server = Server(url, secret, Path(workdir))
        monitor = await asyncpg.connect(libpq_dsn(url))
        try:
            await server.wait_ready()
            meter = CpuMeter(server, monitor)
            limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
            async with httpx.AsyncClient(base_url=server.base_url, timeout=120, limits=limits) as client:
                head = await login(client, HEAD_USERNAME)
                registrar = await login(client, world.register_username)
                rss_idle = server.rss_mb
                results = [
                    await measure(
                        "{__typename}", client, meter, lambda: {"query": TYPENAME}, ok, None, seconds, clients
                    ),
                    await measure(
                        "{__typename} with a token",
                        client,
                        meter,
                        lambda: {"query": TYPENAME},
                        ok,
                        head,
                        seconds,
                        clients,
                    ),
                ]
                matches = {}
                for label, document_filter in filters.items():
                    body = {"query": DOCUMENTS, "variables": {"filter": document_filter}}
                    first = (
                        await client.post("/graphql", json=body, headers={"Authorization": f"Bearer {head}"})
                    ).json()
                    matches[label] = (first.get("data") or {}).get("documents", {}).get("totalCount", 0)
                    results.append(
                        await measure(
                            f"documents page of 50, {label}",
                            client,
                            meter,
                            lambda b=body: b,
                            page_check,
                            head,
                            seconds,
                            clients,
                        )
                    )
                results.append(
                    await measure(
                        "registerDocument",
                        client,
                        meter,
                        register_body_factory(world.register_unit, seed=7),
                        register_check,
                        registrar,
                        seconds,
                        clients,
                    )
                )
                return ServerRun(results, matches, rss_idle, server.rss_mb, server.peak_rss_mb)
        finally:
            await monitor.close()
            server.stop()


# --- phase 4: the SQL of one documents page --------------------------------------------------

SKIP_SQL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def shorten_sql(statement: str, width: int = 150) -> str:
    """One line, with long select lists elided."""
    flat = " ".join(statement.split())
    flat = re.sub(r"SELECT (.+?) FROM", lambda m: f"SELECT {m[1] if len(m[1]) < 40 else '…'} FROM", flat)
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def plan_figure(plan: list[str], pattern: str) -> str | None:
    """The first match of `pattern` in the lines of an EXPLAIN ANALYZE output."""
    return next((m[1] for line in plan if (m := re.match(pattern, line))), None)


async def explain_statements(engine, statements: list[tuple[str, object]], full: bool, width: int = 150) -> None:
    """Run captured statements under EXPLAIN ANALYZE; print each one's execution time (and JIT),
    with the whole plan when `full`."""
    async with engine.connect() as conn:
        for statement, parameters in statements:
            plan = (await conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)).scalars().all()
            took = plan_figure(plan, r"^Execution Time: ([\d.]+ ms)") or "?"
            jit = plan_figure(plan, r"^\s*Timing: .*Total ([\d.]+ ms)")
            print(f"  {took:>12} {f'(JIT {jit})' if jit else '':<18} {shorten_sql(statement, width)}")
            if full:
                print("\n".join("      " + line for line in plan))


async def profile_documents_sql(url: str, secret: str, explain: bool) -> None:
    """Run each documents page once in-process, capture its SQL and replay it under EXPLAIN ANALYZE."""
    with tempfile.TemporaryDirectory(prefix="mcs-bench-") as workdir:
        settings = Settings.from_env(database_url=url, redis_url=None, secret_key=secret, files_dir=Path(workdir))
        services = build_services(settings)
        captured: list[tuple[str, object]] = []

        def capture(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(SKIP_SQL):
                captured.append((statement, parameters))

        event.listen(services.db.engine.sync_engine, "before_cursor_execute", capture)
        transport = httpx.ASGITransport(app=create_app(services=services))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                token = await login(client, HEAD_USERNAME)
                for label, document_filter in document_filters(services.clock).items():
                    captured.clear()
                    response = await client.post(
                        "/graphql",
                        json={"query": DOCUMENTS, "variables": {"filter": document_filter}},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    response.raise_for_status()
                    statements = list(captured)
                    print(
                        f"\nSQL of one documents page ({label}): {len(statements)} statements, EXPLAIN ANALYZE execution time"
                        " (with the JIT compilation it includes)"
                    )
                    await explain_statements(services.db.engine, statements, explain)
        finally:
            await services.db.dispose()


# --- report and main -------------------------------------------------------------------------


def code_version() -> str:
    """The commit measured (and whether the tree had local changes), for the record."""
    try:
        return (
            subprocess.run(
                ["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True, text=True, timeout=10
            ).stdout.strip()
            or "unknown"
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def print_report(
    documents: int, load_seconds: float, world: World, run: ServerRun, seconds: float, clients: int
) -> None:
    def mb(value: float | None) -> str:
        return f"{value:.0f} MB" if value is not None else "n/a"

    print()
    print(
        f"documents loaded: {documents} in {load_seconds:.1f} s "
        f"({len(world.units)} units, {world.user_count} users, one event per document)"
    )
    print(
        f"server: mcs serve (uvicorn, one process) at {code_version()}, on {os.cpu_count()} cores; "
        f"{clients} concurrent clients, {seconds:g} s per line"
    )
    print(f"server RSS: idle {mb(run.rss_idle)}, at the end {mb(run.rss_end)}, peak {mb(run.rss_peak)}")
    for label, count in run.page_matches.items():
        print(f"documents page, {label}: totalCount {count}")
    print()
    baseline = run.results[0].rate
    print(f"{'':40} {'req/s':>6} {'p50':>9} {'p99':>9} {'ratio':>6}   CPU/req: server  postgres   busy: client  rest")
    for r in run.results:
        per_request = "  ".join(
            f"{1000 * r.cpu.get(k, 0) / r.rate:6.1f} ms" if r.rate else "     n/a" for k in ("server", "db")
        )
        busy = "  ".join(f"{100 * r.cpu.get(k, 0):4.0f}%" for k in ("client", "others"))
        print(
            f"{r.name:40} {r.rate:6.0f} {r.percentile_ms(0.5):6.1f} ms {r.percentile_ms(0.99):6.1f} ms "
            f"{r.rate / baseline:6.2f}         {per_request}          {busy}"
        )
        if r.failures:
            print(f"    {len(r.failures)} failed requests, first: {r.failures[0]}")
    print(
        "ratio: throughput relative to {__typename}. CPU/req: CPU time of the server process and of the\n"
        "PostgreSQL backends connected to it (parallel workers only if alive at a snapshot), per request.\n"
        "busy: share of one core used by this process (the clients) and by the rest of the machine."
    )
    if max(r.cpu.get("others", 0) for r in run.results) > 0.25:
        print("warning: the rest of the machine was busy during the runs: req/s and latencies are pessimistic.")


RESULT_NAMES = {
    "{__typename}": "typename",
    "{__typename} with a token": "typename_token",
    'documents page of 50, search "vivienda"': "documents.search",
    "documents page of 50, no search": "documents.page",
    "registerDocument": "register",
}


def print_results(run: ServerRun, documents: int) -> None:
    """The machine-readable summary: one RESULT line per measured line (CPU in ms per request;
    busy_rest: share of one core used by the rest of the machine)."""
    print()
    for r in run.results:
        per_request = {k: (1000 * r.cpu.get(k, 0) / r.rate if r.rate else float("nan")) for k in ("server", "db")}
        print(
            f"RESULT core.{RESULT_NAMES.get(r.name, r.name)} documents={documents} req_s={r.rate:.1f} "
            f"p50_ms={r.percentile_ms(0.5):.1f} p99_ms={r.percentile_ms(0.99):.1f} "
            f"server_cpu_ms={per_request['server']:.1f} pg_cpu_ms={per_request['db']:.1f} "
            f"failures={len(r.failures)} busy_rest={r.cpu.get('others', 0):.2f}"
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.core", description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=100_000, help="documents to bulk-load (default 100000)")
    parser.add_argument(
        "--database-url", default=DEFAULT_URL, help=f"PostgreSQL database to DROP and recreate (default {DEFAULT_URL})"
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per line (default 10)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients (default 8)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the generated documents")
    parser.add_argument("--explain", action="store_true", help="print the full plans of the documents page's SQL")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = args.database_url
    if make_url(url).get_backend_name() != "postgresql":
        raise SystemExit("bench.core needs a PostgreSQL URL (postgresql+asyncpg://...)")
    secret = secrets.token_urlsafe(48)
    print(f"recreating {make_url(url).render_as_string(hide_password=True)} and migrating…", flush=True)
    asyncio.run(recreate_database(url))
    migrate(url)  # Alembic runs its own event loop: outside ours
    world = asyncio.run(create_org_and_users(url))
    print(f"loading {args.documents} documents…", flush=True)
    started = time.perf_counter()
    asyncio.run(load_documents(url, world, args.documents, args.seed))
    load_seconds = time.perf_counter() - started
    print(
        f"documents loaded: {args.documents} in {load_seconds:.1f} s; measuring ({args.seconds:g} s per line)…",
        flush=True,
    )
    run = asyncio.run(run_server_phases(url, secret, world, args.seconds, args.clients))
    print_report(args.documents, load_seconds, world, run, args.seconds, args.clients)
    asyncio.run(profile_documents_sql(url, secret, args.explain))
    print_results(run, args.documents)
    return 0


if __name__ == "__main__":
    sys.exit(main())
