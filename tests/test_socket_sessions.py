"""A websocket is authenticated once, then lives for hours: every operation on it is authorized
with the session's current state. After a deactivation, a password change, a logout, an expiry
or a removed membership, the next operation on any instance's socket is refused (and the
socket closed with 4403), or runs with the new, smaller access."""

import dataclasses

import pytest

from mcs.app import build_services
from tests.live import WsClient, start_server
from tests.workflow import Flow

ME = "{ me { username } }"
DOCS = "{ documents { totalCount } }"
ACK = "mutation($id: ID!) { acknowledgeTurno(input: {turnoId: $id}) { turno { status } errors { code } } }"
UPDATE_USER = "mutation($input: UpdateUserInput!) { updateUser(input: $input) { errors { code } } }"


@pytest.fixture
async def instances(services):
    """Two servers on the same database: the change is made through one, the socket is on the other."""
    services.settings = dataclasses.replace(services.settings, deadline_watch_seconds=0)
    other = build_services(services.settings, clock=services.clock)
    first, second = await start_server(services), await start_server(other)
    yield first, second
    await first.stop()
    await second.stop()
    await other.hub.close()
    await other.db.dispose()


async def run(client: WsClient, query: str, variables: dict | None = None) -> dict:
    """A query or mutation over the socket: its single result (data and errors), or the error message."""
    op = await client.subscribe(query, variables)
    message = await client.receive()
    assert message.get("id") == op, message
    if message["type"] == "error":
        return {"data": None, "errors": message["payload"]}
    assert message["type"] == "next", message
    assert await client.receive() == {"id": op, "type": "complete"}
    return message["payload"]


async def refused_and_closed(client: WsClient, query: str = ME) -> None:
    op = await client.subscribe(query)
    first = await client.receive()
    assert first["id"] == op and first["type"] in ("error", "next"), first
    errors = first["payload"] if first["type"] == "error" else first["payload"].get("errors")
    assert errors and errors[0]["extensions"]["code"] == "UNAUTHENTICATED", first
    assert await client.closed_with() == 4403


async def change_over_http(api, world, how: str, user: str):
    if how == "deactivated":
        done = await api.ok(
            UPDATE_USER, {"input": {"id": world.user_id(user), "active": False}}, token=world.tokens["admin"]
        )
        assert done["updateUser"]["errors"] == []
    elif how == "password changed by an admin":
        done = await api.ok(
            UPDATE_USER,
            {"input": {"id": world.user_id(user), "password": "una-clave-nueva-larga"}},
            token=world.tokens["admin"],
        )
        assert done["updateUser"]["errors"] == []


@pytest.mark.parametrize("how", ["deactivated", "password changed by an admin"])
async def test_the_next_operation_after_a_change_is_refused_on_another_instance(instances, api, world, how):
    _, second = instances
    client = await WsClient.connect(second.ws_url, world.tokens["da_staff"])
    assert (await run(client, ME))["data"] == {"me": {"username": "da_staff"}}
    await change_over_http(api, world, how, "da_staff")
    await refused_and_closed(client)


async def test_a_logged_out_token_is_refused_on_its_socket_but_not_another_token(instances, api, world):
    _, second = instances
    token, other_token = world.tokens["da_staff"], world.tokens["da_staff"]
    client = await WsClient.connect(second.ws_url, token)
    other = await WsClient.connect(second.ws_url, other_token)
    assert (await api.ok("mutation { logout { errors { code } } }", token=token))["logout"]["errors"] == []
    await refused_and_closed(client)
    assert (await run(other, ME))["data"] == {"me": {"username": "da_staff"}}
    await other.close()


async def test_an_expired_token_is_refused_without_any_subscription(instances, world, clock):
    first, _ = instances
    client = await WsClient.connect(first.ws_url, world.tokens["da_staff"])
    assert (await run(client, DOCS))["data"] is not None
    clock.advance(hours=13)  # tokens last 12 hours
    await refused_and_closed(client, DOCS)


async def test_a_removed_member_cannot_act_on_the_unit_they_left(instances, api, world):
    """The case found: a person removed from DA acknowledged DA's turno over an open socket."""
    _, second = instances
    flow = Flow(api, world)
    doc = await flow.register(user="dg_reg", unit="DG")
    turno = (await flow.send("dg_reg", document=doc["id"], recipients=[{"unitId": "DA", "instruction": "RESPONSE"}]))[
        "turnos"
    ][0]
    client = await WsClient.connect(second.ws_url, world.tokens["da_staff"])
    assert (await run(client, DOCS))["data"]["documents"]["totalCount"] == 1
    moved = await api.ok(
        UPDATE_USER,
        {"input": {"id": world.user_id("da_staff"), "memberships": [{"unitId": world.unit_id("DJ"), "role": "STAFF"}]}},
        token=world.tokens["admin"],
    )
    assert moved["updateUser"]["errors"] == []
    # the socket stays (the person is still signed in), with DJ's access instead of DA's
    acknowledged = (await run(client, ACK, {"id": turno["id"]}))["data"]["acknowledgeTurno"]
    assert acknowledged["turno"] is None and [e["code"] for e in acknowledged["errors"]] == ["NOT_FOUND"]
    assert (await run(client, DOCS))["data"]["documents"]["totalCount"] == 0
    assert (await flow.turno("admin", turno["id"]))["status"] == "SENT"
    await client.close()


async def test_a_subscription_started_after_the_change_is_refused(instances, api, world):
    _, second = instances
    client = await WsClient.connect(second.ws_url, world.tokens["da_staff"])
    await change_over_http(api, world, "deactivated", "da_staff")
    await refused_and_closed(client, "subscription { inboxEvents { sequence } }")
