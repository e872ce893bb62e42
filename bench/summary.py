"""The inbox's counters (`inboxSummary`) on a loaded database: database time per request.

    .venv/bin/python -m bench.summary --users inbox_head,inbox_staff          # on bench.inbox's database
    .venv/bin/python -m bench.summary --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/mcs_bench_state \\
        --users state_head_1000,inbox_head,inbox_staff

For each user: the units their inbox covers, the counters' statements (in-process, through the
app, like a request), the time spent inside SQL per request (median of --repeat) and the
EXPLAIN (ANALYZE, BUFFERS) execution time of the counting statement (best of 3). A benchmark:
it prints figures, asserts nothing. Ends with `RESULT summary.<user> …` lines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import event, select

from bench.core import login
from mcs.app import build_services, create_app
from mcs.migrations import migrate
from core.settings import Settings
from models.filters import TurnoFilterSpec, box_unit_ids
from models.users import User
from models.principals import load_principal

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/mcs_bench_inbox"
QUERY = "{ inboxSummary { green yellow red none notAcknowledged awaitingEvaluation } }"


class Timer:
    """Statements of the app's engine and the time each spent in the driver."""

    def __init__(self, engine):
        self.records: list[tuple[str, object, float]] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._before)
        event.listen(engine.sync_engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        self.records.append((statement, parameters, time.perf_counter() - conn.info.pop("bench_started")))


async def explain_ms(engine, statement: str, parameters) -> float:
    best = float("inf")
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        await raw.execute("SET jit = off")
        for _ in range(3):
            plan = await raw.fetch("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, *parameters)
            value = plan[0][0]  # text, or already decoded where the app set a JSON codec
            best = min(best, (json.loads(value) if isinstance(value, str) else value)[0]["Execution Time"])
    return best


async def run(url: str, usernames: list[str], repeat: int) -> list[str]:
    lines = []
    with tempfile.TemporaryDirectory(prefix="mcs-bench-summary-") as workdir:
        settings = Settings.from_env(
            database_url=url, redis_url=None, secret_key=secrets.token_urlsafe(48), files_dir=Path(workdir)
        )
        services = build_services(settings)
        timer = Timer(services.db.engine)
        app = create_app(services=services)
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
                for username in usernames:
                    async with services.db.session() as session:
                        user_id = (await session.execute(select(User.id).where(User.username == username))).scalar_one()
                        principal = await load_principal(session, user_id)
                        units = len(await box_unit_ids(session, principal, TurnoFilterSpec(include_subunits=True)))
                    token = await login(client, username)
                    in_sql, statements, counted = [], 0, None
                    for i in range(repeat + 3):
                        timer.records.clear()
                        response = await client.post(
                            "/graphql", json={"query": QUERY}, headers={"Authorization": f"Bearer {token}"}
                        )
                        body = response.json()
                        if response.status_code != 200 or body.get("errors"):
                            raise SystemExit(f"inboxSummary failed: {response.text[:300]}")
                        counted = body["data"]["inboxSummary"]
                        if i >= 3:  # warm-up: plans, caches
                            in_sql.append(sum(t for _s, _p, t in timer.records))
                            statements = len(timer.records)
                    slowest = max(timer.records, key=lambda r: r[2])
                    executed = await explain_ms(services.db.engine, slowest[0], slowest[1])
                    open_total = sum(counted[k] for k in ("green", "yellow", "red", "none"))
                    print(
                        f"{username}: {units} units, {open_total} open turnos ({counted}); {statements} statements, "
                        f"in SQL {1000 * statistics.median(in_sql):.1f} ms per request (median of {repeat}); "
                        f"counting statement EXPLAIN ANALYZE {executed:.1f} ms",
                        flush=True,
                    )
                    lines.append(
                        f"RESULT summary.{username} units={units} open={open_total} statements={statements} "
                        f"sql_ms={1000 * statistics.median(in_sql):.2f} count_explain_ms={executed:.2f}"
                    )
        finally:
            await services.hub.close()
            await services.db.dispose()
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.summary", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help=f"a loaded database (default {DEFAULT_URL})")
    parser.add_argument("--users", default="inbox_head,inbox_staff", help="comma-separated usernames")
    parser.add_argument("--repeat", type=int, default=20, help="requests per user (default 20)")
    args = parser.parse_args(argv)
    migrate(args.database_url)  # a database loaded before the latest migration
    lines = asyncio.run(run(args.database_url, args.users.split(","), args.repeat))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
