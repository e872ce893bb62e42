"""Realtime delivery of the MCS inbox feed: latency and CPU with many websocket subscribers.

    .venv/bin/python -m bench.realtime [--subscribers 1000] [--units 100] [--rate 50] [--seconds 20]
                                       [--instances 1|2] [--worst-events 10] [--no-worst-case]

1. drop, recreate and migrate the database; an org tree (a root, general directorates,
   directorates, departments: `--units` below the root), the subscribers spread over those
   units (HEAD/VIEWER/STAFF), one REGISTRAR per unit and, for the worst case, `--subscribers`
   HEADs of the root; tokens are minted with the server's secret (no argon2 sign-in);
2. start 1 or 2 `mcs serve` processes (2: behind the local Redis, on a channel of their own);
3. connect the subscribers (graphql-transport-ws, spread over the instances) and subscribe to
   `inboxEvents(afterSequence: <newest event>)`; register one document in every unit and wait
   until every client has received the ones it may see: then every subscription is live;
4. measure the server idle with the subscribers connected, then produce `registerDocument`
   (a random unit, as its REGISTRAR, on the first instance) at `--rate` per second for
   `--seconds`, open loop; every event reaches the unit and its ancestors' subscribers;
5. worst case: the root HEADs alone are connected; one registration at a time (the next one
   when all deliveries of the previous one arrived, at least 1 s later), each delivered to all.

Latency is measured from two clocks of the same machine: the HTTP response of the mutation
(it arrives after the commit and after the wake-up was published: a lower bound of
commit -> receive) and the event's occurredAt (taken by the server at the start of the
use case, before the commit: an upper bound). It prints figures and asserts nothing about
speed; see bench/REALTIME.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import asyncpg
import httpx
import websockets
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from websockets.asyncio.client import connect as ws_connect

from bench.core import (
    ORGANIZATIONS,
    POSITIONS,
    REGISTER,
    REPO,
    SUBJECTS,
    SUMMARIES,
    Server,
    cpu_seconds,
    free_port,
    libpq_dsn,
    machine_busy_seconds,
    person,
    proc_status_mb,
    recreate_database,
)
from mcs.migrations import migrate
from core.settings import Settings
from models.clock import Clock
from models.db import Database
from models.documents import SenderLevel
from models.events import Event
from models.org import OrgUnit, OrgUnitKind, create_unit
from models.users import SUBTREE_ROLES, Membership, Role, User, hash_password
from resolvers.auth import issue_token
from schema.ids import to_global_id

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/mcs_bench_rt"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
PROTOCOL = "graphql-transport-ws"
INBOX = """subscription($after: String) { inboxEvents(afterSequence: $after) {
  sequence kind occurredAt document { folio } } }"""
MAX_IN_FLIGHT = 64  # producer: mutations outstanding at once (open loop below that)
CONNECT_CONCURRENCY = 50


# --- phase 1: database, org tree, users, tokens ----------------------------------------------


@dataclass(frozen=True)
class Unit:
    id: int
    acronym: str
    path: str

    @property
    def lineage(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p]


@dataclass(frozen=True)
class Subscriber:
    user_id: int
    unit: Unit
    role: Role
    token: str

    def sees_registration_in(self, unit: Unit) -> bool:
        """Would this user see a document registered in `unit`? (models/permissions.py)"""
        return unit.id == self.unit.id or (self.role in SUBTREE_ROLES and unit.path.startswith(self.unit.path))


@dataclass
class World:
    root: Unit
    units: list[Unit]  # below the root: where subscribers sit and documents are registered
    subscribers: list[Subscriber]
    root_heads: list[Subscriber]  # the worst case
    registrar_token: dict[int, str]  # unit id -> a REGISTRAR's token


def org_plan(units: int) -> list[tuple[str, OrgUnitKind, str | None]]:
    """(acronym, kind, parent): a root, then `units` below it: ~1/25 general directorates with
    4 directorates each, the rest departments spread over the directorates."""
    if units < 6:
        raise SystemExit("--units must be at least 6")
    generals = max(1, round(units / 25))
    directorates = 4 * generals
    leaves = units - generals - directorates
    plan: list[tuple[str, OrgUnitKind, str | None]] = [("INST", OrgUnitKind.UNIT, None)]
    plan += [(f"DG{g + 1}", OrgUnitKind.GENERAL_DIRECTORATE, "INST") for g in range(generals)]
    plan += [(f"DG{d // 4 + 1}D{d % 4 + 1}", OrgUnitKind.DIRECTORATE, f"DG{d // 4 + 1}") for d in range(directorates)]
    for leaf in range(leaves):
        d = leaf % directorates
        parent = f"DG{d // 4 + 1}D{d % 4 + 1}"
        plan.append((f"{parent}S{leaf // directorates + 1}", OrgUnitKind.DEPARTMENT, parent))
    return plan


def role_for(slot: int, kind: OrgUnitKind) -> Role:
    """Departments: one HEAD, the rest STAFF. Above: 3 HEADs, a VIEWER, the rest STAFF."""
    if kind == OrgUnitKind.DEPARTMENT:
        return Role.HEAD if slot == 0 else Role.STAFF
    return Role.HEAD if slot < 3 else Role.VIEWER if slot == 3 else Role.STAFF


def token_services(secret: str) -> SimpleNamespace:
    """What issue_token needs: the server's secret and clock (the same settings as `mcs serve`)."""
    settings = Settings.from_env(database_url="unused", redis_url=None, secret_key=secret, files_dir=Path("."))
    return SimpleNamespace(settings=settings, clock=Clock(settings.timezone))


async def create_world(url: str, units: int, subscribers: int, secret: str, worst_case: bool) -> World:
    db = Database(url)
    password_hash = hash_password(secrets.token_urlsafe(12))  # nobody signs in: hash once
    now = datetime.now(timezone.utc)
    services = token_services(secret)
    try:
        async with db.transaction() as session:
            made: dict[str, OrgUnit] = {}
            kinds: dict[str, OrgUnitKind] = {}
            for n, (acronym, kind, parent) in enumerate(org_plan(units)):
                made[acronym] = await create_unit(
                    session,
                    code=f"B{n}",
                    acronym=acronym,
                    name=f"Unidad {acronym}",
                    kind=kind,
                    parent=made[parent] if parent else None,
                )
                kinds[acronym] = kind
            below = [u for a, u in made.items() if a != "INST"]

            def user(username: str, unit: OrgUnit, role: Role) -> User:
                person_ = User(
                    username=username,
                    password_hash=password_hash,
                    full_name=f"Usuario {username}",
                    active=True,
                    token_version=0,
                    created_at=now,
                    memberships=[Membership(unit_id=unit.id, role=role.value)],
                )
                session.add(person_)
                return person_

            people: list[tuple[User, OrgUnit, Role]] = []
            for i in range(subscribers):  # round robin: every unit gets the same number, +-1
                unit = below[i % len(below)]
                role = role_for(i // len(below), kinds[unit.acronym])
                people.append((user(f"sub{i:05d}", unit, role), unit, role))
            heads = [user(f"roothead{i:05d}", made["INST"], Role.HEAD) for i in range(subscribers if worst_case else 0)]
            registrars = {u.id: user(f"reg_{u.acronym.lower()}", u, Role.REGISTRAR) for u in below}
            await session.flush()

            def as_unit(u: OrgUnit) -> Unit:
                return Unit(u.id, u.acronym, u.path)

            root = as_unit(made["INST"])
            return World(
                root=root,
                units=[as_unit(u) for u in below],
                subscribers=[Subscriber(p.id, as_unit(u), r, issue_token(services, p)) for p, u, r in people],
                root_heads=[Subscriber(h.id, root, Role.HEAD, issue_token(services, h)) for h in heads],
                registrar_token={uid: issue_token(services, r) for uid, r in registrars.items()},
            )
    finally:
        await db.dispose()


async def newest_sequence(url: str) -> int:
    db = Database(url)
    try:
        async with db.session() as session:
            return (await session.execute(select(func.max(Event.id)))).scalar() or 0
    finally:
        await db.dispose()


# --- phase 2: the server processes -----------------------------------------------------------


class Instance(Server):
    """`mcs serve --no-migrate` (bench.core.Server) with the realtime settings in its environment."""

    def __init__(
        self,
        url: str,
        secret: str,
        workdir: Path,
        redis_url: str | None,
        channel: str,
        name: str,
        extra_env: dict[str, str] | None = None,
        workers: int = 1,
    ):
        self.name = name
        self.workers = workers
        self.worker_pids: list[int] = []  # with --workers N: the forked workers (read once ready)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/graphql"
        workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "server.log"
        env = {
            **os.environ,
            "MCS_DATABASE_URL": url,
            "MCS_SECRET_KEY": secret,
            "MCS_VAR_DIR": str(workdir),
            "MCS_DEADLINE_WATCH_SECONDS": "0",
            "MCS_MAX_CONNECTIONS_PER_USER": "100",
            "MCS_REDIS_CHANNEL": channel,
        }
        env.pop("MCS_REDIS_URL", None)
        if redis_url:
            env["MCS_REDIS_URL"] = redis_url
        env.update(extra_env or {})
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
                    "--workers",
                    str(workers),
                ],
                env=env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    async def wait_ready(self, timeout: float = 60) -> None:
        await super().wait_ready(timeout)
        if self.workers > 1:  # /health answered by one worker: wait for all of them
            deadline = time.monotonic() + timeout
            while len(self.worker_pids) < self.workers and time.monotonic() < deadline:
                self.worker_pids = sorted(children_of(self.pid))
                await asyncio.sleep(0.2)
            await asyncio.sleep(1.0)  # the last one's startup

    @property
    def pids(self) -> list[int]:
        """The processes whose CPU counts: the server, or the supervisor and its workers."""
        return [self.pid, *self.worker_pids]

    @property
    def cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.pids)

    @property
    def rss_mb(self) -> float | None:
        return sum(proc_status_mb(pid, "VmRSS") or 0 for pid in self.pids) or None

    @property
    def peak_rss_mb(self) -> float | None:
        return sum(proc_status_mb(pid, "VmHWM") or 0 for pid in self.pids) or None


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.add(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return found


def raise_fd_limit() -> None:
    """1,000 sockets in this process (and as many in the servers, who inherit the limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


async def redis_pid(redis_url: str) -> int | None:
    import redis.asyncio as redis

    client = redis.Redis.from_url(redis_url, socket_connect_timeout=2)
    try:
        return int((await client.info("server"))["process_id"])
    except Exception:  # noqa: BLE001 - only for the CPU figure
        return None
    finally:
        await client.aclose()


class Meter:
    """CPU seconds of the servers, the PostgreSQL backends of the database, Redis, this process
    (the clients) and the rest of the machine, between begin() and end().

    The pool closes and opens backends while we measure (overflow connections), so the backends
    are sampled every 0.25 s: a backend that exits loses only its last quarter of a second."""

    lock: asyncio.Lock | None = None  # the monitor connection runs one query at a time

    def __init__(self, instances: list[Instance], monitor: asyncpg.Connection, redis: int | None):
        self.instances, self.monitor, self.redis = instances, monitor, redis
        self.start: dict[str, float] = {}
        self.started_at = 0.0
        self.elapsed = 0.0
        self.pg_first: dict[int, float] = {}
        self.pg_last: dict[int, float] = {}
        self.pg_churn = (0, 0)  # PostgreSQL backends opened, closed during the measure
        self._initial: set[int] = set()
        self._sampler: asyncio.Task | None = None

    async def _pg_pids(self) -> set[int]:
        if Meter.lock is None:
            Meter.lock = asyncio.Lock()
        async with Meter.lock:
            return {
                r["pid"]
                for r in await self.monitor.fetch(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            }

    async def _sample_pg(self, initial: bool = False) -> set[int]:
        pids = await self._pg_pids()
        for pid in pids:
            cpu = cpu_seconds(pid)
            if pid not in self.pg_first:
                self.pg_first[pid] = cpu if initial else 0.0  # born during the measure: all of it counts
            if cpu:
                self.pg_last[pid] = cpu
        return pids

    async def _sample_forever(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            await self._sample_pg()

    def _snapshot(self) -> dict[str, float]:
        values = {i.name: i.cpu for i in self.instances}
        values["redis"] = cpu_seconds(self.redis) if self.redis else 0.0
        values["client"] = time.process_time()
        values["machine"] = machine_busy_seconds()
        return values

    async def begin(self) -> None:
        self.pg_first, self.pg_last = {}, {}
        self._initial = await self._sample_pg(initial=True)
        self.start = self._snapshot()
        self.started_at = time.perf_counter()
        self.elapsed = 0.0
        self._sampler = asyncio.create_task(self._sample_forever())

    async def end(self) -> dict[str, float]:
        """Share of one core (1.0 = one core busy) of each part since begin()."""
        self._sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._sampler
        alive = await self._sample_pg()
        elapsed = self.elapsed = time.perf_counter() - self.started_at
        now = self._snapshot()
        shares = {k: (now[k] - self.start.get(k, 0.0)) / elapsed for k in now}
        shares["postgres"] = sum(self.pg_last.get(p, f) - f for p, f in self.pg_first.items()) / elapsed
        shares["others"] = shares["machine"] - sum(v for k, v in shares.items() if k != "machine")
        self.pg_churn = (len(set(self.pg_first) - self._initial), len(set(self.pg_first) - alive))
        return shares


# --- phase 3: the subscribers ----------------------------------------------------------------


@dataclass
class Client:
    index: int
    subscriber: Subscriber
    instance: Instance
    socket: object = None
    reader: asyncio.Task | None = None
    received: int = 0


class Inbox:
    """Every `next` message any client receives: (receive time, client index, raw text). The
    readers only timestamp and store; parsing waits until the phase is over."""

    def __init__(self):
        self.messages: list[tuple[float, int, str]] = []
        self.other: list[tuple[int, str]] = []  # error/complete messages, closes

    def reset(self) -> list[tuple[float, int, str]]:
        taken, self.messages = self.messages, []
        return taken


async def read_forever(client: Client, inbox: Inbox) -> None:
    socket = client.socket
    try:
        async for raw in socket:
            now = time.time()
            if raw.startswith('{"type":"next"') or '"next"' in raw[:40]:
                client.received += 1
                inbox.messages.append((now, client.index, raw))
            elif '"ping"' in raw[:40]:
                await socket.send('{"type":"pong"}')
            else:
                inbox.other.append((client.index, raw[:500]))
    except websockets.ConnectionClosed as closed:
        inbox.other.append((client.index, f"closed: {closed}"))


async def connect_clients(
    subscribers: list[Subscriber],
    instances: list[Instance],
    inbox: Inbox,
    after: int,
    compression: bool,
    timeout: float = 300,
) -> list[Client]:
    """Connect (connection_init with the token, wait for the ack) and subscribe, 50 at a time;
    clients alternate between the instances."""
    clients = [Client(i, s, instances[i % len(instances)]) for i, s in enumerate(subscribers)]
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    subscribe = json.dumps(
        {"id": "inbox", "type": "subscribe", "payload": {"query": INBOX, "variables": {"after": str(after)}}}
    )

    async def open_one(client: Client) -> None:
        async with gate:
            socket = None
            try:
                socket = await ws_connect(
                    client.instance.ws_url,
                    subprotocols=[PROTOCOL],
                    open_timeout=30,
                    compression="deflate" if compression else None,
                    max_queue=None,
                )
                await socket.send(
                    json.dumps({"type": "connection_init", "payload": {"token": client.subscriber.token}})
                )
                ack = json.loads(await asyncio.wait_for(socket.recv(), 30))
                if ack.get("type") != "connection_ack":
                    raise RuntimeError(f"not accepted: {ack}")
                await socket.send(subscribe)
            except (OSError, asyncio.TimeoutError, websockets.WebSocketException, RuntimeError, ValueError) as error:
                inbox.other.append((client.index, f"connect failed: {error!r}"))
                if socket is not None:
                    with contextlib.suppress(Exception):
                        await socket.close()
                return
            client.socket = socket
            client.reader = asyncio.create_task(read_forever(client, inbox))

    async def progress() -> None:
        started = time.perf_counter()
        while True:
            await asyncio.sleep(10)
            print(
                f"  … {sum(1 for c in clients if c.socket)} of {len(clients)} connected after "
                f"{time.perf_counter() - started:.0f} s",
                flush=True,
            )

    reporter = asyncio.create_task(progress())
    tasks = [asyncio.create_task(open_one(c)) for c in clients]
    if not tasks:
        reporter.cancel()
        return []
    try:
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:  # still connecting after `timeout`: given up, reported as lost
            task.cancel()
            inbox.other.append((-1, f"connect failed: not connected within {timeout:g} s"))
        await asyncio.gather(*pending, return_exceptions=True)
    finally:
        reporter.cancel()
    return [c for c in clients if c.socket is not None]


async def close_clients(clients: list[Client]) -> None:
    async def close_one(client: Client) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.socket.close(), 5)
        if client.reader:
            client.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await client.reader

    await asyncio.gather(*(close_one(c) for c in clients if c.socket is not None))


class LoopLag:
    """How late this process's event loop wakes a 5 ms sleep: when the client itself is the
    bottleneck, receive times (and so the latencies) include this lag."""

    def __init__(self):
        self.samples: list[float] = []
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(0.005)
            self.samples.append(time.perf_counter() - started - 0.005)

    def start(self) -> None:
        self.samples = []
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> list[float]:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        return self.samples


# --- phase 4: producing events ---------------------------------------------------------------


@dataclass
class Produced:
    unit: Unit
    sent_at: float  # wall clock (time.time()) before the request
    returned_at: float = 0.0  # when the mutation's response was read: after the commit
    folio: str | None = None
    problem: str | None = None


class Producer:
    """registerDocument over HTTP as the REGISTRAR of the unit, a fresh reference each time."""

    def __init__(self, instances: "list[Instance] | Instance", world: World, seed: int):
        # several instances: requests go round-robin, as behind a load balancer
        instances = instances if isinstance(instances, list) else [instances]
        self.clients = [
            httpx.AsyncClient(
                base_url=i.base_url,
                timeout=60,
                limits=httpx.Limits(max_connections=MAX_IN_FLIGHT, max_keepalive_connections=MAX_IN_FLIGHT),
            )
            for i in instances
        ]
        self.http = self.clients[0]
        self.world = world
        self.rng = random.Random(seed)
        self.count = 0

    async def register(self, unit: Unit) -> Produced:
        self.count += 1
        organization, acronym = self.rng.choice(ORGANIZATIONS[SenderLevel.STATE])
        body = {
            "query": REGISTER,
            "variables": {
                "input": {
                    "unitId": to_global_id("OrgUnit", unit.id),
                    "origin": "EXTERNAL",
                    "documentType": "OFICIO",
                    "reference": f"{acronym}/RT/{self.count:06d}/{self.rng.randrange(10**9)}",
                    "subject": self.rng.choice(SUBJECTS),
                    "summary": self.rng.choice(SUMMARIES),
                    "sender": {
                        "level": "STATE",
                        "name": person(self.rng),
                        "position": self.rng.choice(POSITIONS),
                        "organization": organization,
                    },
                }
            },
        }
        produced = Produced(unit, time.time())
        try:
            response = await self.clients[self.count % len(self.clients)].post(
                "/graphql", json=body, headers={"Authorization": f"Bearer {self.world.registrar_token[unit.id]}"}
            )
            produced.returned_at = time.time()
            data = response.json()
            payload = (data.get("data") or {}).get("registerDocument")
            if response.status_code != 200 or not payload or payload["errors"]:
                produced.problem = json.dumps(data, ensure_ascii=False)[:300]
            else:
                produced.folio = payload["document"]["folio"]
        except (httpx.HTTPError, ValueError) as error:
            produced.returned_at = time.time()
            produced.problem = repr(error)
        return produced

    async def at_rate(self, units: list[Unit], rate: float, seconds: float) -> tuple[list[Produced], float]:
        """Open loop: request i starts at t0 + i/rate whatever the previous ones are doing (at
        most MAX_IN_FLIGHT outstanding: beyond that the server is saturated anyway)."""
        gate = asyncio.Semaphore(MAX_IN_FLIGHT)
        tasks: list[asyncio.Task] = []
        total = int(rate * seconds)
        started = time.perf_counter()

        async def one(unit: Unit) -> Produced:
            async with gate:
                return await self.register(unit)

        for i in range(total):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(self.rng.choice(units))))
        produced = await asyncio.wait_for(asyncio.gather(*tasks), 120)
        return list(produced), time.perf_counter() - started

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()


# --- phase 5: matching deliveries to events --------------------------------------------------


@dataclass
class Delivery:
    folio: str
    client: int
    received_at: float
    sequence: int
    occurred_at: float


def parse_messages(messages: list[tuple[float, int, str]]) -> tuple[list[Delivery], list[str]]:
    deliveries, problems = [], []
    for received_at, index, raw in messages:
        payload = json.loads(raw).get("payload") or {}
        event = (payload.get("data") or {}).get("inboxEvents")
        if not event or payload.get("errors"):
            problems.append(raw[:300])
            continue
        folio = (event.get("document") or {}).get("folio")
        occurred = datetime.fromisoformat(event["occurredAt"]).timestamp()
        deliveries.append(Delivery(folio, index, received_at, int(event["sequence"]), occurred))
    return deliveries, problems


@dataclass
class Matched:
    expected: int
    received: int
    missing: int
    duplicates: int
    unexpected: int
    from_response: list[float] = field(default_factory=list)  # seconds, one per delivery
    from_occurred: list[float] = field(default_factory=list)
    per_event: dict[str, list[Delivery]] = field(default_factory=dict)


def match(produced: list[Produced], deliveries: list[Delivery], clients: list[Client]) -> Matched:
    """Compare what each client received with what it may see (the permission rules)."""
    by_folio = {p.folio: p for p in produced if p.folio}
    expected = {
        (p.folio, c.index) for p in by_folio.values() for c in clients if c.subscriber.sees_registration_in(p.unit)
    }
    seen = Counter((d.folio, d.client) for d in deliveries if d.folio in by_folio)
    result = Matched(
        expected=len(expected),
        received=sum(seen.values()),
        missing=len(expected - set(seen)),
        duplicates=sum(n - 1 for n in seen.values() if n > 1),
        unexpected=len(set(seen) - expected),
    )
    per_event: dict[str, list[Delivery]] = defaultdict(list)
    for d in deliveries:
        p = by_folio.get(d.folio)
        if p is None:
            continue
        per_event[d.folio].append(d)
        result.from_response.append(d.received_at - p.returned_at)
        result.from_occurred.append(d.received_at - d.occurred_at)
    result.per_event = dict(per_event)
    return result


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def ms(values: list[float], qs=(0.5, 0.95, 0.99, 1.0)) -> str:
    return "  ".join(f"{label} {1000 * pct(values, q):7.1f}" for label, q in zip(("p50", "p95", "p99", "max"), qs))


async def wait_for_counts(clients: list[Client], expected: dict[int, int], timeout: float) -> list[Client]:
    """Until every client has received at least what it expects; the clients still short after
    `timeout` seconds (their subscription ended or the server is far behind)."""
    started = time.perf_counter()
    while True:
        short = [c for c in clients if c.received < expected.get(c.index, 0)]
        if not short or time.perf_counter() - started > timeout:
            return short
        await asyncio.sleep(0.05)


async def settle(clients: list[Client], quiet: float = 1.0, timeout: float = 30) -> None:
    """Until no client has received anything for `quiet` seconds."""
    deadline = time.perf_counter() + timeout
    last = -1
    while time.perf_counter() < deadline:
        total = sum(c.received for c in clients)
        if total == last:
            return
        last = total
        await asyncio.sleep(quiet)


# --- the phases together ---------------------------------------------------------------------


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    results: list[str] = field(default_factory=list)  # the machine-readable lines, printed last

    def add(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)

    def result(self, name: str, **values) -> None:
        self.results.append(
            f"RESULT realtime.{name} "
            + " ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items())
        )


def ended_report(inbox: Inbox, report: Report) -> None:
    """Connections that failed and subscriptions the server ended (error/complete) or closed."""
    if not inbox.other:
        return
    kinds = Counter(
        raw.split(":")[0]
        if raw.startswith(("connect failed", "closed"))
        else (json.loads(raw).get("type") if raw.startswith("{") else "?")
        for _, raw in inbox.other
    )
    report.add(f"  subscriptions lost: {dict(kinds)}; first: {inbox.other[0][1][:250]}")


def cpu_line(shares: dict[str, float], instances: list[Instance], churn: tuple[int, int] = (0, 0)) -> str:
    servers = "  ".join(f"{i.name} {100 * shares[i.name]:5.1f}%" for i in instances)
    return (
        f"CPU (% of one core): {servers}  postgres {100 * shares['postgres']:5.1f}%  "
        f"redis {100 * shares['redis']:4.1f}%  client {100 * shares['client']:5.1f}%  "
        f"others {100 * shares['others']:5.1f}%  machine {100 * shares['machine']:5.1f}% of {100 * os.cpu_count()}%"
        + (f"; PostgreSQL backends opened {churn[0]}, closed {churn[1]} meanwhile" if any(churn) else "")
        + ("  [WARNING: other processes competed for the cores]" if shares["others"] > 0.3 else "")
    )


def rss_line(instances: list[Instance]) -> str:
    return "RSS: " + "  ".join(f"{i.name} {i.rss_mb or 0:.0f} MB (peak {i.peak_rss_mb or 0:.0f} MB)" for i in instances)


async def warm_up(world: World, clients: list[Client], producer: Producer, inbox: Inbox, report: Report) -> None:
    """One registration in every unit; every client waits for the ones it may see. Once a client
    got them, its subscription has replayed from its cursor and waits live."""
    started = time.perf_counter()
    gate = asyncio.Semaphore(8)

    async def one(unit: Unit) -> Produced:
        async with gate:
            return await producer.register(unit)

    produced = await asyncio.gather(*(one(u) for u in world.units))
    failed = [p for p in produced if p.problem]
    done = [p.unit for p in produced if not p.problem]
    expected = {c.index: sum(1 for u in done if c.subscriber.sees_registration_in(u)) for c in clients}
    short = await wait_for_counts(clients, expected, timeout=180)
    await settle(clients, quiet=0.5)
    deliveries, problems = parse_messages(inbox.reset())
    check = match(list(produced), deliveries, clients)
    report.add(
        f"warm-up: {len(produced) - len(failed)} registrations ({len(failed)} failed), {check.received} "
        f"deliveries (expected {check.expected}, missing {check.missing}, duplicates {check.duplicates}, "
        f"unexpected {check.unexpected}); "
        + (f"{len(short)} subscriptions NOT live" if short else "every subscription live")
        + f" after {time.perf_counter() - started:.1f} s"
    )
    if failed:
        report.add(f"  first failed registration: {failed[0].problem}")
    if problems:
        report.add(f"  {len(problems)} messages with errors, first: {problems[0]}")


async def connect_and_warm_up(
    args,
    world: World,
    subscribers: list[Subscriber],
    instances: list[Instance],
    inbox: Inbox,
    producer: Producer,
    report: Report,
    label: str,
) -> list[Client]:
    after = await newest_sequence(args.database_url)
    t = time.perf_counter()
    clients = await connect_clients(subscribers, instances, inbox, after, args.compression)
    report.add(
        f"{label}: connected {len(clients)} of {len(subscribers)} subscribers in {time.perf_counter() - t:.1f} s "
        f"({', '.join(f'{sum(1 for c in clients if c.instance is i)} on {i.name}' for i in instances)})"
    )
    if clients:
        await warm_up(world, clients, producer, inbox, report)
    return clients


async def measure_idle(args, clients: list[Client], instances: list[Instance], meter: Meter, report: Report) -> None:
    await asyncio.sleep(1)
    load = os.getloadavg()[0]
    await meter.begin()
    await asyncio.sleep(args.idle_seconds)
    idle = await meter.end()
    report.add(
        f"idle {args.idle_seconds:g} s with {len(clients)} subscribers connected, no events "
        f"(load average before: {load:.1f}):"
    )
    report.add("  " + cpu_line(idle, instances, meter.pg_churn))


@dataclass
class SteadyRun:
    produced: list[Produced]
    elapsed: float  # of the production
    production_end: float  # wall clock
    producing: dict[str, float]  # CPU shares while producing
    total: dict[str, float]  # CPU shares while producing and draining
    total_seconds: float
    lags: list[float]


async def produce_and_drain(
    args, world: World, clients: list[Client], instances: list[Instance], meter: Meter, producer: Producer, inbox: Inbox
) -> SteadyRun:
    """Produce at the rate, then wait (bounded) for every expected delivery and for quiet."""
    inbox.reset()
    lag = LoopLag()
    lag.start()
    whole = Meter(instances, meter.monitor, meter.redis)  # production and the drain after it
    try:
        async with profiling(args, instances, "steady"):
            await whole.begin()
            await meter.begin()
            produced, elapsed = await producer.at_rate(world.units, args.rate, args.seconds)
            producing = await meter.end()
            production_end = time.time()
            expected = sum(1 for p in produced if p.folio for c in clients if c.subscriber.sees_registration_in(p.unit))
            deadline = time.perf_counter() + args.drain_seconds
            while len(inbox.messages) < expected and time.perf_counter() < deadline:
                await asyncio.sleep(0.1)
            await settle(clients, quiet=0.5, timeout=10)
            total = await whole.end()
    finally:
        lags = await lag.stop()
    return SteadyRun(produced, elapsed, production_end, producing, total, whole.elapsed, lags)


def report_steady(
    args,
    run: SteadyRun,
    m: Matched,
    problems: list[str],
    clients: list[Client],
    instances: list[Instance],
    meter: Meter,
    inbox: Inbox,
    report: Report,
) -> None:
    ok = [p for p in run.produced if p.folio]
    failed = [p for p in run.produced if p.problem]
    first_occurred = {folio: ds[0].occurred_at for folio, ds in m.per_event.items()}
    mutation = [p.returned_at - p.sent_at for p in ok]
    commit_window = [p.returned_at - first_occurred[p.folio] for p in ok if p.folio in first_occurred]
    report.add(
        f"steady: {len(ok)} events in {run.elapsed:.1f} s = {len(ok) / run.elapsed:.1f} ev/s "
        f"(target {args.rate:g}); {len(failed)} failed" + (f", first: {failed[0].problem}" if failed else "")
    )
    report.add(f"  registerDocument round trip ms: {ms(mutation)}")
    report.add(f"  occurredAt -> response ms (the use case's transaction + response): {ms(commit_window)}")
    report.add(
        f"  deliveries {m.received} = {m.received / run.elapsed:.0f}/s; expected {m.expected}, missing "
        f"{m.missing}, duplicates {m.duplicates}, unexpected {m.unexpected}"
    )
    last = max((d.received_at for ds in m.per_event.values() for d in ds), default=run.production_end)
    report.add(f"  last delivery {max(0.0, last - run.production_end):.1f} s after the last event was produced")
    report.add(f"  latency ms, mutation response -> client: {ms(m.from_response)}")
    report.add(f"  latency ms, occurredAt -> client:        {ms(m.from_occurred)}")
    report.add("  while producing: " + cpu_line(run.producing, instances, meter.pg_churn))
    report.add(f"  producing + draining ({run.total_seconds:.0f} s): " + cpu_line(run.total, instances))
    instance_of = {c.index: c.instance.name for c in clients}
    on = Counter(instance_of[d.client] for ds in m.per_event.values() for d in ds)
    seconds = {i.name: run.total[i.name] * run.total_seconds for i in instances}
    report.add(
        "  server CPU over producing + draining: "
        + "; ".join(
            f"{i.name} {seconds[i.name]:.1f} s = {1000 * seconds[i.name] / max(1, len(ok)):.1f} ms per event, "
            + (
                f"{1000 * seconds[i.name] / on[i.name]:.2f} ms per delivery ({on[i.name]} deliveries"
                f"{' + the registrations' if i is instances[0] else ''})"
                if on[i.name]
                else "no deliveries"
            )
            for i in instances
        )
    )
    report.add("  " + rss_line(instances))
    report.add(f"  client event-loop lag ms: {ms(run.lags)}")
    if problems:
        report.add(f"  {len(problems)} messages with errors, first: {problems[0]}")
    ended_report(inbox, report)
    server_seconds = sum(seconds.values())
    report.result(
        f"steady.{config_name(args)}",
        ev_s=len(ok) / run.elapsed,
        p50_ms=1000 * pct(m.from_response, 0.5),
        p95_ms=1000 * pct(m.from_response, 0.95),
        p99_ms=1000 * pct(m.from_response, 0.99),
        server_cpu_ms_per_delivery=1000 * server_seconds / max(1, m.received),
        server_cpu_ms_per_event=1000 * server_seconds / max(1, len(ok)),
        register_p50_ms=1000 * pct(mutation, 0.5),
        register_p99_ms=1000 * pct(mutation, 0.99),
        deliveries=m.received,
        missing=m.missing,
        duplicates=m.duplicates,
        machine_pct=100 * run.producing["machine"],
        others_pct=100 * run.producing["others"],
    )


def config_name(args) -> str:
    """e.g. i1w2: one instance (`mcs serve`) of two workers."""
    return f"i{args.instances}w{args.workers}" + ("_all" if args.produce_on_all else "")


async def steady_run(args, world: World, instances: list[Instance], meter: Meter, report: Report) -> None:
    """The subscribers spread over the units, events at the rate to random units."""
    inbox = Inbox()
    producer = Producer(instances if args.produce_on_all else instances[0], world, seed=args.seed)
    clients: list[Client] = []
    try:
        clients = await connect_and_warm_up(
            args, world, world.subscribers, instances, inbox, producer, report, "steady"
        )
        await measure_idle(args, clients, instances, meter, report)
        run = await produce_and_drain(args, world, clients, instances, meter, producer, inbox)
        deliveries, problems = parse_messages(inbox.reset())
        report_steady(
            args, run, match(run.produced, deliveries, clients), problems, clients, instances, meter, inbox, report
        )
    finally:
        await close_clients(clients)
        await producer.close()


async def worst_case(args, world: World, instances: list[Instance], meter: Meter, report: Report) -> None:
    """All subscribers are HEADs of the root: every registration reaches every one of them. One
    event at a time: the next one starts `--worst-spacing` s after the previous one, or when
    all its deliveries arrived, whichever is later (at most `--worst-timeout` s)."""
    inbox = Inbox()
    producer = Producer(instances[0], world, seed=args.seed + 1)
    lag = LoopLag()
    clients: list[Client] = []
    try:
        after = await newest_sequence(args.database_url)
        t = time.perf_counter()
        clients = await connect_clients(world.root_heads, instances, inbox, after, args.compression)
        report.add(f"worst case: connected {len(clients)} HEADs of the root in {time.perf_counter() - t:.1f} s")
        first = await producer.register(world.units[-1])  # warm-up: all live once all got it
        short = await wait_for_counts(clients, {c.index: 1 for c in clients}, timeout=180)
        if first.problem or short:
            report.add(f"  warm-up: {first.problem or 'ok'}; {len(short)} subscriptions NOT live after 180 s")
        await settle(clients, quiet=0.5)
        inbox.reset()

        lag.start()
        produced: list[Produced] = []
        async with profiling(args, instances, "worst"):
            await meter.begin()
            for i in range(args.worst_events):
                next_at = time.perf_counter() + args.worst_spacing
                before = sum(c.received for c in clients)
                produced.append(await producer.register(random.Random(i).choice(world.units)))
                deadline = time.perf_counter() + args.worst_timeout
                while sum(c.received for c in clients) < before + len(clients) and time.perf_counter() < deadline:
                    await asyncio.sleep(0.01)
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            shares = await meter.end()
        await settle(clients, quiet=0.5, timeout=10)
        lags = await lag.stop()
        deliveries, problems = parse_messages(inbox.reset())
        report_worst_case(
            args,
            produced,
            match(produced, deliveries, clients),
            problems,
            shares,
            lags,
            clients,
            instances,
            meter,
            inbox,
            report,
        )
    finally:
        await lag.stop()
        await close_clients(clients)
        await producer.close()


def report_worst_case(
    args,
    produced: list[Produced],
    m: Matched,
    problems: list[str],
    shares: dict[str, float],
    lags: list[float],
    clients: list[Client],
    instances: list[Instance],
    meter: Meter,
    inbox: Inbox,
    report: Report,
) -> None:
    firsts, lasts, firsts_occ, lasts_occ = [], [], [], []
    for p in produced:
        got = m.per_event.get(p.folio, [])
        if got:
            times = sorted(d.received_at for d in got)
            firsts.append(times[0] - p.returned_at)
            lasts.append(times[-1] - p.returned_at)
            firsts_occ.append(times[0] - got[0].occurred_at)
            lasts_occ.append(times[-1] - got[0].occurred_at)
    report.add(
        f"  {len(produced)} events, one at a time, each to {len(clients)} subscribers: {m.received} deliveries "
        f"(expected {m.expected}, missing {m.missing}, duplicates {m.duplicates})"
    )
    report.add(f"  from the mutation response, first client ms: {ms(firsts)}")
    report.add(f"  from the mutation response, last client ms:  {ms(lasts)}")
    report.add(f"  from occurredAt, first client ms:            {ms(firsts_occ)}")
    report.add(f"  from occurredAt, last client ms:             {ms(lasts_occ)}")
    report.add(f"  all deliveries, from the mutation response ms: {ms(m.from_response)}")
    report.add("  " + cpu_line(shares, instances, meter.pg_churn))
    seconds = {i.name: shares[i.name] * meter.elapsed for i in instances}
    report.add(
        "  server CPU per event (a registration + its fan-out; idle time between events included): "
        + "  ".join(f"{k} {1000 * v / max(1, len(produced)):.0f} ms" for k, v in seconds.items())
    )
    report.add("  " + rss_line(instances))
    report.add(f"  client event-loop lag ms: {ms(lags)}")
    if problems:
        report.add(f"  {len(problems)} messages with errors, first: {problems[0]}")
    ended_report(inbox, report)
    report.result(
        f"worst_case.{config_name(args)}",
        ev_s=len(produced) / max(meter.elapsed, 1e-9),
        p50_ms=1000 * pct(m.from_response, 0.5),
        p99_ms=1000 * pct(m.from_response, 0.99),
        last_p50_ms=1000 * pct(lasts, 0.5),
        server_cpu_ms_per_delivery=1000 * sum(seconds.values()) / max(1, m.received),
        deliveries=m.received,
        missing=m.missing,
    )


async def run(args, world: World, secret: str, report: Report) -> None:
    channel = f"mcs:bench-rt:{secrets.token_hex(4)}"
    redis_url = args.redis_url if args.instances > 1 or args.workers > 1 else None
    workdir = tempfile.mkdtemp(prefix="mcs-bench-rt-")
    failed = False
    try:
        extra = dict(item.split("=", 1) for item in args.server_env)
        instances = [
            Instance(
                args.database_url,
                secret,
                Path(workdir) / f"s{n}",
                redis_url,
                channel,
                f"server{n + 1}",
                extra,
                workers=args.workers,
            )
            for n in range(args.instances)
        ]
        monitor = None
        try:
            for instance in instances:
                await instance.wait_ready()
            monitor = await asyncpg.connect(libpq_dsn(args.database_url))
            meter = Meter(instances, monitor, await redis_pid(redis_url) if redis_url else None)
            report.add(
                f"servers: {', '.join(f'{i.name} pid {i.pid}' + (f' (workers {i.worker_pids})' if i.worker_pids else '') for i in instances)}"
                + (f", Redis {redis_url} channel {channel}" if redis_url else " (in-process bus)")
                + (
                    f"; events produced round-robin on {', '.join(i.name for i in instances)}"
                    if args.produce_on_all
                    else f"; events produced on {instances[0].name}"
                )
                + (f"; server env {' '.join(args.server_env)}" if args.server_env else "")
            )
            if args.profile:
                report.add(f"profiling with py-spy into {args.profile}")
            if not args.no_steady:
                await steady_run(args, world, instances, meter, report)
            if not args.no_worst_case and world.root_heads:
                await worst_case(args, world, instances, meter, report)
            for instance in instances:
                errors = [
                    line
                    for line in instance.log_path.read_text(errors="replace").splitlines()
                    if "Traceback" in line or " ERROR " in line or "WARNING mcs" in line
                ]
                if errors:
                    report.add(f"{instance.name} log: {len(errors)} errors/warnings, first: {errors[0][:200]}")
        except BaseException:
            failed = True
            for instance in instances:
                print(
                    f"--- {instance.name} log (last lines; all of it in {instance.log_path}):\n{instance.log_tail(40)}",
                    file=sys.stderr,
                )
            raise
        finally:
            if monitor is not None:
                await monitor.close()
            for instance in instances:
                instance.stop()
    finally:
        if not failed and not args.keep_logs:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"server logs kept in {workdir}", file=sys.stderr)


@contextlib.asynccontextmanager
async def profiling(args, instances: list[Instance], label: str):
    """py-spy record (raw collapsed stacks) on each server while the phase runs."""
    if not args.profile:
        yield
        return
    out = Path(args.profile)
    out.mkdir(parents=True, exist_ok=True)
    spy_bin = str(Path(sys.executable).parent / "py-spy")
    spies = [
        subprocess.Popen(
            [
                spy_bin,
                "record",
                "--format",
                "raw",
                "--rate",
                "200",
                "--nonblocking",
                "-o",
                str(out / f"{label}-{i.name}-{pid}.txt"),
                "-p",
                str(pid),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in instances
        for pid in (i.worker_pids or [i.pid])
    ]
    try:
        yield
    finally:
        for spy in spies:
            spy.send_signal(subprocess.signal.SIGINT)
        for spy in spies:
            try:
                spy.wait(20)
            except subprocess.TimeoutExpired:
                spy.kill()
                spy.wait()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.realtime", description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000, help="websocket subscribers (default 1000)")
    parser.add_argument("--units", type=int, default=100, help="units below the root (default 100)")
    parser.add_argument("--rate", type=float, default=50, help="events per second (default 50)")
    parser.add_argument("--seconds", type=float, default=20, help="seconds of production (default 20)")
    parser.add_argument("--instances", type=int, choices=(1, 2), default=1, help="server processes (2: behind Redis)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="`mcs serve --workers N` per instance (N > 1: on the Redis bus; default 1)",
    )
    parser.add_argument(
        "--produce-on-all",
        action="store_true",
        help="steady run: registrations round-robin over the instances (default: all on the first)",
    )
    parser.add_argument("--worst-events", type=int, default=10, help="worst case: events to all subscribers")
    parser.add_argument("--worst-spacing", type=float, default=1.0, help="worst case: seconds between them")
    parser.add_argument(
        "--worst-timeout",
        type=float,
        default=60,
        help="worst case: wait at most this long for one event's deliveries (default 60)",
    )
    parser.add_argument("--no-worst-case", action="store_true", help="skip the worst case")
    parser.add_argument("--no-steady", action="store_true", help="skip the steady run")
    parser.add_argument(
        "--drain-seconds",
        type=float,
        default=180,
        help="after producing, wait at most this long for the deliveries (default 180)",
    )
    parser.add_argument("--idle-seconds", type=float, default=5, help="idle measurement before the run")
    parser.add_argument(
        "--compression",
        action="store_true",
        help="let the clients offer permessage-deflate (browsers do; off by default)",
    )
    parser.add_argument("--database-url", default=DEFAULT_URL, help=f"DROPPED and recreated (default {DEFAULT_URL})")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS, help=f"for --instances 2 (default {DEFAULT_REDIS})")
    parser.add_argument("--profile", metavar="DIR", help="run py-spy on the servers, collapsed stacks into DIR")
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="MCS_X=V",
        help="extra environment of the servers, e.g. MCS_REALTIME_CATCHUP_SECONDS=30 (repeatable)",
    )
    parser.add_argument("--keep-logs", action="store_true", help="keep the servers' logs (printed at the end)")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if make_url(args.database_url).get_backend_name() != "postgresql":
        raise SystemExit("bench.realtime needs a PostgreSQL URL (postgresql+asyncpg://...)")
    raise_fd_limit()
    try:
        import uvloop  # the servers run on uvloop too (uvicorn picks it)

        uvloop.install()
    except ImportError:
        pass
    report = Report()
    secret = secrets.token_urlsafe(48)
    started = time.perf_counter()
    asyncio.run(recreate_database(args.database_url))
    migrate(args.database_url)
    world = asyncio.run(
        create_world(args.database_url, args.units, args.subscribers, secret, worst_case=not args.no_worst_case)
    )
    roles = Counter(s.role.value for s in world.subscribers)
    report.add(
        f"bench.realtime: {args.instances} instance(s) of {args.workers} worker(s), {len(world.subscribers)} subscribers in "
        f"{len(world.units)} units ({', '.join(f'{n} {r}' for r, n in sorted(roles.items()))}), "
        f"{args.rate:g} ev/s for {args.seconds:g} s; {os.cpu_count()} cores shared by client, servers, "
        f"PostgreSQL and Redis; websocket compression {'offered' if args.compression else 'off'}"
    )
    report.add(f"setup (database, {len(world.units) + 1} units, users, tokens): {time.perf_counter() - started:.1f} s")
    asyncio.run(run(args, world, secret, report))
    print("\n".join(report.results), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
