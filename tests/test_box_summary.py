"""inboxSummary / outboxSummary: the counters of a dashboard, which must always agree with the
box they summarize (each counter = the box's totalCount for the same filter, narrowed), cost a
fixed number of statements, and follow the changes live (the inboxSummary subscription).

Org tree: INST > DG > {DA > SRH > DRH, DJ}. The turnos are sent between Monday 23 and Thursday 26
February 2026 and counted on Monday 2 March 2026, 10:00 in Mexico City.
"""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from schema.ids import to_global_id
from tests.live import WsClient, start_server
from tests.workflow import Flow

MX = ZoneInfo("America/Mexico_City")
OPEN = ["SENT", "RECEIVED", "ANSWERED", "RETURNED"]
# each counter: the statuses and the light that narrow the box's filter
COUNTERS = {
    "green": (OPEN, "GREEN"),
    "yellow": (OPEN, "YELLOW"),
    "red": (OPEN, "RED"),
    "none": (OPEN, "NONE"),
    "notAcknowledged": (["SENT"], None),
    "awaitingEvaluation": (["ANSWERED"], None),
}
FIELDS = " ".join(COUNTERS)
SUMMARY = f"""query($filter: TurnoFilter) {{ inboxSummary(filter: $filter) {{ {FIELDS} }}
  outboxSummary(filter: $filter) {{ {FIELDS} }} }}"""


def local(month, day, hour=10, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=MX).astimezone(timezone.utc)


@pytest.fixture
async def mail(api, world, clock):
    """Turnos of every state and light. By Monday 2 March (the lights as counted then):

    DG→DA  a RESPONSE  due Wed 25 Feb           SENT       RED
           b ATTENTION due Tue 3 Mar            SENT       YELLOW
           c RESPONSE  due Fri 20 Mar  "nómina" RECEIVED   GREEN
             c1 DA→SRH  RESPONSE due Wed 4 Mar  RECEIVED   YELLOW (delegating records the receipt)
               c2 SRH→DRH KNOWLEDGE             SENT       NONE
           d OPINION   no deadline              SENT       NONE
           e KNOWLEDGE                          SENT       NONE
           f KNOWLEDGE, acknowledged            CONCLUDED
           g RESPONSE  due Tue 24, answered Mon 23 (on time)   ANSWERED  GREEN
           h RESPONSE  due Tue 24, answered Thu 26 (late)      ANSWERED  RED
           i RESPONSE  due Fri 20 Mar, answered and returned   RETURNED  GREEN
           j RESPONSE  answered and accepted    CONCLUDED
           k RESPONSE  cancelled                CANCELLED
             k1 DA→SRH  (cascaded)              CANCELLED
           o RESPONSE  URGENT, due Tue 3 Mar "nómina"  SENT  YELLOW
    DG→SRH l RESPONSE  due Wed 25 Feb           SENT       RED
    DG→DJ  m OPINION   due Fri 20 Mar           SENT       GREEN
    DA→DJ  n RESPONSE  due Fri 27 Feb           SENT       RED     (registered by DA)
    """
    flow = Flow(api, world)
    t = {}

    async def send(name, to, instruction, user="dg_reg", unit="DG", priority=None, subject=None, **recipient):
        fields = {"reference": f"REF/{name}"}
        if subject:
            fields["subject"] = subject
        doc = await flow.register(user=user, unit=unit, **fields)
        extra = {"priority": priority} if priority else {}
        sent = await flow.send(
            user, document=doc["id"], recipients=[{"unitId": to, "instruction": instruction, **recipient}], **extra
        )
        assert sent["errors"] == [], (name, sent)
        t[name] = sent["turnos"][0]["id"]

    async def delegate(name, user, parent, to, instruction, **recipient):
        sent = await flow.send(
            user, parent=t[parent], recipients=[{"unitId": to, "instruction": instruction, **recipient}]
        )
        assert sent["errors"] == [], (name, sent)
        t[name] = sent["turnos"][0]["id"]

    async def answer(name):
        answered = await flow.respond("da_staff", t[name])
        assert answered["errors"] == [], (name, answered)
        return answered["response"]["id"]

    async def ok(payload):
        assert payload["errors"] == [], payload

    clock.set(local(2, 23))  # Monday
    await send("a", "DA", "RESPONSE", businessDays=2)
    await send("b", "DA", "ATTENTION", dueDate="2026-03-03", subject="Auditoría de obra")
    await send("d", "DA", "OPINION")
    await send("e", "DA", "KNOWLEDGE")
    await send("f", "DA", "KNOWLEDGE")
    await ok(await flow.ack("da_staff", t["f"]))
    await send("g", "DA", "RESPONSE", businessDays=1)
    await answer("g")
    await send("h", "DA", "RESPONSE", businessDays=1)
    await send("k", "DA", "RESPONSE", businessDays=5)
    await send("l", "SRH", "RESPONSE", businessDays=2)
    await send("m", "DJ", "OPINION", dueDate="2026-03-20")

    clock.set(local(2, 24, 11))  # Tuesday
    await send("c", "DA", "RESPONSE", dueDate="2026-03-20", subject="Pago de nómina de marzo")
    await ok(await flow.ack("da_staff", t["c"]))
    await delegate("c1", "da_head", "c", "SRH", "RESPONSE", dueDate="2026-03-04")
    await delegate("k1", "da_reg", "k", "SRH", "RESPONSE")
    await send("i", "DA", "RESPONSE", dueDate="2026-03-20")
    await send("j", "DA", "RESPONSE")
    await send("n", "DJ", "RESPONSE", user="da_reg", unit="DA", businessDays=3)

    clock.set(local(2, 26, 12))  # Thursday
    await answer("h")  # two days late
    await ok(await flow.evaluate("dg_reg", await answer("i"), "RETURN", comment="Falta el anexo."))
    await ok(await flow.evaluate("dg_reg", await answer("j"), "ACCEPT"))
    await ok(await flow.cancel("dg_reg", t["k"]))
    await delegate("c2", "srh_reg", "c1", "DRH", "KNOWLEDGE")
    await send("o", "DA", "RESPONSE", priority="URGENT", dueDate="2026-03-03", subject="Nómina urgente")

    clock.set(local(3, 2))  # Monday: count
    return t


def narrowed(filter, statuses, light):
    """The box filter a counter equals: the same filter, its statuses and light intersected with the
    counter's; None when the intersection is empty (the counter must then be 0)."""
    value = dict(filter or {})
    status = [s for s in statuses if not value.get("status") or s in value["status"]]
    if not status:
        return None
    value["status"] = status
    if light:
        if value.get("trafficLight") and light not in value["trafficLight"]:
            return None
        value["trafficLight"] = [light]
    return value


async def summaries_and_expected(api, token, filter):
    """inboxSummary and outboxSummary for `filter` and, in the same request, the totalCount of
    each box for each counter's narrowed filter: {box: (summary, expected)}."""
    variables, declared, parts = {"f": filter}, ["$f: TurnoFilter"], []
    for box in ("inbox", "outbox"):
        parts.append(f"{box}Summary: {box}Summary(filter: $f) {{ {FIELDS} }}")
        for name, (statuses, light) in COUNTERS.items():
            value = narrowed(filter, statuses, light)
            if value is not None:
                variables[name] = value
                if f"${name}: TurnoFilter" not in declared:
                    declared.append(f"${name}: TurnoFilter")
                parts.append(f"{box}_{name}: {box}(filter: ${name}) {{ totalCount }}")
    data = await api.ok(f"query({', '.join(declared)}) {{ {' '.join(parts)} }}", variables, token=token)
    return {
        box: (
            data[f"{box}Summary"],
            {name: data[f"{box}_{name}"]["totalCount"] if f"{box}_{name}" in data else 0 for name in COUNTERS},
        )
        for box in ("inbox", "outbox")
    }


def filters(world):
    return [
        None,
        {"includeSubunits": False},
        {"unitId": world.unit_id("SRH")},
        {"unitId": world.unit_id("DA"), "includeSubunits": False},
        {"period": {"from": "2026-02-24", "to": "2026-02-26"}},
        {"instruction": ["RESPONSE", "KNOWLEDGE"]},
        {"search": "nomina"},
        {"status": ["SENT", "ANSWERED", "CONCLUDED"]},
        {"trafficLight": ["RED", "NONE"]},
        {"priority": "URGENT"},
        {"origin": "EXTERNAL", "documentType": ["OFICIO"], "search": "auditoria", "period": {"to": "2026-02-23"}},
    ]


USERS = ["da_head", "da_staff", "dg_reg", "srh_staff", "admin"]


async def test_every_counter_equals_the_total_of_the_box_narrowed_accordingly(api, world, mail):
    seen_nonzero = {"inbox": set(), "outbox": set()}
    for user in USERS:
        token = world.tokens[user]
        for filter in filters(world):
            for box, (summary, expected) in (await summaries_and_expected(api, token, filter)).items():
                assert summary == expected, f"{box}Summary of {user} with filter {filter}"
                seen_nonzero[box] |= {name for name, n in summary.items() if n}
    # every counter of each box was put to the test with something to count
    assert seen_nonzero == {"inbox": set(COUNTERS), "outbox": set(COUNTERS)}


async def test_the_counters_of_known_boxes(api, world, mail):
    async def both(user, filter=None):
        return await api.ok(SUMMARY, {"filter": filter}, token=world.tokens[user])

    staff = await both("da_staff")
    assert staff["inboxSummary"] == {
        "green": 3,
        "yellow": 2,
        "red": 2,
        "none": 2,  # c g i / b o / a h / d e
        "notAcknowledged": 5,
        "awaitingEvaluation": 2,
    }  # a b d e o / g h
    head = await both("da_head")
    # + c1 (YELLOW, RECEIVED), c2 (NONE), l (RED) below DA; k1 is cancelled
    assert head["inboxSummary"] == {
        "green": 3,
        "yellow": 3,
        "red": 3,
        "none": 3,
        "notAcknowledged": 7,
        "awaitingEvaluation": 2,
    }
    assert head["outboxSummary"] == {
        "green": 0,
        "yellow": 1,
        "red": 1,
        "none": 1,  # c1 / n / c2
        "notAcknowledged": 2,
        "awaitingEvaluation": 0,
    }  # n c2
    assert (await both("da_head", {"includeSubunits": False}))["inboxSummary"] == staff["inboxSummary"]
    registrar = await both("dg_reg", {"includeSubunits": False})
    # sent from DG: a b c d e f g h i j k l m o
    assert registrar["outboxSummary"] == {
        "green": 4,
        "yellow": 2,
        "red": 3,
        "none": 2,  # c g i m / b o / a h l / d e
        "notAcknowledged": 7,
        "awaitingEvaluation": 2,
    }  # a b d e l m o / g h
    assert registrar["inboxSummary"] == dict.fromkeys(COUNTERS, 0)  # nothing was sent to DG
    urgent = await both("da_staff", {"priority": "URGENT"})
    assert urgent["inboxSummary"] == {
        "green": 0,
        "yellow": 1,
        "red": 0,
        "none": 0,
        "notAcknowledged": 1,
        "awaitingEvaluation": 0,
    }
    stranger = await both("dj_staff")
    assert stranger["inboxSummary"] == {
        "green": 1,
        "yellow": 0,
        "red": 1,
        "none": 0,  # m / n
        "notAcknowledged": 2,
        "awaitingEvaluation": 0,
    }


async def test_the_counters_follow_the_clock(api, world, mail, clock):
    clock.set(local(3, 4))  # Wednesday: b and o (due Tuesday) are overdue, c1 is due today
    staff = (await api.ok(SUMMARY, {"filter": None}, token=world.tokens["da_staff"]))["inboxSummary"]
    assert (staff["yellow"], staff["red"]) == (0, 4)
    summary, expected = (await summaries_and_expected(api, world.tokens["da_head"], None))["inbox"]
    assert summary == expected and summary["yellow"] == 1  # c1


@pytest.mark.parametrize("bad", ["basura", to_global_id("OrgUnit", 999_999), to_global_id("Document", 1)])
async def test_a_bad_unit_in_the_filter_is_not_found(api, world, bad):
    for field in ("inboxSummary", "outboxSummary"):
        body = await api.gql(
            f"query($f: TurnoFilter) {{ {field}(filter: $f) {{ red }} }}",
            {"f": {"unitId": bad}},
            token=world.tokens["da_head"],
        )
        assert body["data"] is None, body
        assert [(e["extensions"]["code"], e["extensions"].get("field")) for e in body["errors"]] == [
            ("NOT_FOUND", "filter.unitId")
        ], body["errors"]
        assert (
            "unidad" in body["errors"][0]["message"].lower() or "identificador" in body["errors"][0]["message"].lower()
        )


async def test_the_summary_needs_a_session(api):
    body = await api.gql("{ inboxSummary { red } }")
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


# --- cost ------------------------------------------------------------------------------------

# 1 authentication, 1 holiday calendar (the lights' business days), 1 the counters (one statement):
# on PostgreSQL from the rollup of the HEAD's subtree; from the rows (SQLite, or with a unitId) 1 more
# for the ids of the units in the HEAD's scope, and with unitId 1 more for the unit
EXPECTED_SUMMARY_QUERIES = {"postgresql": 3, "sqlite": 4}
EXPECTED_WITH_UNIT_QUERIES = 5


async def test_the_summary_costs_a_fixed_number_of_statements(api, world, clock, queries, backend):
    clock.set(local(3, 2))
    flow = Flow(api, world)

    async def measure(filter=None):
        queries.reset()
        body = await api.gql(
            "query($f: TurnoFilter) { inboxSummary(filter: $f) { " + FIELDS + " } }",
            {"f": filter},
            token=world.tokens["dg_head"],
        )
        assert "errors" not in body, body["errors"]
        return queries.count, body["data"]["inboxSummary"]

    async def add(n, start):
        for i in range(start, start + n):
            doc = await flow.register(reference=f"Q/{i}")
            sent = await flow.send(
                "dg_reg",
                document=doc["id"],
                recipients=[
                    {"unitId": "DA", "instruction": "RESPONSE", "businessDays": 1 + i % 7},
                    {"unitId": "DJ", "instruction": "KNOWLEDGE"},
                ],
            )
            assert sent["errors"] == []

    await add(2, 0)
    few, counted = await measure()
    assert counted["notAcknowledged"] == 4
    few_with_unit, _ = await measure({"unitId": world.unit_id("DA"), "search": "padron", "trafficLight": ["GREEN"]})
    await add(20, 2)
    many, counted = await measure()
    assert counted["notAcknowledged"] == 44
    many_with_unit, _ = await measure({"unitId": world.unit_id("DA"), "search": "padron", "trafficLight": ["GREEN"]})
    expected = EXPECTED_SUMMARY_QUERIES[backend]
    assert (few, many) == (expected, expected), "\n---\n".join(s[:200] for s in queries.statements)
    assert (few_with_unit, many_with_unit) == (EXPECTED_WITH_UNIT_QUERIES, EXPECTED_WITH_UNIT_QUERIES)


# --- live ------------------------------------------------------------------------------------

LIVE = """subscription { inboxSummary { red notAcknowledged } }"""


@pytest.fixture
async def server(services):
    live = await start_server(services)
    yield live
    await live.stop()


async def test_the_summary_subscription_pushes_the_counters_when_they_change(server, api, world, clock):
    clock.set(local(2, 23))
    flow = Flow(api, world)
    old = await flow.register(reference="VIEJO/1")
    assert (
        await flow.send(
            "dg_reg", document=old["id"], recipients=[{"unitId": "DA", "instruction": "RESPONSE", "businessDays": 1}]
        )
    )["errors"] == []
    clock.set(local(3, 2))  # that one is overdue now

    client = await WsClient.connect(server.ws_url, world.tokens["da_head"])
    await client.subscribe(LIVE)
    assert (await client.next())["data"]["inboxSummary"] == {"red": 1, "notAcknowledged": 1}  # the counters now
    await server.wait_live(1)

    # an event da_head may see that changes no counter: a registration in SRH (below DA)
    await flow.register(user="srh_reg", unit="SRH", reference="SRH/1")
    await client.nothing_for(0.7)

    doc = await flow.register(reference="NUEVO/1")
    sent = await flow.send("dg_reg", document=doc["id"], recipients=[{"unitId": "DA", "instruction": "ATTENTION"}])
    assert sent["errors"] == []
    assert (await client.next())["data"]["inboxSummary"] == {"red": 1, "notAcknowledged": 2}

    assert (await flow.ack("da_staff", sent["turnos"][0]["id"]))["errors"] == []
    assert (await client.next())["data"]["inboxSummary"] == {"red": 1, "notAcknowledged": 1}
    # a turno to DJ: da_head may not see it, nothing changes for them
    other = await flow.register(reference="DJ/1")
    assert (await flow.send("dg_reg", document=other["id"], recipients=[{"unitId": "DJ", "instruction": "RESPONSE"}]))[
        "errors"
    ] == []
    await client.nothing_for(0.7)
    # the overdue one answered: no longer SENT, still RED (answered late)
    answered = await flow.respond(
        "da_staff",
        (
            await api.ok(
                "{ inbox(filter: {trafficLight: [RED]}) { edges { node { id } } } }", token=world.tokens["da_head"]
            )
        )["inbox"]["edges"][0]["node"]["id"],
    )
    assert answered["errors"] == []
    assert (await client.next())["data"]["inboxSummary"] == {"red": 1, "notAcknowledged": 0}
    await client.close()
