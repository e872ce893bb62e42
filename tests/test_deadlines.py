"""The deadline watcher (`resolvers.deadlines.run_deadline_pass`): DEADLINE_NEAR when a turno
turns yellow, DEADLINE_PASSED when it turns red, exactly once per turno and deadline, catching up
after downtime, with the audience of the turno's units, and exactly once with two instances.

The clock is frozen on Monday 2 March 2026, 10:00 in Mexico City; the yellow threshold is
2 business days; 16 March 2026 is an official holiday.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from mcs.app import build_services
from models.events import Event, EventAudience, EventKind
from models.turnos import Turno
from resolvers import deadlines
from resolvers.deadlines import run_deadline_pass
from schema.ids import from_global_id
from tests.workflow import Flow
from tests.world import register_many

NEAR, PASSED = EventKind.DEADLINE_NEAR.value, EventKind.DEADLINE_PASSED.value


def at(day: date) -> datetime:
    """10:00 in Mexico City (UTC-6) on `day`."""
    return datetime(day.year, day.month, day.day, 16, 0, tzinfo=timezone.utc)


def db_id(global_id: str) -> int:
    return int(from_global_id(global_id)[1])


async def deadline_events(services, turno_id: int | None = None) -> list[tuple[str, int, str]]:
    """(kind, turno id, dueDate) of every deadline event, in order."""
    query = select(Event).where(Event.kind.in_([NEAR, PASSED])).order_by(Event.id)
    if turno_id is not None:
        query = query.where(Event.turno_id == turno_id)
    async with services.db.session() as session:
        return [(e.kind, e.turno_id, e.data["dueDate"]) for e in (await session.execute(query)).scalars()]


async def send(flow: Flow, recipients, user="dg_reg", unit="DG") -> list[dict]:
    doc = await flow.register(user=user, unit=unit)
    sent = await flow.send(user, document=doc["id"], recipients=recipients)
    assert sent["errors"] == [], sent
    return sent["turnos"]


async def test_near_then_passed_exactly_once_each(api, world, services, clock):
    clock.set(at(date(2026, 3, 2)))
    flow = Flow(api, world)
    t_da, t_dj = await send(
        flow,
        [
            {"unitId": "DA", "instruction": "RESPONSE", "dueDate": "2026-03-09"},  # Monday next week
            {"unitId": "DJ", "instruction": "OPINION", "businessDays": 10},  # Tue 17 (16 March is a holiday)
        ],
    )
    da, dj = db_id(t_da["id"]), db_id(t_dj["id"])
    assert t_dj["dueDate"] == "2026-03-17" and t_da["trafficLight"] == "GREEN"

    assert await run_deadline_pass(services) == 0  # both green: nothing to say
    clock.set(at(date(2026, 3, 4)))  # Wed: DA has 3 days left
    assert await run_deadline_pass(services) == 0

    clock.set(at(date(2026, 3, 5)))  # Thu: DA has 2 days left → yellow
    assert (await flow.turno("dg_head", t_da["id"]))["trafficLight"] == "YELLOW"
    assert await run_deadline_pass(services) == 1
    for _ in range(3):  # the clock in place: no duplicates
        assert await run_deadline_pass(services) == 0
    assert await deadline_events(services) == [(NEAR, da, "2026-03-09")]

    for day in (date(2026, 3, 6), date(2026, 3, 7), date(2026, 3, 9)):  # still yellow (Mon 9: due today)
        clock.set(at(day))
        assert await run_deadline_pass(services) == 0, day

    clock.set(at(date(2026, 3, 10)))  # Tue: overdue → red
    assert (await flow.turno("dg_head", t_da["id"]))["trafficLight"] == "RED"
    assert await run_deadline_pass(services) == 1
    assert await run_deadline_pass(services) == 0
    clock.set(at(date(2026, 3, 11)))
    assert await run_deadline_pass(services) == 0

    clock.set(at(date(2026, 3, 12)))  # Thu: DJ has Fri 13 and Tue 17 left → yellow
    assert await run_deadline_pass(services) == 1
    clock.set(at(date(2026, 3, 18)))
    assert await run_deadline_pass(services) == 1
    assert await run_deadline_pass(services) == 0
    assert await deadline_events(services) == [
        (NEAR, da, "2026-03-09"),
        (PASSED, da, "2026-03-09"),
        (NEAR, dj, "2026-03-17"),
        (PASSED, dj, "2026-03-17"),
    ]

    async with services.db.session() as session:
        event = (await session.execute(select(Event).where(Event.kind == NEAR, Event.turno_id == da))).scalar_one()
        assert event.data == {"number": t_da["number"], "dueDate": "2026-03-09", "businessDaysLeft": 2}
        assert event.actor_id is None
        assert event.occurred_at == at(date(2026, 3, 5))
        passed = (await session.execute(select(Event).where(Event.kind == PASSED, Event.turno_id == da))).scalar_one()
        assert passed.data["businessDaysLeft"] == -1


async def test_a_new_deadline_may_warn_again(api, world, services, clock):
    clock.set(at(date(2026, 3, 2)))
    flow = Flow(api, world)
    t_da, t_dj = await send(
        flow,
        [
            {"unitId": "DA", "instruction": "RESPONSE", "dueDate": "2026-03-04"},  # 2 days left: yellow at once
            {"unitId": "DJ", "instruction": "RESPONSE", "dueDate": "2026-03-04"},
        ],
    )
    da, dj = db_id(t_da["id"]), db_id(t_dj["id"])
    assert await run_deadline_pass(services) == 2

    # DA answers in time; DJ does not and goes red
    answer = await flow.respond("da_staff", t_da["id"])
    assert answer["errors"] == []
    clock.set(at(date(2026, 3, 5)))
    assert await run_deadline_pass(services) == 1  # only DJ: an answered turno waits for evaluation
    assert await deadline_events(services, da) == [(NEAR, da, "2026-03-04")]
    assert await deadline_events(services, dj) == [(NEAR, dj, "2026-03-04"), (PASSED, dj, "2026-03-04")]

    # DA's answer is returned with a new deadline: it is green now, then yellow again later
    returned = await flow.evaluate(
        "dg_reg", answer["response"]["id"], "RETURN", comment="Incompleta.", newDueDate="2026-03-20"
    )
    assert returned["errors"] == [] and returned["turno"]["trafficLight"] == "GREEN"
    assert await run_deadline_pass(services) == 0
    # DJ answers late and is returned without a new deadline: the same deadline is not announced again
    late = await flow.respond("dj_staff", t_dj["id"])
    back = await flow.evaluate("dg_head", late["response"]["id"], "RETURN", comment="Falta el anexo.")
    assert back["errors"] == [] and back["turno"]["trafficLight"] == "RED"
    assert await run_deadline_pass(services) == 0

    clock.set(at(date(2026, 3, 17)))  # Tue: Wed 18, Thu 19, Fri 20 left → still green
    assert await run_deadline_pass(services) == 0
    clock.set(at(date(2026, 3, 18)))  # Wed: 2 left → yellow for the new deadline
    assert await run_deadline_pass(services) == 1
    assert await run_deadline_pass(services) == 0
    clock.set(at(date(2026, 3, 23)))
    assert await run_deadline_pass(services) == 1
    assert await deadline_events(services, da) == [
        (NEAR, da, "2026-03-04"),
        (NEAR, da, "2026-03-20"),
        (PASSED, da, "2026-03-20"),
    ]
    assert await deadline_events(services, dj) == [(NEAR, dj, "2026-03-04"), (PASSED, dj, "2026-03-04")]

    # a new deadline that is already near when it is given (returned with 1 day left): announced
    again = await flow.respond("da_staff", t_da["id"])
    clock.set(at(date(2026, 3, 24)))
    back = await flow.evaluate(
        "dg_reg", again["response"]["id"], "RETURN", comment="Otra vez.", newDueDate="2026-03-25"
    )
    assert back["errors"] == [] and back["turno"]["trafficLight"] == "YELLOW"
    assert await run_deadline_pass(services) == 1
    assert (await deadline_events(services, da))[-1] == (NEAR, da, "2026-03-25")


async def test_no_warnings_for_closed_copies_or_turnos_without_deadline(api, world, services, clock):
    clock.set(at(date(2026, 3, 2)))
    flow = Flow(api, world)
    t_answered, t_concluded, t_cancelled, t_copy, t_no_due = await send(
        flow,
        [
            {"unitId": "DA", "instruction": "RESPONSE", "dueDate": "2026-03-04"},
            {"unitId": "DJ", "instruction": "RESPONSE", "dueDate": "2026-03-04"},
            {"unitId": "SRH", "instruction": "RESPONSE", "dueDate": "2026-03-04"},
            {"unitId": "DRH", "instruction": "KNOWLEDGE"},
            {"unitId": "INST", "instruction": "ATTENTION"},
        ],
    )
    (copy_acked,) = await send(flow, [{"unitId": "DA", "instruction": "KNOWLEDGE"}])
    (control,) = await send(flow, [{"unitId": "DJ", "instruction": "RESPONSE", "dueDate": "2026-03-04"}])

    assert (await flow.respond("da_staff", t_answered["id"]))["errors"] == []
    concluded = await flow.respond("dj_staff", t_concluded["id"])
    assert (await flow.evaluate("dg_head", concluded["response"]["id"], "ACCEPT"))["errors"] == []
    assert (await flow.cancel("dg_reg", t_cancelled["id"]))["errors"] == []
    assert (await flow.ack("da_staff", copy_acked["id"]))["turno"]["status"] == "CONCLUDED"
    assert t_copy["dueDate"] is None and t_no_due["dueDate"] is None

    assert await run_deadline_pass(services) == 1  # the control turno only
    for day in (date(2026, 3, 5), date(2026, 3, 10), date(2026, 4, 30)):
        clock.set(at(day))
        assert await run_deadline_pass(services) == (1 if day == date(2026, 3, 5) else 0)
    control_id = db_id(control["id"])
    assert await deadline_events(services) == [(NEAR, control_id, "2026-03-04"), (PASSED, control_id, "2026-03-04")]


async def test_catch_up_after_downtime(api, world, services, clock, monkeypatch):
    """The server was down while the turnos went yellow and red: one pass announces each one red,
    with no separate NEAR, and the near-warning is not sent afterwards either."""
    clock.set(at(date(2026, 3, 2)))
    flow = Flow(api, world)
    turnos = await send(
        flow,
        [
            {"unitId": unit, "instruction": "RESPONSE", "dueDate": "2026-03-09"}
            for unit in ("DA", "SRH", "DRH", "DJ", "INST")
        ],
    )
    turnos += await send(
        flow, [{"unitId": unit, "instruction": "RESPONSE", "dueDate": "2026-03-12"} for unit in ("DA", "SRH", "DJ")]
    )
    monkeypatch.setattr(deadlines, "BATCH", 3)  # several batches in one pass

    clock.set(at(date(2026, 3, 12)))  # Thursday: the first five are red, the other three due today (yellow)
    assert await run_deadline_pass(services) == 8
    assert await run_deadline_pass(services) == 0
    events = await deadline_events(services)
    assert sorted(events) == sorted(
        [(PASSED, db_id(t["id"]), "2026-03-09") for t in turnos[:5]]
        + [(NEAR, db_id(t["id"]), "2026-03-12") for t in turnos[5:]]
    )

    clock.set(at(date(2026, 3, 20)))  # down again past the second deadline
    assert await run_deadline_pass(services) == 3
    assert await run_deadline_pass(services) == 0
    for t in turnos[:5]:
        assert await deadline_events(services, db_id(t["id"])) == [(PASSED, db_id(t["id"]), "2026-03-09")]
    for t in turnos[5:]:
        assert [e[0] for e in await deadline_events(services, db_id(t["id"]))] == [NEAR, PASSED]


async def test_the_day_changes_at_midnight_in_mexico_city(api, world, services, clock):
    """Deadlines are counted in the institution's time zone (UTC-6), not in UTC."""
    clock.set(at(date(2026, 3, 2)))
    flow = Flow(api, world)
    (turno,) = await send(flow, [{"unitId": "DA", "instruction": "RESPONSE", "dueDate": "2026-03-04"}])
    assert await run_deadline_pass(services) == 1  # yellow at once
    clock.set(datetime(2026, 3, 5, 5, 30, tzinfo=timezone.utc))  # 23:30 on Wednesday 4 March, local
    assert await run_deadline_pass(services) == 0  # due today, still
    assert (await flow.turno("dg_head", turno["id"]))["businessDaysLeft"] == 0
    clock.set(datetime(2026, 3, 5, 6, 30, tzinfo=timezone.utc))  # 00:30 on Thursday, local
    assert await run_deadline_pass(services) == 1
    assert [e[0] for e in await deadline_events(services)] == [NEAR, PASSED]


EVENTS = """query { events(first: 100) { edges { node { kind data turno { number } document { folio } } } } }"""


async def test_events_carry_turno_document_and_audience(api, world, services, clock):
    clock.set(at(date(2026, 3, 2)))
    flow = Flow(api, world)
    (t_da,) = await send(flow, [{"unitId": "DA", "instruction": "RESPONSE", "dueDate": "2026-03-04"}])
    folio = t_da["number"].rsplit("-T", 1)[0]
    assert await run_deadline_pass(services) == 1
    clock.set(at(date(2026, 3, 5)))
    assert await run_deadline_pass(services) == 1

    async def deadline_feed(user):
        data = await api.ok(EVENTS, token=world.tokens[user])
        return [
            (
                e["node"]["kind"],
                e["node"]["turno"] and e["node"]["turno"]["number"],
                e["node"]["document"] and e["node"]["document"]["folio"],
            )
            for e in data["events"]["edges"]
            if e["node"]["kind"] in (NEAR, PASSED)
        ]

    expected = [(NEAR, t_da["number"], folio), (PASSED, t_da["number"], folio)]
    assert await deadline_feed("dg_head") == expected  # the sender unit
    assert await deadline_feed("dg_reg") == expected
    assert await deadline_feed("da_staff") == expected  # the recipient unit
    assert await deadline_feed("dj_staff") == []  # an unrelated unit
    assert await deadline_feed("srh_staff") == []  # below the recipient: not its business

    # the audience that realtime fans out to: the recipient and the sender with their ancestors
    async with services.db.session() as session:
        for kind in (NEAR, PASSED):
            event_id = (await session.execute(select(Event.id).where(Event.kind == kind))).scalar_one()
            audience = set(
                (
                    await session.execute(select(EventAudience.unit_id).where(EventAudience.event_id == event_id))
                ).scalars()
            )
            assert audience == {world.units[u].id for u in ("INST", "DG", "DA")}, kind


async def _send_many(services, world, documents, recipients, due: date, user="dg_reg"):
    """First-level turnos straight through the use case (faster than HTTP)."""
    from models.db import SharedSession
    from models.workflow import Instruction
    from models.principals import load_principal
    from resolvers.context import Context
    from resolvers.turnos import RecipientData, SendTurnoData, send_turno

    turnos = []
    async with services.db.session() as session:
        principal = await load_principal(session, world.users[user].id)
        ctx = Context(services=services, session=SharedSession(session), principal=principal, request_id="test")
        for document in documents:
            turnos += (
                await send_turno(
                    ctx,
                    SendTurnoData(
                        document_id=document.id,
                        recipients=[
                            RecipientData(unit_id=world.units[u].id, instruction=Instruction.RESPONSE, due_date=due)
                            for u in recipients
                        ],
                    ),
                )
            )[0]
    return turnos


async def test_two_watchers_announce_each_deadline_once(services, world, clock, backend):
    if backend != "postgresql":
        pytest.skip("several server instances share PostgreSQL; SQLite is one process")
    clock.set(at(date(2026, 3, 2)))
    documents = await register_many(services, world, 12, user="dg_reg", unit="DG")
    turnos = await _send_many(services, world, documents, ["DA", "SRH", "DRH", "DJ", "INST"], date(2026, 3, 4))
    assert len(turnos) == 60
    others = [build_services(services.settings, clock=services.clock) for _ in range(2)]
    instances = [services, *others]
    try:
        # three instances at the same moment, each running a few passes
        async def watcher(instance, passes=3):
            return [await run_deadline_pass(instance) for _ in range(passes)]

        written = await asyncio.gather(*(watcher(i) for i in instances))
        assert sum(map(sum, written)) == 60, written
        clock.set(at(date(2026, 3, 5)))
        written = await asyncio.gather(*(watcher(i) for i in instances))
        assert sum(map(sum, written)) == 60, written
    finally:
        for other in others:
            await other.db.dispose()

    events = await deadline_events(services)
    ids = [t.id for t in turnos]
    assert sorted(e[1] for e in events if e[0] == NEAR) == sorted(ids)
    assert sorted(e[1] for e in events if e[0] == PASSED) == sorted(ids)
    async with services.db.session() as session:
        marks = (await session.execute(select(Turno.near_notified_for, Turno.passed_notified_for))).all()
        assert set(marks) == {(date(2026, 3, 4), date(2026, 3, 4))}
