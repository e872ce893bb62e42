"""What a query may cost is computed before it runs (schema/cost.py): short queries that would
keep the process busy for seconds are refused, one big page is not; the node limit also holds
while a query runs; a client that hangs up stops its request; and a big answer is built in
slices, so other clients are served meanwhile."""

import asyncio
import dataclasses
import json
import time

import httpx
import pytest
from graphql import get_introspection_query, get_nullable_type, is_list_type

from mcs.app import create_app
from core.settings import Settings
from schema import cost
from schema.build import build_schema
from tests.live import WsClient, start_server

NEST = (
    "{orgUnits{acronym ancestors{acronym children{acronym ancestors{acronym children{acronym ancestors{acronym "
    "children{acronym}}}}}}}}"
)  # 153 characters
PAGE = "documents(first: 100) { edges { node { folio history(first: 100) { edges { node { kind } } } turnos { number } } } }"
SCHEMA = "__schema { types { name fields { name type { name } } } }"


def aliases(n: int, selection: str) -> str:
    return "{ " + " ".join(f"a{i}: {selection}" for i in range(n)) + " }"


def refusal(body: dict) -> dict:
    """The one error of a refused query: its extensions."""
    assert body.get("data") is None, body
    [error] = body["errors"]
    assert error["message"].startswith(("La consulta es demasiado costosa", "La respuesta es demasiado grande")), error
    extensions = error["extensions"]
    assert extensions["code"] == "QUERY_TOO_COSTLY"
    return extensions


def with_settings(services, **changes):
    return dataclasses.replace(services, settings=dataclasses.replace(services.settings, **changes))


async def client_for(services):
    app = create_app(services=services)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


# --- refused before anything runs -------------------------------------------------------------


@pytest.mark.parametrize(
    "attack,user",
    [(NEST, "da_staff"), (aliases(30, PAGE), "admin"), (aliases(200, SCHEMA), None)],
    ids=["org-nest", "30-pages-of-histories", "200-schemas"],
)
async def test_the_short_attacks_are_refused_before_running(api, world, services, monkeypatch, attack, user):
    ran = []

    async def spy(*args, **kwargs):
        ran.append(args)
        return []

    monkeypatch.setattr("schema.query.list_org_units", spy)
    monkeypatch.setattr("schema.query.list_documents", spy)
    response = await api.post(attack, token=world.tokens[user] if user else None)
    assert response.status_code == 200
    extensions = refusal(response.json())
    settings = services.settings
    assert extensions["maxNodes"] == settings.max_query_nodes and extensions["maxCost"] == settings.max_query_cost
    assert extensions["nodes"] > extensions["maxNodes"] or extensions["cost"] > extensions["maxCost"]
    assert ran == []  # no resolver ran
    print(f"\n{attack[:40]}…: nodes {extensions['nodes']:,}, cost {extensions['cost']:,}")


async def test_one_page_of_documents_with_their_histories_is_allowed(api, world):
    data = await api.ok("{ " + PAGE + " }", token=world.tokens["admin"])
    assert data["documents"]["edges"] == []
    body = await api.gql(aliases(2, PAGE), token=world.tokens["admin"])
    extensions = refusal(body)
    assert extensions["nodes"] > extensions["maxNodes"]  # two of them are not


@pytest.mark.parametrize(
    "options",
    [
        {},
        {
            "descriptions": True,
            "specified_by_url": True,
            "directive_is_repeatable": True,
            "schema_description": True,
            "input_value_deprecation": True,
        },
    ],
)
async def test_the_standard_introspection_query_is_allowed_without_a_token(api, options):
    data = await api.ok(get_introspection_query(**options))
    assert data["__schema"]["queryType"]["name"] == "Query"


# --- how it is counted ------------------------------------------------------------------------

FIVE_PAGES = (
    "query($n: Int = 100) { "
    + " ".join(
        f"p{i}: documents(first: $n) {{ edges {{ node {{ folio history(first: $n) {{ edges {{ node {{ kind }} }} }} }} }} }}"
        for i in range(5)
    )
    + " }"
)


async def test_variables_in_first_are_honoured(api, world):
    token = world.tokens["admin"]
    assert set(await api.ok(FIVE_PAGES, {"n": 5}, token=token)) == {f"p{i}" for i in range(5)}
    by_default = refusal(await api.gql(FIVE_PAGES, {}, token=token))
    hundred = refusal(await api.gql(FIVE_PAGES, {"n": 100}, token=token))
    thousand = refusal(await api.gql(FIVE_PAGES, {"n": 1000}, token=token))  # the server serves 100 at most
    assert by_default == hundred == thousand
    assert hundred["cost"] == 5 * (1 + 100)  # each page of documents, and a page of history per document


async def test_fragments_are_counted_like_the_fields_they_hold(api, world):
    token = world.tokens["admin"]
    inline = refusal(await api.gql(aliases(3, PAGE), token=token))
    pages = " ".join(f"a{i}: documents(first: 100) {{ ...Page }}" for i in range(3))
    fragments = (
        "{ "
        + pages
        + """ }
        fragment Page on DocumentConnection { edges { node { ...Doc } } }
        fragment Doc on Document { folio ... on Document { history(first: 100) { edges { node { kind } } } }
                                   turnos { number } }"""
    )
    assert refusal(await api.gql(fragments, token=token)) == inline
    # fragments spread into each other twice at every level: counted, and quickly
    chain = (
        "".join(
            f"fragment F{i} on OrgUnit {{ parent {{ ...F{i + 1} }} ancestors {{ ...F{i + 1} }} }} " for i in range(12)
        )
        + "fragment F12 on OrgUnit { acronym }"
    )
    started = time.perf_counter()
    extensions = refusal(await api.gql("{ orgUnits { ...F0 } } " + chain, token=token))
    assert extensions["nodes"] > extensions["maxNodes"]
    print(f"\nfragment chain refused in {1000 * (time.perf_counter() - started):.0f} ms")


async def test_skipped_selections_do_not_count(api, world):
    kinds = " ".join(f"k{i}: kind" for i in range(20))
    query = (
        "query($big: Boolean!) { documents(first: 5) { totalCount } big: documents(first: 100) @include(if: $big) "
        f"{{ edges {{ node {{ history(first: 100) {{ edges {{ node {{ {kinds} }} }} }} }} }} }} }}"
    )
    token = world.tokens["admin"]
    assert (await api.ok(query, {"big": False}, token=token))["documents"]["totalCount"] == 0
    refusal(await api.gql(query, {"big": True}, token=token))


async def test_the_limits_follow_the_settings(services, world):
    async with await client_for(with_settings(services, max_query_nodes=50)) as client:
        body = (
            await client.post(
                "/graphql",
                json={"query": "{ __typename orgUnits { acronym } }"},
                headers={"Authorization": f"Bearer {world.tokens['admin']}"},
            )
        ).json()
        assert refusal(body)["maxNodes"] == 50
        assert (await client.post("/graphql", json={"query": "{ __typename }"})).json() == {
            "data": {"__typename": "Query"}
        }
    async with await client_for(with_settings(services, max_query_cost=20)) as client:
        body = (
            await client.post(
                "/graphql",
                json={"query": "{ " + PAGE + " }"},
                headers={"Authorization": f"Bearer {world.tokens['admin']}"},
            )
        ).json()
        extensions = refusal(body)
        assert (extensions["cost"], extensions["maxCost"]) == (101, 20)
        assert "páginas" in body["errors"][0]["message"]


def test_the_settings_are_read_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MCS_VAR_DIR", str(tmp_path))
    defaults = Settings.from_env(secret_key="k" * 40)
    assert (defaults.max_query_nodes, defaults.max_query_cost) == (60_000, 1_000)
    monkeypatch.setenv("MCS_MAX_QUERY_NODES", "2500")
    monkeypatch.setenv("MCS_MAX_QUERY_COST", "30")
    settings = Settings.from_env(secret_key="k" * 40)
    assert (settings.max_query_nodes, settings.max_query_cost) == (2500, 30)


def test_every_list_field_has_a_declared_bound():
    schema = build_schema()._schema
    undeclared = []
    for type_ in schema.type_map.values():
        if type_.name.startswith("__") or not hasattr(type_, "fields") or not hasattr(type_, "interfaces"):
            continue
        for name, field in type_.fields.items():
            if not is_list_type(get_nullable_type(field.type)):
                continue
            if name == "edges" and type_.name.endswith("Connection"):
                continue  # the page
            if f"{type_.name}.{name}" not in cost.LIST_BOUNDS and f"*.{name}" not in cost.LIST_BOUNDS:
                undeclared.append(f"{type_.name}.{name}")
    assert undeclared == [], "declare a bound (and why) in schema/cost.py LIST_BOUNDS"
    assert all(b.reason and b.size > 0 for b in cost.LIST_BOUNDS.values())


# --- while it runs ----------------------------------------------------------------------------


async def test_the_node_limit_holds_when_the_data_passes_a_declared_bound(services, world, monkeypatch):
    """A bound is an estimate: here the org tree is declared to have one unit, so the query passes
    the check before running, and is stopped by the count of what it produces."""
    monkeypatch.setitem(cost.LIST_BOUNDS, "Query.orgUnits", cost.Bound(1, "for the test"))
    async with await client_for(with_settings(services, max_query_nodes=20)) as client:
        headers = {"Authorization": f"Bearer {world.tokens['admin']}"}
        one = (await client.post("/graphql", json={"query": "{ orgUnits { acronym } }"}, headers=headers)).json()
        assert len(one["data"]["orgUnits"]) == 6  # 13 values: within the limit
        body = (
            await client.post("/graphql", json={"query": "{ orgUnits { acronym name code } }"}, headers=headers)
        ).json()
        extensions = refusal(body)
        assert extensions["nodes"] > extensions["maxNodes"] == 20


async def test_a_mutation_is_checked_before_it_runs_not_after(api, services, world):
    mutation = f"""mutation {{ createOrgUnit(input: {{code: "130", acronym: "DP", name: "Planeación",
      kind: DIRECTORATE, parentId: "{world.unit_id("DG")}"}}) {{ orgUnit {{ acronym ancestors {{ acronym children {{
      acronym ancestors {{ acronym children {{ acronym }} }} }} }} }} errors {{ code }} }} }}"""
    async with await client_for(with_settings(services, max_query_nodes=1000)) as client:
        headers = {"Authorization": f"Bearer {world.tokens['admin']}"}
        refusal((await client.post("/graphql", json={"query": mutation}, headers=headers)).json())
    units = await api.ok("{ orgUnits { acronym } }", token=world.tokens["admin"])
    assert "DP" not in {u["acronym"] for u in units["orgUnits"]}  # not created


@pytest.fixture
async def server(services):
    live = await start_server(services)
    yield live
    await live.stop()


async def test_a_client_that_hangs_up_stops_its_request(server, world, monkeypatch, caplog):
    steps, started, stopped = [], asyncio.Event(), asyncio.Event()

    async def slow(ctx, include_inactive):  # ten seconds of work, a step at a time
        started.set()
        try:
            for _ in range(200):
                steps.append(1)
                await asyncio.sleep(0.05)
        except asyncio.CancelledError:
            stopped.set()
            raise
        return []

    monkeypatch.setattr("schema.query.list_org_units", slow)
    body = json.dumps({"query": "{ orgUnits { acronym } }"}).encode()
    _, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(
        b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {world.tokens['admin']}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    await asyncio.wait_for(started.wait(), 5)
    writer.close()  # the client hangs up
    await writer.wait_closed()
    await asyncio.wait_for(stopped.wait(), 5)
    done = len(steps)
    await asyncio.sleep(0.3)
    assert len(steps) == done < 200  # stopped, well before its end
    print(f"\nstopped after {done} steps of 50 ms")
    monkeypatch.undo()
    async with httpx.AsyncClient() as client:  # and the server goes on serving
        response = await client.post(
            server.http_url,
            json={"query": "{ orgUnits { acronym } }"},
            headers={"Authorization": f"Bearer {world.tokens['admin']}"},
        )
    assert len(response.json()["data"]["orgUnits"]) == 6
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")], caplog.text


async def test_other_clients_are_served_while_a_big_answer_is_built(server, world, services, monkeypatch):
    """The biggest answer the limits allow on one page of units: a concurrent small request does
    not wait for it to finish (it is built in slices). Figures printed, not asserted."""
    from sqlalchemy import select

    from models.org import OrgUnit as UnitModel

    async with services.db.session() as session:
        unit = (await session.execute(select(UnitModel).limit(1))).scalar_one()
    building = asyncio.Event()

    async def many_units(ctx, include_inactive):
        building.set()
        return [unit] * cost.UNITS  # as many units as a large institution has

    monkeypatch.setattr("schema.query.list_org_units", many_units)
    per_unit = services.settings.max_query_nodes // cost.UNITS - 1  # values per unit the limit leaves
    fields = "id code acronym name kind active " + " ".join(f"n{i}: name" for i in range(per_unit - 7))
    big_query = "{ orgUnits { " + fields + " } }"  # just within the limit
    headers = {"Authorization": f"Bearer {world.tokens['admin']}"}
    finished = {}
    async with httpx.AsyncClient(timeout=30) as client:

        async def big():
            started = time.perf_counter()
            response = await client.post(server.http_url, json={"query": big_query}, headers=headers)
            finished["big"] = time.perf_counter()
            assert "errors" not in response.json()
            return finished["big"] - started

        async def small():
            await building.wait()
            await asyncio.sleep(0.01)
            started = time.perf_counter()
            response = await client.post(server.http_url, json={"query": "{ __typename }"})
            finished["small"] = time.perf_counter()
            assert response.json() == {"data": {"__typename": "Query"}}
            return finished["small"] - started

        big_seconds, small_seconds = await asyncio.gather(big(), small())
    print(f"\nbig answer: {big_seconds * 1000:.0f} ms; a concurrent {{ __typename }}: {small_seconds * 1000:.0f} ms")
    assert finished["small"] < finished["big"]


# --- websockets -------------------------------------------------------------------------------


async def test_a_subscription_too_costly_is_refused(server, world):
    history = " ".join(f"h{i}: history(first: 100) {{ edges {{ node {{ kind }} }} }}" for i in range(5))
    query = (
        "subscription { inboxEvents { document { history(first: 100) { edges { node { document { "
        + history
        + " } } } } } } }"
    )
    client = await WsClient.connect(server.ws_url, world.tokens["da_head"])
    await client.subscribe(query)
    message = await client.receive()
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    [error] = errors
    extensions = error["extensions"]
    assert extensions["code"] == "QUERY_TOO_COSTLY" and extensions["nodes"] > extensions["maxNodes"]
    assert error["message"].startswith("La consulta es demasiado costosa")
    # and the connection goes on: an allowed subscription is accepted
    await client.subscribe("subscription { inboxEvents { sequence kind } }")
    await server.wait_live(1)
    await client.close()


async def test_a_statement_running_when_the_client_hangs_up_ends_too(
    server, world, services, backend, monkeypatch, caplog
):
    if backend == "sqlite":
        pytest.skip("SQLite runs a statement to its end in aiosqlite's thread")
    from sqlalchemy import text

    started = asyncio.Event()

    async def slow(ctx, include_inactive):
        started.set()
        await ctx.session.execute(text("SELECT pg_sleep(30)"))
        return []

    monkeypatch.setattr("schema.query.list_org_units", slow)
    body = json.dumps({"query": "{ orgUnits { acronym } }"}).encode()
    _, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(
        b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {world.tokens['admin']}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.sleep(0.2)  # the statement is on the server
    writer.close()
    await writer.wait_closed()
    pool = services.db.engine.pool
    for _ in range(100):  # the statement is stopped and its connection back in the pool
        await asyncio.sleep(0.05)
        async with services.db.engine.connect() as conn:
            sleeping = (
                await conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'"
                    )
                )
            ).scalar()
        if sleeping == 0 and pool.checkedout() == 0:
            break
    assert (sleeping, pool.checkedout()) == (0, 0)
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")], caplog.text
