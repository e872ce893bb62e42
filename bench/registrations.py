"""Registrations for ONE unit on one or several instances: rate, CPU per registration, latency,
gapless folios, and where the time goes while the folio counter row and the event-log lock are held.

    .venv/bin/python -m bench.registrations [--count 400] [--concurrency 20] [--instances 2]
                                            [--setups 1x20,2x200] [--runs 3] [--variants plain,pdf,key]
                                            [--documents 20000] [--probe] [--profile]
                                            [--tree before=DIR --tree after=DIR]

1. drop, recreate and migrate the database (default mcs_bench_reg); the org tree and users of
   bench/core.py (101 units, a REGISTRAR per unit) and `--documents` documents bulk-loaded;
2. per setup (`--setups INSTANCESxCLIENTS,...`, or `--instances` x `--concurrency`), start that
   many `mcs serve` processes on PostgreSQL + Redis (db 14, a channel of their own), with `--probe`
   each under bench/txn_probe.py, which times every statement of every registration's transaction
   without touching the application's code (it costs some server CPU: off by default);
3. per variant (`plain`: no files; `pdf`: one small PDF, GraphQL multipart; `key`: plain with an
   Idempotency-Key header, as the web app sends) a warm-up, a serial line (one client: the
   uncontended cost; first setup only) and `--runs` runs of `--count` registrations by that many
   concurrent clients, all in the unit DG1D1 as its REGISTRAR, each on one instance (split evenly),
   each with a fresh reference; with `--profile`, py-spy samples the first server during the
   first run of each line (where its CPU goes);
4. for each run: registrations/s, p50/p95/p99 latency, the folios it got (consecutive, no
   duplicates), CPU of each part (servers and PostgreSQL: milliseconds per registration); and
   from the probe, per registration, the time before the folio counter, the wait for it, and every
   statement and every Python gap from then to the end of COMMIT;
5. at the end: the folios of the unit and year in the database (1..max, no gap, no duplicate),
   the DOCUMENT_REGISTERED events in folio order (the sequence grows in commit order), the
   in-database cost of the statements run under the locks (EXPLAIN ANALYZE in a rolled-back
   transaction, and the time of an empty COMMIT that must flush the WAL), and one line per
   measured line: `RESULT registrations.<variant>.i<instances>.c<clients> reg_s=… p50_ms=… p99_ms=…
   server_cpu_ms=… pg_cpu_ms=… gapless=yes|no failed=N` (medians over its runs; gapless: every
   run's folios consecutive and distinct and the database check passed; failed: calls that got
   no folio, e.g. 503 when PostgreSQL refused connections).

With `--tree LABEL=DIR` (twice or more: copies of the application, e.g. `git archive` of two
commits, each with bench/txn_probe.py) each copy gets its own instances on the same database and
their runs alternate (ABBA), so that a machine shared with other work weighs on them alike.

It prints figures and asserts nothing about speed; a broken folio sequence is reported as
such. See bench/REGISTRATIONS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from bench.core import (
    ORGANIZATIONS,
    POSITIONS,
    REGISTER,
    REGISTER_UNIT,
    REPO,
    SUBJECTS,
    SUMMARIES,
    Server,
    code_version,
    cpu_seconds,
    create_org_and_users,
    free_port,
    libpq_dsn,
    load_documents,
    login,
    person,
    recreate_database,
)
from bench.realtime import Meter, redis_pid
from mcs.migrations import migrate
from models.documents import SenderLevel
from schema.ids import to_global_id

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/mcs_bench_reg"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
REGISTER_WITH_FILES = """mutation($input: RegisterDocumentInput!) {
  registerDocument(input: $input) { document { id folio } warnings errors { code field message } }
}"""


def small_pdf() -> bytes:
    from tests.samples import pdf_with_text

    return pdf_with_text("Oficio de prueba de registro", "Secretaría de Desarrollo Urbano")


# --- the servers -----------------------------------------------------------------------------


class Instance(Server):
    """`mcs serve --no-migrate` on PostgreSQL + Redis, under bench/txn_probe.py with `probe`."""

    def __init__(
        self,
        url: str,
        secret: str,
        workdir: Path,
        files_dir: Path,
        redis_url: str,
        channel: str,
        name: str,
        repo: Path = REPO,
        probe: bool = True,
        pool_size: int | None = None,
    ):
        self.name = name
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "server.log"
        self.probe_path = workdir / "probe.jsonl"
        env = {
            **os.environ,
            "MCS_DATABASE_URL": url,
            "MCS_SECRET_KEY": secret,
            "MCS_VAR_DIR": str(workdir),
            "MCS_FILES_DIR": str(files_dir),
            "MCS_REDIS_URL": redis_url,
            "MCS_REDIS_CHANNEL": channel,
            # nothing else competes for the cores: no deadline watcher, no text extraction of the PDFs
            "MCS_DEADLINE_WATCH_SECONDS": "0",
            "MCS_TEXT_EXTRACTION_SECONDS": "0",
            **({"MCS_DB_POOL_SIZE": str(pool_size)} if pool_size else {}),
        }
        self.probe = probe
        command = ["-m", "bench.txn_probe", str(self.probe_path)] if probe else ["-m", "mcs.cli"]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, *command, "serve", "--no-migrate", "--host", "127.0.0.1", "--port", str(self.port)],
                env=env,
                cwd=repo,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def cpu(self) -> float:
        """CPU seconds of the server so far (bench/realtime.py's Meter reads it)."""
        return cpu_seconds(self.pid)

    def probe_records(self, since: float, until: float) -> list[dict]:
        if not self.probe:
            return []
        records = []
        for line in self.probe_path.read_text().splitlines():
            record = json.loads(line)
            if since <= record["t0"] and record["commit"][1] <= until:
                records.append(record)
        return records


# --- driving ---------------------------------------------------------------------------------


@dataclass
class Run:
    name: str
    clients: int
    latencies: list[float] = field(default_factory=list)
    folios: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)
    probe: list[dict] = field(default_factory=list)

    @property
    def elapsed(self) -> float:
        return self.ended - self.started

    @property
    def rate(self) -> float:
        return len(self.folios) / self.elapsed if self.elapsed else 0.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


class Driver:
    def __init__(self, instances: list[Instance], token: str, unit_id: int, seed: int, clients: int):
        # one httpx client (one connection) per simulated client, each on one instance (clients
        # split evenly): a single pool shared by hundreds of tasks cost the benchmark more CPU the
        # more connections it held, and its queue made every run after the first wait seconds for
        # a connection (p95 1.9 s -> 5.9 s); a client alternating between instances left each
        # connection idle for a whole call elsewhere, past uvicorn's 5 s keep-alive, and lost the
        # race with its closing (ReadError)
        self.instances = instances
        self.http: dict[int, httpx.AsyncClient] = {}
        self.headers = {"Authorization": f"Bearer {token}"}
        self.unit_id = to_global_id("OrgUnit", unit_id)
        self.rng = random.Random(seed)
        self.sent = itertools.count()
        self.pdf = small_pdf()
        self.run_id = secrets.token_hex(4)

    def input(self, n: int) -> dict:
        organization, acronym = self.rng.choice(ORGANIZATIONS[SenderLevel.STATE])
        return {
            "unitId": self.unit_id,
            "origin": "EXTERNAL",
            "documentType": "OFICIO",
            "reference": f"{acronym}/REG/{n:06d}/{self.rng.randrange(10**9)}",
            "subject": self.rng.choice(SUBJECTS),
            "summary": self.rng.choice(SUMMARIES),
            "sender": {
                "level": "STATE",
                "name": person(self.rng),
                "position": self.rng.choice(POSITIONS),
                "organization": organization,
            },
        }

    def client_of(self, worker: int) -> httpx.AsyncClient:
        if worker not in self.http:
            instance = self.instances[worker % len(self.instances)]
            limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
            self.http[worker] = httpx.AsyncClient(base_url=instance.base_url, timeout=120, limits=limits)
        return self.http[worker]

    async def register(self, variant: str, worker: int = 0) -> tuple[float, str | None, str | None]:
        """(latency, folio, problem) of one registerDocument by a client, on its instance."""
        n = next(self.sent)
        client = self.client_of(worker)
        started = time.perf_counter()
        try:
            if variant == "pdf":
                operations = {"query": REGISTER_WITH_FILES, "variables": {"input": {**self.input(n), "files": [None]}}}
                response = await client.post(
                    "/graphql",
                    headers={**self.headers, "x-mcs-csrf": "1"},
                    files={
                        "operations": (None, json.dumps(operations)),
                        "map": (None, json.dumps({"0": ["variables.input.files.0"]})),
                        "0": ("oficio.pdf", self.pdf, "application/pdf"),
                    },
                )
            else:
                # key: what the web app sends, a fresh Idempotency-Key per mutation
                headers = (
                    {**self.headers, "Idempotency-Key": f"bench-{self.run_id}-{n}"}
                    if variant == "key"
                    else self.headers
                )
                response = await client.post(
                    "/graphql", headers=headers, json={"query": REGISTER, "variables": {"input": self.input(n)}}
                )
        except httpx.HTTPError as error:
            return time.perf_counter() - started, None, repr(error)
        latency = time.perf_counter() - started
        try:
            body = response.json()
        except ValueError:
            return latency, None, f"HTTP {response.status_code}: {response.text[:200]}"
        payload = (body.get("data") or {}).get("registerDocument")
        if response.status_code != 200 or not payload or payload["errors"]:
            return latency, None, json.dumps(body, ensure_ascii=False)[:300]
        return latency, payload["document"]["folio"], None

    async def run(self, name: str, variant: str, count: int, clients: int, meter: Meter | None = None) -> Run:
        run = Run(name, clients)
        left = itertools.count()

        async def worker(w: int) -> None:
            while next(left) < count:
                latency, folio, problem = await self.register(variant, w)
                if problem:
                    run.failures.append(problem)
                else:
                    run.latencies.append(latency)
                    run.folios.append(folio)

        if meter:
            await meter.begin()
        run.started = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(clients)))
        run.ended = time.perf_counter()
        if meter:
            run.cpu = await meter.end()
        return run

    async def close(self) -> None:
        for client in self.http.values():
            await client.aclose()


# --- reading the probe -----------------------------------------------------------------------


def folio_problem(folios: list[str]) -> str | None:
    """None when the numbers are consecutive and distinct, else what is wrong."""
    numbers = sorted(int(f.rsplit("/", 1)[1]) for f in folios)
    if not numbers:
        return "no folios"
    if len(set(numbers)) != len(numbers):
        return f"{len(numbers) - len(set(numbers))} duplicated numbers"
    if numbers[-1] - numbers[0] + 1 != len(numbers):
        return f"gaps: {numbers[-1] - numbers[0] + 1 - len(numbers)} numbers missing between {numbers[0]} and {numbers[-1]}"
    return None


@dataclass
class Breakdown:
    """Mean milliseconds per registration of each part of its transaction."""

    transactions: int
    before: float  # BEGIN -> the folio counter statement
    folio: float  # the folio counter statement: its wait for the row lock, its round trip
    held: list[float]  # end of the folio statement -> end of COMMIT, each transaction (ms)
    event_held: list[float]  # end of the statement taking the event-log lock -> end of COMMIT
    event_wait: float  # that statement (its wait for the lock, its round trip)
    parts: dict[str, float]  # under the row lock: each statement, each Python gap, the COMMIT
    statements_held: float  # round trips under the row lock, the COMMIT included
    utilisation: float  # sum of hold times / wall time of the run


def breakdown(records: list[dict], elapsed: float) -> Breakdown | None:
    if not records:
        return None
    n = len(records)
    before = folio = event_wait = 0.0
    held, event_held = [], []
    parts: dict[str, float] = defaultdict(float)
    statements = 0
    for r in records:
        steps = r["steps"]
        f = next(i for i, s in enumerate(steps) if s[0] == "folio counter")
        commit_start, commit_end = r["commit"]
        before += steps[f][1] - r["t0"]
        folio += steps[f][2] - steps[f][1]
        held.append(1000 * (commit_end - steps[f][2]))
        previous = steps[f][2]
        for name, start, end in steps[f + 1 :]:
            parts[f"  Python, then {name}"] += start - previous
            parts[name] += end - start
            previous = end
            statements += 1
            if "event-log lock" in name or name == "advisory lock (event log)":
                event_wait += end - start
                event_held.append(1000 * (commit_end - end))
        parts["  Python, then COMMIT"] += commit_start - previous
        parts["COMMIT"] += commit_end - commit_start
        statements += 1
    return Breakdown(
        n,
        1000 * before / n,
        1000 * folio / n,
        held,
        event_held,
        1000 * event_wait / n,
        {k: 1000 * v / n for k, v in parts.items()},
        statements / n,
        sum(held) / 1000 / elapsed,
    )


# --- the database's view ---------------------------------------------------------------------


async def unit_of(url: str, acronym: str) -> int:
    conn = await asyncpg.connect(libpq_dsn(url))
    try:
        return await conn.fetchval("SELECT id FROM org_units WHERE acronym = $1", acronym)
    finally:
        await conn.close()


async def newest_document(url: str) -> int:
    conn = await asyncpg.connect(libpq_dsn(url))
    try:
        return await conn.fetchval("SELECT coalesce(max(id), 0) FROM documents")
    finally:
        await conn.close()


async def check_database(url: str, unit_id: int, after_document: int) -> list[str]:
    """The unit's folios in every year (1..max, distinct) and the DOCUMENT_REGISTERED events of the
    documents registered through the API in folio order."""
    conn = await asyncpg.connect(libpq_dsn(url))
    lines = []
    try:
        for row in await conn.fetch(
            "SELECT year, count(*) AS n, count(DISTINCT number) AS d, min(number) AS lo, max(number) AS hi, "
            "(SELECT last_number FROM folio_counters c WHERE c.unit_id = $1 AND c.year = documents.year) AS counter "
            "FROM documents WHERE unit_id = $1 GROUP BY year ORDER BY year",
            unit_id,
        ):
            ok = row["n"] == row["d"] == row["hi"] == row["counter"] and row["lo"] == 1
            lines.append(
                f"folios {row['year']}: {row['n']} documents, numbers {row['lo']}..{row['hi']}, "
                f"{row['d']} distinct, counter at {row['counter']}: {'gapless' if ok else 'BROKEN'}"
            )
        events = await conn.fetch(
            "SELECT e.id FROM events e JOIN documents d ON d.id = e.document_id "
            "WHERE e.kind = 'DOCUMENT_REGISTERED' AND d.unit_id = $1 AND d.id > $2 "
            "ORDER BY d.year, d.number",
            unit_id,
            after_document,
        )
        ids = [r["id"] for r in events]
        inversions = sum(1 for a, b in zip(ids, ids[1:]) if b <= a)
        lines.append(
            f"DOCUMENT_REGISTERED events of the registrations through the API in folio order: {len(ids)}, "
            f"{'sequence growing with the folio (commit order)' if not inversions else f'{inversions} INVERSIONS'}"
        )
    finally:
        await conn.close()
    return lines


EXPLAINED = [
    (
        "folio counter (upsert)",
        "INSERT INTO folio_counters (unit_id, year, last_number) VALUES ($1, 2099, 1) ON CONFLICT (unit_id, year) "
        "DO UPDATE SET last_number = folio_counters.last_number + 1 RETURNING last_number",
    ),
    (
        "INSERT documents (search trigger)",
        "INSERT INTO documents (folio, unit_id, year, number, origin, document_type, reference, subject, summary, "
        "sender_level, sender_name, sender_position, sender_organization, received_at, priority, confidential, status, "
        "registered_by_id, created_at, turno_count, duplicate_key) VALUES ('X/2099/000001', $1, 2099, 1, 'EXTERNAL', "
        "'OFICIO', 'SEDUR/REG/000001/1', 'Solicitud de información sobre el programa de vivienda', "
        "'Solicita el padrón de beneficiarios del ejercicio anterior.', 'STATE', 'Lic. María Pérez López', "
        "'Directora General', 'Secretaría de Desarrollo Urbano', now(), 'NORMAL', false, 'REGISTERED', "
        "(SELECT min(id) FROM users), now(), 0, 'x|y') RETURNING id",
    ),
    (
        "INSERT document_units",
        "INSERT INTO document_units (document_id, unit_id) VALUES (currval(pg_get_serial_sequence('documents', 'id')), $1)",
    ),
    ("advisory lock", "SELECT pg_advisory_xact_lock(7243999 + 0 * $1)"),
    (
        "INSERT events",
        "INSERT INTO events (kind, occurred_at, actor_id, document_id, data) VALUES ('DOCUMENT_REGISTERED', "
        'now(), NULL, NULL, \'{"folio": "X"}\'::jsonb) RETURNING id',
    ),
    (
        "INSERT event_audience",
        "INSERT INTO event_audience (event_id, unit_id) SELECT currval(pg_get_serial_sequence('events', 'id')), "
        "u FROM (SELECT id AS u FROM org_units WHERE id <= $1 ORDER BY id LIMIT 4) x",
    ),
]


async def database_costs(url: str, unit_id: int, repeat: int = 20) -> list[str]:
    """Each statement run under the locks, EXPLAIN ANALYZE'd in a transaction rolled back (median
    of `repeat`, triggers included), and an empty COMMIT that must flush the WAL."""
    conn = await asyncpg.connect(libpq_dsn(url))
    lines = []
    try:
        times: dict[str, list[float]] = defaultdict(list)
        triggers: dict[str, list[float]] = defaultdict(list)
        for _ in range(repeat):
            tr = conn.transaction()
            await tr.start()
            try:
                for name, sql in EXPLAINED:
                    plan = [
                        r[0]
                        for r in await conn.fetch(
                            f"EXPLAIN (ANALYZE, FORMAT TEXT) {sql.replace('$1', str(int(unit_id)))}"
                        )
                    ]
                    for line in plan:
                        if line.startswith("Execution Time:"):
                            times[name].append(float(line.split()[2]))
                        elif line.startswith("Trigger "):
                            trigger, rest = line[len("Trigger ") :].split(":", 1)
                            triggers[f"{name}: trigger {trigger}"].append(float(rest.split("time=")[1].split()[0]))
            finally:
                await tr.rollback()
        for name, values in times.items():
            lines.append(f"  {statistics.median(values):7.3f} ms  {name}")
        for name, values in triggers.items():
            lines.append(f"  {statistics.median(values):7.3f} ms  {name}")
        commits = []
        for _ in range(repeat):
            await conn.execute("BEGIN")
            await conn.fetchval("SELECT pg_current_xact_id()")
            started = time.perf_counter()
            await conn.execute("COMMIT")
            commits.append(1000 * (time.perf_counter() - started))
        lines.append(
            f"  {statistics.median(commits):7.3f} ms  COMMIT of a transaction that wrote (WAL flush, "
            f"synchronous_commit={await conn.fetchval('SHOW synchronous_commit')}), round trip included"
        )
    finally:
        await conn.close()
    return lines


# --- report ----------------------------------------------------------------------------------


def report_run(run: Run, instances: list[Instance]) -> None:
    lat = [1000 * v for v in run.latencies]
    problem = folio_problem(run.folios)
    print(
        f"{run.name:40} {len(run.folios):5} in {run.elapsed:6.2f} s  {run.rate:6.1f}/s  "
        f"p50 {pct(lat, 0.5):7.1f} ms  p95 {pct(lat, 0.95):7.1f} ms  p99 {pct(lat, 0.99):7.1f} ms  "
        f"folios {'consecutive, distinct' if not problem else 'BROKEN: ' + problem}"
        + (f"  {len(run.failures)} FAILED, first: {run.failures[0]}" if run.failures else ""),
        flush=True,
    )
    if run.cpu:
        servers = " + ".join(f"{100 * run.cpu.get(i.name, 0):.0f}%" for i in instances)
        print(
            f"{'':40} CPU (share of one core): servers {servers}, postgres {100 * run.cpu['postgres']:.0f}%, "
            f"redis {100 * run.cpu['redis']:.0f}%, clients {100 * run.cpu['client']:.0f}%, "
            f"rest of the machine {100 * run.cpu['others']:.0f}%; per registration: servers "
            f"{cpu_ms(run, [i.name for i in instances]):.2f} ms, postgres {cpu_ms(run, ['postgres']):.2f} ms",
            flush=True,
        )


def report_breakdown(title: str, b: Breakdown | None) -> None:
    if b is None:
        print(f"{title}: no probe records")
        return
    held = statistics.median(b.held)
    print(f"\n{title} ({b.transactions} registrations; mean ms per registration unless said):")
    print(f"  before the folio counter (unit, checks, catalog; no lock)   {b.before:7.2f}")
    print(f"  folio counter statement (waiting for the row lock)          {b.folio:7.2f}")
    print(
        f"  held under the folio row lock, to the end of COMMIT          {statistics.fmean(b.held):7.2f}"
        f"   (median {held:.2f}, p95 {pct(b.held, 0.95):.2f}; 1000/median = {1000 / held:.1f}/s)"
    )
    for name, ms in b.parts.items():
        print(f"    {name:58} {ms:7.2f}")
    print(f"    round trips under the row lock (COMMIT included): {b.statements_held:.1f}")
    if b.event_held:
        print(f"  statement taking the event-log lock (waiting for it)        {b.event_wait:7.2f}")
        print(
            f"  held under the event-log lock, from its end to COMMIT's     {statistics.fmean(b.event_held):7.2f}"
            f"   (median {statistics.median(b.event_held):.2f})"
        )
    print(
        f"  sum of row-lock hold times / wall time of the run: {100 * b.utilisation:.0f}%"
        " (near 100%: the unit's registrations go one at a time)"
    )


# --- profile ---------------------------------------------------------------------------------


class Profiler:
    """py-spy (raw collapsed stacks) on a server while a run goes; where its CPU went."""

    def __init__(self, instance: Instance, out: Path):
        self.out = out
        spy = Path(sys.executable).parent / "py-spy"
        self.process = (
            subprocess.Popen(
                [
                    str(spy),
                    "record",
                    "-p",
                    str(instance.pid),
                    "-r",
                    "200",
                    "-f",
                    "raw",
                    "-o",
                    str(out),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if spy.exists()
            else None
        )

    def stop(self) -> list[str]:
        if self.process is None:
            return ["(py-spy is not installed in this environment: pip install py-spy)"]
        self.process.send_signal(2)
        self.process.wait(timeout=30)
        return profile_summary(self.out)


OURS = ("mcs/", "models/", "resolvers/", "schema/", "realtime/", "files/")
PROFILE_MARKS = [  # (label, frame substring): inclusive share of the busy samples
    ("HTTP: uvicorn, starlette, the response", "RequestResponseCycle.run_asgi"),
    ("caller: token and principal (get_context)", "MCSGraphQL.get_context"),
    ("GraphQL: parse, validate, execute", "Schema.execute"),
    ("registerDocument use case", "register_document (resolvers/documents.py"),
    ("Idempotency-Key lookup (replay check)", "_replayed (schema/idempotency.py"),
    ("SQLAlchemy Session.execute (ORM + Core)", "Session.execute (sqlalchemy/orm/session.py"),
    ("asyncpg: send a statement, wait", "asyncpg/"),
    ("pool checkout (pre-ping: BEGIN; ';'; ROLLBACK)", "_async_ping"),
    ("BEGIN", "_start_transaction"),
    ("COMMIT", "AsyncAdapt_asyncpg_connection.commit"),
    ("realtime hub: read the batch of each wake-up", "Hub.pump"),
    ("redis (publish, wake-ups)", "redis/"),
]


def profile_summary(path: Path) -> list[str]:
    stacks = []
    for line in path.read_text().splitlines() if path.exists() else []:
        stack, _, n = line.rpartition(" ")
        if n.isdigit():
            stacks.append((stack, int(n)))
    busy = sum(n for _, n in stacks)
    if not busy:
        return ["(no samples)"]
    lines = [f"{busy} samples of the busy server (py-spy, 200/s); inclusive share of each part:"]
    for label, mark in PROFILE_MARKS:
        share = sum(n for stack, n in stacks if mark in stack) / busy
        lines.append(f"  {100 * share:5.1f}%  {label}")
    own: dict[str, int] = defaultdict(int)
    for stack, n in stacks:
        leaf = stack.rsplit(";", 1)[-1]
        where = leaf[leaf.find("(") + 1 : leaf.rfind(")")]
        where = where.split("site-packages/", 1)[-1]  # py-spy names a package's files from its directory
        package = (
            "ours"
            if where.startswith(OURS)
            else where.split("/", 1)[0]
            if "/" in where
            else "C/stdlib"
            if not where.endswith(".py") or "<" in where
            else where
        )
        own[package] += n
    lines.append(
        "  own time by package: "
        + ", ".join(
            f"{k} {100 * v / busy:.0f}%" for k, v in sorted(own.items(), key=lambda kv: -kv[1]) if v / busy >= 0.01
        )
    )
    return lines


# --- main ------------------------------------------------------------------------------------


@dataclass
class Tree:
    """A copy of the application whose servers are measured (the repository itself by default)."""

    label: str
    path: Path
    instances: list[Instance] = field(default_factory=list)
    driver: Driver | None = None


@dataclass
class Line:
    """The runs of one measured line: a tree, a setup (instances x clients), a variant."""

    tree: str
    name: str  # e.g. plain.i2.c200
    runs: list[Run] = field(default_factory=list)
    instances: int = 0
    profile: list[str] = field(default_factory=list)


def setups_of(args) -> list[tuple[int, int]]:
    """(instances, clients) of each setup: --setups 1x20,2x200, or --instances x --clients."""
    if args.setups:
        return [tuple(int(v) for v in setup.lower().split("x", 1)) for setup in args.setups.split(",") if setup]
    return [(args.instances, args.clients)]


async def drive_all(args, url: str, secret: str, unit_id: int) -> list[Line]:
    """Every line measured: per setup, its instances are started for each tree, the variants run
    (with several trees, their runs alternate ABBA, so that the load the rest of the machine puts
    on the cores weighs on them alike) and the instances are stopped."""
    lines: dict[tuple[str, str], Line] = {}
    channel = f"mcs:bench-reg:{secrets.token_hex(4)}"
    trees = args.trees or [Tree(args.label or code_version(), REPO)]
    token = None
    with tempfile.TemporaryDirectory(prefix="mcs-bench-reg-") as tmp:
        files_dir = Path(tmp) / "files"
        for s, (n_instances, clients) in enumerate(setups_of(args)):
            for t, tree in enumerate(trees):
                tree.instances = [
                    Instance(
                        url,
                        secret,
                        Path(tmp) / f"s{s}t{t}i{i}",
                        files_dir,
                        args.redis_url,
                        channel,
                        f"server{i + 1}",
                        tree.path,
                        probe=args.probe,
                        pool_size=args.pool_size,
                    )
                    for i in range(n_instances)
                ]
            monitor = await asyncpg.connect(libpq_dsn(url))
            try:
                for tree in trees:
                    for instance in tree.instances:
                        await instance.wait_ready()
                redis = await redis_pid(args.redis_url)
                if token is None:
                    async with httpx.AsyncClient(base_url=trees[0].instances[0].base_url, timeout=60) as client:
                        token = await login(client, f"reg_{REGISTER_UNIT.lower()}")
                for tree in trees:
                    tree.driver = Driver(tree.instances, token, unit_id, args.seed, clients)
                    print(
                        f"\n{tree.label}: {n_instances} instance(s) (mcs serve{' under bench/txn_probe.py' if args.probe else ''}) "
                        f"from {tree.path}, {os.cpu_count()} cores; unit {REGISTER_UNIT}; {clients} clients",
                        flush=True,
                    )

                async def measure(tree: Tree, variant: str, name: str, count: int, n_clients: int, meter=None) -> Run:
                    run = await tree.driver.run(
                        f"{tree.label[:24]} {variant} i{n_instances}: {name}", variant, count, n_clients, meter
                    )
                    run.probe = [r for i in tree.instances for r in i.probe_records(run.started, run.ended)]
                    report_run(run, tree.instances)
                    return run

                def line(tree: Tree, variant: str, n_clients: int) -> Line:
                    key = (tree.label, f"{variant}.i{n_instances}.c{n_clients}")
                    return lines.setdefault(key, Line(tree.label, key[1], instances=n_instances))

                for variant in args.variants:
                    for tree in trees:
                        await measure(
                            tree, variant, "warm-up", max(args.warmup, clients), clients
                        )  # every client connected
                        if args.serial and s == 0:
                            line(tree, variant, 1).runs.append(await measure(tree, variant, "1 client", args.serial, 1))
                    for k in range(args.runs):
                        for tree in trees if k % 2 == 0 else trees[::-1]:
                            meter = Meter(tree.instances, monitor, redis)
                            profiler = (
                                Profiler(tree.instances[0], Path(tmp) / f"{tree.label}-{variant}-{s}.raw")
                                if args.profile and k == 0
                                else None
                            )
                            run = await measure(
                                tree, variant, f"{clients} clients #{k + 1}", args.count, clients, meter
                            )
                            target = line(tree, variant, clients)
                            target.runs.append(run)
                            if profiler:
                                target.profile = profiler.stop()
                                print("\n".join(f"{'':40} {p}" for p in target.profile), flush=True)
            finally:
                for tree in trees:
                    if tree.driver:
                        await tree.driver.close()
                        tree.driver = None
                await monitor.close()
                for tree in trees:
                    for instance in tree.instances:
                        instance.stop()
    return list(lines.values())


def cpu_ms(run: Run, keys: list[str]) -> float:
    """CPU milliseconds per registration of those parts (server1.., postgres) in a run."""
    if not run.cpu or not run.folios:
        return float("nan")
    return 1000 * sum(run.cpu.get(k, 0.0) for k in keys) * run.elapsed / len(run.folios)


def summarize(lines: list[Line], database_ok: bool) -> list[str]:
    """Prints the medians of each line; returns its RESULT lines."""
    print("\nmedians over the runs (CPU: milliseconds per registration; rest: the rest of the machine, % of a core):")
    results = []
    for line in lines:
        runs = line.runs
        if not runs:
            continue
        lat = [[1000 * v for v in r.latencies] for r in runs]
        servers = [f"server{i + 1}" for i in range(line.instances)]
        rate = statistics.median(r.rate for r in runs)
        p50 = statistics.median(pct(v, 0.5) for v in lat)
        p95 = statistics.median(pct(v, 0.95) for v in lat)
        p99 = statistics.median(pct(v, 0.99) for v in lat)
        server = statistics.median(cpu_ms(r, servers) for r in runs)
        pg = statistics.median(cpu_ms(r, ["postgres"]) for r in runs)
        gapless = database_ok and all(folio_problem(r.folios) is None for r in runs)
        failed = sum(len(r.failures) for r in runs)
        print(
            f"  {line.tree[:30]:30} {line.name:18} {rate:6.1f}/s  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
            f"p99 {p99:7.1f} ms  CPU: servers {server:5.2f}, postgres {pg:5.2f}  "
            f"folios {'gapless, distinct' if gapless else 'BROKEN'}"
            + (f", {failed} calls FAILED" if failed else "")
            + "  (runs: "
            + ", ".join(f"{r.rate:.1f}" for r in runs)
            + "; rest: "
            + ", ".join(f"{100 * r.cpu['others']:.0f}%" for r in runs if r.cpu)
            + ")"
        )
        prefix = "" if len(lines) == len({ln.name for ln in lines}) else f"{line.tree}."
        results.append(
            f"RESULT registrations.{prefix}{line.name} reg_s={rate:.1f} p50_ms={p50:.1f} p99_ms={p99:.1f} "
            + (f"server_cpu_ms={server:.2f} pg_cpu_ms={pg:.2f} " if runs[0].cpu else "")
            + f"gapless={'yes' if gapless else 'no'} failed={failed}"
        )
    for line in lines:
        for label, group in (
            ("1 client", [r for r in line.runs if r.clients == 1]),
            ("loaded", [r for r in line.runs if r.clients != 1]),
        ):
            records = [rec for r in group for rec in r.probe]
            if records:
                report_breakdown(
                    f"{line.tree}, {line.name}, {label}: where the time goes",
                    breakdown(records, sum(r.elapsed for r in group)),
                )
    return results


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.registrations", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default=DEFAULT_URL, help=f"PostgreSQL database to DROP and recreate (default {DEFAULT_URL})"
    )
    parser.add_argument("--redis-url", default=DEFAULT_REDIS, help=f"Redis of the wake-ups (default {DEFAULT_REDIS})")
    parser.add_argument("--documents", type=int, default=20_000, help="documents bulk-loaded first (default 20000)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database (one with bench.core's org tree and users, e.g. bench.inbox's): no reload",
    )
    parser.add_argument("--instances", type=int, default=2, help="mcs serve processes (default 2)")
    parser.add_argument(
        "--clients",
        "--concurrency",
        type=int,
        default=20,
        dest="clients",
        help="concurrent clients, i.e. registrations in flight (default 20)",
    )
    parser.add_argument(
        "--setups",
        help="several setups one after the other, INSTANCESxCLIENTS each, e.g. 1x20,2x200 "
        "(instead of --instances and --clients)",
    )
    parser.add_argument("--count", type=int, default=400, help="registrations per run (default 400)")
    parser.add_argument("--runs", type=int, default=3, help="runs per variant (default 3)")
    parser.add_argument("--warmup", type=int, default=60, help="registrations before measuring (default 60)")
    parser.add_argument("--serial", type=int, default=60, help="registrations by one client (default 60; 0: none)")
    parser.add_argument(
        "--variants",
        default="plain,pdf",
        help="plain (no files), pdf (one small PDF), key (plain with an Idempotency-Key header); default plain,pdf",
    )
    parser.add_argument(
        "--pool-size",
        type=int,
        help="MCS_DB_POOL_SIZE of the servers (as many again may overflow; "
        "default the server's); keep instances x 2 x this under "
        "PostgreSQL's max_connections",
    )
    parser.add_argument(
        "--probe",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="run the servers under bench/txn_probe.py: where the time goes while the folio row "
        "is held (costs some server CPU; default off)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy on the first server during each line's first run: where its CPU goes",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--label", help="what is measured, for the record (default: git describe of the tree)")
    parser.add_argument(
        "--tree",
        action="append",
        default=[],
        metavar="LABEL=DIR",
        help="measure the servers of this copy of the application (bench/txn_probe.py in it); "
        "several: their runs alternate. Default: this repository",
    )
    args = parser.parse_args(argv)
    args.trees = [Tree(label, Path(path).resolve()) for label, path in (t.split("=", 1) for t in args.tree)]
    args.variants = [v for v in args.variants.split(",") if v]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = args.database_url
    if make_url(url).get_backend_name() != "postgresql":
        raise SystemExit("bench.registrations needs a PostgreSQL URL (postgresql+asyncpg://...)")
    secret = secrets.token_urlsafe(48)
    if args.reuse:  # e.g. bench.inbox's 500,000 documents and 1,000,000 turnos: does the cost grow?
        print(f"reusing {make_url(url).render_as_string(hide_password=True)}, migrating it…", flush=True)
        migrate(url)
    else:
        print(f"recreating {make_url(url).render_as_string(hide_password=True)} and migrating…", flush=True)
        asyncio.run(recreate_database(url))
        migrate(url)
        world = asyncio.run(create_org_and_users(url))
        if args.documents:
            print(f"loading {args.documents} documents…", flush=True)
            asyncio.run(load_documents(url, world, args.documents, args.seed))
    unit_id = asyncio.run(unit_of(url, REGISTER_UNIT))
    loaded = asyncio.run(newest_document(url))
    lines = asyncio.run(drive_all(args, url, secret, unit_id))
    checks = asyncio.run(check_database(url, unit_id, loaded))
    database_ok = not any("BROKEN" in c or "INVERSIONS" in c for c in checks)
    results = summarize(lines, database_ok)
    print()
    for check in checks:
        print(check)
    print("\nin-database cost of the statements run under the locks (EXPLAIN ANALYZE, median of 20, rolled back):")
    for cost in asyncio.run(database_costs(url, unit_id)):
        print(cost)
    print()
    for result in results:
        print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
