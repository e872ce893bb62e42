"""Real concurrency on PostgreSQL: two users acting on the same turno at the same moment go
through the GraphQL endpoint side by side (`asyncio.gather` over one app, whose mutations each
run in their own transaction on their own connection). Exactly one wins; the other gets
INVALID_TRANSITION and changes nothing; exactly one event is written.

SQLite allows one writer at a time (BEGIN IMMEDIATE), so these run on PostgreSQL only.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import select, text

from mcs.app import build_services
from models.documents import Document
from models.events import EVENT_APPEND_LOCK, Event, EventKind
from models.org import OrgUnitKind, create_unit
from models.turnos import Response, Turno
from resolvers import deadlines
from resolvers.deadlines import run_deadline_pass
from schema.ids import from_global_id
from tests.helpers import MONDAY
from tests.workflow import Flow

RECIPIENTS = [("DA", "da_staff"), ("SRH", "srh_staff"), ("DRH", "drh_staff"), ("DJ", "dj_staff")]


@pytest.fixture
def postgresql_only(backend):
    if backend != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL; SQLite has one writer at a time")


def db_id(global_id: str) -> int:
    return int(from_global_id(global_id)[1])


async def events_of(services, turno_id: int) -> Counter:
    async with services.db.session() as session:
        return Counter((await session.execute(select(Event.kind).where(Event.turno_id == turno_id))).scalars())


async def answered_turnos(flow: Flow, documents: int = 3) -> list[tuple[dict, str]]:
    """(turno, id of its pending response) for 4 turnos per document, sent by DG and answered."""
    result = []
    for _ in range(documents):
        doc = await flow.register(user="dg_reg", unit="DG")
        sent = await flow.send(
            "dg_reg",
            document=doc["id"],
            recipients=[{"unitId": unit, "instruction": "RESPONSE", "businessDays": 5} for unit, _ in RECIPIENTS],
        )
        assert sent["errors"] == [], sent
        for turno, (_, staff) in zip(sent["turnos"], RECIPIENTS):
            answer = await flow.respond(staff, turno["id"])
            assert answer["errors"] == [], answer
            result.append((turno, answer["response"]["id"]))
    return result


def outcome(payload) -> str:
    """'ok', or the code of the single error."""
    if payload["errors"] == []:
        return "ok"
    assert len(payload["errors"]) == 1, payload
    return payload["errors"][0]["code"]


async def test_two_evaluations_at_once_one_wins(api, world, services, clock, postgresql_only):
    clock.set(MONDAY)
    flow = Flow(api, world)
    winners = Counter()
    for turno, response_id in await answered_turnos(flow):
        accept, ret = await asyncio.gather(
            flow.evaluate("dg_head", response_id, "ACCEPT"),
            flow.evaluate("dg_reg", response_id, "RETURN", comment="Falta el anexo."),
        )
        results = {"ACCEPT": outcome(accept), "RETURN": outcome(ret)}
        assert sorted(results.values()) == ["INVALID_TRANSITION", "ok"], (turno["number"], accept, ret)
        winner = "ACCEPT" if results["ACCEPT"] == "ok" else "RETURN"
        winners[winner] += 1
        loser = ret if winner == "ACCEPT" else accept
        assert loser["turno"] is None and loser["response"] is None

        final = await flow.turno("dg_head", turno["id"])
        assert final["status"] == ("CONCLUDED" if winner == "ACCEPT" else "RETURNED")
        assert final["responses"] == [
            {"round": 1, "body": "Se atiende lo solicitado.", "evaluation": {"decision": winner}}
        ]
        events = await events_of(services, db_id(turno["id"]))
        assert events[EventKind.TURNO_CONCLUDED.value] + events[EventKind.TURNO_RETURNED.value] == 1, events
        assert events[EventKind.TURNO_CONCLUDED.value if winner == "ACCEPT" else EventKind.TURNO_RETURNED.value] == 1
        async with services.db.session() as session:
            response = await session.get(Response, db_id(response_id))
            assert response.decision == winner
            assert response.evaluated_by_id == world.users["dg_head" if winner == "ACCEPT" else "dg_reg"].id
    assert sum(winners.values()) == 12


async def test_two_cancels_at_once_one_wins(api, world, services, clock, postgresql_only):
    clock.set(MONDAY)
    flow = Flow(api, world)
    for _ in range(5):
        doc = await flow.register(user="dg_reg", unit="DG")
        sent = await flow.send(
            "dg_reg", document=doc["id"], recipients=[{"unitId": "DA", "instruction": "RESPONSE", "businessDays": 5}]
        )
        (turno,) = sent["turnos"]
        child = (
            await flow.send("da_head", parent=turno["id"], recipients=[{"unitId": "SRH", "instruction": "RESPONSE"}])
        )["turnos"][0]

        first, second = await asyncio.gather(flow.cancel("dg_head", turno["id"]), flow.cancel("dg_reg", turno["id"]))
        assert sorted([outcome(first), outcome(second)]) == ["INVALID_TRANSITION", "ok"], (first, second)
        assert (await flow.turno("dg_head", turno["id"]))["status"] == "CANCELLED"
        assert (await flow.turno("da_head", child["id"]))["status"] == "CANCELLED"  # the cascade, once
        cancelled = EventKind.TURNO_CANCELLED.value
        assert (await events_of(services, db_id(turno["id"])))[cancelled] == 1
        assert (await events_of(services, db_id(child["id"])))[cancelled] == 1


async def test_cancel_racing_accept_one_wins(api, world, services, clock, postgresql_only):
    clock.set(MONDAY)
    flow = Flow(api, world)
    wins = Counter()
    for turno, response_id in await answered_turnos(flow, documents=2):
        cancel, accept = await asyncio.gather(
            flow.cancel("dg_reg", turno["id"]), flow.evaluate("dg_head", response_id, "ACCEPT")
        )
        results = {"cancel": outcome(cancel), "accept": outcome(accept)}
        assert sorted(results.values()) == ["INVALID_TRANSITION", "ok"], (cancel, accept)
        winner = "cancel" if results["cancel"] == "ok" else "accept"
        wins[winner] += 1
        final = await flow.turno("dg_head", turno["id"])
        events = await events_of(services, db_id(turno["id"]))
        if winner == "cancel":
            assert final["status"] == "CANCELLED" and final["responses"][0]["evaluation"] is None
            assert events[EventKind.TURNO_CANCELLED.value] == 1 and events[EventKind.TURNO_CONCLUDED.value] == 0
        else:
            assert final["status"] == "CONCLUDED" and final["responses"][0]["evaluation"] == {"decision": "ACCEPT"}
            assert events[EventKind.TURNO_CONCLUDED.value] == 1 and events[EventKind.TURNO_CANCELLED.value] == 0
    assert sum(wins.values()) == 8


async def _extra_units(services, world, n: int, prefix: str = "X") -> list[str]:
    """n more directorates under DG to turn to (the test world has only a few units)."""
    acronyms = []
    async with services.db.transaction() as session:
        dg = await session.get(type(world.units["DG"]), world.units["DG"].id)
        for i in range(n):
            acronym = f"{prefix}{i:02d}"
            world.units[acronym] = await create_unit(
                session,
                code=f"9{prefix}{i:02d}",
                acronym=acronym,
                name=f"Dirección de prueba {i}",
                kind=OrgUnitKind.DIRECTORATE,
                parent=dg,
            )
            acronyms.append(acronym)
    return acronyms


async def test_concurrent_sends_number_turnos_without_gaps(api, world, services, clock, postgresql_only):
    clock.set(MONDAY)
    flow = Flow(api, world)
    units = ["DA", "DJ", "SRH", *await _extra_units(services, world, 15)]
    doc = await flow.register(user="dg_reg", unit="DG")
    # 16 calls at once from both of DG's registrars: single recipients, and two calls with two each
    calls = [[units[0], units[1]], [units[2], units[3]], *[[u] for u in units[4:]]]
    payloads = await asyncio.gather(
        *(
            flow.send(
                "dg_reg" if i % 2 else "dg_head",
                document=doc["id"],
                recipients=[{"unitId": u, "instruction": "RESPONSE", "businessDays": 5} for u in recipients],
            )
            for i, recipients in enumerate(calls)
        )
    )
    assert all(p["errors"] == [] for p in payloads), [p["errors"] for p in payloads if p["errors"]]
    numbers = [t["number"] for p in payloads for t in p["turnos"]]
    folio = doc["folio"]
    assert sorted(numbers, key=lambda n: int(n.rsplit("-T", 1)[1])) == [f"{folio}-T{i}" for i in range(1, 19)]
    # a call's recipients get consecutive numbers
    for p in payloads:
        ns = [int(t["number"].rsplit("-T", 1)[1]) for t in p["turnos"]]
        assert ns == list(range(ns[0], ns[0] + len(ns)))
    async with services.db.session() as session:
        document = await session.get(Document, db_id(doc["id"]))
        assert document.turno_count == 18 and document.status == "IN_PROGRESS"
        stored = list((await session.execute(select(Turno.number).where(Turno.document_id == document.id))).scalars())
        assert sorted(stored) == sorted(numbers)
        sent_events = (
            (
                await session.execute(
                    select(Event.turno_id).where(
                        Event.document_id == document.id, Event.kind == EventKind.TURNO_SENT.value
                    )
                )
            )
            .scalars()
            .all()
        )
        assert len(sent_events) == 18 and len(set(sent_events)) == 18

    # the same unit twice at the same moment: one turno, the rest refused with CONFLICT
    (extra,) = await _extra_units(services, world, 1, prefix="Y")
    racing = await asyncio.gather(
        *(
            flow.send(user, document=doc["id"], recipients=[{"unitId": extra, "instruction": "RESPONSE"}])
            for user in ("dg_head", "dg_reg", "dg_head", "dg_reg")
        )
    )
    assert sorted(outcome(p) for p in racing) == ["CONFLICT", "CONFLICT", "CONFLICT", "ok"], racing
    winner = next(p for p in racing if p["errors"] == [])
    assert winner["turnos"][0]["number"] == f"{folio}-T19"


ADVISORY_WAITERS = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
ROW_WAITERS = "SELECT count(*) FROM pg_locks WHERE locktype IN ('transactionid', 'tuple') AND NOT granted"


async def _waiting(
    services, sql: str, at_least: int, unless_done: asyncio.Future | None = None, timeout: float = 10.0
) -> bool:
    """Wait until `at_least` transactions wait for the locks counted by `sql`; False when
    `unless_done` finished first (it did not need to wait) or after `timeout`."""
    for _ in range(int(timeout / 0.05)):
        async with services.db.engine.connect() as conn:
            if (await conn.execute(text(sql))).scalar_one() >= at_least:
                return True
        if unless_done is not None and unless_done.done():
            return False
        await asyncio.sleep(0.05)
    return False


@pytest.mark.parametrize("first_to_wait", ["watcher", "cancel"])
async def test_deadline_watcher_racing_a_cancel_cascade(
    api, world, services, clock, postgresql_only, monkeypatch, first_to_wait
):
    """A cancel that cascades to a sub-turno while the watcher claims the same turnos: both must
    complete (the watcher may announce the child's deadline before it is cancelled, or skip it).

    The interleaving is made deterministic by holding the event appenders' advisory lock while
    the two line up: the cancel has updated the parent turno and waits for the event lock; the
    watcher has claimed the child turno (FOR UPDATE SKIP LOCKED) and wants the event lock too.
    "watcher": the watcher queues for the event lock first. "cancel": the watcher is held (a gate
    before its first event) until the cancel already waits for the child's row."""
    clock.set(MONDAY)
    flow = Flow(api, world)
    doc = await flow.register(user="dg_reg", unit="DG")
    (parent,) = (
        await flow.send(
            "dg_reg",
            document=doc["id"],
            recipients=[{"unitId": "DA", "instruction": "RESPONSE", "dueDate": "2026-03-04"}],
        )
    )["turnos"]
    (child,) = (
        await flow.send("da_head", parent=parent["id"], recipients=[{"unitId": "SRH", "instruction": "RESPONSE"}])
    )["turnos"]
    assert parent["trafficLight"] == child["trafficLight"] == "YELLOW"  # both are the watcher's candidates

    gate, at_gate = asyncio.Event(), asyncio.Event()
    if first_to_wait == "cancel":
        real_append = deadlines.append_event

        async def gated_append(*args, **kwargs):
            at_gate.set()
            await gate.wait()
            return await real_append(*args, **kwargs)

        monkeypatch.setattr(deadlines, "append_event", gated_append)
    else:
        gate.set()

    watcher_instance = build_services(services.settings, clock=services.clock)
    holder = await services.db.engine.connect()
    try:
        await holder.begin()
        await holder.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENT_APPEND_LOCK})
        cancel = asyncio.create_task(flow.cancel("dg_reg", parent["id"]))
        # the cancel holds the parent's row and waits for the event lock
        assert await _waiting(services, ADVISORY_WAITERS, 1, cancel)
        watcher = asyncio.create_task(run_deadline_pass(watcher_instance))
        if first_to_wait == "watcher":
            await _waiting(services, ADVISORY_WAITERS, 2, watcher)  # (or it found nothing to claim)
            await holder.rollback()
        else:
            # the watcher holds the child's row, before its first event (or it found nothing to claim)
            await asyncio.wait(
                [asyncio.ensure_future(at_gate.wait()), watcher], timeout=10, return_when=asyncio.FIRST_COMPLETED
            )
            await holder.rollback()
            if at_gate.is_set():
                await _waiting(services, ROW_WAITERS, 1, cancel, timeout=3)  # the cancel waits for the child's row
            gate.set()
        cancelled, written = await asyncio.wait_for(asyncio.gather(cancel, watcher, return_exceptions=True), 30)
    finally:
        gate.set()
        await holder.close()
        await watcher_instance.db.dispose()

    assert not isinstance(cancelled, BaseException), f"the user's cancel failed: {cancelled!r}"
    assert not isinstance(written, BaseException), f"the deadline pass failed: {written!r}"
    assert cancelled["errors"] == [], cancelled
    assert written in (0, 1)
    assert (await flow.turno("dg_head", parent["id"]))["status"] == "CANCELLED"
    assert (await flow.turno("da_head", child["id"]))["status"] == "CANCELLED"
    assert (await events_of(services, db_id(child["id"])))[EventKind.TURNO_CANCELLED.value] == 1


async def test_delegation_racing_a_cancel_of_its_parent(api, world, services, clock, postgresql_only):
    """Never an open sub-turno under a cancelled turno: either the cancel comes first and the
    delegation is refused, or the delegation comes first and the cancel cascades to it."""
    clock.set(MONDAY)
    flow = Flow(api, world)
    orders = Counter()
    for _ in range(6):
        doc = await flow.register(user="dg_reg", unit="DG")
        (parent,) = (
            await flow.send(
                "dg_reg",
                document=doc["id"],
                recipients=[{"unitId": "DA", "instruction": "RESPONSE", "businessDays": 5}],
            )
        )["turnos"]
        cancel, delegate = await asyncio.gather(
            flow.cancel("dg_reg", parent["id"]),
            flow.send("da_head", parent=parent["id"], recipients=[{"unitId": "SRH", "instruction": "RESPONSE"}]),
        )
        assert outcome(cancel) == "ok", cancel
        assert outcome(delegate) in ("ok", "INVALID_TRANSITION"), delegate
        orders[outcome(delegate)] += 1
        final = await flow.turno("dg_head", parent["id"])
        assert final["status"] == "CANCELLED"
        assert len(final["children"]) == (1 if outcome(delegate) == "ok" else 0)
        if final["children"]:
            child_id = delegate["turnos"][0]["id"]
            assert (await flow.turno("da_head", child_id))["status"] == "CANCELLED"
            assert (await events_of(services, db_id(child_id)))[EventKind.TURNO_CANCELLED.value] == 1
    assert sum(orders.values()) == 6
