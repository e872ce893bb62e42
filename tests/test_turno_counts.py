"""An inbox's totalCount from turno_counts (PostgreSQL's triggers, migration 0014) is the number
of rows the list shows, after every kind of change the workflow makes; SQLite counts the rows."""

from datetime import datetime, timezone

from sqlalchemy import text

from tests.workflow import Flow

COUNT = """query($f: TurnoFilter) { inbox(filter: $f, first: 100) { totalCount edges { node { number } } } }"""
OUT = """query($f: TurnoFilter) { outbox(filter: $f, first: 100) { totalCount edges { node { number } } } }"""


async def kept(services) -> list[tuple]:
    async with services.db.engine.connect() as conn:
        return [
            tuple(r)
            for r in await conn.execute(
                text("SELECT unit_id, box, status, n FROM turno_counts WHERE n <> 0 ORDER BY 1, 2, 3")
            )
        ]


async def from_rows(services) -> list[tuple]:
    async with services.db.engine.connect() as conn:
        return [
            tuple(r)
            for r in await conn.execute(
                text(
                    "SELECT unit_id, box, status, count(*) FROM ("
                    " SELECT to_unit_id AS unit_id, 'in' AS box, status FROM turnos"
                    " UNION ALL SELECT from_unit_id, 'out', status FROM turnos) t GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
                )
            )
        ]


async def workflow(api, world, clock) -> None:
    """Sent, received, delegated, answered, returned, accepted, cancelled, concluded: every status."""
    flow = Flow(api, world)
    clock.set(datetime(2026, 3, 2, 16, 0, tzinfo=timezone.utc))
    for n in range(2):
        doc = await flow.register(user="dg_reg", unit="DG", reference=f"TC/{n}")
        sent = await flow.send(
            "dg_reg",
            document=doc["id"],
            recipients=[
                {"unitId": "DA", "instruction": "RESPONSE", "businessDays": 10},
                {"unitId": "DJ", "instruction": "OPINION", "businessDays": 3},
                {"unitId": "SRH", "instruction": "KNOWLEDGE"},
            ],
        )
        t_da, t_dj, t_copy = sent["turnos"]
        await flow.ack("da_staff", t_da["id"])
        await flow.ack("srh_staff", t_copy["id"])  # a copy concludes when acknowledged
        t_srh = (
            await flow.send(
                "da_head",
                parent=t_da["id"],
                recipients=[{"unitId": "SRH", "instruction": "RESPONSE", "businessDays": 2}],
            )
        )["turnos"][0]
        answer = await flow.respond("srh_staff", t_srh["id"])
        if n == 0:
            assert (await flow.evaluate("da_head", answer["response"]["id"], "RETURN", comment="Complete."))[
                "errors"
            ] == []
            await flow.cancel("dg_reg", t_dj["id"])
        else:
            assert (await flow.evaluate("da_head", answer["response"]["id"], "ACCEPT"))["errors"] == []


async def test_the_triggers_keep_what_the_rows_count(api, world, clock, services, backend):
    await workflow(api, world, clock)
    rows = await from_rows(services)
    assert {r[2] for r in rows} >= {"SENT", "RECEIVED", "RETURNED", "CONCLUDED", "CANCELLED"}
    if backend == "postgresql":
        assert await kept(services) == rows
        async with services.db.engine.begin() as conn:
            await conn.execute(text("SELECT mcs_turno_counts_rebuild()"))
        assert await kept(services) == rows
    else:
        assert await kept(services) == []  # SQLite counts from the rows


async def test_total_count_is_the_number_of_rows_listed(api, world, clock, services):
    await workflow(api, world, clock)
    cases = [
        (COUNT, "dg_head", None),
        (COUNT, "da_head", None),
        (COUNT, "da_head", {"status": ["RETURNED"]}),
        (COUNT, "da_head", {"status": ["SENT", "RECEIVED"], "includeSubunits": False}),
        (COUNT, "srh_staff", None),
        (COUNT, "dg_head", {"unitId": world.unit_id("DA")}),
        (COUNT, "dg_head", {"unitId": world.unit_id("DA"), "includeSubunits": False}),
        (OUT, "dg_reg", None),
        (OUT, "dg_reg", {"status": ["CANCELLED"]}),
        (OUT, "da_head", {"status": ["RETURNED"]}),
        (COUNT, "dg_head", {"trafficLight": ["GREEN", "YELLOW"]}),
    ]  # counted from the rows everywhere
    seen = []
    for query, user, filter in cases:
        data = await api.ok(query, {"f": filter}, token=world.tokens[user])
        box = data["inbox" if query is COUNT else "outbox"]
        assert box["totalCount"] == len(box["edges"]), (user, filter)
        seen.append(box["totalCount"])
    # not a vacuous comparison of zeros: DG and its subunits sent 8 (6 + 2 delegations), one cancelled
    assert all(seen[:3]) and seen[-4] == 8 and seen[-3] == 1


# --- the open turnos' rollup by subtree (migration 0015): inboxSummary on PostgreSQL ------------

SUMMARY = """query($f: TurnoFilter) { inboxSummary(filter: $f) { green yellow red none notAcknowledged awaitingEvaluation }
  outboxSummary(filter: $f) { green yellow red none notAcknowledged awaitingEvaluation } }"""
MOVE = """mutation($input: UpdateOrgUnitInput!) { updateOrgUnit(input: $input) { errors { code field message } } }"""
ROWS = {"period": {"from": "2000-01-01"}}  # excludes nothing, and makes the counters count the rows


async def rollup(services) -> list[tuple]:
    async with services.db.engine.connect() as conn:
        return [
            tuple(r)
            for r in await conn.execute(
                text(
                    "SELECT box, unit_id, subtree, status, due_date, answered_on_time, n FROM open_turno_rollup"
                    " WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5, 6"
                )
            )
        ]


async def test_the_rollup_gives_the_counters_the_rows_give(api, world, clock, services, backend):
    await workflow(api, world, clock)

    async def same_counters():
        for user in ("dg_head", "da_head", "da_staff", "srh_staff", "dg_reg", "admin"):
            for extra in ({}, {"includeSubunits": False}, {"status": ["SENT", "ANSWERED"]}):
                kept = await api.ok(SUMMARY, {"f": extra or None}, token=world.tokens[user])
                rows = await api.ok(SUMMARY, {"f": {**extra, **ROWS}}, token=world.tokens[user])
                assert kept == rows, (user, extra)

    await same_counters()
    head = (await api.ok(SUMMARY, {"f": None}, token=world.tokens["dg_head"]))["inboxSummary"]
    assert sum(head.values()) > 0  # not a comparison of zeros
    if backend == "sqlite":
        assert await rollup(services) == []  # SQLite counts the rows
        return
    kept = await rollup(services)
    async with services.db.engine.begin() as conn:
        await conn.execute(text("SELECT mcs_open_rollup_rebuild()"))
    assert await rollup(services) == kept
    # a unit moved under another: its turnos now count in its new ancestors' subtrees
    moved = await api.ok(
        MOVE, {"input": {"id": world.unit_id("SRH"), "parentId": world.unit_id("DJ")}}, token=world.tokens["admin"]
    )
    assert moved["updateOrgUnit"]["errors"] == []
    assert await rollup(services) != kept
    await same_counters()
