"""Substitutes (suplencias): a membership with dates counts only from startsOn to endsOn, both
included, in the institution's time zone (models/users.py active_membership_clause and its twin
Membership.active_on). The principal of every request is loaded with today's memberships, so the
same token gains the substitute's access at midnight and loses it when the period ends.

The `services` clock is frozen on Monday 2 March 2026, 10:00 in Mexico City (16:00 UTC)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from itertools import product
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models.users import Membership, active_membership_clause, membership_in_force
from models.principals import load_principal
from tests.live import WsClient, start_server
from tests.workflow import Flow

MX = ZoneInfo("America/Mexico_City")
START, END = date(2026, 3, 4), date(2026, 3, 6)  # Wednesday to Friday

USER = """id memberships { role startsOn endsOn inForce unit { acronym } }
  all: memberships(includeInactive: true) { role startsOn endsOn inForce unit { acronym } }"""
UPDATE = f"""mutation($input: UpdateUserInput!) {{ updateUser(input: $input) {{
  user {{ {USER} }} errors {{ code field message }} }} }}"""
CREATE = f"""mutation($input: CreateUserInput!) {{ createUser(input: $input) {{
  user {{ {USER} }} errors {{ code field message }} }} }}"""
ME = f"{{ me {{ {USER} }} }}"
INBOX = "{ inbox { totalCount edges { node { number toUnit { acronym } } } } }"
TURNO = "query($id: ID!) { node(id: $id) { ... on Turno { number } } }"
MEMBERS = "query($id: ID!) { node(id: $id) { ... on OrgUnit { members { role user { username } } } } }"
SUBSCRIBE = "subscription { inboxEvents { kind turno { number toUnit { acronym } } } }"


def local(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=MX).astimezone(timezone.utc)


async def make_substitute(
    api, world, starts_on: date | None = START, ends_on: date | None = END, user: str = "dj_staff", unit: str = "DA"
) -> dict:
    """`user` keeps their own membership and stands in as HEAD of `unit` between the dates."""
    memberships = [
        {"unitId": world.unit_id("DJ"), "role": "STAFF"},
        {
            "unitId": world.unit_id(unit),
            "role": "HEAD",
            "startsOn": starts_on and starts_on.isoformat(),
            "endsOn": ends_on and ends_on.isoformat(),
        },
    ]
    payload = (
        await api.ok(
            UPDATE, {"input": {"id": world.user_id(user), "memberships": memberships}}, token=world.tokens["admin"]
        )
    )["updateUser"]
    assert payload["errors"] == [], payload
    return payload["user"]


async def turno_to_da(api, world) -> dict:
    flow = Flow(api, world)
    document = await flow.register(user="dg_reg", unit="DG", subject="Informe trimestral")
    sent = await flow.send("dg_reg", document=document["id"], recipients=[{"unitId": "DA", "instruction": "RESPONSE"}])
    assert sent["errors"] == []
    return sent["turnos"][0]


async def inbox_numbers(api, token: str) -> set[str]:
    data = await api.ok(INBOX, token=token)
    return {e["node"]["number"] for e in data["inbox"]["edges"]}


def roles(memberships: list[dict]) -> set[tuple[str, str]]:
    return {(m["unit"]["acronym"], m["role"]) for m in memberships}


# --- the inbox: only within the dates ---------------------------------------------------------


async def test_a_substitute_head_sees_the_units_inbox_only_within_the_dates(api, world, clock):
    turno = await turno_to_da(api, world)
    await make_substitute(api, world)
    seen = {}
    for moment in (
        local(date(2026, 3, 2)),  # today: the substitution has not begun
        local(date(2026, 3, 3), 23, 59),  # the last minute before it
        local(START, 0, 0),  # midnight in Mexico City (06:00 UTC)
        local(END, 23, 59),  # its last minute (already 7 March in UTC)
        local(date(2026, 3, 7), 0, 0),
    ):  # over
        clock.set(moment)
        token = world.tokens["dj_staff"]
        numbers = await inbox_numbers(api, token)
        node = (await api.ok(TURNO, {"id": turno["id"]}, token=token))["node"]
        seen[moment.astimezone(MX).strftime("%d %H:%M")] = (turno["number"] in numbers, node is not None)
    assert seen == {
        "02 10:00": (False, False),
        "03 23:59": (False, False),
        "04 00:00": (True, True),
        "06 23:59": (True, True),
        "07 00:00": (False, False),
    }


async def test_the_same_token_gains_the_access_at_midnight_and_loses_it_when_the_period_ends(api, world, clock):
    """The principal is loaded on every request: a membership that begins at midnight counts from
    the first request after it, with a token issued the day before."""
    turno = await turno_to_da(api, world)
    await make_substitute(api, world, starts_on=START, ends_on=START)
    clock.set(local(date(2026, 3, 3), 22, 0))
    token = world.tokens["dj_staff"]  # valid 12 hours: until 4 March 10:00
    me = (await api.ok(ME, token=token))["me"]
    assert roles(me["memberships"]) == {("DJ", "STAFF")}
    assert turno["number"] not in await inbox_numbers(api, token)

    clock.set(local(START, 0, 1))
    me = (await api.ok(ME, token=token))["me"]
    assert roles(me["memberships"]) == {("DJ", "STAFF"), ("DA", "HEAD")}
    assert turno["number"] in await inbox_numbers(api, token)

    clock.set(local(START, 23, 0))
    token = world.tokens["dj_staff"]
    assert turno["number"] in await inbox_numbers(api, token)
    clock.set(local(START + timedelta(days=1), 0, 0))
    assert turno["number"] not in await inbox_numbers(api, token)
    me = (await api.ok(ME, token=token))["me"]
    assert roles(me["memberships"]) == {("DJ", "STAFF")}


async def test_memberships_list_the_dates_and_whether_each_is_in_force(api, world, clock):
    user = await make_substitute(api, world)
    assert roles(user["memberships"]) == {("DJ", "STAFF")}  # in force today (2 March)
    assert sorted((m["unit"]["acronym"], m["startsOn"], m["endsOn"], m["inForce"]) for m in user["all"]) == [
        ("DA", "2026-03-04", "2026-03-06", False),
        ("DJ", None, None, True),
    ]
    clock.set(local(END))
    me = (await api.ok(ME, token=world.tokens["dj_staff"]))["me"]
    assert sorted((m["unit"]["acronym"], m["inForce"]) for m in me["all"]) == [("DA", True), ("DJ", True)]
    # the unit's members: the substitute head is one of them only while in force
    members = (await api.ok(MEMBERS, {"id": world.unit_id("DA")}, token=world.tokens["admin"]))["node"]["members"]
    assert ("HEAD", "dj_staff") in {(m["role"], m["user"]["username"]) for m in members}
    clock.set(local(END + timedelta(days=1)))
    members = (await api.ok(MEMBERS, {"id": world.unit_id("DA")}, token=world.tokens["admin"]))["node"]["members"]
    assert ("HEAD", "dj_staff") not in {(m["role"], m["user"]["username"]) for m in members}


async def test_open_ended_dates(api, world, clock):
    """Only a start (from then on) or only an end (until then)."""
    turno = await turno_to_da(api, world)
    await make_substitute(api, world, starts_on=START, ends_on=None)
    assert turno["number"] not in await inbox_numbers(api, world.tokens["dj_staff"])
    clock.set(local(date(2027, 1, 1)))
    assert turno["number"] in await inbox_numbers(api, world.tokens["dj_staff"])
    await make_substitute(api, world, starts_on=None, ends_on=date(2027, 1, 1))
    assert turno["number"] in await inbox_numbers(api, world.tokens["dj_staff"])
    clock.set(local(date(2027, 1, 2)))
    assert turno["number"] not in await inbox_numbers(api, world.tokens["dj_staff"])


# --- the principal: SQL and Python agree -----------------------------------------------------


async def test_the_principal_counts_only_the_memberships_in_force(api, world, services):
    await make_substitute(api, world)
    user_id = world.users["dj_staff"].id
    async with services.db.session() as session:
        for day, expected in (
            (date(2026, 3, 3), {"STAFF"}),
            (START, {"STAFF", "HEAD"}),
            (END, {"STAFF", "HEAD"}),
            (END + timedelta(days=1), {"STAFF"}),
        ):
            principal = await load_principal(session, user_id, today=day)
            assert {m.role.value for m in principal.memberships} == expected, day
            assert (world.units["DA"].path in principal.head_paths) == ("HEAD" in expected)


async def test_the_sql_clause_and_its_python_twin_agree(api, world, services):
    days = [None, date(2026, 3, 3), START, END, date(2026, 3, 7)]
    pairs = [(s, e) for s, e in product(days, days) if s is None or e is None or s <= e]
    async with services.db.transaction() as session:
        await session.execute(Membership.__table__.delete())
        unit_id = world.units["DA"].id
        for i, (starts_on, ends_on) in enumerate(pairs):
            session.add(
                Membership(
                    user_id=world.users["dj_staff"].id,
                    unit_id=unit_id,
                    role=f"R{i}",
                    starts_on=starts_on,
                    ends_on=ends_on,
                )
            )
    async with services.db.session() as session:
        rows = (await session.execute(select(Membership))).scalars().all()
        assert len(rows) == len(pairs)
        for day in [d for d in days if d] + [date(2026, 3, 2), date(2026, 12, 31)]:
            in_sql = set((await session.execute(select(Membership.id).where(active_membership_clause(day)))).scalars())
            in_python = {m.id for m in rows if m.active_on(day)}
            assert in_sql == in_python, day
            assert in_python == {m.id for m in rows if membership_in_force(m.starts_on, m.ends_on, day)}
        assert 0 < len(in_python) < len(rows)  # the last day sorts some in and some out


# --- realtime ---------------------------------------------------------------------------------


async def test_a_subscription_follows_the_memberships_in_force_when_it_opens(api, world, services, clock):
    flow = Flow(api, world)
    await make_substitute(api, world)
    server = await start_server(services)
    try:
        before = await WsClient.connect(server.ws_url, world.tokens["dj_staff"])  # 2 March: not yet
        await before.subscribe(SUBSCRIBE)
        await server.wait_live(1)
        await turno_to_da(api, world)
        document = await flow.register(user="dg_reg", unit="DG", subject="Consulta jurídica")
        sent = await flow.send(
            "dg_reg", document=document["id"], recipients=[{"unitId": "DJ", "instruction": "RESPONSE"}]
        )
        # what it hears of up to DJ's turno: nothing about DA's
        heard = []
        while not heard or heard[-1]["kind"] != "TURNO_SENT":
            heard.append((await before.next())["data"]["inboxEvents"])
        assert heard[-1]["turno"]["number"] == sent["turnos"][0]["number"]
        assert all(e["turno"] is None or e["turno"]["toUnit"]["acronym"] == "DJ" for e in heard), heard
        await before.close()

        clock.set(local(START, 9, 0))
        during = await WsClient.connect(server.ws_url, world.tokens["dj_staff"])
        await during.subscribe(SUBSCRIBE)
        await server.wait_live(1)
        turno = await turno_to_da(api, world)
        event = (await during.next())["data"]["inboxEvents"]
        assert (event["kind"], event["turno"]["number"]) == ("TURNO_SENT", turno["number"])
        await during.close()
    finally:
        await server.stop()


# --- validation ---------------------------------------------------------------------------------


def codes(payload: dict) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def test_the_end_may_not_come_before_the_start(api, world):
    memberships = [
        {"unitId": world.unit_id("DJ"), "role": "STAFF"},
        {"unitId": world.unit_id("DA"), "role": "HEAD", "startsOn": "2026-03-06", "endsOn": "2026-03-04"},
    ]
    payload = (
        await api.ok(
            UPDATE,
            {"input": {"id": world.user_id("dj_staff"), "memberships": memberships}},
            token=world.tokens["admin"],
        )
    )["updateUser"]
    assert codes(payload) == [("VALIDATION", "memberships.1.endsOn")]
    assert payload["errors"][0]["message"] == "La fecha de término no puede ser anterior a la de inicio."
    me = (await api.ok(ME, token=world.tokens["dj_staff"]))["me"]
    assert roles(me["all"]) == {("DJ", "STAFF")}  # nothing written

    created = (
        await api.ok(
            CREATE,
            {
                "input": {
                    "username": "suplente.nuevo",
                    "password": "una-clave-larga",
                    "fullName": "Suplente Nuevo",
                    "memberships": [
                        {
                            "unitId": world.unit_id("DA"),
                            "role": "HEAD",
                            "startsOn": "2026-03-06",
                            "endsOn": "2026-03-05",
                        }
                    ],
                }
            },
            token=world.tokens["admin"],
        )
    )["createUser"]
    assert codes(created) == [("VALIDATION", "memberships.0.endsOn")] and created["user"] is None
    found = await api.ok('{ users(search: "suplente.nuevo") { totalCount } }', token=world.tokens["admin"])
    assert found["users"]["totalCount"] == 0


async def test_one_unit_and_role_once_per_person(api, world):
    same = {"unitId": world.unit_id("DA"), "role": "HEAD", "startsOn": "2026-03-04", "endsOn": "2026-03-06"}
    payload = (
        await api.ok(
            UPDATE,
            {
                "input": {
                    "id": world.user_id("dj_staff"),
                    "memberships": [
                        {"unitId": world.unit_id("DJ"), "role": "STAFF"},
                        same,
                        {**same, "startsOn": "2026-04-01", "endsOn": "2026-04-03"},
                    ],
                }
            },
            token=world.tokens["admin"],
        )
    )["updateUser"]
    assert codes(payload) == [("VALIDATION", "memberships.2.role")]
    # the same period twice is one membership
    payload = (
        await api.ok(
            UPDATE,
            {
                "input": {
                    "id": world.user_id("dj_staff"),
                    "memberships": [{"unitId": world.unit_id("DJ"), "role": "STAFF"}, same, same],
                }
            },
            token=world.tokens["admin"],
        )
    )["updateUser"]
    assert payload["errors"] == []
    assert len(payload["user"]["all"]) == 2


async def test_a_single_day_substitution_is_valid(api, world, clock):
    user = await make_substitute(api, world, starts_on=START, ends_on=START)
    assert ("DA", "2026-03-04", "2026-03-04") in {
        (m["unit"]["acronym"], m["startsOn"], m["endsOn"]) for m in user["all"]
    }


async def test_an_admin_membership_not_in_force_does_not_keep_the_last_admin(api, world):
    """The last ADMIN may not leave; another person's ADMIN membership that begins next month does
    not count as an administrator today."""
    later = [{"unitId": world.unit_id("INST"), "role": "ADMIN", "startsOn": "2026-04-01"}]
    assert (
        await api.ok(
            UPDATE, {"input": {"id": world.user_id("dg_head"), "memberships": later}}, token=world.tokens["admin"]
        )
    )["updateUser"]["errors"] == []
    payload = (
        await api.ok(
            UPDATE,
            {
                "input": {
                    "id": world.user_id("admin"),
                    "memberships": [{"unitId": world.unit_id("DG"), "role": "STAFF"}],
                }
            },
            token=world.tokens["admin"],
        )
    )["updateUser"]
    assert codes(payload) == [("CONFLICT", "memberships")]
    # nor may the last admin's own membership be given an end in the past
    payload = (
        await api.ok(
            UPDATE,
            {
                "input": {
                    "id": world.user_id("admin"),
                    "memberships": [{"unitId": world.unit_id("INST"), "role": "ADMIN", "endsOn": "2026-03-01"}],
                }
            },
            token=world.tokens["admin"],
        )
    )["updateUser"]
    assert codes(payload) == [("CONFLICT", "memberships")]


@pytest.mark.parametrize("field", ["startsOn", "endsOn"])
async def test_a_date_that_is_not_a_date_is_refused(api, world, field):
    body = await api.gql(
        UPDATE,
        {
            "input": {
                "id": world.user_id("dj_staff"),
                "memberships": [{"unitId": world.unit_id("DA"), "role": "HEAD", field: "4 de marzo"}],
            }
        },
        token=world.tokens["admin"],
    )
    assert body.get("errors") and body.get("data") is None
    me = (await api.ok(ME, token=world.tokens["dj_staff"]))["me"]
    assert roles(me["all"]) == {("DJ", "STAFF")}
