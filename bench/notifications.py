"""E-mail notifications on PostgreSQL + Redis: how many one instance sends per second, and the
delay from an event to its mail accepted by the SMTP server.

    .venv/bin/python -m bench.notifications [--turnos N] [--members M] [--rate R] [--seconds S]

1. Drop, recreate and migrate the database; bench.core's org tree (101 units, a HEAD of the root
   and a REGISTRAR per unit), plus M-1 STAFF per unit (M members each), everyone with an e-mail
   address, and the daily digest turned off for everyone (a digest would mix with the notices).
2. An SMTP server in its own process (bench/smtp_sink.py: accepts everything, writes the arrival
   time and Subject of each message to a file).
3. Throughput: the real server (`mcs serve`, MCS_NOTIFY_SECONDS=0: nothing is notified) registers
   N documents in DG1D1 and sends each one turno (`sendTurno`, RESPONSE, 5 business days) to one
   of the other units, round-robin (not the root): N TURNO_SENT events committed, N x M
   notifications owed. The server stops; in this process, against the same database, `collect`
   (events to notification rows) and then `send_due` (rows to SMTP) are timed apart: wall time,
   this process's CPU, its PostgreSQL backends' CPU, the SMTP server's CPU, the rest of the
   machine.
4. Delay: the real server again, now with MCS_NOTIFY_SECONDS (default 2), the SMTP server and
   Redis (a channel of its own); R documents x S seconds are registered first, then `sendTurno`
   runs open-loop at R per second for S seconds. For each turno the delay is the arrival time of
   its messages at the SMTP server (Subject "Nuevo turno: <number> · …") minus the time the
   sendTurno response arrived; the first and the last of its M messages are reported, the last
   being the figure (everyone in the unit told). The notification rows split it: event time to
   the row's creation (the wake-up and the wait for the notifier's pass), creation to SMTP
   accepted (claim, composing, SMTP, and the messages before it in that pass).

It prints figures, then `RESULT notifications.<collect|send|delay> …` lines, and asserts
nothing about speed. See bench/NOTIFICATIONS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from bench.core import (
    PASSWORD,
    REGISTER_UNIT,
    REPO,
    CpuMeter,
    Server,
    World,
    code_version,
    cpu_seconds,
    create_org_and_users,
    libpq_dsn,
    login,
    machine_busy_seconds,
    recreate_database,
    register_body_factory,
)
from mcs.app import build_services
from mcs.migrations import migrate
from core.settings import Settings
from models.db import Database
from models.notifications import NotificationPreference
from models.users import Membership, Role, User, hash_password
from resolvers.notifier import collect, send_due
from schema.ids import to_global_id

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/mcs_bench_notify"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
PUBLIC_URL = "https://mcs.example.gob.mx"
SMTP_FROM = "MCS <mcs@example.gob.mx>"
EMAIL_DOMAIN = "example.gob.mx"
SETUP_CLIENTS = 8  # concurrent requests while loading the backlog
SEND_TURNO = """mutation($input: SendTurnoInput!) {
  sendTurno(input: $input) { turnos { id number } errors { code field message } }
}"""
SUBJECT_NUMBER = re.compile(r"^[^:]+: (\S+) · ")  # "Nuevo turno: DG1D1/2026/000001-T1 · Asunto"


# --- setup -----------------------------------------------------------------------------------


async def add_people(url: str, world: World, members: int) -> int:
    """M-1 STAFF per unit beside its REGISTRAR; everyone an e-mail address; no daily digest.
    Through the ORM, so the users' search text follows their address. Returns the users."""
    db = Database(url)
    password_hash = hash_password(PASSWORD)
    now = datetime.now(timezone.utc)
    try:
        async with db.transaction() as session:
            for unit in world.units:
                for i in range(1, members):
                    session.add(
                        User(
                            username=f"staff_{unit.acronym.lower()}_{i}",
                            password_hash=password_hash,
                            full_name=f"Personal {i} de {unit.acronym}",
                            active=True,
                            token_version=0,
                            created_at=now,
                            memberships=[Membership(unit_id=unit.id, role=Role.STAFF.value)],
                        )
                    )
            await session.flush()
            users = list((await session.execute(select(User))).scalars())
            for user in users:
                user.email = f"{user.username}@{EMAIL_DOMAIN}"
                session.add(
                    NotificationPreference(user_id=user.id, channels={"DAILY_DIGEST": []}, include_subunits=False)
                )
        return len(users)
    finally:
        await db.dispose()


class SmtpSink:
    """bench/smtp_sink.py in a subprocess; its arrival lines read back from the file."""

    def __init__(self, path: Path):
        self.path = path
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.smtp_sink", "--port", "0", "--out", str(path)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        line = self.process.stdout.readline()
        if not line.startswith("listening on "):
            self.process.kill()
            raise SystemExit(f"the SMTP sink did not start: {line}{self.process.stdout.read()}")
        self.port = int(line.rsplit(":", 1)[1])

    @property
    def cpu(self) -> float:
        return cpu_seconds(self.process.pid)

    def arrivals(self) -> list[tuple[float, str]]:
        if not self.path.exists():
            return []
        rows = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            stamp, _, subject = line.partition(" ")
            rows.append((float(stamp), subject))
        return rows

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def number_of(subject: str) -> str | None:
    match = SUBJECT_NUMBER.match(subject)
    return match[1] if match else None


def recipient_units(world: World) -> list:
    """Every unit but the root (its HEAD would be told too) and the sending unit."""
    return [u for u in world.units if u.parent_id is not None and u.acronym != REGISTER_UNIT]


@dataclass
class Sent:
    number: str
    returned_at: float  # time.time() when the sendTurno response was read


async def register_documents(client: httpx.AsyncClient, token: str, world: World, count: int, seed: int) -> list[str]:
    """`count` documents registered in DG1D1 through the API; their global ids."""
    make = register_body_factory(world.register_unit, seed)
    gate = asyncio.Semaphore(SETUP_CLIENTS)
    headers = {"Authorization": f"Bearer {token}"}

    async def one() -> str:
        async with gate:
            body = (await client.post("/graphql", json=make(), headers=headers)).json()
        payload = (body.get("data") or {}).get("registerDocument")
        if not payload or payload["errors"]:
            raise SystemExit(f"registerDocument failed: {body}")
        return payload["document"]["id"]

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def send_turno(client: httpx.AsyncClient, token: str, document_id: str, unit) -> Sent:
    body = {
        "query": SEND_TURNO,
        "variables": {
            "input": {
                "documentId": document_id,
                "recipients": [
                    {"unitId": to_global_id("OrgUnit", unit.id), "instruction": "RESPONSE", "businessDays": 5}
                ],
            }
        },
    }
    response = await client.post("/graphql", json=body, headers={"Authorization": f"Bearer {token}"})
    returned_at = time.time()
    data = response.json()
    payload = (data.get("data") or {}).get("sendTurno")
    if response.status_code != 200 or not payload or payload["errors"]:
        raise SystemExit(f"sendTurno failed: {data}")
    return Sent(payload["turnos"][0]["number"], returned_at)


def server_env(args, sink: SmtpSink | None, notify_seconds: float, redis_channel: str | None) -> dict[str, str]:
    env = {
        "MCS_NOTIFY_SECONDS": f"{notify_seconds:g}",
        "MCS_DEADLINE_WATCH_SECONDS": "0",
        "MCS_PUBLIC_URL": PUBLIC_URL,
        "MCS_SMTP_FROM": SMTP_FROM,
    }
    if sink is not None:
        env |= {"MCS_SMTP_HOST": "127.0.0.1", "MCS_SMTP_PORT": str(sink.port)}
    if args.redis_url and redis_channel:
        env |= {"MCS_REDIS_URL": args.redis_url, "MCS_REDIS_CHANNEL": redis_channel}
    return env


# --- phase 1: the backlog, then collect and send_due in-process --------------------------------


async def load_backlog(args, secret: str, world: World, workdir: Path) -> list[Sent]:
    """N turnos through the real server, whose notifier is off (MCS_NOTIFY_SECONDS=0)."""
    (workdir / "backlog").mkdir()
    server = Server(args.database_url, secret, workdir / "backlog", extra_env=server_env(args, None, 0, None))
    try:
        await server.wait_ready()
        async with httpx.AsyncClient(base_url=server.base_url, timeout=120) as client:
            token = await login(client, world.register_username)
            documents = await register_documents(client, token, world, args.turnos, seed=11)
            units = recipient_units(world)
            gate = asyncio.Semaphore(SETUP_CLIENTS)

            async def one(i: int, document_id: str) -> Sent:
                async with gate:
                    return await send_turno(client, token, document_id, units[i % len(units)])

            return list(await asyncio.gather(*(one(i, d) for i, d in enumerate(documents))))
    finally:
        server.stop()


class BackendCpu:
    """CPU of the client backends (and parallel workers) on the bench's database, but the
    monitor's own: with the server stopped, those are this process's connections."""

    def __init__(self, monitor: asyncpg.Connection):
        self.monitor = monitor

    async def snapshot(self) -> dict[int, float]:
        rows = await self.monitor.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type IN ('client backend', 'parallel worker')"
        )
        return {r["pid"]: cpu_seconds(r["pid"]) for r in rows}

    @staticmethod
    def spent(before: dict[int, float], after: dict[int, float]) -> float:
        return sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in after.items())


@dataclass
class Timed:
    count: int
    wall: float
    cpu: float  # this process
    pg_cpu: float
    smtp_cpu: float
    rest: float  # cores the rest of the machine used, on average

    @property
    def per_s(self) -> float:
        return self.count / self.wall if self.wall else float("nan")

    def ms_each(self, seconds: float) -> float:
        return 1000 * seconds / self.count if self.count else float("nan")


async def timed(step, monitor: asyncpg.Connection, sink: SmtpSink) -> tuple[int, Timed]:
    meter = BackendCpu(monitor)
    pg0, smtp0, busy0 = await meter.snapshot(), sink.cpu, machine_busy_seconds()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    count = await step()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    pg, smtp, busy = BackendCpu.spent(pg0, await meter.snapshot()), sink.cpu - smtp0, machine_busy_seconds() - busy0
    # the monitor's own queries and this process's other threads are noise next to the rest
    rest = max(0.0, busy - cpu - pg - smtp) / wall if wall else 0.0
    return count, Timed(count, wall, cpu, pg, smtp, rest)


@dataclass
class Throughput:
    turnos: int
    events: int
    collected: Timed
    sent: Timed
    statuses: dict[str, int]
    arrived: int


async def measure_throughput(args, secret: str, world: World, workdir: Path, sink: SmtpSink) -> Throughput:
    settings = Settings.from_env(
        database_url=args.database_url,
        redis_url=None,
        secret_key=secret,
        files_dir=workdir / "files",
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        public_url=PUBLIC_URL,
        smtp_from=SMTP_FROM,
        notify_seconds=0,
    )
    services = build_services(settings)
    monitor = await asyncpg.connect(libpq_dsn(args.database_url))
    try:
        cursor_before = await monitor.fetchval("SELECT event_id FROM notifier_cursor WHERE id = 1")
        async with services.db.session() as session:  # the pool's first connection, outside the timings
            await session.execute(text("SELECT 1"))
        written, collected = await timed(lambda: collect(services), monitor, sink)
        cursor_after = await monitor.fetchval("SELECT event_id FROM notifier_cursor WHERE id = 1")
        events = await monitor.fetchval(
            "SELECT count(*) FROM events WHERE id > $1 AND id <= $2", cursor_before, cursor_after
        )
        arrived_before = len(sink.arrivals())
        _, sent = await timed(lambda: send_due(services), monitor, sink)
        statuses = {
            r["status"]: r["count"]
            for r in await monitor.fetch("SELECT status, count(*) FROM notifications GROUP BY status ORDER BY status")
        }
        return Throughput(args.turnos, events, collected, sent, statuses, len(sink.arrivals()) - arrived_before)
    finally:
        await monitor.close()
        await services.db.dispose()


# --- phase 2: the delay through the real server ------------------------------------------------


@dataclass
class Delay:
    sent: list[Sent]
    elapsed: float  # seconds the sendTurno requests took to go out
    arrivals: dict[str, list[float]]  # turno number -> arrival times of its messages
    rows: list[tuple[str, float, float, float]]  # number, event occurred_at, row created_at, sent_at (Unix)
    cpu: dict[str, float]  # CPU seconds over the run: server, db, client, others
    run_seconds: float
    smtp_cpu: float
    members: int

    def per_turno(self, pick) -> list[float]:
        return [
            pick(self.arrivals[s.number]) - s.returned_at
            for s in self.sent
            if len(self.arrivals.get(s.number, ())) >= 1
        ]

    @property
    def complete(self) -> list[Sent]:
        return [s for s in self.sent if len(self.arrivals.get(s.number, ())) >= self.members]


async def wait_for_arrivals(sink: SmtpSink, numbers: set[str], expected: int, timeout: float) -> dict[str, list[float]]:
    deadline = time.monotonic() + timeout
    while True:
        found: dict[str, list[float]] = {}
        for stamp, subject in sink.arrivals():
            number = number_of(subject)
            if number in numbers:
                found.setdefault(number, []).append(stamp)
        if sum(map(len, found.values())) >= expected or time.monotonic() > deadline:
            return {n: sorted(t) for n, t in found.items()}
        await asyncio.sleep(0.2)


async def measure_delay(args, secret: str, world: World, workdir: Path, sink: SmtpSink) -> Delay:
    channel = f"mcs:bench_notify:{secrets.token_hex(4)}"  # no other bench's wake-ups
    (workdir / "delay").mkdir()
    server = Server(
        args.database_url, secret, workdir / "delay", extra_env=server_env(args, sink, args.notify_seconds, channel)
    )
    monitor = await asyncpg.connect(libpq_dsn(args.database_url))
    total = max(1, round(args.rate * args.seconds))
    try:
        await server.wait_ready()
        async with httpx.AsyncClient(
            base_url=server.base_url, timeout=120, limits=httpx.Limits(max_connections=64, max_keepalive_connections=64)
        ) as client:
            token = await login(client, world.register_username)
            documents = await register_documents(client, token, world, total, seed=23)
            units = recipient_units(world)
            await asyncio.sleep(args.notify_seconds + 1)  # the notifier past the registrations: idle
            meter = CpuMeter(server, monitor)
            before, smtp0, started_wall = await meter.snapshot(), sink.cpu, time.perf_counter()
            tasks: list[asyncio.Task] = []
            started = time.perf_counter()
            for i, document_id in enumerate(documents):  # open loop: request i at t0 + i / rate
                pause = started + i / args.rate - time.perf_counter()
                if pause > 0:
                    await asyncio.sleep(pause)
                tasks.append(asyncio.create_task(send_turno(client, token, document_id, units[(i * 7) % len(units)])))
            sent = list(await asyncio.gather(*tasks))
            elapsed = time.perf_counter() - started
            numbers = {s.number for s in sent}
            arrivals = await wait_for_arrivals(
                sink, numbers, total * args.members, timeout=max(30.0, 5 * args.notify_seconds)
            )
            after = await meter.snapshot()
            run_seconds = time.perf_counter() - started_wall
            cpu = {k: after[k] - before[k] for k in before}
            smtp_cpu = sink.cpu - smtp0
        rows = [
            (
                r["number"],
                r["occurred_at"].timestamp(),
                r["created_at"].timestamp(),
                r["sent_at"].timestamp() if r["sent_at"] else float("nan"),
            )
            for r in await monitor.fetch(
                "SELECT t.number, e.occurred_at, n.created_at, n.sent_at FROM notifications n "
                "JOIN events e ON e.id = n.event_id JOIN turnos t ON t.id = e.turno_id WHERE t.number = ANY($1::text[])",
                sorted(numbers),
            )
        ]
        return Delay(sent, elapsed, arrivals, rows, cpu, run_seconds, smtp_cpu, args.members)
    finally:
        await monitor.close()
        server.stop()


# --- report ----------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def ms_line(values: list[float]) -> str:
    return " / ".join(f"{1000 * pct(values, q):.0f}" for q in (0.5, 0.95, 0.99, 1.0)) + " ms"


def report_throughput(t: Throughput, members: int) -> None:
    c, s = t.collected, t.sent
    print()
    print(
        f"backlog: {t.turnos} turnos ({t.events} events after the notifier's cursor), {members} members with an"
        f" e-mail address per recipient unit: {t.turnos * members} notifications owed"
    )
    print(
        f"collect:  {c.count} notification rows in {c.wall:.2f} s = {c.per_s:.0f}/s; per row: "
        f"{c.ms_each(c.cpu):.2f} ms CPU here, {c.ms_each(c.pg_cpu):.2f} ms PostgreSQL; rest of the machine "
        f"{100 * c.rest:.0f}% of a core"
    )
    print(
        f"send_due: {s.count} accepted by SMTP in {s.wall:.2f} s = {s.per_s:.1f}/s; per notification: "
        f"{s.ms_each(s.cpu):.2f} ms CPU here, {s.ms_each(s.pg_cpu):.2f} ms PostgreSQL, "
        f"{s.ms_each(s.smtp_cpu):.2f} ms the SMTP server; rest of the machine {100 * s.rest:.0f}% of a core"
    )
    print(f"rows by status: {t.statuses}; lines written by the SMTP server: {t.arrived}")
    if t.arrived != s.count or c.count != t.turnos * members:
        print("warning: the counts disagree (owed, written, accepted, arrived)")


def report_delay(d: Delay, args) -> dict[str, float]:
    first, last = d.per_turno(min), d.per_turno(max)
    every = [a - s.returned_at for s in d.sent for a in d.arrivals.get(s.number, ())]
    arrived_messages = sum(map(len, d.arrivals.values()))
    returned = {s.number: s.returned_at for s in d.sent}
    collected = [created - occurred for _, occurred, created, _ in d.rows]
    smtp = [sent - created for _, _, created, sent in d.rows if not math.isnan(sent)]
    response = [returned[n] - occurred for n, occurred, _, _ in {r[0]: r for r in d.rows}.values()]
    wall = d.run_seconds
    print()
    print(
        f"delay: {len(d.sent)} sendTurno in {d.elapsed:.1f} s ({len(d.sent) / d.elapsed:.2f}/s asked {args.rate:g}/s),"
        f" MCS_NOTIFY_SECONDS={args.notify_seconds:g}, Redis {'on' if args.redis_url else 'off'}"
    )
    print(
        f"  arrived: {len(d.complete)} of {len(d.sent)} turnos with all {d.members} messages; "
        f"{arrived_messages} of {len(d.sent) * d.members} messages"
    )
    print("  response -> SMTP accepted, p50 / p95 / p99 / max:")
    print(f"    the turno's first message  {ms_line(first)}")
    print(f"    every message              {ms_line(every)}")
    print(f"    the turno's last message   {ms_line(last)}")
    print("  split by the notification rows (p50 / p95 / p99 / max):")
    print(f"    event time -> response arrived          {ms_line(response)}")
    print(f"    event time -> row written (collect)     {ms_line(collected)}")
    print(f"    row written -> SMTP accepted (send_due) {ms_line(smtp)}")
    cpu = d.cpu
    print(
        f"  CPU over {wall:.1f} s (from the first sendTurno to the last arrival): server {cpu['server']:.2f} s "
        f"({1000 * cpu['server'] / len(d.sent):.1f} ms per turno with its {d.members} mails), its PostgreSQL "
        f"backends {cpu['db']:.2f} s, SMTP server {d.smtp_cpu:.2f} s, this client {cpu['client']:.2f} s; "
        f"rest of the machine {100 * max(0.0, cpu['others'] - d.smtp_cpu) / wall:.0f}% of a core"
    )
    return {
        "first": pct(first, 0.5),
        "server_cpu_ms": 1000 * cpu["server"] / len(d.sent),
        "rest": max(0.0, cpu["others"] - d.smtp_cpu) / wall,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.notifications", description=__doc__.split("\n\n")[0])
    parser.add_argument("--turnos", type=int, default=300, help="turnos of the backlog (default 300)")
    parser.add_argument(
        "--members",
        type=int,
        default=5,
        help="members with an e-mail address per unit: its REGISTRAR and M-1 STAFF (default 5)",
    )
    parser.add_argument("--rate", type=float, default=2.0, help="sendTurno per second in the delay run (default 2)")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds of the delay run (default 20)")
    parser.add_argument(
        "--notify-seconds",
        type=float,
        default=2.0,
        help="MCS_NOTIFY_SECONDS of the server in the delay run (default 2)",
    )
    parser.add_argument(
        "--redis-url",
        default=DEFAULT_REDIS,
        help=f"Redis of the delay run's wake-ups (default {DEFAULT_REDIS}; '' for in-process)",
    )
    parser.add_argument(
        "--database-url", default=DEFAULT_URL, help=f"PostgreSQL database to DROP and recreate (default {DEFAULT_URL})"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = args.database_url
    if make_url(url).get_backend_name() != "postgresql":
        raise SystemExit("bench.notifications needs a PostgreSQL URL (postgresql+asyncpg://...)")
    if args.members < 1 or args.turnos < 1 or args.rate <= 0:
        raise SystemExit("--members, --turnos and --rate must be positive")
    secret = secrets.token_urlsafe(48)
    print(f"at {code_version()}, {os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"recreating {make_url(url).render_as_string(hide_password=True)} and migrating…", flush=True)
    asyncio.run(recreate_database(url))
    migrate(url)  # Alembic runs its own event loop: outside ours
    world = asyncio.run(create_org_and_users(url))
    users = asyncio.run(add_people(url, world, args.members))
    print(
        f"{len(world.units)} units, {users} users with an e-mail address ({args.members} members per unit)", flush=True
    )
    with tempfile.TemporaryDirectory(prefix="mcs-bench-notify-") as tmp:
        workdir = Path(tmp)
        sink = SmtpSink(workdir / "arrivals.txt")
        try:
            started = time.perf_counter()
            backlog = asyncio.run(load_backlog(args, secret, world, workdir))
            print(
                f"backlog: {len(backlog)} turnos sent through the server in {time.perf_counter() - started:.1f} s "
                f"(notifier off); collect and send_due in-process…",
                flush=True,
            )
            throughput = asyncio.run(measure_throughput(args, secret, world, workdir, sink))
            report_throughput(throughput, args.members)
            print(f"\ndelay run: {args.rate:g} sendTurno/s for {args.seconds:g} s…", flush=True)
            delay = asyncio.run(measure_delay(args, secret, world, workdir, sink))
            extra = report_delay(delay, args)
        finally:
            sink.stop()
    print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    c, s = throughput.collected, throughput.sent
    last = delay.per_turno(max)
    print()
    print(
        f"RESULT notifications.collect events={throughput.events} notifications={c.count} per_s={c.per_s:.0f} "
        f"cpu_ms={c.ms_each(c.cpu):.2f} pg_cpu_ms={c.ms_each(c.pg_cpu):.2f} busy_rest={c.rest:.2f}"
    )
    print(
        f"RESULT notifications.send notifications={s.count} per_s={s.per_s:.1f} cpu_ms={s.ms_each(s.cpu):.2f} "
        f"smtp_cpu_ms={s.ms_each(s.smtp_cpu):.2f} pg_cpu_ms={s.ms_each(s.pg_cpu):.2f} busy_rest={s.rest:.2f}"
    )
    print(
        f"RESULT notifications.delay p50_ms={1000 * pct(last, 0.5):.0f} p95_ms={1000 * pct(last, 0.95):.0f} "
        f"p99_ms={1000 * pct(last, 0.99):.0f} max_ms={1000 * pct(last, 1.0):.0f} sent={len(delay.sent)} "
        f"arrived={len(delay.complete)} first_p50_ms={1000 * extra['first']:.0f} rate={args.rate:g} "
        f"notify_seconds={args.notify_seconds:g} server_cpu_ms={extra['server_cpu_ms']:.1f} "
        f"busy_rest={extra['rest']:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
