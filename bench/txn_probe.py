"""Run `mcs` with a probe that times every statement of every transaction (bench/registrations.py).

    python -m bench.txn_probe OUT.jsonl serve --no-migrate --host 127.0.0.1 --port P

The application code is not changed: SQLAlchemy's events (on every Engine and Session) note, per
transaction, each statement's start and end and the COMMIT's, with time.perf_counter() (the
machine's monotonic clock, comparable between processes). A transaction that wrote a folio
counter is appended to OUT as one JSON line; the others are forgotten. Each statement's time is
a round trip as the use case sees it: sending, PostgreSQL's work (and its lock waits), and the
wait until this process's event loop resumes the coroutine. The gaps between statements are
Python (ours and the other requests' that the event loop ran meanwhile).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

LOCK = "pg_advisory_xact_lock"
_VERB = re.compile(r"^\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM|WITH)\s+", re.I)
_FROM = re.compile(r"\bFROM\s+\"?(\w+)", re.I)
_TABLE = re.compile(r"^\s*(?:INSERT INTO|UPDATE|DELETE FROM)\s+\"?(\w+)", re.I)


def label(sql: str) -> str:
    """A short name for a statement: verb and table, with the few special ones named."""
    flat = " ".join(sql.split())
    if "INSERT INTO folio_counters" in flat:  # a registration's number (alone, or with all its writes)
        return "folio counter"
    if flat.upper().startswith("WITH"):
        tables = " ".join(dict.fromkeys(re.findall(r"INSERT INTO \"?(\w+)", flat, re.I)))
        return f"WITH {tables}" + (" (takes the event-log lock)" if LOCK in flat else "")
    if LOCK in flat:
        return "advisory lock (event log)"
    if "folio_counters" in flat:
        return "folio counter"
    if "duplicate_key" in flat and flat.upper().startswith("SELECT"):
        return "SELECT documents (duplicates)"
    verb = _VERB.match(flat)
    if not verb:
        return flat.split(" ", 1)[0].upper()
    if verb[1].upper() == "SELECT":
        table = _FROM.search(flat)
        return f"SELECT {table[1] if table else '?'}"
    table = _TABLE.match(flat)
    return f"{verb[1].split()[0].upper()} {table[1] if table else '?'}"


def install(path: str) -> None:
    out = open(path, "a", buffering=1)
    pid = os.getpid()
    by_connection: dict[int, dict] = {}
    now = time.perf_counter

    @event.listens_for(Session, "after_begin")
    def after_begin(session, transaction, connection):
        record = {"pid": pid, "t0": now(), "steps": [], "commit": None}
        session.info["txn_probe"] = record
        by_connection[id(connection)] = record
        session.info["txn_probe_conn"] = id(connection)

    @event.listens_for(Engine, "before_cursor_execute")
    def before(conn, cursor, statement, parameters, context, executemany):
        record = by_connection.get(id(conn))
        if record is not None:
            record["steps"].append([label(statement), now(), None])

    @event.listens_for(Engine, "after_cursor_execute")
    def after(conn, cursor, statement, parameters, context, executemany):
        record = by_connection.get(id(conn))
        if record is not None and record["steps"]:
            record["steps"][-1][2] = now()

    @event.listens_for(Engine, "commit")
    def before_commit(conn):
        record = by_connection.get(id(conn))
        if record is not None:
            record["commit"] = [now(), None]

    def forget(session) -> dict | None:
        by_connection.pop(session.info.pop("txn_probe_conn", None), None)
        return session.info.pop("txn_probe", None)

    @event.listens_for(Session, "after_commit")
    def after_commit(session):
        record = forget(session)
        if record is None or record["commit"] is None:
            return
        record["commit"][1] = now()
        if any(step[0] == "folio counter" for step in record["steps"]):
            out.write(json.dumps(record) + "\n")

    @event.listens_for(Session, "after_rollback")
    def after_rollback(session):
        forget(session)


def main() -> int:
    install(sys.argv[1])
    from mcs.cli import main as mcs_main

    return mcs_main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
