"""Latency of the `stats` query (the indicators) on PostgreSQL over a large history.

    .venv/bin/python -m bench.stats [--documents N] [--years Y] [--runs R] [--database-url URL] [--explain]
                                    [--from-rows] [--skip-load]

1. drop, recreate and migrate the database (default mcs_bench_stats); the org tree of bench.core
   (101 units) and five users: ADMIN and HEAD of the root, HEAD of a general directorate
   (DG1, 25 units), HEAD of a directorate (DG1D1, 6 units), STAFF of a department;
2. bulk-load N documents (COPY) received over the last Y years, with about 0.9 turnos per
   document (to a random unit) and an answer (sometimes two rounds) for most of them, in every
   status the workflow allows; the tables the indicators do not read (chains, events, the
   full-text index) are left empty, and triggers are off during the load
   (session_replication_role = replica): then `SELECT mcs_stats_rebuild()` fills stats_daily
   (timed);
3. run `stats` in-process through the GraphQL endpoint (httpx ASGITransport, the real app) for
   one calendar year by MONTH and by DAY, with and without byUnit, R times each per user after
   one warm-up run: p50, p99, and the machine's load;
4. replay the SQL of one request under EXPLAIN ANALYZE (`--explain`: the full plans);
5. with `--from-rows`, the same measurements counting from the rows (what SQLite does, and
   PostgreSQL when stats_daily follows another time zone), for comparison.

It prints figures, then one `RESULT stats.<daily|rows>.<user>.<granularity>[.by_unit] …` line per
measured line (and `stats.load`), and asserts nothing about speed. See bench/STATS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import event
from sqlalchemy.engine import make_url

from bench.core import SKIP_SQL, code_version, explain_statements, libpq_dsn, org_plan, recreate_database
from mcs.app import build_services, create_app
from mcs.migrations import migrate
from core.settings import Settings
from models.calendar import BusinessCalendar
from models.clock import Clock
from models.db import Database
from models.org import OrgUnit, create_unit
from models.users import Membership, Role, User, hash_password
from models.workflow import TurnoStatus
import resolvers.stats
from resolvers.auth import issue_token

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/mcs_bench_stats"
COPY_BATCH = 20_000
USERS = [  # username, unit acronym, role, label
    ("admin", "INST", Role.ADMIN, "ADMIN"),
    ("head_root", "INST", Role.HEAD, "HEAD of the root"),
    ("head_dg1", "DG1", Role.HEAD, "HEAD of a general directorate (25 units)"),
    ("head_dg1d1", "DG1D1", Role.HEAD, "HEAD of a directorate (6 units)"),
    ("staff_dg1d1s1", "DG1D1S1", Role.STAFF, "STAFF of a department"),
]
REFUSALS = {"VALIDATION", "QUERY_TOO_COSTLY"}  # error codes of an answer too large to give
STATS = """query($period: Period!, $granularity: Granularity!, $byUnit: Boolean) {
  stats(period: $period, granularity: $granularity, byUnit: $byUnit) {
    start unit { acronym } documentsReceived turnosSent turnosReceived responsesSent responsesReceived
    pending overdue concludedOnTime averageBusinessDaysToAnswer
  }
}"""


# --- phase 1 ---------------------------------------------------------------------------------


async def create_org_and_users(url: str) -> tuple[list[OrgUnit], dict[str, User]]:
    db = Database(url)
    password_hash = hash_password("bench-password")
    now = datetime.now(timezone.utc)
    try:
        async with db.transaction() as session:
            units: dict[str, OrgUnit] = {}
            for acronym, code, name, kind, parent in org_plan():
                units[acronym] = await create_unit(
                    session, code=code, acronym=acronym, name=name, kind=kind, parent=units[parent] if parent else None
                )
            users = {}
            for username, acronym, role, _ in USERS:
                users[username] = User(
                    username=username,
                    password_hash=password_hash,
                    full_name=username,
                    active=True,
                    token_version=0,
                    created_at=now,
                    memberships=[Membership(unit_id=units[acronym].id, role=role.value)],
                )
                session.add(users[username])
            await session.flush()
            return list(units.values()), users
    finally:
        await db.dispose()


# --- phase 2 ---------------------------------------------------------------------------------

DOCUMENT_COLUMNS = [
    "id",
    "folio",
    "unit_id",
    "year",
    "number",
    "origin",
    "document_type",
    "subject",
    "sender_level",
    "sender_name",
    "received_at",
    "priority",
    "confidential",
    "status",
    "registered_by_id",
    "created_at",
    "turno_count",
]
TURNO_COLUMNS = [
    "id",
    "document_id",
    "number",
    "from_unit_id",
    "sent_by_id",
    "to_unit_id",
    "instruction",
    "priority",
    "sent_at",
    "received_at",
    "due_date",
    "due_business_days",
    "due_counted_from",
    "status",
    "concluded_at",
    "cancelled_at",
    "answered_on_time",
    "rounds",
    "accepted_at_first_answer",
]
RESPONSE_COLUMNS = [
    "id",
    "turno_id",
    "round",
    "author_id",
    "body",
    "submitted_at",
    "decision",
    "evaluated_by_id",
    "evaluated_at",
    "business_days_to_answer",
]


class Loader:
    """Generates the history in received order and COPYs it in batches."""

    def __init__(self, units: list[OrgUnit], user_id: int, n: int, years: int, seed: int, clock: Clock):
        self.units, self.user_id, self.n, self.clock = units, user_id, n, clock
        self.rng = random.Random(seed)
        self.now = clock.now()
        self.spread = timedelta(days=365 * years)
        self.calendar = BusinessCalendar()
        self.folio_numbers: dict[tuple[int, int], int] = {}
        self.turno_id = self.response_id = 0
        self.counts = {"documents": 0, "turnos": 0, "responses": 0}
        self.rebuild_seconds, self.daily_rows = 0.0, 0

    def business_days(self, start: date, end: date) -> int:
        return self.calendar.business_days_between(start, end)

    def document(self, doc_id: int, received_at: datetime, docs: list, turnos: list, responses: list) -> None:
        rng, local = self.rng, self.clock.local_date
        unit = rng.choice(self.units)
        day = local(received_at)
        number = self.folio_numbers[unit.id, day.year] = self.folio_numbers.get((unit.id, day.year), 0) + 1
        folio = f"{unit.acronym}/{day.year}/{number:06d}"
        k = rng.choices([0, 1, 2], [30, 50, 20])[0]
        for t in range(1, k + 1):
            self.turno(doc_id, folio, t, unit, received_at, turnos, responses)
        age = (self.now - received_at).days
        status = "REGISTERED" if k == 0 else ("IN_PROGRESS" if age < 60 else rng.choice(["CONCLUDED", "ARCHIVED"]))
        docs.append(
            (
                doc_id,
                folio,
                unit.id,
                day.year,
                number,
                "EXTERNAL",
                "OFICIO",
                "Asunto de prueba",
                "STATE",
                "Remitente",
                received_at,
                "NORMAL",
                False,
                status,
                self.user_id,
                received_at,
                k,
            )
        )

    def turno(self, doc_id, folio, t, unit, received_at, turnos, responses) -> None:
        rng, local = self.rng, self.clock.local_date
        self.turno_id += 1
        sent_at = received_at + timedelta(minutes=rng.randint(5, 3 * 24 * 60))
        if sent_at > self.now:
            sent_at = self.now
        to_unit = rng.choice(self.units)
        knowledge = rng.random() < 0.15
        sent_day = local(sent_at)
        days = None if knowledge else rng.choice([3, 5, 10, 15])
        due = None if knowledge else self.calendar.add_business_days(sent_day, days)
        row = dict(
            status=TurnoStatus.SENT.value,
            received=None,
            concluded=None,
            cancelled=None,
            on_time=None,
            rounds=0,
            first=None,
        )
        if knowledge:
            if rng.random() < 0.8:
                row.update(status="CONCLUDED", received=sent_at + timedelta(hours=rng.randint(1, 48)))
                row["concluded"] = row["received"]
        elif rng.random() < 0.03:
            row.update(status="CANCELLED", cancelled=sent_at + timedelta(days=1))
        else:
            # answered after 0..25 calendar days (some late), unless that is still in the future
            answered = sent_at + timedelta(hours=rng.randint(1, 25 * 24))
            if answered > self.now:
                row.update(status=rng.choice(["SENT", "RECEIVED"]))
            else:
                rounds = 2 if rng.random() < 0.1 else 1
                submitted = [answered]
                if rounds == 2:
                    submitted.append(answered + timedelta(hours=rng.randint(24, 10 * 24)))
                submitted = [s for s in submitted if s <= self.now]
                last = submitted[-1]
                on_time = local(last) <= due
                evaluated = last + timedelta(hours=rng.randint(1, 72))
                concluded = evaluated <= self.now and rng.random() < 0.9
                row.update(
                    status="CONCLUDED" if concluded else "ANSWERED",
                    received=sent_at + timedelta(hours=1),
                    on_time=on_time,
                    rounds=len(submitted),
                    concluded=evaluated if concluded else None,
                    first=(len(submitted) == 1) if concluded else None,
                )
                for r, at in enumerate(submitted, start=1):
                    self.response_id += 1
                    decided = r < len(submitted) or concluded
                    responses.append(
                        (
                            self.response_id,
                            self.turno_id,
                            r,
                            self.user_id,
                            "Se atiende.",
                            at,
                            ("RETURN" if r < len(submitted) else "ACCEPT") if decided else None,
                            self.user_id if decided else None,
                            (submitted[r] if r < len(submitted) else evaluated) if decided else None,
                            self.business_days(sent_day, local(at)),
                        )
                    )
        turnos.append(
            (
                self.turno_id,
                doc_id,
                f"{folio}-T{t}",
                unit.id,
                self.user_id,
                to_unit.id,
                "KNOWLEDGE" if knowledge else "RESPONSE",
                "NORMAL",
                sent_at,
                row["received"],
                due,
                days,
                None if knowledge else sent_day,
                row["status"],
                row["concluded"],
                row["cancelled"],
                row["on_time"],
                row["rounds"],
                row["first"],
            )
        )

    async def load(self, url: str) -> None:
        received = sorted(self.now - self.spread * self.rng.random() for _ in range(self.n))
        conn = await asyncpg.connect(libpq_dsn(url))
        try:
            await conn.execute("SET session_replication_role = replica")  # no triggers, no FK checks
            async with conn.transaction():
                docs, turnos, responses = [], [], []
                for doc_id, received_at in enumerate(received, start=1):
                    self.document(doc_id, received_at, docs, turnos, responses)
                    if len(docs) == COPY_BATCH or doc_id == len(received):
                        await conn.copy_records_to_table("documents", columns=DOCUMENT_COLUMNS, records=docs)
                        await conn.copy_records_to_table("turnos", columns=TURNO_COLUMNS, records=turnos)
                        await conn.copy_records_to_table("responses", columns=RESPONSE_COLUMNS, records=responses)
                        self.counts["documents"] += len(docs)
                        self.counts["turnos"] += len(turnos)
                        self.counts["responses"] += len(responses)
                        docs, turnos, responses = [], [], []
                for table in ("documents", "turnos", "responses"):
                    await conn.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                    )
            await conn.execute("SET session_replication_role = DEFAULT")
            started = time.perf_counter()
            await conn.execute("SELECT mcs_stats_rebuild()")  # the triggers were off: stats_daily from the rows
            self.rebuild_seconds = time.perf_counter() - started
            self.daily_rows = await conn.fetchval("SELECT count(*) FROM stats_daily")
            await conn.execute("VACUUM ANALYZE")
        finally:
            await conn.close()


# --- phase 3 ---------------------------------------------------------------------------------


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(url: str, users: dict[str, User], year: int, runs: int, explain: bool, from_rows: bool) -> list[str]:
    """Prints the latencies per caller and case; returns their RESULT lines."""
    results: list[str] = []
    with tempfile.TemporaryDirectory(prefix="mcs-bench-") as workdir:
        settings = Settings.from_env(
            database_url=url,
            redis_url=None,
            secret_key=secrets.token_urlsafe(48),
            files_dir=Path(workdir),
            deadline_watch_seconds=0,
            text_extraction_seconds=0,
        )
        services = build_services(settings)
        captured: list[tuple[str, object]] = []

        def capture(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(SKIP_SQL):
                captured.append((statement, parameters))

        if from_rows:

            async def never(ctx, dialect):
                return False

            resolvers.stats.rollup_ready = never
        transport = httpx.ASGITransport(app=create_app(services=services))
        period = {"from": f"{year}-01-01", "to": f"{year}-12-31"}
        # DAY byUnit returns up to 365 x 101 rows, seconds of GraphQL serialization: fewer runs
        cases = [("MONTH", False, runs), ("MONTH", True, runs), ("DAY", False, runs), ("DAY", True, max(3, runs // 6))]
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=300) as client:
                print(
                    f"\nstats of {year} (12 months / 365 days) counted "
                    f"{'from the rows' if from_rows else 'from stats_daily'}, {runs} runs each after one warm-up (DAY byUnit: "
                    f"{max(3, runs // 6)}); in-process "
                    "(httpx ASGITransport → strawberry → SQLAlchemy/asyncpg → PostgreSQL)"
                )
                print(
                    f"{'caller':44} {'granularity':12} {'rows':>5} {'p50':>9} {'p99':>9} {'max':>9}   load before → after"
                )
                for username, _, _, label in USERS:
                    headers = {"Authorization": f"Bearer {issue_token(services, users[username])}"}
                    for granularity, by_unit, n in cases:
                        body = {
                            "query": STATS,
                            "variables": {"period": period, "granularity": granularity, "byUnit": by_unit},
                        }
                        before = load_average()
                        timings, rows, refused = [], 0, False
                        for i in range(n + 1):
                            started = time.perf_counter()
                            response = await client.post("/graphql", json=body, headers=headers)
                            took = time.perf_counter() - started
                            data = response.json()
                            if "errors" in data:
                                # over models.stats.MAX_ROWS or the response size limit (DAY byUnit of a
                                # large scope): the refusal is the answer, timed like one
                                if not all((e.get("extensions") or {}).get("code") in REFUSALS for e in data["errors"]):
                                    raise SystemExit(f"stats failed: {data['errors']}")
                                refused = True
                            else:
                                rows = len(data["data"]["stats"])
                            if i:
                                timings.append(1000 * took)
                        name = granularity + (" byUnit" if by_unit else "")
                        after = load_average()
                        print(
                            f"{label:44} {name:12} {'refused' if refused else rows:>5} {percentile(timings, 0.5):6.1f} ms "
                            f"{percentile(timings, 0.99):6.1f} ms {max(timings):6.1f} ms   {before} → {after}",
                            flush=True,
                        )
                        results.append(
                            f"RESULT stats.{'rows' if from_rows else 'daily'}.{username}.{granularity.lower()}"
                            f"{'.by_unit' if by_unit else ''} rows={rows} refused={int(refused)} runs={n} "
                            f"p50_ms={percentile(timings, 0.5):.1f} p99_ms={percentile(timings, 0.99):.1f} "
                            f"max_ms={max(timings):.1f} load1={after.split()[0]}"
                        )
                # the SQL of one request, replayed under EXPLAIN ANALYZE
                for username, granularity in [("admin", "MONTH"), ("head_dg1d1", "MONTH")]:
                    headers = {"Authorization": f"Bearer {issue_token(services, users[username])}"}
                    event.listen(services.db.engine.sync_engine, "before_cursor_execute", capture)
                    captured.clear()
                    await client.post(
                        "/graphql",
                        headers=headers,
                        json={
                            "query": STATS,
                            "variables": {"period": period, "granularity": granularity, "byUnit": False},
                        },
                    )
                    event.remove(services.db.engine.sync_engine, "before_cursor_execute", capture)
                    print(
                        f"\nSQL of stats({granularity}) as {username}: {len(captured)} statements, "
                        "EXPLAIN ANALYZE execution time"
                    )
                    await explain_statements(services.db.engine, list(captured), explain, width=120)
        finally:
            await services.db.dispose()
    return results


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.stats", description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=1_000_000, help="documents to bulk-load (default 1000000)")
    parser.add_argument("--years", type=int, default=4, help="received over the last Y years (default 4)")
    parser.add_argument("--year", type=int, default=None, help="the year measured (default: last year)")
    parser.add_argument("--runs", type=int, default=30, help="measured runs per line (default 30)")
    parser.add_argument(
        "--database-url", default=DEFAULT_URL, help=f"PostgreSQL database to DROP and recreate (default {DEFAULT_URL})"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-load", action="store_true", help="measure the database as it is (loaded before)")
    parser.add_argument("--explain", action="store_true", help="print the full plans")
    parser.add_argument(
        "--from-rows", action="store_true", help="also measure counting from the rows instead of stats_daily"
    )
    return parser.parse_args(argv)


async def existing_users(url: str) -> dict[str, User]:
    from sqlalchemy import select

    db = Database(url)
    try:
        async with db.session() as session:
            return {u.username: u for u in (await session.execute(select(User))).scalars()}
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = args.database_url
    if make_url(url).get_backend_name() != "postgresql":
        raise SystemExit("bench.stats needs a PostgreSQL URL (postgresql+asyncpg://...)")
    clock = Clock()
    year = args.year or clock.today().year - 1
    results: list[str] = []
    print(f"machine: {os.cpu_count()} cores, load average {load_average()}; code {code_version()}", flush=True)
    if not args.skip_load:
        print(f"recreating {make_url(url).render_as_string(hide_password=True)} and migrating…", flush=True)
        asyncio.run(recreate_database(url))
        migrate(url)
        units, users = asyncio.run(create_org_and_users(url))
        loader = Loader(units, users["admin"].id, args.documents, args.years, args.seed, clock)
        started = time.perf_counter()
        asyncio.run(loader.load(url))
        print(
            f"loaded {loader.counts['documents']:,} documents, {loader.counts['turnos']:,} turnos, "
            f"{loader.counts['responses']:,} responses over {args.years} years in "
            f"{time.perf_counter() - started:.0f} s (with VACUUM ANALYZE); mcs_stats_rebuild(): "
            f"{loader.rebuild_seconds:.1f} s, {loader.daily_rows:,} rows in stats_daily",
            flush=True,
        )
        results.append(
            f"RESULT stats.load documents={loader.counts['documents']} turnos={loader.counts['turnos']} "
            f"responses={loader.counts['responses']} seconds={time.perf_counter() - started:.0f} "
            f"rebuild_s={loader.rebuild_seconds:.1f} daily_rows={loader.daily_rows}"
        )
    users = asyncio.run(existing_users(url))
    results += asyncio.run(measure(url, users, year, args.runs, args.explain, from_rows=False))
    if args.from_rows:
        results += asyncio.run(measure(url, users, year, args.runs, args.explain, from_rows=True))
    print(f"\nload average at the end: {load_average()} (2 cores shared with other work)")
    print("\n" + "\n".join(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
