"""The inbox on PostgreSQL with 1,000,000 turnos, against the same page served from memory.

    .venv/bin/python -m bench.inbox [--turnos 1000000] [--seconds 10] [--reuse]

1. drop, recreate and migrate the database (default `mcs_bench_inbox`; with --reuse only
   migrate it); the org tree and users of bench.core plus a HEAD of a general directorate
   (DG2: 25 units with its subtree) and a STAFF of a department (DG2D3S4, a leaf);
2. bulk-load turnos/2 documents (bench.core's generator and COPY) and the turnos (COPY, the
   turno_counts triggers off, the table rebuilt after): trees of first-level turnos and
   delegations, numbered folio-T<n> in send order, the documents' turno_count, chain
   (document_units) and status kept consistent; sent_at over two years, most turnos CONCLUDED,
   the open ones with due dates around today. VACUUM ANALYZE;
3. start `mcs serve` and drive it with concurrent clients (bench.core): `{__typename}` and
   `inbox(first: 50)` as the HEAD and the STAFF, with and without a status + trafficLight filter;
4. the limit: the same four pages served by a tiny strawberry schema (same type and field names,
   the same fields sync or async as schema/types/turnos.py and documents.py) from pre-built
   Python objects, by the same with every resolver sync (a what-if) and by one with plain
   attributes, on the same stack (starlette + strawberry
   ASGI + uvicorn, in a subprocess), driven by the same client loop; its answers are checked
   identical to the real server's. ratio_memory = in-memory server CPU per request / (real
   server + PostgreSQL CPU per request): robust when the machine is busy, unlike req/s;
5. in-process (`httpx.ASGITransport`): the SQL statements per request for first = 5, 50, 100,
   where the in-process time goes (database wait, Python, garbage collector; and after
   gc.freeze()), EXPLAIN ANALYZE of the slowest statement of each page, and of each page's
   page and count statements now against the form before commit 3aa411f (scope as an
   EXISTS on org_units.path plus visible_turnos, count(*) of the rows), built here.

It prints figures, then one `RESULT …` line per measured line, and asserts nothing about speed.
See bench/INBOX.md.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import logging
import os
import pstats
import random
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import strawberry
from sqlalchemy import event, func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.permission import BasePermission
from strawberry.types import Info
from sqlalchemy.engine import make_url

from bench.core import (
    COPY_BATCH,
    FINISH_LOAD,
    PASSWORD,
    REPO,
    TYPENAME,
    CpuMeter,
    Result,
    Server,
    ServerRun,
    World,
    copy_batch,
    create_org_and_users,
    free_port,
    generate_documents,
    libpq_dsn,
    login,
    measure,
    ok,
    recreate_database,
    shorten_sql,
    SKIP_SQL,
)
from mcs.app import build_services, create_app
from mcs.migrations import migrate
from core.settings import Settings
from models.principals import load_principal
from models.calendar import BusinessCalendar, load_calendar
from models.clock import Clock
from models.db import Database
from models.documents import Document, DocumentStatus
from models.filters import FilterEnv, TurnoFilterSpec, box_scope, turno_filter_clauses
from models.org import OrgUnit
from models.traffic_light import TrafficLight as Light, turno_light
from models.turnos import Turno
from models.permissions import visible_turnos
from models.users import Membership, Role, User, hash_password
from models.workflow import AWAITING_ANSWER, OPEN_TURNO, Instruction, TurnoStatus as TS
from schema.enums import TrafficLight, TurnoStatus

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/mcs_bench_inbox"
HEAD_UNIT, HEAD_USERNAME = "DG2", "inbox_head"  # a mid-level unit: itself, 4 directorates, 20 leaves
STAFF_UNIT, STAFF_USERNAME = "DG2D3S4", "inbox_staff"  # a leaf
YELLOW_THRESHOLD = Settings.__dataclass_fields__["yellow_threshold_days"].default

INBOX = """query($filter: TurnoFilter, $first: Int) {
  inbox(filter: $filter, first: $first) {
    totalCount
    edges { node { number status trafficLight businessDaysLeft dueDate fromUnit { acronym } toUnit { acronym }
                   document { folio subject trafficLight } } }
  }
}"""
OPEN_LATE = {"status": ["SENT", "RECEIVED"], "trafficLight": ["RED", "YELLOW"]}
# (label, username, filter)
CASES = [
    ("HEAD DG2, no filter", HEAD_USERNAME, None),
    ("HEAD DG2, open & late", HEAD_USERNAME, OPEN_LATE),
    ("STAFF DG2D3S4, no filter", STAFF_USERNAME, None),
    ("STAFF DG2D3S4, open & late", STAFF_USERNAME, OPEN_LATE),
]
RESULT_NAMES = dict(zip([c[0] for c in CASES], ["head.all", "head.open_late", "staff.all", "staff.open_late"]))


def inbox_body(first: int, inbox_filter: dict | None) -> dict:
    return {"query": INBOX, "variables": {"filter": inbox_filter, "first": first}}


def inbox_check(data: dict) -> str | None:
    return None if data["inbox"]["edges"] else "empty page"


# --- phase 1: the two inbox users, and the world of an already loaded database ----------------


async def add_inbox_users(url: str, world: World) -> None:
    units = {u.acronym: u for u in world.units}
    db = Database(url)
    try:
        async with db.transaction() as session:
            password_hash = hash_password(PASSWORD)
            now = datetime.now(timezone.utc)
            for username, full_name, acronym, role in [
                (HEAD_USERNAME, "Titular de la Dirección General 2", HEAD_UNIT, Role.HEAD),
                (STAFF_USERNAME, "Analista del Departamento 2.3.4", STAFF_UNIT, Role.STAFF),
            ]:
                session.add(
                    User(
                        username=username,
                        password_hash=password_hash,
                        full_name=full_name,
                        active=True,
                        token_version=0,
                        created_at=now,
                        memberships=[Membership(unit_id=units[acronym].id, role=role.value)],
                    )
                )
    finally:
        await db.dispose()


async def read_world(url: str) -> World:
    """The World of a database this benchmark loaded before (for --reuse)."""
    db = Database(url)
    try:
        async with db.session() as session:
            units = list((await session.execute(select(OrgUnit).order_by(OrgUnit.id))).scalars())
            registrars = dict(
                (
                    await session.execute(
                        select(Membership.unit_id, Membership.user_id).where(Membership.role == Role.REGISTRAR.value)
                    )
                ).all()
            )
    finally:
        await db.dispose()
    by_acronym = {u.acronym: u for u in units}
    return World(units=units, registrar_of=registrars, register_unit=by_acronym["DG1D1"])


# --- phase 2: documents and turnos ------------------------------------------------------------

TURNO_COLUMNS = [c.name for c in Turno.__table__.columns]
INSTRUCTIONS = (
    [Instruction.ATTENTION, Instruction.RESPONSE, Instruction.OPINION, Instruction.KNOWLEDGE],
    [50, 30, 10, 10],
)
TURNOS_PER_DOCUMENT = ([0, 1, 2, 3, 4, 5], [8, 30, 28, 20, 10, 4])  # mean ≈ 2.0
FIRST_LEVEL = ([1, 2, 3], [60, 30, 10])
# status of a turno by the age of its sent_at (days): recent ones are open, old ones concluded
STATUS_BY_AGE = [
    (14, {TS.SENT: 35, TS.RECEIVED: 30, TS.ANSWERED: 15, TS.RETURNED: 3, TS.CONCLUDED: 15, TS.CANCELLED: 2}),
    (60, {TS.SENT: 8, TS.RECEIVED: 17, TS.ANSWERED: 15, TS.RETURNED: 5, TS.CONCLUDED: 52, TS.CANCELLED: 3}),
    (10**6, {TS.SENT: 0.5, TS.RECEIVED: 1, TS.ANSWERED: 1, TS.RETURNED: 0.5, TS.CONCLUDED: 94, TS.CANCELLED: 3}),
]
NOTES = [
    "Atender a la brevedad.",
    "Favor de informar el resultado.",
    "Para su atención y respuesta directa.",
    "Coordinar con las áreas involucradas.",
    "Revisar antecedentes y emitir opinión.",
]
OPEN_VALUES = {s.value for s in OPEN_TURNO}


@dataclass
class Entry:
    """One turno while a document's tree is being planned."""

    parent: int | None  # index of the parent entry
    to_unit_id: int
    from_unit_id: int
    instruction: Instruction
    sent_at: datetime = None
    row: dict = None


class TurnoGenerator:
    """Turno trees for documents: first-level turnos from the registering unit to its subunits,
    siblings or anywhere, and delegations down the recipient's subtree."""

    def __init__(self, world: World, seed: int, clock: Clock):
        self.rng = random.Random(seed + 1000)
        self.clock = clock
        self.now = clock.now()
        self.today = clock.today()
        self.calendar = BusinessCalendar()  # a fresh database has no institution days
        self.yellow_until = self.calendar.last_day_with_at_most(self.today, YELLOW_THRESHOLD)
        self.units = {u.id: u for u in world.units}
        self.children: dict[int | None, list[int]] = defaultdict(list)
        for u in world.units:
            self.children[u.parent_id].append(u.id)
        self.descendants = {
            u.id: [v.id for v in world.units if v.id != u.id and v.path.startswith(u.path)] for u in world.units
        }
        self.registrar_of = world.registrar_of
        self.all_ids = [u.id for u in world.units]
        self.add_business_days = lru_cache(maxsize=None)(self.calendar.add_business_days)
        self.days_left = lru_cache(maxsize=None)(lambda due: self.calendar.business_days_left(self.today, due))
        self.next_id = 1
        self.statuses: Counter = Counter()
        self.lights: Counter = Counter()

    def counts(self, documents: int, turnos: int) -> list[int]:
        """Turnos per document, summing to exactly `turnos`."""
        counts = self.rng.choices(*TURNOS_PER_DOCUMENT, k=documents)
        difference = turnos - sum(counts)
        while difference:
            i = self.rng.randrange(documents)
            if difference > 0 and counts[i] < 8:
                counts[i] += 1
                difference -= 1
            elif difference < 0 and counts[i] > 0:
                counts[i] -= 1
                difference += 1
        return counts

    def first_level_unit(self, unit_id: int, used: set[int]) -> int:
        rng, unit = self.rng, self.units[unit_id]
        pools = []
        if self.children[unit_id] and rng.random() < 0.7:
            pools.append(self.children[unit_id])
        elif unit.parent_id is not None and rng.random() < 0.5:
            pools.append([s for s in self.children[unit.parent_id] if s != unit_id] + [unit.parent_id])
        pools.append(self.all_ids)
        for pool in pools:
            candidates = [u for u in pool if u != unit_id and u not in used]
            if candidates:
                return rng.choice(candidates)
        raise RuntimeError("no recipient left")

    def plan(self, document: Document, count: int) -> list[Entry]:
        rng = self.rng
        entries: list[Entry] = []
        used_top: set[int] = set()
        used_below: dict[int, set[int]] = defaultdict(set)

        def add_first_level() -> None:
            to_unit = self.first_level_unit(document.unit_id, used_top)
            used_top.add(to_unit)
            entries.append(Entry(None, to_unit, document.unit_id, rng.choices(*INSTRUCTIONS)[0]))

        for _ in range(min(count, rng.choices(*FIRST_LEVEL)[0])):
            add_first_level()
        while len(entries) < count:
            delegable = [
                i
                for i, e in enumerate(entries)
                if e.instruction != Instruction.KNOWLEDGE
                and any(d not in used_below[i] for d in self.descendants[e.to_unit_id])
            ]
            if not delegable:
                add_first_level()
                continue
            i = rng.choice(delegable)
            parent = entries[i]
            below = self.children[parent.to_unit_id] if rng.random() < 0.75 else self.descendants[parent.to_unit_id]
            candidates = [d for d in below if d not in used_below[i]] or [
                d for d in self.descendants[parent.to_unit_id] if d not in used_below[i]
            ]
            to_unit = rng.choice(candidates)
            used_below[i].add(to_unit)
            entries.append(Entry(i, to_unit, parent.to_unit_id, rng.choices(*INSTRUCTIONS)[0]))
        return entries

    def later(self, moment: datetime, low_hours: float, high_hours: float) -> datetime:
        return min(self.now, moment + timedelta(hours=self.rng.uniform(low_hours, high_hours)))

    def status_for(self, sent_at: datetime) -> TS:
        age = (self.now - sent_at).days
        weights = next(w for limit, w in STATUS_BY_AGE if age < limit)
        return self.rng.choices(list(weights), list(weights.values()))[0]

    def turnos_of(self, document: Document, count: int) -> list[dict]:
        """The turno rows of one document; sets its turno_count, status and concluded_at."""
        if count == 0:
            if document.status == DocumentStatus.IN_PROGRESS.value:
                document.status = DocumentStatus.REGISTERED.value  # nothing was turned
            document.turno_count = 0
            return []
        rng = self.rng
        entries = self.plan(document, count)
        for e in entries:
            start = document.received_at if e.parent is None else entries[e.parent].sent_at
            e.sent_at = self.later(start, 0.5, 72) if e.parent is None else self.later(start, 1, 48)
        for e in entries:  # parents come before their children
            e.row = self.row(document, e, entries[e.parent].row if e.parent is not None else None)
            if e.parent is not None:
                parent = entries[e.parent].row
                if parent["status"] == TS.SENT.value:  # delegating records the receipt
                    parent["status"] = TS.RECEIVED.value
                    parent["received_at"] = e.sent_at
        order = sorted(range(len(entries)), key=lambda i: (entries[i].sent_at, i))
        ids = {}
        for n, i in enumerate(order, start=1):
            e = entries[i]
            ids[i] = self.next_id
            self.next_id += 1
            e.row.update(
                id=ids[i], number=f"{document.folio}-T{n}", parent_id=ids[e.parent] if e.parent is not None else None
            )
        rows = [entries[i].row for i in order]
        for row in rows:
            self.mark_notified(row)
            self.statuses[row["status"]] += 1
            if row["status"] in OPEN_VALUES:
                self.lights[self.light(row)] += 1
        document.turno_count = len(rows)
        if any(r["status"] in OPEN_VALUES for r in rows):
            document.status, document.concluded_at = DocumentStatus.IN_PROGRESS.value, None
        else:
            if document.status != DocumentStatus.ARCHIVED.value:
                document.status = DocumentStatus.CONCLUDED.value
            document.concluded_at = min(
                self.now,
                max(r["concluded_at"] or r["cancelled_at"] for r in rows) + timedelta(hours=rng.uniform(1, 72)),
            )
        return rows

    def row(self, document: Document, e: Entry, parent: dict | None) -> dict:
        rng = self.rng
        sent_day = self.clock.local_date(e.sent_at)
        due = business_days = counted_from = None
        if e.instruction != Instruction.KNOWLEDGE:
            parent_due = parent["due_date"] if parent else None
            if parent_due is not None and rng.random() < 0.6:
                due, counted_from = parent_due, sent_day  # inherits the parent's deadline
            elif rng.random() < (0.85 if parent is None else 0.5):
                business_days = rng.randint(3, 15)
                due, counted_from = self.add_business_days(sent_day, business_days), sent_day
                if parent_due is not None and due > parent_due:
                    due, business_days = parent_due, None
        # the status, bounded by the parent's
        parent_status = TS(parent["status"]) if parent else None
        if e.instruction == Instruction.KNOWLEDGE:
            status = TS.SENT if (self.now - e.sent_at).days < 14 and rng.random() < 0.5 else TS.CONCLUDED
            if parent_status == TS.CANCELLED:
                status = TS.CANCELLED
        elif parent_status in (TS.CONCLUDED, TS.ANSWERED):
            status = TS.CONCLUDED if rng.random() < 0.95 else TS.CANCELLED
        elif parent_status == TS.CANCELLED:
            status = TS.CANCELLED
        else:
            status = self.status_for(e.sent_at)
        received_at = concluded_at = cancelled_at = answered_on_time = accepted = None
        rounds = 0
        if status != TS.SENT:
            received_at = self.later(e.sent_at, 0.1, 48)
        if e.instruction == Instruction.KNOWLEDGE:
            concluded_at = received_at if status == TS.CONCLUDED else None
        elif status in (TS.ANSWERED, TS.RETURNED, TS.CONCLUDED):
            rounds = 1 if rng.random() < 0.85 else 2
            if status in (TS.ANSWERED, TS.CONCLUDED) and due is not None:
                # an answer still waiting before its deadline was on time; others mostly were
                answered_on_time = (status == TS.ANSWERED and due >= self.today) or rng.random() < 0.8
            if status == TS.CONCLUDED:
                concluded_at = self.later(received_at, 1, 24 * 25)
                accepted = rounds == 1
        if status == TS.CANCELLED:
            cancelled_at = self.later(received_at or e.sent_at, 1, 24 * 10)
        return {
            "id": None,
            "document_id": document.id,
            "parent_id": None,
            "number": None,
            "from_unit_id": e.from_unit_id,
            "sent_by_id": self.registrar_of[e.from_unit_id],
            "to_unit_id": e.to_unit_id,
            "instruction": e.instruction.value,
            "notes": rng.choice(NOTES) if rng.random() < 0.3 else None,
            "priority": document.priority,
            "sent_at": e.sent_at,
            "received_at": received_at,
            "due_date": due,
            "due_business_days": business_days,
            "due_counted_from": counted_from,
            "status": status.value,
            "concluded_at": concluded_at,
            "cancelled_at": cancelled_at,
            "answered_on_time": answered_on_time,
            "rounds": rounds,
            "accepted_at_first_answer": accepted,
            "near_notified_for": None,
            "passed_notified_for": None,
        }

    def mark_notified(self, row: dict) -> None:
        """What the deadline watcher would already have written: a loaded database does not make
        the server's watcher announce tens of thousands of deadlines during the measurement."""
        due = row["due_date"]
        if due is None or TS(row["status"]) not in AWAITING_ANSWER or due > self.yellow_until:
            return
        row["near_notified_for"] = due
        if due < self.today:
            row["passed_notified_for"] = due

    def light(self, row: dict) -> Light:
        due, status = row["due_date"], row["status"]
        if due is not None and TS(status) in AWAITING_ANSWER:
            left = self.days_left(due)
            return Light.RED if left < 0 else Light.YELLOW if left <= YELLOW_THRESHOLD else Light.GREEN
        return turno_light(status, due, row["answered_on_time"], self.calendar, self.today, YELLOW_THRESHOLD)


@dataclass
class LoadStats:
    documents: int
    turnos: int
    seconds: float
    statuses: Counter
    open_lights: Counter


FINISH_TURNOS = "SELECT setval(pg_get_serial_sequence('turnos', 'id'), (SELECT max(id) FROM turnos));"
# migration 0014's triggers keep turno_counts row by row: off during the COPY, the table rebuilt
# from the rows once after it (what the function is for)
COUNT_TRIGGERS = "SELECT tgname FROM pg_trigger WHERE tgrelid = 'turnos'::regclass AND tgname LIKE 'turno_counts_%'"


async def load(url: str, world: World, turnos: int, seed: int) -> LoadStats:
    started = time.perf_counter()
    clock = Clock()
    documents = max(1, turnos // 2)
    generator = TurnoGenerator(world, seed, clock)
    counts = generator.counts(documents, turnos)
    lineage = {u.id: u.lineage_ids for u in world.units}
    conn = await asyncpg.connect(libpq_dsn(url))

    async def flush(batch: list[Document]) -> None:
        rows, chain = [], []
        for document in batch:
            turno_rows = generator.turnos_of(document, counts[document.id - 1])
            rows += turno_rows
            units = {r[k] for r in turno_rows for k in ("from_unit_id", "to_unit_id")} - {document.unit_id}
            chain += [(document.id, unit_id) for unit_id in sorted(units)]
        await copy_batch(conn, batch, lineage)  # documents, their registering unit, one event each
        await conn.copy_records_to_table("document_units", columns=["document_id", "unit_id"], records=chain)
        await conn.copy_records_to_table(
            "turnos", columns=TURNO_COLUMNS, records=[tuple(r.get(c) for c in TURNO_COLUMNS) for r in rows]
        )

    try:
        async with conn.transaction():
            triggers = [r["tgname"] for r in await conn.fetch(COUNT_TRIGGERS)]
            for name in triggers:
                await conn.execute(f"ALTER TABLE turnos DISABLE TRIGGER {name}")
            batch: list[Document] = []
            done = 0
            for document in generate_documents(world, documents, seed, clock):
                batch.append(document)
                if len(batch) == COPY_BATCH:
                    await flush(batch)
                    done += len(batch)
                    batch = []
                    if done % 100_000 == 0:
                        print(
                            f"  {done} documents, {generator.next_id - 1} turnos, "
                            f"{time.perf_counter() - started:.0f} s",
                            flush=True,
                        )
            if batch:
                await flush(batch)
            await conn.execute(FINISH_LOAD + FINISH_TURNOS)
            await conn.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the other deferred triggers fire now: no
            for name in triggers:  # ALTER TABLE with pending trigger events
                await conn.execute(f"ALTER TABLE turnos ENABLE TRIGGER {name}")
            if triggers:
                await conn.execute("SELECT mcs_turno_counts_rebuild()")
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return LoadStats(
        documents, generator.next_id - 1, time.perf_counter() - started, generator.statuses, generator.lights
    )


async def check_load(url: str) -> list[str]:
    """The invariants the brief asks for, checked in SQL after the load: problems found."""
    checks = {
        "documents.turno_count differs from the number of its turnos": """
            SELECT count(*) FROM documents d LEFT JOIN (SELECT document_id, count(*) n FROM turnos GROUP BY 1) t
              ON t.document_id = d.id WHERE d.turno_count <> coalesce(t.n, 0)""",
        "a unit that sent or received a turno is missing from the chain": """
            SELECT count(*) FROM (SELECT document_id, from_unit_id u FROM turnos UNION
                                  SELECT document_id, to_unit_id FROM turnos) x
             WHERE NOT EXISTS (SELECT 1 FROM document_units du WHERE du.document_id = x.document_id AND du.unit_id = x.u)""",
        "a turno number is not <folio>-T<n>": """
            SELECT count(*) FROM turnos t JOIN documents d ON d.id = t.document_id
             WHERE t.number NOT LIKE d.folio || '-T%'""",
        "a document with open turnos is not IN_PROGRESS": """
            SELECT count(DISTINCT d.id) FROM documents d JOIN turnos t ON t.document_id = d.id
             WHERE t.status IN ('SENT','RECEIVED','ANSWERED','RETURNED') AND d.status <> 'IN_PROGRESS'""",
        "turno_counts (unit, box, status) rows that differ from the turnos": """
            SELECT count(*) FROM (SELECT unit_id, box, status, n FROM turno_counts WHERE n <> 0) c
              FULL JOIN (SELECT to_unit_id unit_id, 'in' box, status, count(*) n FROM turnos GROUP BY 1, 3 UNION ALL
                         SELECT from_unit_id, 'out', status, count(*) FROM turnos GROUP BY 1, 3) t
                USING (unit_id, box, status)
             WHERE c.n IS DISTINCT FROM t.n""",
    }
    conn = await asyncpg.connect(libpq_dsn(url))
    try:
        return [f"{label}: {n}" for label, sql in checks.items() if (n := await conn.fetchval(sql))]
    finally:
        await conn.close()


# --- phase 3: the real server -------------------------------------------------------------------


@dataclass
class Pages:
    """What the real server answered, per case and page size: the in-memory server serves these."""

    data: dict[str, dict] = field(default_factory=dict)
    total_counts: dict[str, int] = field(default_factory=dict)


def page_key(username: str, first: int | None, statuses: list[str], lights: list[str]) -> str:
    return json.dumps([username, first, sorted(statuses), sorted(lights)])


def case_key(username: str, inbox_filter: dict | None, first: int = 50) -> str:
    f = inbox_filter or {}
    return page_key(username, first, f.get("status", []), f.get("trafficLight", []))


async def run_real_server(url: str, secret: str, seconds: float, clients: int) -> tuple[ServerRun, Pages]:
    pages = Pages()
    with tempfile.TemporaryDirectory(prefix="mcs-bench-") as workdir:
        server = Server(url, secret, Path(workdir))
        monitor = await asyncpg.connect(libpq_dsn(url))
        try:
            await server.wait_ready()
            meter = CpuMeter(server, monitor)
            limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
            async with httpx.AsyncClient(base_url=server.base_url, timeout=120, limits=limits) as client:
                tokens = {u: await login(client, u) for u in (HEAD_USERNAME, STAFF_USERNAME)}
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
                        tokens[HEAD_USERNAME],
                        seconds,
                        clients,
                    ),
                ]
                for label, username, inbox_filter in CASES:
                    body = inbox_body(50, inbox_filter)
                    answer = (
                        await client.post(
                            "/graphql", json=body, headers={"Authorization": f"Bearer {tokens[username]}"}
                        )
                    ).json()
                    pages.total_counts[label] = ((answer.get("data") or {}).get("inbox") or {}).get("totalCount", 0)
                    if "data" in answer and not answer.get("errors"):
                        pages.data[case_key(username, inbox_filter)] = answer["data"]
                    results.append(
                        await measure(
                            f"inbox {label}",
                            client,
                            meter,
                            lambda b=body: b,
                            inbox_check,
                            tokens[username],
                            seconds,
                            clients,
                        )
                    )
                return ServerRun(results, {}, rss_idle, server.rss_mb, server.peak_rss_mb), pages
        finally:
            await monitor.close()
            server.stop()


# --- phase 4: the in-memory limit ---------------------------------------------------------------

# Tiny schemas whose types and fields are named like ours. "R" mirrors which resolvers of
# schema/types/turnos.py, documents.py, node.py and query.py are async and which are sync: since
# the look-ahead (schema/look_ahead.py) every field of a row answers synchronously (document,
# fromUnit, toUnit, the lights, the guard on `subject`); totalCount and the sync permission
# class on `inbox` (IsAuthenticated) as ours. "S", a what-if: R with totalCount synchronous too
# (before the look-ahead, R's row fields were async and cost ~11 ms more per page). "P" has plain
# attributes everywhere. The page is chosen by the Authorization header, "Bearer <username>".
# Module level: strawberry resolves the annotations from the globals.

MEMORY_PAGES: dict[str, dict[str, Any]] = {}  # variant (R, S, P) -> page key -> the pre-built connection
MEMORY_VARIANTS = {"R": ("", ""), "S": ("sync ", "/sync"), "P": ("plain ", "/plain")}  # -> line prefix, path


class SignedIn(BasePermission):
    message = "Inicie sesión para continuar."

    def has_permission(self, source: Any, info, **kwargs) -> bool:
        return info.context["request"].headers.get("authorization") is not None


class Confidential(BasePermission):
    message = "Documento confidencial: no tiene acceso a este campo."

    def has_permission(self, source: Any, info, **kwargs) -> bool:
        return not source.confidential or source.readable


@strawberry.type(name="OrgUnit")
class OrgUnitR:
    id: strawberry.ID
    acronym: str


@strawberry.type(name="Document")
class DocumentR:
    id: strawberry.ID
    folio: str
    subject: str | None = strawberry.field(permission_classes=[Confidential])
    confidential: strawberry.Private[bool] = False
    readable: strawberry.Private[bool] = True
    light: strawberry.Private[TrafficLight] = TrafficLight.NONE

    @strawberry.field
    def traffic_light(self) -> TrafficLight:
        return self.light


@strawberry.type(name="Turno")
class TurnoR:
    id: strawberry.ID
    number: str
    status: TurnoStatus
    due_date: date | None
    light: strawberry.Private[TrafficLight]
    days_left: strawberry.Private[int | None]
    doc: strawberry.Private[DocumentR]
    from_: strawberry.Private[OrgUnitR]
    to: strawberry.Private[OrgUnitR]

    @strawberry.field
    def document(self) -> DocumentR:
        return self.doc

    @strawberry.field
    def from_unit(self) -> OrgUnitR:
        return self.from_

    @strawberry.field
    def to_unit(self) -> OrgUnitR:
        return self.to

    @strawberry.field
    def business_days_left(self) -> int | None:
        return self.days_left

    @strawberry.field
    def traffic_light(self) -> TrafficLight:
        return self.light


@strawberry.type(name="TurnoEdge")
class TurnoEdgeR:
    cursor: str
    node: TurnoR


@strawberry.type(name="PageInfo")
class PageInfoM:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(name="TurnoConnection")
class TurnoConnectionR:
    edges: list[TurnoEdgeR]
    page_info: PageInfoM
    total: strawberry.Private[int]

    @strawberry.field
    async def total_count(self) -> int:
        return self.total


class ConfidentialSync(BasePermission):
    message = "Documento confidencial: no tiene acceso a este campo."

    def has_permission(self, source: Any, info, **kwargs) -> bool:
        return not source.confidential or source.readable


@strawberry.type(name="Document")
class DocumentS:
    id: strawberry.ID
    folio: str
    subject: str | None = strawberry.field(permission_classes=[ConfidentialSync])
    confidential: strawberry.Private[bool] = False
    readable: strawberry.Private[bool] = True
    light: strawberry.Private[TrafficLight] = TrafficLight.NONE

    @strawberry.field
    def traffic_light(self) -> TrafficLight:
        return self.light


@strawberry.type(name="Turno")
class TurnoS:
    id: strawberry.ID
    number: str
    status: TurnoStatus
    due_date: date | None
    light: strawberry.Private[TrafficLight]
    days_left: strawberry.Private[int | None]
    doc: strawberry.Private[DocumentS]
    from_: strawberry.Private[OrgUnitR]
    to: strawberry.Private[OrgUnitR]

    @strawberry.field
    def document(self) -> DocumentS:
        return self.doc

    @strawberry.field
    def from_unit(self) -> OrgUnitR:
        return self.from_

    @strawberry.field
    def to_unit(self) -> OrgUnitR:
        return self.to

    @strawberry.field
    def business_days_left(self) -> int | None:
        return self.days_left

    @strawberry.field
    def traffic_light(self) -> TrafficLight:
        return self.light


@strawberry.type(name="TurnoEdge")
class TurnoEdgeS:
    cursor: str
    node: TurnoS


@strawberry.type(name="TurnoConnection")
class TurnoConnectionS:
    edges: list[TurnoEdgeS]
    page_info: PageInfoM
    total: strawberry.Private[int]

    @strawberry.field
    def total_count(self) -> int:
        return self.total


@strawberry.type(name="OrgUnit")
class OrgUnitP:
    id: strawberry.ID
    acronym: str


@strawberry.type(name="Document")
class DocumentP:
    id: strawberry.ID
    folio: str
    subject: str | None
    traffic_light: TrafficLight


@strawberry.type(name="Turno")
class TurnoP:
    id: strawberry.ID
    number: str
    status: TurnoStatus
    due_date: date | None
    traffic_light: TrafficLight
    business_days_left: int | None
    document: DocumentP
    from_unit: OrgUnitP
    to_unit: OrgUnitP


@strawberry.type(name="TurnoEdge")
class TurnoEdgeP:
    cursor: str
    node: TurnoP


@strawberry.type(name="TurnoConnection")
class TurnoConnectionP:
    edges: list[TurnoEdgeP]
    page_info: PageInfoM
    total_count: int


@strawberry.input(name="TurnoFilter")
class TurnoFilterM:
    status: list[TurnoStatus] | None = None
    traffic_light: list[TrafficLight] | None = None


def memory_key(info: Info, first: int | None, inbox_filter: TurnoFilterM | None) -> str:
    username = info.context["request"].headers.get("authorization", "").removeprefix("Bearer ")
    statuses = [s.value for s in (inbox_filter.status or [])] if inbox_filter else []
    lights = [t.value for t in (inbox_filter.traffic_light or [])] if inbox_filter else []
    return page_key(username, first, statuses, lights)


@strawberry.type(name="Query")
class QueryR:
    @strawberry.field(permission_classes=[SignedIn])
    async def inbox(
        self, info: Info, filter: TurnoFilterM | None = None, first: int | None = None, after: str | None = None
    ) -> TurnoConnectionR:
        return MEMORY_PAGES["R"][memory_key(info, first, filter)]


@strawberry.type(name="Query")
class QueryS:
    @strawberry.field(permission_classes=[SignedIn])
    async def inbox(
        self, info: Info, filter: TurnoFilterM | None = None, first: int | None = None, after: str | None = None
    ) -> TurnoConnectionS:
        return MEMORY_PAGES["S"][memory_key(info, first, filter)]


@strawberry.type(name="Query")
class QueryP:
    @strawberry.field
    async def inbox(
        self, info: Info, filter: TurnoFilterM | None = None, first: int | None = None, after: str | None = None
    ) -> TurnoConnectionP:
        return MEMORY_PAGES["P"][memory_key(info, first, filter)]


def build_memory_page(data: dict, variant: str):
    """The pre-built objects of one recorded page: units and documents shared like loaders share them."""
    plain = variant == "P"
    document_type, turno_type, edge_type, connection_type = {
        "R": (DocumentR, TurnoR, TurnoEdgeR, TurnoConnectionR),
        "S": (DocumentS, TurnoS, TurnoEdgeS, TurnoConnectionS),
        "P": (DocumentP, TurnoP, TurnoEdgeP, TurnoConnectionP),
    }[variant]
    units, documents, edges = {}, {}, []
    for n, edge in enumerate(data["inbox"]["edges"]):
        node = edge["node"]
        for unit in (node["fromUnit"], node["toUnit"]):
            if unit["acronym"] not in units:
                units[unit["acronym"]] = (OrgUnitP if plain else OrgUnitR)(
                    id=strawberry.ID(f"u{len(units)}"), acronym=unit["acronym"]
                )
        d = node["document"]
        if d["folio"] not in documents:
            kwargs = dict(id=strawberry.ID(f"d{len(documents)}"), folio=d["folio"], subject=d["subject"])
            light = TrafficLight(d["trafficLight"])
            documents[d["folio"]] = document_type(**kwargs, **({"traffic_light": light} if plain else {"light": light}))
        common = dict(
            id=strawberry.ID(f"t{n}"),
            number=node["number"],
            status=TurnoStatus(node["status"]),
            due_date=date.fromisoformat(node["dueDate"]) if node["dueDate"] else None,
        )
        from_unit, to_unit = units[node["fromUnit"]["acronym"]], units[node["toUnit"]["acronym"]]
        if plain:
            turno = TurnoP(
                **common,
                traffic_light=TrafficLight(node["trafficLight"]),
                business_days_left=node["businessDaysLeft"],
                from_unit=from_unit,
                to_unit=to_unit,
                document=documents[d["folio"]],
            )
        else:
            turno = turno_type(
                **common,
                light=TrafficLight(node["trafficLight"]),
                days_left=node["businessDaysLeft"],
                from_=from_unit,
                to=to_unit,
                doc=documents[d["folio"]],
            )
        edges.append(edge_type(cursor=f"c{n}", node=turno))
    info = PageInfoM(has_next_page=True, has_previous_page=False, start_cursor="c0", end_cursor=f"c{len(edges) - 1}")
    total = data["inbox"]["totalCount"]
    return (
        TurnoConnectionP(edges=edges, page_info=info, total_count=total)
        if plain
        else connection_type(edges=edges, page_info=info, total=total)
    )


def memory_app(pages_file: Path) -> Starlette:
    """Starlette + strawberry's ASGI view, like mcs.app, serving the recorded pages: /graphql with
    schema R, /sync/graphql with S, /plain/graphql with P, /health for Server.wait_ready."""
    recorded = json.loads(pages_file.read_text())
    for variant in MEMORY_VARIANTS:
        MEMORY_PAGES[variant] = {key: build_memory_page(data, variant) for key, data in recorded.items()}
    defaults = Settings.__dataclass_fields__

    def view(query) -> GraphQL:
        extensions = [  # the guards build_schema installs, with their default limits
            lambda: QueryDepthLimiter(max_depth=defaults["max_query_depth"].default),
            lambda: MaxTokensLimiter(max_token_count=defaults["max_query_tokens"].default),
            lambda: MaxAliasesLimiter(max_alias_count=defaults["max_aliases"].default),
            MaskErrors,
        ]
        return GraphQL(
            strawberry.Schema(query=query, extensions=extensions), graphql_ide=None, multipart_uploads_enabled=False
        )

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    queries = {"R": QueryR, "S": QueryS, "P": QueryP}
    return Starlette(
        routes=[
            *[
                Route(f"{path}/graphql", view(queries[variant]), methods=["GET", "POST"])
                for variant, (_prefix, path) in MEMORY_VARIANTS.items()
            ],
            Route("/health", health),
        ]
    )


def serve_memory(pages_file: Path, port: int) -> int:
    """The in-memory server's process: uvicorn run exactly as `mcs serve` runs it."""
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(memory_app(pages_file), host="127.0.0.1", port=port, log_level="info", proxy_headers=True)
    return 0


class MemoryServer(Server):
    """`python -m bench.inbox --serve-memory PAGES` on a free loopback port."""

    def __init__(self, pages_file: Path, workdir: Path):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "memory-server.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bench.inbox", "--serve-memory", str(pages_file), "--port", str(self.port)],
                cwd=Path(__file__).resolve().parent.parent,
                stdout=log,
                stderr=subprocess.STDOUT,
            )


def comparable(data: dict) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


async def run_memory_server(url: str, pages: Pages, seconds: float, clients: int) -> tuple[list[Result], list[str]]:
    """{__typename} and the recorded pages on the in-memory server (resolvers sync or async as ours,
    all sync, plain attributes); also whether its answers are identical to the real server's."""
    notes = []
    with tempfile.TemporaryDirectory(prefix="mcs-bench-") as workdir:
        pages_file = Path(workdir) / "pages.json"
        pages_file.write_text(json.dumps(pages.data, ensure_ascii=False))
        server = MemoryServer(pages_file, Path(workdir))
        monitor = await asyncpg.connect(libpq_dsn(url))
        try:
            await server.wait_ready()
            meter = CpuMeter(server, monitor)
            limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
            results = []
            for prefix, path in MEMORY_VARIANTS.values():
                async with httpx.AsyncClient(base_url=server.base_url + path, timeout=120, limits=limits) as client:
                    if not prefix:
                        results.append(
                            await measure(
                                "memory {__typename}",
                                client,
                                meter,
                                lambda: {"query": TYPENAME},
                                ok,
                                None,
                                seconds,
                                clients,
                            )
                        )
                    for label, username, inbox_filter in CASES:
                        expected = pages.data.get(case_key(username, inbox_filter))
                        if expected is None:
                            continue  # the real server failed on it: reported there
                        body = inbox_body(50, inbox_filter)
                        answer = (
                            await client.post("/graphql", json=body, headers={"Authorization": f"Bearer {username}"})
                        ).json()
                        same = answer.get("data") is not None and comparable(answer["data"]) == comparable(expected)
                        notes.append(
                            f"memory {prefix}page «{label}» identical to the real "
                            f"server's answer: {'yes' if same else 'NO'}"
                        )
                        results.append(
                            await measure(
                                f"memory {prefix}inbox {label}",
                                client,
                                meter,
                                lambda b=body: b,
                                inbox_check,
                                username,
                                seconds,
                                clients,
                            )
                        )  # token: the page
            return results, notes
        finally:
            await monitor.close()
            server.stop()


# --- phase 5: SQL per request, in-process -------------------------------------------------------


def statement_kind(statement: str) -> str:
    """What a statement reads, for telling a conditional loader from an N+1: 'FROM a JOIN b'."""
    flat = " ".join(statement.split())
    head = flat.split(" WHERE ", 1)[0]
    tables = re.findall(r"(?:FROM|JOIN) (\w+)", head)
    return ("count " if flat.startswith("SELECT count(") else "") + " + ".join(tables)


class GcMeter:
    """CPU time this process spends in the cyclic garbage collector until stop()."""

    def __init__(self):
        self.seconds, self.started = 0.0, 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self.started = time.process_time()
        else:
            self.seconds += time.process_time() - self.started

    def stop(self) -> float:
        gc.callbacks.remove(self._callback)
        return self.seconds


class StatementTimer:
    """Every SQL statement a request sends (BEGIN/COMMIT/ROLLBACK aside, like tests' QueryCounter),
    with the wall time from before to after cursor execution (round trip, prepare, row decoding)."""

    def __init__(self, engine):
        self.records: list[tuple[str, Any, float]] = []
        self.enabled = True
        event.listen(engine.sync_engine, "before_cursor_execute", self._before)
        event.listen(engine.sync_engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        started = conn.info["bench_started"].pop()
        if self.enabled and not statement.lstrip().upper().startswith(SKIP_SQL):
            self.records.append((statement, parameters, time.perf_counter() - started))

    def reset(self) -> None:
        self.records = []


def is_count(statement: str) -> bool:
    """totalCount, in either form: count(*) of the rows, or a sum over turno_counts."""
    return statement_kind(statement) in ("count turnos", "turno_counts")


async def profile_in_process(
    url: str, secret: str, repeat: int, explain_all: bool, python_profile: bool
) -> tuple[list[str], dict[str, int]]:
    """Statements per request for first = 5, 50, 100; in-process time split; EXPLAIN ANALYZE of the
    statements of each case. Returns the problems found (bugs), printed at the end too, and the
    statements per request of each case's page of 50."""
    problems = []
    statements: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="mcs-bench-") as workdir:
        settings = Settings.from_env(database_url=url, redis_url=None, secret_key=secret, files_dir=Path(workdir))
        services = build_services(settings)
        timer = StatementTimer(services.db.engine)
        transport = httpx.ASGITransport(app=create_app(services=services))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                tokens = {u: await login(client, u) for u in (HEAD_USERNAME, STAFF_USERNAME)}

                async def one(username: str, body: dict) -> list[tuple[str, Any, float]]:
                    timer.reset()
                    response = await client.post(
                        "/graphql", json=body, headers={"Authorization": f"Bearer {tokens[username]}"}
                    )
                    payload = response.json()
                    if response.status_code != 200 or payload.get("errors"):
                        raise SystemExit(f"in-process inbox failed: {response.text[:500]}")
                    return list(timer.records)

                print("\nSQL statements per request (in-process, counted like tests/conftest.py QueryCounter)")
                print(f"{'':32} {'first=5':>8} {'first=50':>9} {'first=100':>10}")
                for label, username, inbox_filter in CASES:
                    kinds = [
                        Counter(statement_kind(s) for s, _p, _t in await one(username, inbox_body(first, inbox_filter)))
                        for first in (5, 50, 100)
                    ]
                    counts = [sum(k.values()) for k in kinds]
                    statements[label] = counts[1]
                    differ = {k for k in set().union(*kinds) if len({c[k] for c in kinds}) > 1}
                    grows = {k for k in differ if max(c[k] for c in kinds) > 1}  # an N+1 would show here
                    optional = differ - grows
                    verdict = (
                        "fixed"
                        if len(set(counts)) == 1
                        else "GROWS with the page"
                        if grows
                        else "fixed, plus at most one conditional statement: " + "; ".join(sorted(optional))
                    )
                    print(f"{label:32} {counts[0]:8} {counts[1]:9} {counts[2]:10}   {verdict}")
                    if grows:
                        problems.append(
                            f"statements per inbox request grow with the page size ({label}): {counts}, "
                            f"repeated: {sorted(grows)}"
                        )

                print(
                    f"\nIn-process time of one page of 50 (ASGITransport, no HTTP, one request at a time, "
                    f"mean of {repeat}; CPU and GC: this process, the app plus the in-process client)"
                )
                print(
                    f"{'':32} {'request':>9} {'in SQL':>9} {'rest':>9} {'CPU':>9} {'of it GC':>9}  "
                    f"statements (mean ms each)"
                )
                slowest: dict[str, tuple[str, Any, float]] = {}
                box_sql: dict[tuple[str, str], tuple[str, Any]] = {}  # (case, "count"/"page") -> statement
                for label, username, inbox_filter in CASES:
                    body = inbox_body(50, inbox_filter)
                    await one(username, body)  # warm: prepared statements, caches
                    per_statement: dict[int, list[float]] = defaultdict(list)
                    texts: dict[int, tuple[str, Any]] = {}
                    total = sql = 0.0
                    gc_meter = GcMeter()
                    cpu_started = time.process_time()
                    for _ in range(repeat):
                        started = time.perf_counter()
                        records = await one(username, body)
                        total += time.perf_counter() - started
                        for i, (statement, parameters, took) in enumerate(records):
                            sql += took
                            per_statement[i].append(took)
                            texts[i] = (statement, parameters)
                    cpu_ms = 1000 * (time.process_time() - cpu_started) / repeat
                    gc_ms = 1000 * gc_meter.stop() / repeat
                    means = {i: sum(v) / len(v) for i, v in per_statement.items()}
                    total_ms, sql_ms = 1000 * total / repeat, 1000 * sql / repeat
                    print(
                        f"{label:32} {total_ms:6.1f} ms {sql_ms:6.1f} ms {total_ms - sql_ms:6.1f} ms "
                        f"{cpu_ms:6.1f} ms {gc_ms:6.1f} ms  "
                        f"{' '.join(f'{1000 * m:.1f}' for m in means.values())}"
                    )
                    worst = max(means, key=means.get)
                    slowest[label] = (*texts[worst], means[worst])
                    for i, (statement, parameters) in texts.items():
                        if is_count(statement):
                            box_sql[label, "count"] = (statement, parameters)
                        elif statement_kind(statement) == "turnos" and " LIMIT " in statement:
                            box_sql[label, "page"] = (statement, parameters)

                # what-if: gc.freeze() once started, so that the objects alive by then (modules, schema,
                # mappers, compiled statement caches) are not scanned again by every full collection
                gc.collect()
                gc.freeze()
                print(f"\nThe same after gc.freeze() (what-if; CPU and GC per request, mean of {repeat}):")
                for label, username, inbox_filter in CASES:
                    body = inbox_body(50, inbox_filter)
                    gc_meter = GcMeter()
                    cpu_started = time.process_time()
                    for _ in range(repeat):
                        await one(username, body)
                    cpu_ms = 1000 * (time.process_time() - cpu_started) / repeat
                    print(f"{label:32} CPU {cpu_ms:6.1f} ms, of it GC {1000 * gc_meter.stop() / repeat:6.1f} ms")
                gc.unfreeze()

                timer.enabled = False
                async with services.db.engine.connect() as conn:
                    for label, username, inbox_filter in CASES:
                        timer.enabled = True
                        records = await one(username, inbox_body(50, inbox_filter))
                        timer.enabled = False
                        print(
                            f"\nStatements of one page «{label}» (in the request; EXPLAIN ANALYZE execution "
                            f"time, best of 3):"
                        )
                        for statement, parameters, took in records:
                            plan_ms = (
                                f"{await explain_ms(conn, statement, parameters):7.2f} ms"
                                if statement.lstrip().upper().startswith("SELECT")
                                else "      –   "
                            )
                            print(f"  {1000 * took:7.2f} ms {plan_ms}  {shorten_sql(statement, 130)}")
                    for label, (statement, parameters, took) in slowest.items():
                        plan = (
                            (await conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters))
                            .scalars()
                            .all()
                        )
                        took_plan = next(
                            (row.split(":")[1].strip() for row in plan if row.startswith("Execution Time")), "?"
                        )
                        seq = [
                            row.strip() for row in plan if "Seq Scan on turnos" in row or "Seq Scan on documents" in row
                        ]
                        print(
                            f"\nSlowest statement of «{label}»: {1000 * took:.1f} ms in the request, "
                            f"EXPLAIN ANALYZE {took_plan}{'  — SEQ SCAN on a big table' if seq else ''}"
                        )
                        print("  " + shorten_sql(statement, 400))
                        if explain_all or label == CASES[0][0] or seq:
                            print("\n".join("    " + line for line in plan))
                timer.enabled = True
                await print_what_ifs(services, timer, box_sql)

                if python_profile:
                    profiler = cProfile.Profile()
                    for label, username, inbox_filter in CASES[:2]:
                        body = inbox_body(50, inbox_filter)
                        profiler.enable()
                        for _ in range(repeat):
                            await one(username, body)
                        profiler.disable()
                    print_profile(profiler, f"the two HEAD pages in-process, {repeat} requests each")
        finally:
            await services.db.dispose()
    return problems, statements


async def explain_ms(conn, statement: str, parameters, jit: bool | None = None, tries: int = 3) -> float:
    """Best EXPLAIN ANALYZE execution time of `tries`; JIT as the app's connections have it
    (None), or forced on or off."""
    if jit is not None:
        await conn.exec_driver_sql(f"SET jit = {'on' if jit else 'off'}")
    best = float("inf")
    for _ in range(tries):
        plan = (await conn.exec_driver_sql("EXPLAIN (ANALYZE) " + statement, parameters)).scalars().all()
        best = min(best, next(float(row.split(":")[1].split()[0]) for row in plan if row.startswith("Execution Time")))
    if jit is not None:
        await conn.exec_driver_sql("RESET jit")
    return best


async def print_what_ifs(services, timer: StatementTimer, box_sql: dict[tuple[str, str], tuple[str, Any]]) -> None:
    """Each page's count and page statements now (as the app sent them: the scope resolved to unit
    ids, the count a sum over turno_counts when the filter allows it) against the form before:
    the scope as an EXISTS on org_units.path (models/filters.py box_scope) AND visible_turnos,
    totalCount a count(*) of the rows, built here with the project's own clauses. Same filters
    (turno_filter_clauses), same order. Execution times only: EXPLAIN ANALYZE, best of 3."""
    clock = services.clock
    async with services.db.session() as session:
        calendar = await load_calendar(session)
        user_ids = dict(
            (
                await session.execute(
                    select(User.username, User.id).where(User.username.in_([HEAD_USERNAME, STAFF_USERNAME]))
                )
            ).all()
        )
        principals = {u: await load_principal(session, i) for u, i in user_ids.items()}
    async with services.db.engine.connect() as probe:
        jit = (await probe.exec_driver_sql("SHOW jit")).scalar()
    print(
        f"\nThe inbox's statements before and now (EXPLAIN ANALYZE execution time, best of 3; JIT as the app's "
        f"connections have it: {jit}). Before: scope as EXISTS on org_units.path + visible_turnos, count(*) of "
        f"the rows; now: as the app sent them"
    )
    print(f"{'':32} {'count before':>12} {'count now':>10}  {'(form)':14} {'page before':>11} {'page now':>9}")
    async with services.db.engine.connect() as conn:
        for label, username, inbox_filter in CASES:
            principal = principals[username]
            env = FilterEnv(clock, calendar, services.settings.yellow_threshold_days, principal)
            spec = TurnoFilterSpec(
                include_subunits=True,
                status=list((inbox_filter or {}).get("status", [])),
                traffic_light=list((inbox_filter or {}).get("trafficLight", [])),
            )
            where = [
                box_scope(principal, spec, Turno.to_unit_id),
                visible_turnos(principal),
                *turno_filter_clauses(spec, env, Turno.to_unit_id),
            ]
            before = {}
            for name, stmt in (
                ("count", select(func.count()).select_from(select(Turno).where(*where).subquery())),
                ("page", select(Turno).where(*where).order_by(Turno.sent_at.desc(), Turno.id.desc()).limit(51)),
            ):
                timer.reset()
                await conn.execute(stmt)
                before[name] = timer.records[-1][:2]
            now_count, now_page = box_sql.get((label, "count")), box_sql.get((label, "page"))
            form = (
                "–"
                if now_count is None
                else "turno_counts"
                if statement_kind(now_count[0]) == "turno_counts"
                else "count(*)"
            )
            count_now = f"{await explain_ms(conn, *now_count):7.2f} ms" if now_count else "   missing"
            page_now = f"{await explain_ms(conn, *now_page):6.2f} ms" if now_page else "  missing"
            print(
                f"{label:32} {await explain_ms(conn, *before['count']):9.2f} ms {count_now}  {form:14} "
                f"{await explain_ms(conn, *before['page']):8.2f} ms {page_now}"
            )
        await conn.rollback()


def profile_group(filename: str, function: str) -> str:
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if str(REPO) in filename:
        return "mcs: " + Path(filename).relative_to(REPO).parts[0]
    if "/asyncio/" in filename:
        return "asyncio"
    if filename == "~":
        return "C builtins (" + ("epoll: waiting" if "poll" in function else "other") + ")"
    return "stdlib/other"


def print_profile(profiler: cProfile.Profile, what: str) -> None:
    """Own CPU time by package (the in-process client's share included: httpx, ASGI transport)."""
    stats = pstats.Stats(profiler).stats
    groups: Counter = Counter()
    for (filename, _line, function), (_cc, _nc, own, _cum, _callers) in stats.items():
        groups[profile_group(filename, function)] += own
    waiting = groups.pop("C builtins (epoll: waiting)", 0.0)
    busy = sum(groups.values())
    print(f"\nPython profile ({what}): {busy:.2f} s busy, {waiting:.2f} s waiting in epoll; own time by package:")
    print("  " + ", ".join(f"{name} {100 * t / busy:.0f}%" for name, t in groups.most_common() if t / busy >= 0.01))
    ranked = sorted(
        (
            (own, f"{Path(fn).name}:{line}({fn_name})")
            for (fn, line, fn_name), (_c, _n, own, _cu, _ca) in stats.items()
            if "poll" not in fn_name
        ),
        reverse=True,
    )[:8]
    print("  top own time: " + "; ".join(f"{name} {1000 * own:.0f} ms" for own, name in ranked))


# --- report and main ----------------------------------------------------------------------------


def per_request_ms(result: Result, key: str) -> float:
    return 1000 * result.cpu.get(key, 0) / result.rate if result.rate else float("nan")


def print_results(title: str, results: list[Result], baseline: Result) -> None:
    print(f"\n{title}")
    print(f"{'':46} {'req/s':>6} {'p50':>9} {'p99':>9} {'ratio':>6}   CPU/req: server  postgres   busy: client  rest")
    for r in results:
        busy = "  ".join(f"{100 * r.cpu.get(k, 0):4.0f}%" for k in ("client", "others"))
        print(
            f"{r.name:46} {r.rate:6.0f} {r.percentile_ms(0.5):6.1f} ms {r.percentile_ms(0.99):6.1f} ms "
            f"{r.rate / baseline.rate:6.3f}         {per_request_ms(r, 'server'):6.1f} ms "
            f"{per_request_ms(r, 'db'):6.1f} ms          {busy}"
        )
        if r.failures:
            print(f"    {len(r.failures)} failed requests, first: {r.failures[0]}")


def print_breakdown(real: list[Result], memory: list[Result]) -> None:
    """Where one page's CPU goes: HTTP + GraphQL floor, GraphQL execution of the page, data access
    in the server process, PostgreSQL."""
    by = {r.name: r for r in real + memory}
    floor = per_request_ms(by["memory {__typename}"], "server")
    print("\nWhere the CPU of one page goes (ms per request; server process and PostgreSQL backends):")
    print(
        f"{'':30} {'HTTP+floor':>10} {'GraphQL':>8} {'data (py)':>10} {'postgres':>9} {'total':>7}   "
        f"{'DB share':>8}  real/memory req/s"
    )
    for label, _username, _filter in CASES:
        if f"memory inbox {label}" not in by or f"inbox {label}" not in by:
            continue
        r, m = by[f"inbox {label}"], by[f"memory inbox {label}"]
        graphql = per_request_ms(m, "server") - floor
        data = per_request_ms(r, "server") - per_request_ms(m, "server")
        pg = per_request_ms(r, "db")
        total = floor + graphql + data + pg
        print(
            f"{label:30} {floor:10.2f} {graphql:8.2f} {data:10.2f} {pg:9.2f} {total:7.2f}   "
            f"{100 * (data + pg) / total:7.0f}%  {r.rate:.0f} / {m.rate:.0f} = {r.rate / m.rate:.2f}"
        )
    print(
        "HTTP+floor: the in-memory server's CPU for {__typename} (uvicorn, starlette, strawberry's request\n"
        "handling, validation guards). GraphQL: what the in-memory page adds (parsing, validating and executing\n"
        "the selection, async resolvers, serializing 50 rows). data (py): what the real server adds on top: token\n"
        "and principal, sessions and pool, SQL compilation, asyncpg, ORM objects, loaders, Python-side lights.\n"
        "postgres: the backends' CPU. DB share = (data + postgres) / total."
    )


@dataclass
class Line:
    """One measured inbox line against its in-memory twins."""

    label: str
    real: Result
    memory: Result | None
    sync: Result | None
    plain: Result | None

    @property
    def real_cpu_ms(self) -> float:
        return per_request_ms(self.real, "server") + per_request_ms(self.real, "db")

    @property
    def ratio_memory(self) -> float:
        """In-memory server CPU per request / (real server + PostgreSQL CPU per request)."""
        return per_request_ms(self.memory, "server") / self.real_cpu_ms if self.memory else float("nan")

    @property
    def ratio_memory_req_s(self) -> float:
        return self.real.rate / self.memory.rate if self.memory and self.memory.rate else float("nan")

    @property
    def ratio_plain(self) -> float:
        """Plain-attribute CPU per request / resolver CPU per request, both in memory: 1 is the ceiling."""
        if not (self.memory and self.plain):
            return float("nan")
        return per_request_ms(self.plain, "server") / per_request_ms(self.memory, "server")


def lines_of(real: list[Result], memory: list[Result]) -> list[Line]:
    by = {r.name: r for r in real + memory}
    return [
        Line(
            label,
            by[f"inbox {label}"],
            *[by.get(f"memory {prefix}inbox {label}") for prefix, _path in MEMORY_VARIANTS.values()],
        )
        for label, _u, _f in CASES
        if f"inbox {label}" in by
    ]


def print_ratios(lines: list[Line]) -> None:
    print(
        "\nReal against in-memory, per line. CPU ms per request: real = server + PostgreSQL backends; memory and "
        "sync, plain = the in-memory server.\nratio_memory = memory CPU / real CPU (the robust one); by req/s: real / "
        "memory req/s (pessimistic when the machine is busy); plain/memory: how close the resolvers are to plain "
        "attributes; sync: what-if, every resolver of memory synchronous"
    )
    print(
        f"{'':30} {'real CPU':>9} {'memory':>8} {'sync':>7} {'plain':>7}   {'ratio_memory':>12} {'by req/s':>9} "
        f"{'plain/memory':>12}"
    )

    def cpu(r: Result | None) -> float:
        return per_request_ms(r, "server") if r else float("nan")

    for x in lines:
        print(
            f"{x.label:30} {x.real_cpu_ms:6.1f} ms {cpu(x.memory):5.1f} ms {cpu(x.sync):4.1f} ms {cpu(x.plain):4.1f} ms"
            f"   {x.ratio_memory:12.2f} {x.ratio_memory_req_s:9.2f} {x.ratio_plain:12.2f}"
        )


def result_fields(r: Result) -> str:
    return (
        f"req_s={r.rate:.1f} p50_ms={r.percentile_ms(0.5):.1f} p99_ms={r.percentile_ms(0.99):.1f} "
        f"server_cpu_ms={per_request_ms(r, 'server'):.2f}"
    )


def print_result_lines(lines: list[Line], statements: dict[str, int]) -> None:
    """The machine-readable summary: one RESULT line per measured line."""
    print()
    for x in lines:
        r, name = x.real, RESULT_NAMES[x.label]
        print(
            f"RESULT inbox.{name} req_s={r.rate:.1f} p50_ms={r.percentile_ms(0.5):.1f} "
            f"p99_ms={r.percentile_ms(0.99):.1f} ratio_memory={x.ratio_memory:.3f} "
            f"ratio_memory_req_s={x.ratio_memory_req_s:.3f} server_cpu_ms={per_request_ms(r, 'server'):.2f} "
            f"pg_cpu_ms={per_request_ms(r, 'db'):.2f} statements={statements.get(x.label, 'nan')} "
            f"busy_rest={r.cpu.get('others', 0):.2f}"
        )
    for x in lines:
        name = RESULT_NAMES[x.label]
        if x.memory:
            print(
                f"RESULT inbox.memory.{name} {result_fields(x.memory)} ratio_plain={x.ratio_plain:.3f} "
                f"busy_rest={x.memory.cpu.get('others', 0):.2f}"
            )
        for kind, r in (("memory_sync", x.sync), ("memory_plain", x.plain)):
            if r:
                print(f"RESULT inbox.{kind}.{name} {result_fields(r)} busy_rest={r.cpu.get('others', 0):.2f}")
    if not lines:  # --skip-server: the statements only
        for label, count in statements.items():
            print(f"RESULT inbox.{RESULT_NAMES[label]} statements={count}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.inbox", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--turnos", type=int, default=1_000_000, help="turnos to bulk-load (default 1000000); documents: half as many"
    )
    parser.add_argument(
        "--database-url",
        default=DEFAULT_URL,
        help=f"PostgreSQL database to DROP and recreate, or with --reuse to migrate (default {DEFAULT_URL})",
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per line (default 10)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients (default 8)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the generated data")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database of a previous run (no reload; migrated to the head first)",
    )
    parser.add_argument("--repeat", type=int, default=20, help="in-process requests per page for the time split")
    parser.add_argument("--explain", action="store_true", help="print every slowest statement's full plan")
    parser.add_argument("--python-profile", action="store_true", help="cProfile the HEAD pages in-process")
    parser.add_argument("--skip-server", action="store_true", help="only the in-process SQL part")
    parser.add_argument("--serve-memory", metavar="PAGES", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve_memory:
        return serve_memory(Path(args.serve_memory), args.port)
    url = args.database_url
    if make_url(url).get_backend_name() != "postgresql":
        raise SystemExit("bench.inbox needs a PostgreSQL URL (postgresql+asyncpg://...)")
    secret = secrets.token_urlsafe(48)
    stats = None
    if args.reuse:
        print(f"reusing {make_url(url).render_as_string(hide_password=True)}; migrating…", flush=True)
        migrate(url)  # loaded before a newer migration (0014: turno_counts, rebuilt from the rows): bring it up
        world = asyncio.run(read_world(url))
    else:
        print(f"recreating {make_url(url).render_as_string(hide_password=True)} and migrating…", flush=True)
        asyncio.run(recreate_database(url))
        migrate(url)
        world = asyncio.run(create_org_and_users(url))
        asyncio.run(add_inbox_users(url, world))
        print(f"loading {args.turnos // 2} documents and {args.turnos} turnos…", flush=True)
        stats = asyncio.run(load(url, world, args.turnos, args.seed))
        print(
            f"loaded {stats.documents} documents and {stats.turnos} turnos in {stats.seconds:.1f} s "
            f"(generation, COPY, index maintenance, VACUUM ANALYZE)"
        )
        total = sum(stats.statuses.values())
        print("turno status: " + ", ".join(f"{s} {100 * n / total:.1f}%" for s, n in stats.statuses.most_common()))
        print(
            "open turnos by light: " + ", ".join(f"{light.value} {n}" for light, n in stats.open_lights.most_common())
        )
    problems = asyncio.run(check_load(url))
    for p in problems:
        print(f"LOAD PROBLEM: {p}")

    lines: list[Line] = []
    if not args.skip_server:
        print(f"\nmeasuring the real server ({args.seconds:g} s per line, {args.clients} clients)…", flush=True)
        run, pages = asyncio.run(run_real_server(url, secret, args.seconds, args.clients))
        print("measuring the in-memory server…", flush=True)
        memory, notes = asyncio.run(run_memory_server(url, pages, args.seconds, args.clients))
        print(
            f"\nserver: one uvicorn process on {os.cpu_count()} cores shared with PostgreSQL and the client; "
            f"{args.clients} concurrent clients, {args.seconds:g} s per line"
        )
        for label, count in pages.total_counts.items():
            print(f"inbox «{label}»: totalCount {count}")
        print(f"real server RSS: idle {run.rss_idle:.0f} MB, end {run.rss_end:.0f} MB, peak {run.rss_peak:.0f} MB")
        print_results("Real server (mcs serve, PostgreSQL); ratio to its {__typename}", run.results, run.results[0])
        print_results(
            "In-memory server (same stack, no database); ratio to the real server's {__typename}",
            memory,
            run.results[0],
        )
        print(
            f"in-memory {{__typename}} vs real {{__typename}}: {memory[0].rate:.0f} / {run.results[0].rate:.0f} req/s"
        )
        for note in notes:
            print(note)
        print_breakdown(run.results, memory)
        lines = lines_of(run.results, memory)
        print_ratios(lines)
        busy = [r.cpu.get("others", 0) for r in run.results + memory]
        print(
            f"the rest of the machine took {min(busy):.2f}–{max(busy):.2f} cores during the lines "
            f"(mean {sum(busy) / len(busy):.2f}) of {os.cpu_count()}"
        )
        if max(busy) > 0.25:
            print(
                "warning: the rest of the machine was busy during some runs: req/s and latencies are pessimistic; "
                "the CPU-per-request figures and ratio_memory much less so."
            )

    found, statements = asyncio.run(profile_in_process(url, secret, args.repeat, args.explain, args.python_profile))
    problems += found
    if problems:
        print("\nPROBLEMS:\n" + "\n".join(f"- {p}" for p in problems))
    print_result_lines(lines, statements)
    return 0


if __name__ == "__main__":
    sys.exit(main())
