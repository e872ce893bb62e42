"""A state government's database: 10,000 units, 50,000 users, 3,000,000 documents, 9,000,000 turnos.

    .venv/bin/python -m bench.state [--units 10000] [--users 50000] [--documents 3000000]
                                    [--turnos 9000000] [--workers 2] [--database-url URL]

1. drop, recreate and migrate the database (default `mcs_bench_state`; the project's Alembic
   migrations, as bench.core does);
2. the org tree (7 levels: the governor's office, secretariats, undersecretariats, general
   directorates, directorates, subdirectorates, departments; uneven subtrees) and the users with
   their memberships (a HEAD per unit with subunits, REGISTRARs of the units that register, a
   few VIEWERs, STAFF), one shared argon2 hash; COPY. Two directorates are shaped like
   bench.core's DG1 and DG2 (4 units with 5 leaves each) so bench.inbox runs here with `--reuse`;
3. drop the secondary indexes, unique and foreign-key constraints of the big tables (their
   definitions read from the catalog first);
4. generate and COPY, in `--workers` processes (each one a share of the registering units, so
   folio numbers stay gapless per unit and year without coordination): documents (bench.core's
   generator), turno trees (bench.inbox's planner: first level + delegations, status by age,
   deadlines by the business calendar, the watcher's marks), document_units, one
   DOCUMENT_REGISTERED event per document and one TURNO_SENT per turno with their audience as the
   app writes them, event ids in time order. The triggers (search, stats) are off for these
   sessions (session_replication_role = replica);
5. what the triggers would have done, set-based: document_search (two connections), and every
   `mcs_*_rebuild()` the migrations define (stats_daily, turno_counts); folio counters and id
   sequences;
6. recreate the indexes and constraints (two connections, maintenance_work_mem high), VACUUM
   ANALYZE, check the invariants (bench.inbox's check_load and more), print table sizes.

It prints timings per phase and rows/s, and ends with `RESULT state.load …`. See bench/STATE.md.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import math
import multiprocessing
import random
import sys
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone

import asyncpg
from sqlalchemy.engine import make_url

import bench.core

from bench.core import (
    COPY_BATCH,
    DOCUMENT_COLUMNS,
    FINISH_LOAD,
    PASSWORD,
    World,
    document_record,
    generate_documents,
    libpq_dsn,
    recreate_database,
    registrar_username,
)
from bench.inbox import (
    FINISH_TURNOS,
    HEAD_UNIT,
    HEAD_USERNAME,
    STAFF_UNIT,
    STAFF_USERNAME,
    TURNO_COLUMNS,
    TurnoGenerator,
    check_load,
)
from mcs.migrations import migrate
from models.clock import Clock, FrozenClock
from models.documents import Document
from models.events import EventKind
from models.org import OrgUnit, OrgUnitKind
from models.users import Role, hash_password, user_search_text

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/mcs_bench_state"
ROOT_HEAD = "bench_head"  # bench.core's HEAD of the root
HEAD_1000 = "state_head_1000"  # HEAD of the unit with about 1,000 units below it
REGISTRAR_STATE = "registrar_state"  # REGISTRAR of that same unit
REGISTER_UNIT = "DG1D1"  # bench.core / bench.inbox read_world expect it (with reg_dg1d1)
NEAR_BELOW = 1000

# units per level per 10,000: the governor's office, secretariats and agencies, undersecretariats,
# general directorates, directorates, subdirectorates, departments (and regional offices)
LEVEL_SHARES = [1, 20, 80, 350, 1200, 3000, 5349]
LEVEL_KINDS = [
    OrgUnitKind.UNIT,
    OrgUnitKind.UNIT,
    OrgUnitKind.UNIT,
    OrgUnitKind.GENERAL_DIRECTORATE,
    OrgUnitKind.DIRECTORATE,
    OrgUnitKind.SUBDIRECTORATE,
    OrgUnitKind.DEPARTMENT,
]
LEVEL_LABELS = [
    "Gubernatura",
    "Secretaría",
    "Subsecretaría",
    "Dirección General",
    "Dirección",
    "Subdirección",
    "Departamento",
]
SECRETARIATS = [
    ("Secretaría General de Gobierno", "SGG"),
    ("Secretaría de Finanzas", "SF"),
    ("Secretaría de Salud", "SSA"),
    ("Secretaría de Educación", "SEDUC"),
    ("Secretaría de Seguridad", "SSEG"),
    ("Secretaría de Desarrollo Urbano", "SEDUR"),
    ("Secretaría de Movilidad", "SEMOV"),
    ("Secretaría del Campo", "SECAMPO"),
    ("Secretaría de Desarrollo Económico", "SEDECO"),
    ("Secretaría del Trabajo", "STPS"),
    ("Secretaría de Cultura y Turismo", "SCT"),
    ("Secretaría de la Contraloría", "SECOGEM"),
    ("Secretaría de Obra Pública", "SOP"),
    ("Secretaría del Medio Ambiente", "SMA"),
    ("Secretaría de Desarrollo Social", "SEDESO"),
    ("Secretaría de Justicia y Derechos Humanos", "SJDH"),
    ("Secretaría de las Mujeres", "SEMUJ"),
    ("Secretaría de Comunicaciones", "SECOM"),
    ("Consejería Jurídica", "CJ"),
    ("Secretaría del Agua", "SAGUA"),
]
# documents are registered by the oficialías of the upper levels: weight of a registering unit by level
REGISTER_WEIGHT = {0: 30, 1: 20, 2: 8, 3: 3, 4: 1, 5: 1}
STAFF_WEIGHT = {0: 20, 1: 12, 2: 6, 3: 4, 4: 2, 5: 1.5, 6: 1.2}

BIG_TABLES = ["documents", "document_units", "document_search", "turnos", "events", "event_audience"]


def log(message: str) -> None:
    print(message, flush=True)


# --- phase 2: the org tree and the users -------------------------------------------------------


@dataclass
class UnitSpec:
    id: int
    parent_id: int | None
    level: int
    code: str
    acronym: str
    name: str
    kind: str
    path: str
    weight: float
    children: list[int] = field(default_factory=list)


def level_sizes(units: int) -> list[int]:
    if units < 300:
        raise SystemExit("--units must be at least 300")
    sizes = [1] + [max(1, round(units * s / 10_000)) for s in LEVEL_SHARES[1:-1]]
    return sizes + [units - sum(sizes)]


def plan_units(units: int, seed: int) -> list[UnitSpec]:
    """Level by level (ids in breadth-first order): each unit's children drawn in proportion to a
    weight it inherits from its parent times a random factor, so secretariats differ in size as
    they do. Two directorates (DG1, DG2) get bench.core's shape: 4 subunits of 5 leaves each."""
    rng = random.Random(seed)
    sizes = level_sizes(units)
    specs = [UnitSpec(1, None, 0, "0", "GEM", "Gubernatura del Estado", OrgUnitKind.UNIT.value, "/1/", 1.0)]
    levels = [[specs[0]]]
    planted: dict[int, int] = {}  # unit id -> forced number of children
    for level in range(1, 7):
        parents = levels[-1]
        counts = Counter({p.id: planted[p.id] for p in parents if p.id in planted})
        free = [p for p in parents if p.id not in planted]
        drawn = rng.choices([p.id for p in free], [p.weight for p in free], k=sizes[level] - sum(counts.values()))
        counts.update(drawn)
        by_id = {p.id: p for p in parents}
        row = []
        for parent_id in sorted(counts):
            parent = by_id[parent_id]
            for i in range(1, counts[parent_id] + 1):
                unit_id = len(specs) + 1
                code = f"{i}" if level == 1 else f"{parent.code}.{i}"
                if level == 1 and i <= len(SECRETARIATS):
                    name, acronym = SECRETARIATS[i - 1]
                else:
                    name, acronym = f"{LEVEL_LABELS[level]} {code}", "U" + code.replace(".", "-")
                kind = LEVEL_KINDS[level].value
                if level == 6 and rng.random() < 0.1:
                    kind, name = OrgUnitKind.REGIONAL_OFFICE.value, f"Oficina Regional {code}"
                spec = UnitSpec(
                    unit_id,
                    parent_id,
                    level,
                    code,
                    acronym,
                    name,
                    kind,
                    f"{parent.path}{unit_id}/",
                    rng.lognormvariate(0, 0.5),
                )
                parent.children.append(unit_id)
                specs.append(spec)
                row.append(spec)
        levels.append(row)
        if level == 4:  # plant DG1 and DG2: two directorates far apart
            for g, spec in ((1, row[len(row) // 3]), (2, row[2 * len(row) // 3])):
                spec.acronym, spec.name = f"DG{g}", f"Dirección {spec.code} (DG{g})"
                planted[spec.id] = 4
        elif level == 5:
            for spec in row:
                parent = specs[spec.parent_id - 1]
                if parent.acronym.startswith("DG"):
                    spec.acronym = f"{parent.acronym}D{parent.children.index(spec.id) + 1}"
                    planted[spec.id] = 5
        elif level == 6:
            for spec in row:
                parent = specs[spec.parent_id - 1]
                if parent.acronym.startswith("DG"):
                    spec.acronym = f"{parent.acronym}S{parent.children.index(spec.id) + 1}"
    return specs


def plan_tree(units: int, seed: int) -> list[UnitSpec]:
    """plan_units with the first of a few derived seeds that gives a unit with about 1,000 units
    below it (±10%; the closest one found when there is none, e.g. with fewer units)."""
    best = None
    for attempt in range(30):
        specs = plan_units(units, seed * 1000 + attempt)
        below = subtree_sizes(specs)
        off = abs(below[pick_unit_1000(specs, below).id - 1] - NEAR_BELOW)
        if best is None or off < best[0]:
            best = (off, specs)
        if off <= NEAR_BELOW // 10 or units < 2 * NEAR_BELOW:
            break
    return best[1]


def subtree_sizes(specs: list[UnitSpec]) -> list[int]:
    """Units below each unit (not counting itself), by index."""
    below = [0] * len(specs)
    for spec in reversed(specs):  # children come after their parent
        if spec.parent_id is not None:
            below[spec.parent_id - 1] += below[spec.id - 1] + 1
    return below


@dataclass
class Org:
    specs: list[UnitSpec]
    below: list[int]
    registering: dict[int, int]  # unit id -> weight
    acting: dict[int, int]  # unit id -> the user who registers and turns in its name
    named: dict[str, str]  # username -> what it is
    users: int
    memberships: Counter  # role -> count

    def unit(self, acronym: str) -> UnitSpec:
        return next(s for s in self.specs if s.acronym == acronym)


def pick_unit_1000(specs: list[UnitSpec], below: list[int]) -> UnitSpec:
    return min(specs, key=lambda s: (abs(below[s.id - 1] - NEAR_BELOW), s.level))


def plan_users(specs: list[UnitSpec], users: int, seed: int) -> tuple[Org, list[tuple], list[tuple]]:
    """(org, user rows, membership rows): (username, full_name, position) and (user index, unit id, role)."""
    rng = random.Random(seed + 7)
    below = subtree_sizes(specs)
    by_acronym = {s.acronym: s for s in specs}
    big = pick_unit_1000(specs, below)
    registering = {s.id: REGISTER_WEIGHT[s.level] for s in specs if s.level <= 3 or (s.level == 4 and s.id % 3 == 0)}
    registering[by_acronym[REGISTER_UNIT].id] = REGISTER_WEIGHT[5]
    registering.setdefault(big.id, REGISTER_WEIGHT[big.level])
    people: list[tuple] = []
    members: list[tuple] = []
    first_of: dict[tuple[int, str], int] = {}

    def add(username: str, full_name: str, position: str | None, unit: UnitSpec, role: Role) -> int:
        people.append((username, full_name, position))
        members.append((len(people), unit.id, role.value))
        first_of.setdefault((unit.id, role.value), len(people))
        return len(people)

    def person() -> str:
        first = rng.choice(
            [
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
        )
        last = rng.choices(
            [
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
            ],
            k=2,
        )
        return f"{first} {last[0]} {last[1]}"

    acting: dict[int, int] = {}
    for s in specs:
        if s.children:
            head = add(f"head_{s.acronym.lower()}", person(), f"Titular de {s.name}", s, Role.HEAD)
            acting.setdefault(s.id, head)
        if s.id in registering:
            acting[s.id] = add(registrar_username(s), person(), f"Control de gestión de {s.name}", s, Role.REGISTRAR)
    upper = [s for s in specs if 1 <= s.level <= 2]
    for n in range(max(5, users // 1000)):
        add(f"viewer{n + 1:03d}", person(), "Enlace de seguimiento", rng.choice(upper), Role.VIEWER)
    staff_units = rng.choices(specs, [STAFF_WEIGHT[s.level] for s in specs], k=max(0, users - len(people)))
    staff_units.sort(key=lambda s: s.id)
    for n, s in enumerate(staff_units, start=1):
        add(f"staff{n:05d}", person(), "Analista", s, Role.STAFF)

    # the named users: the generic user of that unit and role renamed, or one more user
    named = {
        ROOT_HEAD: f"HEAD of {specs[0].acronym} (the root, {below[0]} units below)",
        HEAD_USERNAME: f"HEAD of {HEAD_UNIT} ({below[by_acronym[HEAD_UNIT].id - 1] + 1} units with its subtree)",
        STAFF_USERNAME: f"STAFF of {STAFF_UNIT} (a leaf under {HEAD_UNIT})",
        HEAD_1000: f"HEAD of {big.acronym} ({below[big.id - 1]} units below, level {big.level})",
        REGISTRAR_STATE: f"REGISTRAR of {big.acronym}",
        registrar_username(by_acronym[REGISTER_UNIT]): f"REGISTRAR of {REGISTER_UNIT}",
    }
    renamed: set[int] = set()
    for username, unit, role in [
        (ROOT_HEAD, specs[0], Role.HEAD),
        (HEAD_USERNAME, by_acronym[HEAD_UNIT], Role.HEAD),
        (STAFF_USERNAME, by_acronym[STAFF_UNIT], Role.STAFF),
        (HEAD_1000, big, Role.HEAD),
        (REGISTRAR_STATE, big, Role.REGISTRAR),
    ]:
        index = first_of.get((unit.id, role.value))
        if index is None or index in renamed:
            index = add(username, person(), None, unit, role)
        renamed.add(index)
        _old, full_name, position = people[index - 1]
        people[index - 1] = (username, full_name, position)
    org = Org(specs, below, registering, acting, named, len(people), Counter(role for _u, _unit, role in members))
    return org, people, members


async def load_org(url: str, org: Org, people: list[tuple], members: list[tuple]) -> None:
    password_hash = hash_password(PASSWORD)  # argon2 is slow on purpose: one hash for everyone
    now = datetime.now(timezone.utc)
    conn = await asyncpg.connect(libpq_dsn(url))
    try:
        async with conn.transaction():
            await conn.copy_records_to_table(
                "org_units",
                columns=["id", "code", "acronym", "name", "kind", "parent_id", "path", "active"],
                records=[(s.id, s.code, s.acronym, s.name, s.kind, s.parent_id, s.path, True) for s in org.specs],
            )
            await conn.copy_records_to_table(
                "users",
                columns=[
                    "id",
                    "username",
                    "password_hash",
                    "full_name",
                    "position",
                    "email",
                    "active",
                    "token_version",
                    "created_at",
                    "search_text",
                ],
                records=[
                    (i, u, password_hash, name, position, None, True, 0, now, user_search_text(u, name, None))
                    for i, (u, name, position) in enumerate(people, start=1)
                ],
            )
            await conn.copy_records_to_table(
                "memberships",
                columns=["id", "user_id", "unit_id", "role"],
                records=[(i, *m) for i, m in enumerate(members, start=1)],
            )
            for table in ("org_units", "users", "memberships"):
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
    finally:
        await conn.close()


def org_units(org: Org) -> list[OrgUnit]:
    return [
        OrgUnit(
            id=s.id,
            code=s.code,
            acronym=s.acronym,
            name=s.name,
            kind=s.kind,
            parent_id=s.parent_id,
            path=s.path,
            active=True,
        )
        for s in org.specs
    ]


# --- phase 3: indexes and constraints off, and back on -------------------------------------------


@dataclass
class Saved:
    """What was dropped, to be recreated as it was (definitions from the catalog)."""

    indexes: list[tuple[str, str, str]]  # (table, name, CREATE INDEX …)
    uniques: list[tuple[str, str, str]]  # (table, name, UNIQUE (…))
    foreign_keys: list[tuple[str, str, str]]  # (table, name, FOREIGN KEY … REFERENCES …)


async def drop_secondary(conn: asyncpg.Connection) -> Saved:
    tables = BIG_TABLES
    foreign_keys = [
        tuple(r)
        for r in await conn.fetch(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid::regclass::text = ANY($1) ORDER BY 1, 2",
            tables,
        )
    ]
    uniques = [
        tuple(r)
        for r in await conn.fetch(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'u' AND conrelid::regclass::text = ANY($1) ORDER BY 1, 2",
            tables,
        )
    ]
    indexes = [
        tuple(r)
        for r in await conn.fetch(
            "SELECT i.indrelid::regclass::text, c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid::regclass::text = ANY($1) AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) ORDER BY 1, 2",
            tables,
        )
    ]
    async with conn.transaction():
        for table, name, _definition in foreign_keys + uniques:
            await conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for _table, name, _definition in indexes:
            await conn.execute(f'DROP INDEX "{name}"')
    return Saved(indexes, uniques, foreign_keys)


async def run_jobs(
    url: str, jobs: list[tuple[str, str]], connections: int, settings: str = ""
) -> list[tuple[str, float]]:
    """Run (label, SQL) jobs on `connections` connections, first come first served; their times."""
    queue = list(jobs)
    done: list[tuple[str, float]] = []

    async def worker() -> None:
        conn = await asyncpg.connect(libpq_dsn(url), timeout=30)
        try:
            if settings:
                await conn.execute(settings)
            while queue:
                label, sql = queue.pop(0)
                started = time.perf_counter()
                await conn.execute(sql)
                done.append((label, time.perf_counter() - started))
                log(f"    {done[-1][1]:7.1f} s  {label}")
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return done


BUILD_SETTINGS = "SET maintenance_work_mem = '1GB'; SET max_parallel_maintenance_workers = 1; SET work_mem = '256MB'"


def restore_jobs(saved: Saved, sizes: dict[str, int]) -> tuple[list, list]:
    """(indexes and unique constraints, foreign keys): the biggest tables first, so the two
    connections end together."""
    builds = [
        (f"unique {name}", f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}', sizes.get(table, 0))
        for table, name, definition in saved.uniques
    ]
    builds += [(f"index {name}", definition, sizes.get(table, 0)) for table, name, definition in saved.indexes]
    builds.sort(key=lambda job: -job[2])
    keys = [
        (f"foreign key {name}", f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}', sizes.get(table, 0))
        for table, name, definition in saved.foreign_keys
    ]
    keys.sort(key=lambda job: -job[2])
    return [j[:2] for j in builds], [j[:2] for j in keys]


# --- phase 4: documents, turnos, events (one worker process per share of the registering units) ----


class StateTurnoGenerator(TurnoGenerator):
    """bench.inbox's planner on a tree of any size: its __init__ finds descendants by comparing
    every pair of paths (10^8 comparisons for 10,000 units) and its "anywhere" recipient scans
    every unit; here the descendants come from the children lists and "anywhere" is a draw."""

    def __init__(self, world: World, seed: int, clock: Clock):
        super().__init__(
            World(units=[], registrar_of=world.registrar_of, register_unit=world.register_unit), seed, clock
        )
        self.units = {u.id: u for u in world.units}
        self.children = defaultdict(list)
        for u in world.units:
            self.children[u.parent_id].append(u.id)
        self.descendants = {}
        for u in reversed(world.units):  # breadth-first ids: children come after their parent
            below = []
            for child in self.children[u.id]:
                below.append(child)
                below += self.descendants[child]
            self.descendants[u.id] = below
        self.all_ids = [u.id for u in world.units]

    def first_level_unit(self, unit_id: int, used: set[int]) -> int:
        rng, unit = self.rng, self.units[unit_id]
        pools = []
        if self.children[unit_id] and rng.random() < 0.7:
            pools.append(self.children[unit_id])
        elif unit.parent_id is not None and rng.random() < 0.5:
            pools.append([s for s in self.children[unit.parent_id] if s != unit_id] + [unit.parent_id])
        for pool in pools:
            candidates = [u for u in pool if u != unit_id and u not in used]
            if candidates:
                return rng.choice(candidates)
        while True:  # anywhere
            candidate = rng.choice(self.all_ids)
            if candidate != unit_id and candidate not in used:
                return candidate


class PlainDocument:
    """A Document's columns as plain attributes. bench.core.generate_documents builds mapped
    Documents; SQLAlchemy's instrumentation of every attribute set and read was a quarter of the
    generation time, and these rows only go to COPY. Swapped in for the generation only."""

    refresh_derived = Document.refresh_derived
    _keys = frozenset(c.key for c in DOCUMENT_COLUMNS)

    def __init__(self, **values):
        self.__dict__.update(values)

    def __getattr__(self, name: str):  # a column the generator left unset: None, as on a new Document
        if name in PlainDocument._keys:
            return None
        raise AttributeError(name)


@contextmanager
def plain_documents():
    original = bench.core.Document
    bench.core.Document = PlainDocument
    try:
        yield
    finally:
        bench.core.Document = original


EVENT_COLUMNS = ["id", "kind", "occurred_at", "actor_id", "document_id", "turno_id", "data"]
REGISTERED, SENT = EventKind.DOCUMENT_REGISTERED.value, EventKind.TURNO_SENT.value


@dataclass
class Part:
    """One worker's share: its index, the registering units it owns and how many rows to make."""

    index: int
    workers: int
    unit_ids: list[int]
    documents: int
    turnos: int


@dataclass
class PartStats:
    documents: int = 0
    turnos: int = 0
    chain: int = 0
    events: int = 0
    audience: int = 0
    max_document_id: int = 0
    statuses: Counter = field(default_factory=Counter)
    lights: Counter = field(default_factory=Counter)
    generate_seconds: float = 0.0
    copy_seconds: float = 0.0


def split_parts(org: Org, documents: int, turnos: int, workers: int) -> list[Part]:
    """Registering units dealt to the lightest worker (heaviest first); rows in proportion."""
    loads = [0.0] * workers
    owned: list[list[int]] = [[] for _ in range(workers)]
    for unit_id, weight in sorted(org.registering.items(), key=lambda kv: (-kv[1], kv[0])):
        k = loads.index(min(loads))
        loads[k] += weight
        owned[k].append(unit_id)
    total = sum(loads)
    docs = [math.floor(documents * w / total) for w in loads]
    docs[0] += documents - sum(docs)
    trns = [math.floor(turnos * d / documents) if documents else 0 for d in docs]
    trns[0] += turnos - sum(trns)
    return [Part(k, workers, sorted(owned[k]), docs[k], trns[k]) for k in range(workers)]


async def load_part(url: str, org: Org, part: Part, seed: int, now: datetime) -> PartStats:
    stats = PartStats()
    clock = FrozenClock(now)  # every worker sees the same "now"
    units = org_units(org)
    by_id = {u.id: u for u in units}
    world = World(units=units, registrar_of=org.acting, register_unit=by_id[org.unit(REGISTER_UNIT).id])
    # generate_documents picks a unit uniformly from world.units: repeat each by its weight
    registering = World(
        units=[by_id[i] for i in part.unit_ids for _ in range(org.registering[i])],
        registrar_of=org.acting,
        register_unit=world.register_unit,
    )
    generator = StateTurnoGenerator(world, seed + 101 * part.index, clock)
    counts = generator.counts(part.documents, part.turnos) if part.documents else []
    lineage = {u.id: u.lineage_ids for u in units}
    paths = {u.id: u.path for u in units}
    W, k = part.workers, part.index + 1

    def audience(from_id: int, to_id: int) -> list[int]:
        if paths[to_id].startswith(paths[from_id]):
            return lineage[to_id]
        if paths[from_id].startswith(paths[to_id]):
            return lineage[from_id]
        return sorted(set(lineage[from_id]).union(lineage[to_id]))

    pending: list[tuple] = []  # heap of (occurred_at, order, event without id, audience)
    order = 0
    next_event = 0
    events: list[tuple] = []
    heard: list[tuple] = []

    def emit_until(moment: datetime | None) -> None:
        """Events up to `moment` get their ids: later documents only add later events."""
        nonlocal next_event
        while pending and (moment is None or pending[0][0] <= moment):
            _at, _order, row, units_heard = heapq.heappop(pending)
            event_id = next_event * W + k
            next_event += 1
            events.append((event_id, *row))
            heard.extend((event_id, u) for u in units_heard)

    conn = await asyncpg.connect(libpq_dsn(url), timeout=30)
    await conn.execute("SET session_replication_role = replica")  # no triggers: done set-based afterwards
    batch: list[Document] = []
    turno_rows: list[tuple] = []
    chain: list[tuple] = []
    started = time.perf_counter()

    async def flush() -> None:
        nonlocal batch, turno_rows, chain, events, heard
        copy_started = time.perf_counter()
        await conn.copy_records_to_table(
            "documents", columns=[c.name for c in DOCUMENT_COLUMNS], records=[document_record(d) for d in batch]
        )
        await conn.copy_records_to_table("document_units", columns=["document_id", "unit_id"], records=chain)
        await conn.copy_records_to_table("turnos", columns=TURNO_COLUMNS, records=turno_rows)
        await conn.copy_records_to_table("events", columns=EVENT_COLUMNS, records=events)
        await conn.copy_records_to_table("event_audience", columns=["event_id", "unit_id"], records=heard)
        stats.copy_seconds += time.perf_counter() - copy_started
        stats.documents += len(batch)
        stats.turnos += len(turno_rows)
        stats.chain += len(chain)
        stats.events += len(events)
        stats.audience += len(heard)
        batch, turno_rows, chain, events, heard = [], [], [], [], []

    try:
        async with conn.transaction():
            for n, document in enumerate(
                generate_documents(registering, part.documents, seed + 31 * part.index, clock)
            ):
                document.id = n * W + k
                stats.max_document_id = document.id
                rows = generator.turnos_of(document, counts[n])
                for row in rows:  # the planner numbers 1, 2, 3…: interleave the workers' ids
                    row["id"] = (row["id"] - 1) * W + k
                    if row["parent_id"] is not None:
                        row["parent_id"] = (row["parent_id"] - 1) * W + k
                batch.append(document)
                unit_id = document.unit_id
                involved = {unit_id}
                for row in rows:
                    involved.add(row["from_unit_id"])
                    involved.add(row["to_unit_id"])
                    turno_rows.append(tuple(row.get(c) for c in TURNO_COLUMNS))  # cancel_reason: none
                chain.append((document.id, unit_id))
                chain.extend((document.id, u) for u in sorted(involved - {unit_id}))

                emit_until(document.received_at)
                order += 1
                heapq.heappush(
                    pending,
                    (
                        document.created_at,
                        order,
                        (
                            REGISTERED,
                            document.created_at,
                            document.registered_by_id,
                            document.id,
                            None,
                            f'{{"folio": "{document.folio}", "unitId": {unit_id}, "attachments": 0}}',
                        ),
                        lineage[unit_id],
                    ),
                )
                for row in rows:
                    order += 1
                    due = row["due_date"]
                    heapq.heappush(
                        pending,
                        (
                            row["sent_at"],
                            order,
                            (
                                SENT,
                                row["sent_at"],
                                row["sent_by_id"],
                                document.id,
                                row["id"],
                                f'{{"number": "{row["number"]}", "status": "SENT", "fromUnitId": {row["from_unit_id"]}, '
                                f'"toUnitId": {row["to_unit_id"]}, "instruction": "{row["instruction"]}", '
                                f'"dueDate": {f"{chr(34)}{due.isoformat()}{chr(34)}" if due else "null"}}}',
                            ),
                            audience(row["from_unit_id"], row["to_unit_id"]),
                        ),
                    )
                if len(batch) == COPY_BATCH:
                    await flush()
                    if stats.documents % 100_000 == 0:
                        elapsed = time.perf_counter() - started
                        log(
                            f"  worker {k}: {stats.documents:>9} documents, {stats.turnos:>9} turnos, "
                            f"{stats.events:>9} events, {elapsed:6.0f} s (COPY {stats.copy_seconds:.0f} s)"
                        )
            emit_until(None)
            await flush()
    finally:
        await conn.close()
    stats.generate_seconds = time.perf_counter() - started - stats.copy_seconds
    stats.statuses, stats.lights = generator.statuses, generator.lights
    return stats


def run_part(args: tuple) -> PartStats:
    with plain_documents():
        return asyncio.run(load_part(*args))


def load_parts(url: str, org: Org, parts: list[Part], seed: int) -> list[PartStats]:
    now = datetime.now(timezone.utc)
    jobs = [(url, org, part, seed, now) for part in parts]
    if len(parts) == 1:
        return [run_part(jobs[0])]
    # fork: the workers inherit the imported modules; no event loop is running here
    with multiprocessing.get_context("fork").Pool(len(parts)) as pool:
        return pool.map(run_part, jobs)


# --- phase 5: what the triggers would have done ---------------------------------------------------

# mcs_refresh_document_search (migration 0005) for documents without attachments, set-based
SEARCH_FILL = """
INSERT INTO document_search (document_id, search_vector, public_search_vector)
SELECT id, fields || public_vector, public_vector FROM (
    SELECT id,
           mcs_search_vector(subject, 'A') || mcs_search_vector(summary, 'B')
           || mcs_search_vector(concat_ws(' ', sender_name, sender_position, sender_organization), 'C') AS fields,
           mcs_search_vector(concat_ws(' ', folio, reference), 'A') || mcs_search_vector(addressee, 'C') AS public_vector
      FROM documents WHERE id % {parts} = {part}) AS d
"""


# The triggers of the big tables, off during the load, and what replays each: the search rows
# (SEARCH_FILL), and the tables that have a `mcs_<name>_rebuild()` (stats_daily, turno_counts…).
REPLAYED_BY_SEARCH_FILL = ("documents_search_",)


async def trigger_replays(url: str) -> tuple[list[str], list[str]]:
    """(the rebuild functions to call, the triggers of the big tables that none covers)."""
    conn = await asyncpg.connect(libpq_dsn(url))
    try:
        rebuilds = [
            r[0]
            for r in await conn.fetch(
                "SELECT proname || '()' FROM pg_proc WHERE proname LIKE 'mcs\\_%\\_rebuild' AND pronargs = 0 "
                "AND pronamespace = 'public'::regnamespace ORDER BY 1"
            )
        ]
        triggers = await conn.fetch(
            "SELECT tgrelid::regclass::text AS table_name, tgname, p.prosrc FROM pg_trigger t "
            "JOIN pg_proc p ON p.oid = t.tgfoid WHERE NOT tgisinternal AND tgrelid::regclass::text = ANY($1)",
            BIG_TABLES,
        )
        bodies = " ".join(
            r[0]
            for r in await conn.fetch(
                "SELECT prosrc FROM pg_proc WHERE proname = ANY($1)", [f.removesuffix("()") for f in rebuilds]
            )
        )
    finally:
        await conn.close()
    # a trigger counts as replayed when a rebuild function reads its table (they recompute from the rows)
    skipped = [
        f"{r['tgname']} on {r['table_name']}"
        for r in triggers
        if not r["tgname"].startswith(REPLAYED_BY_SEARCH_FILL) and f" {r['table_name']}" not in bodies
    ]
    return rebuilds, skipped


# --- phase 6: checks and sizes ----------------------------------------------------------------------

STATE_CHECKS = {
    "a document without its DOCUMENT_REGISTERED event": """
        SELECT count(*) FROM documents d WHERE NOT EXISTS (
            SELECT 1 FROM events e WHERE e.document_id = d.id AND e.kind = 'DOCUMENT_REGISTERED')""",
    "a turno without its TURNO_SENT event": """
        SELECT (SELECT count(*) FROM turnos) - (SELECT count(DISTINCT turno_id) FROM events WHERE kind = 'TURNO_SENT')""",
    "an event whose audience is not its units and their ancestors": """
        WITH sample AS (SELECT id, kind, document_id, turno_id FROM events TABLESAMPLE SYSTEM (1) LIMIT 20000),
        expected AS (
            SELECT s.id, string_to_array(trim(BOTH '/' FROM u.path), '/')::bigint[] AS units
              FROM sample s JOIN documents d ON d.id = s.document_id JOIN org_units u ON u.id = d.unit_id
             WHERE s.kind = 'DOCUMENT_REGISTERED'
            UNION ALL
            SELECT s.id, array(SELECT DISTINCT x FROM unnest(string_to_array(trim(BOTH '/' FROM f.path), '/')::bigint[]
                                                        || string_to_array(trim(BOTH '/' FROM t2.path), '/')::bigint[]) x)
              FROM sample s JOIN turnos t ON t.id = s.turno_id JOIN org_units f ON f.id = t.from_unit_id
              JOIN org_units t2 ON t2.id = t.to_unit_id WHERE s.kind = 'TURNO_SENT')
        SELECT count(*) FROM expected x WHERE
            (SELECT array_agg(unit_id ORDER BY unit_id) FROM event_audience a WHERE a.event_id = x.id)
            IS DISTINCT FROM (SELECT array_agg(u ORDER BY u) FROM unnest(x.units) u)""",
    "a unit's path is not its parent's path + its id": """
        SELECT count(*) FROM org_units u LEFT JOIN org_units p ON p.id = u.parent_id
         WHERE u.path <> coalesce(p.path, '/') || u.id || '/'""",
    "a folio counter is not its unit and year's last number": """
        SELECT count(*) FROM (SELECT unit_id, year, max(number) m, count(*) n FROM documents GROUP BY 1, 2) d
          LEFT JOIN folio_counters f USING (unit_id, year) WHERE f.last_number IS DISTINCT FROM d.m OR d.m <> d.n""",
    "a document without its search row": """
        SELECT (SELECT count(*) FROM documents) - (SELECT count(*) FROM document_search)""",
    "stats_daily does not add up to the rows": """
        SELECT (SELECT count(*) FROM documents) - (SELECT coalesce(sum(documents_received), 0) FROM stats_daily)
             + (SELECT count(*) FROM turnos) - (SELECT coalesce(sum(turnos_sent), 0) FROM stats_daily)""",
    "a sequence behind its table's ids": """
        SELECT (SELECT last_value FROM documents_id_seq) < (SELECT coalesce(max(id), 0) FROM documents)
            OR (SELECT last_value FROM turnos_id_seq) < (SELECT coalesce(max(id), 0) FROM turnos)
            OR (SELECT last_value FROM events_id_seq) < (SELECT coalesce(max(id), 0) FROM events)
            OR (SELECT last_value FROM users_id_seq) < (SELECT max(id) FROM users)
            OR (SELECT last_value FROM org_units_id_seq) < (SELECT max(id) FROM org_units)""",
    "a turno sent by a user who is not a member of the sending unit": """
        SELECT count(*) FROM (SELECT DISTINCT from_unit_id, sent_by_id FROM turnos) t WHERE NOT EXISTS (
            SELECT 1 FROM memberships m WHERE m.user_id = t.sent_by_id AND m.unit_id = t.from_unit_id)""",
}


async def search_matches_trigger(conn: asyncpg.Connection) -> int:
    """Documents (of a sample of 500) whose search row differs from what the migration's
    function writes; rolled back."""
    transaction = conn.transaction()
    await transaction.start()
    try:
        await conn.execute(
            "CREATE TEMP TABLE search_sample AS SELECT * FROM document_search TABLESAMPLE SYSTEM (1) LIMIT 500"
        )
        await conn.execute("SELECT mcs_refresh_document_search(document_id) FROM search_sample")
        return await conn.fetchval(
            "SELECT count(*) FROM search_sample s JOIN document_search d USING (document_id) "
            "WHERE s.search_vector <> d.search_vector OR s.public_search_vector <> d.public_search_vector"
        )
    finally:
        await transaction.rollback()


TURNO_COUNTS_CHECK = """
    SELECT count(*) FROM (
        SELECT to_unit_id AS unit_id, 'in' AS box, status, count(*) AS n FROM turnos GROUP BY 1, 3
        UNION ALL SELECT from_unit_id, 'out', status, count(*) FROM turnos GROUP BY 1, 3) r
    FULL JOIN turno_counts c USING (unit_id, box, status) WHERE coalesce(c.n, 0) <> coalesce(r.n, 0)"""


async def state_checks(url: str) -> list[str]:
    conn = await asyncpg.connect(libpq_dsn(url))
    try:
        problems = [f"{label}: {n}" for label, sql in STATE_CHECKS.items() if (n := await conn.fetchval(sql))]
        if await conn.fetchval("SELECT to_regclass('turno_counts') IS NOT NULL"):
            if n := await conn.fetchval(TURNO_COUNTS_CHECK):
                problems.append(f"turno_counts differs from the turnos (unit, box, status): {n}")
        if differ := await search_matches_trigger(conn):
            problems.append(f"a search row differs from what mcs_refresh_document_search writes (of 500): {differ}")
        return problems
    finally:
        await conn.close()


TABLE_SIZES = """
SELECT c.relname, c.reltuples::bigint, pg_table_size(c.oid), pg_indexes_size(c.oid), pg_total_relation_size(c.oid)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'r' AND n.nspname = 'public' AND pg_total_relation_size(c.oid) > 1024 * 1024
 ORDER BY pg_total_relation_size(c.oid) DESC"""


async def print_sizes(url: str) -> float:
    conn = await asyncpg.connect(libpq_dsn(url))
    try:
        rows = await conn.fetch(TABLE_SIZES)
        db_bytes = await conn.fetchval("SELECT pg_database_size(current_database())")
    finally:
        await conn.close()
    mb = 1024 * 1024
    log(f"\n{'table':22} {'rows':>12} {'heap MB':>9} {'indexes MB':>11} {'total MB':>9} {'B/row':>6}")
    for name, rows_, heap, indexes, total in rows:
        log(
            f"{name:22} {rows_:12,} {heap / mb:9.0f} {indexes / mb:11.0f} {total / mb:9.0f} "
            f"{total / rows_ if rows_ > 0 else 0:6.0f}"
        )
    log(f"database: {db_bytes / mb:,.0f} MB")
    return db_bytes / mb


# --- main -------------------------------------------------------------------------------------------


class Phases:
    def __init__(self):
        self.times: list[tuple[str, float, int]] = []
        self.started = time.perf_counter()

    def done(self, name: str, since: float, rows: int = 0) -> float:
        seconds = time.perf_counter() - since
        self.times.append((name, seconds, rows))
        rate = f", {rows / seconds:,.0f} rows/s" if rows and seconds else ""
        log(f"== {name}: {seconds:.1f} s{f' ({rows:,} rows{rate})' if rows else ''}")
        return time.perf_counter()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.state", description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=10_000, help="org units, 7 levels (default 10000)")
    parser.add_argument("--users", type=int, default=50_000, help="users (default 50000)")
    parser.add_argument("--documents", type=int, default=3_000_000, help="documents (default 3000000)")
    parser.add_argument("--turnos", type=int, default=9_000_000, help="turnos (default 9000000)")
    parser.add_argument("--workers", type=int, default=2, help="generating processes (default 2)")
    parser.add_argument(
        "--database-url", default=DEFAULT_URL, help=f"PostgreSQL database to DROP and recreate (default {DEFAULT_URL})"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed of the generated data")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = args.database_url
    if make_url(url).get_backend_name() != "postgresql":
        raise SystemExit("bench.state needs a PostgreSQL URL (postgresql+asyncpg://...)")
    if args.turnos > 8 * args.documents:
        raise SystemExit("--turnos: at most 8 per document")
    phases = Phases()
    t = time.perf_counter()
    log(f"recreating {make_url(url).render_as_string(hide_password=True)} and migrating…")
    asyncio.run(recreate_database(url))
    migrate(url)
    t = phases.done("schema (create, migrate)", t)

    specs = plan_tree(args.units, args.seed)
    org, people, members = plan_users(specs, args.users, args.seed)
    asyncio.run(load_org(url, org, people, members))
    levels = Counter(s.level for s in specs)
    log(
        f"units per level: {' / '.join(str(levels[i]) for i in range(7))} = {len(specs)}; "
        f"with subunits {sum(1 for s in specs if s.children)}; registering {len(org.registering)}"
    )
    log(f"users {org.users}, memberships: " + ", ".join(f"{r} {n}" for r, n in org.memberships.most_common()))
    for username, what in org.named.items():
        log(f"  {username:18} {what}")
    t = phases.done("org tree and users", t, len(specs) + len(people) + len(members))

    async def drop() -> Saved:
        conn = await asyncpg.connect(libpq_dsn(url))
        try:
            return await drop_secondary(conn)
        finally:
            await conn.close()

    saved = asyncio.run(drop())
    log(
        f"dropped {len(saved.indexes)} indexes, {len(saved.uniques)} unique and {len(saved.foreign_keys)} "
        f"foreign-key constraints of {', '.join(BIG_TABLES)}"
    )
    t = phases.done("drop secondary indexes and constraints", t)

    workers = max(1, min(args.workers, args.documents // COPY_BATCH or 1))
    parts = split_parts(org, args.documents, args.turnos, workers)
    log(
        f"generating and loading {args.documents:,} documents and {args.turnos:,} turnos in {workers} "
        f"process(es): " + ", ".join(f"{p.documents:,} documents of {len(p.unit_ids)} units" for p in parts)
    )
    results = load_parts(url, org, parts, args.seed)
    loaded = {
        "documents": sum(r.documents for r in results),
        "turnos": sum(r.turnos for r in results),
        "document_units": sum(r.chain for r in results),
        "events": sum(r.events for r in results),
        "event_audience": sum(r.audience for r in results),
    }
    log("rows: " + ", ".join(f"{name} {n:,}" for name, n in loaded.items()))
    for i, r in enumerate(results, start=1):
        log(f"  worker {i}: generating {r.generate_seconds:.0f} s, COPY {r.copy_seconds:.0f} s")
    statuses = sum((r.statuses for r in results), Counter())
    lights = sum((r.lights for r in results), Counter())
    total = sum(statuses.values()) or 1
    log("turno status: " + ", ".join(f"{s} {100 * n / total:.1f}%" for s, n in statuses.most_common()))
    log("open turnos by light: " + ", ".join(f"{light.value} {n}" for light, n in lights.most_common()))
    t = phases.done("generate + COPY", t, sum(loaded.values()))

    async def counters() -> None:
        conn = await asyncpg.connect(libpq_dsn(url))
        try:
            await conn.execute(FINISH_LOAD + FINISH_TURNOS)
        finally:
            await conn.close()

    asyncio.run(counters())
    t = phases.done("folio counters and id sequences", t)
    search_parts = 2
    asyncio.run(
        run_jobs(
            url,
            [
                (f"document_search part {p + 1}/{search_parts}", SEARCH_FILL.format(parts=search_parts, part=p))
                for p in range(search_parts)
            ],
            2,
        )
    )
    loaded["document_search"] = loaded["documents"]
    t = phases.done("search vectors (set-based, 2 connections)", t, loaded["documents"])

    builds, keys = restore_jobs(saved, loaded)
    rebuilds, skipped = asyncio.run(trigger_replays(url))
    for trigger in skipped:
        log(f"LOAD PROBLEM: trigger {trigger} was off during the load and nothing here replays it")
    asyncio.run(run_jobs(url, [(f"SELECT {f}", f"SELECT {f}") for f in rebuilds] + builds, 2, BUILD_SETTINGS))
    t = phases.done(
        f"rebuilds + indexes ({', '.join(f.split('(')[0] for f in rebuilds)}; {len(builds)} indexes "
        f"and unique constraints; 2 connections)",
        t,
    )
    asyncio.run(run_jobs(url, keys, 2, BUILD_SETTINGS))
    t = phases.done(f"foreign keys ({len(keys)}, validated)", t)
    asyncio.run(
        run_jobs(
            url,
            [
                (f"VACUUM ANALYZE {table}", f"VACUUM ANALYZE {table}")
                for table in sorted(loaded, key=lambda n: -loaded[n])
            ]
            + [("ANALYZE (the rest)", "ANALYZE")],
            2,
        )
    )
    t = phases.done("VACUUM ANALYZE", t)
    load_seconds = time.perf_counter() - phases.started

    problems = asyncio.run(check_load(url)) + asyncio.run(state_checks(url))
    for p in problems:
        log(f"LOAD PROBLEM: {p}")
    t = phases.done(f"checks ({'no problems' if not problems else f'{len(problems)} problems'})", t)
    db_mb = asyncio.run(print_sizes(url))

    rows = sum(loaded.values())
    log(f"\n{'phase':42} {'seconds':>8} {'rows':>13} {'rows/s':>10}")
    for name, seconds, n in phases.times:
        log(f"{name.split(' (')[0]:42} {seconds:8.1f} {n:13,} {n / seconds if n and seconds else 0:10,.0f}")
    log(
        f"load (everything before the checks): {load_seconds:.0f} s = {load_seconds / 60:.1f} min, "
        f"{rows:,} rows of the big tables, {rows / load_seconds:,.0f} rows/s"
    )
    for name, seconds, n in phases.times:
        key = name.split(" (")[0].split(",")[0].replace(" ", "_").replace("+", "and").lower()
        log(f"RESULT state.phase.{key} seconds={seconds:.1f} rows={n}")
    log(
        f"RESULT state.load documents={loaded['documents']} turnos={loaded['turnos']} events={loaded['events']} "
        f"event_audience={loaded['event_audience']} units={len(specs)} users={org.users} "
        f"seconds={load_seconds:.0f} rows_per_s={rows / load_seconds:.0f} db_mb={db_mb:.0f} problems={len(problems)}"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
