"""Subscriptions through a real uvicorn server and a real graphql-transport-ws client."""

import asyncio
import dataclasses

import pytest

from tests.live import WsClient, start_server
from tests.workflow import Flow

INBOX = """subscription($after: String) { inboxEvents(afterSequence: $after) {
  sequence kind turno { number toUnit { acronym } } document { folio subject } } }"""
DOCUMENT = """subscription($id: ID!) { documentEvents(documentId: $id) { sequence kind } }"""


@pytest.fixture
async def server(services):
    # catch up often so the "lost wake-up" paths are exercised quickly; no deadline watcher
    services.settings = dataclasses.replace(services.settings, realtime_catchup_seconds=0.5, deadline_watch_seconds=0)
    services.hub.catchup_seconds = 0.5
    live = await start_server(services)
    yield live
    await live.stop()


async def test_connection_needs_a_valid_token(server, world):
    for payload in ({}, {"token": "not-a-jwt"}, {"authorization": "Bearer nope"}):
        client = await WsClient.connect(server.ws_url, payload=payload, ack=False)
        assert await client.closed_with() == 4403
    ok = await WsClient.connect(server.ws_url, payload={"authorization": f"Bearer {world.tokens['da_head']}"})
    await ok.close()


async def test_events_reach_who_may_see_them(server, api, world):
    flow = Flow(api, world)
    head = await WsClient.connect(server.ws_url, world.tokens["dg_head"])
    sender = await WsClient.connect(server.ws_url, world.tokens["srh_reg"])
    stranger = await WsClient.connect(server.ws_url, world.tokens["dj_staff"])
    viewer = await WsClient.connect(server.ws_url, world.tokens["da_viewer"])
    for client in (head, sender, stranger, viewer):
        await client.subscribe(INBOX)
    await server.wait_live(4)

    doc = await flow.register(user="srh_reg", unit="SRH", confidential=True, subject="Asunto reservado")
    sent = await flow.send("srh_reg", document=doc["id"], recipients=[{"unitId": "DRH", "instruction": "RESPONSE"}])
    turno = sent["turnos"][0]

    # the DG head (an ancestor) receives the registration and the turno to a subunit
    events = await head.take(2)
    assert [e["data"]["inboxEvents"]["kind"] for e in events] == ["DOCUMENT_REGISTERED", "TURNO_SENT"]
    assert events[1]["data"]["inboxEvents"]["turno"] == {"number": turno["number"], "toUnit": {"acronym": "DRH"}}
    assert events[1]["data"]["inboxEvents"]["document"]["subject"] == "Asunto reservado"  # a HEAD above sees it
    # a VIEWER two levels above sees the row but not the confidential subject: null with FORBIDDEN
    seen = await viewer.take(2)
    assert seen[1]["data"]["inboxEvents"]["document"] == {"folio": doc["folio"], "subject": None}
    assert [e["extensions"]["code"] for e in seen[1]["errors"]] == ["FORBIDDEN"]
    assert [(await sender.next())["data"]["inboxEvents"]["kind"] for _ in range(2)] == [
        "DOCUMENT_REGISTERED",
        "TURNO_SENT",
    ]

    # the answer reaches the sender
    answer = await flow.respond("drh_staff", turno["id"])
    assert answer["errors"] == []
    assert (await sender.next())["data"]["inboxEvents"]["kind"] == "TURNO_ANSWERED"
    assert (await head.next())["data"]["inboxEvents"]["kind"] == "TURNO_ANSWERED"
    # an unrelated unit's staff receives nothing at all
    await stranger.nothing_for(1.0)
    for client in (head, sender, stranger, viewer):
        await client.close()


async def test_resume_after_a_disconnect_loses_nothing(server, api, world):
    flow = Flow(api, world)
    doc = await flow.register(user="da_reg", unit="DA")
    client = await WsClient.connect(server.ws_url, world.tokens["da_head"])
    await client.subscribe(INBOX)
    await server.wait_live(1)
    await flow.send("da_reg", document=doc["id"], recipients=[{"unitId": "SRH", "instruction": "KNOWLEDGE"}])
    last_seen = (await client.next())["data"]["inboxEvents"]["sequence"]
    await client.close()

    # while disconnected: 50 events (25 registrations, 25 turnos)
    for i in range(25):
        d = await flow.register(user="da_reg", unit="DA", reference=f"R/{i}")
        await flow.send("da_reg", document=d["id"], recipients=[{"unitId": "SRH", "instruction": "RESPONSE"}])

    client = await WsClient.connect(server.ws_url, world.tokens["da_head"])
    await client.subscribe(INBOX, {"after": last_seen})
    replayed = [e["data"]["inboxEvents"] for e in await client.take(50)]
    sequences = [int(e["sequence"]) for e in replayed]
    assert sequences == sorted(sequences) and len(set(sequences)) == 50 and sequences[0] > int(last_seen)
    assert [e["kind"] for e in replayed[:2]] == ["DOCUMENT_REGISTERED", "TURNO_SENT"]
    # then live, with no gap and no duplicate
    await server.wait_live(1)
    await flow.register(user="da_reg", unit="DA", reference="después")
    live = (await client.next())["data"]["inboxEvents"]
    assert live["kind"] == "DOCUMENT_REGISTERED" and int(live["sequence"]) > sequences[-1]
    await client.nothing_for(0.7)
    await client.close()


async def test_too_old_a_cursor_is_refused_with_an_actionable_error(server, api, world, services):
    services.settings = dataclasses.replace(services.settings, realtime_max_backlog=3)
    flow = Flow(api, world)
    for i in range(5):
        await flow.register(user="da_reg", unit="DA", reference=f"B/{i}")
    client = await WsClient.connect(server.ws_url, world.tokens["da_head"])
    await client.subscribe(INBOX, {"after": "0"})
    message = await client.receive()
    assert message["type"] in ("error", "next")
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "BACKLOG_TOO_LARGE"
    await client.close()


async def test_document_events(server, api, world):
    flow = Flow(api, world)
    doc = await flow.register(user="da_reg", unit="DA")
    other = await flow.register(user="da_reg", unit="DA", reference="otro")
    client = await WsClient.connect(server.ws_url, world.tokens["da_staff"])
    await client.subscribe(DOCUMENT, {"id": doc["id"]})
    await server.wait_live(1)
    await flow.send("da_reg", document=other["id"], recipients=[{"unitId": "DJ", "instruction": "KNOWLEDGE"}])
    await flow.send("da_reg", document=doc["id"], recipients=[{"unitId": "DJ", "instruction": "KNOWLEDGE"}])
    assert (await client.next())["data"]["documentEvents"]["kind"] == "TURNO_SENT"
    await client.nothing_for(0.5)
    # a document you may not see: NOT_FOUND
    stranger = await WsClient.connect(server.ws_url, world.tokens["drh_staff"])
    await stranger.subscribe(DOCUMENT, {"id": doc["id"]})
    message = await stranger.receive()
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    await client.close()
    await stranger.close()


async def test_deactivated_user_loses_the_subscription(server, api, world):
    client = await WsClient.connect(server.ws_url, world.tokens["da_staff"])
    await client.subscribe(INBOX)
    await server.wait_live(1)
    done = await api.ok(
        "mutation($id: ID!) { updateUser(input: {id: $id, active: false}) { errors { code } } }",
        {"id": world.user_id("da_staff")},
        token=world.tokens["admin"],
    )
    assert done["updateUser"]["errors"] == []
    assert await client.closed_with(timeout=5) == 4403


async def test_expired_token_loses_the_subscription_quietly(server, world, clock, caplog):
    client = await WsClient.connect(server.ws_url, world.tokens["da_staff"])
    await client.subscribe(INBOX)
    await server.wait_live(1)
    clock.advance(hours=13)  # tokens last 12 hours
    assert await client.closed_with(timeout=5) == 4403
    await asyncio.sleep(0.3)  # what the server does after closing
    # an expected end of a session: no ERROR, no traceback
    assert [r.getMessage() for r in caplog.records if r.levelno >= 40 or r.exc_info] == []


async def test_slow_subscriber_does_not_hold_up_others(server, api, world):
    flow = Flow(api, world)
    slow = await WsClient.connect(server.ws_url, world.tokens["da_head"])
    fast = await WsClient.connect(server.ws_url, world.tokens["da_reg"])
    await slow.subscribe(INBOX)
    await fast.subscribe(INBOX)
    await server.wait_live(2)
    for i in range(30):  # the slow one reads nothing meanwhile
        await flow.register(user="da_reg", unit="DA", reference=f"S/{i}")
    assert len(await fast.take(30)) == 30
    caught_up = await slow.take(30)  # and catches up afterwards, in order
    sequences = [int(e["data"]["inboxEvents"]["sequence"]) for e in caught_up]
    assert sequences == sorted(sequences) and len(set(sequences)) == 30
    await slow.close()
    await fast.close()


async def test_connections_per_user_are_limited(server, world, services):
    services.settings = dataclasses.replace(services.settings, max_connections_per_user=2)
    first = await WsClient.connect(server.ws_url, world.tokens["dj_head"])
    second = await WsClient.connect(server.ws_url, world.tokens["dj_head"])
    third = await WsClient.connect(server.ws_url, world.tokens["dj_head"], ack=False)
    assert await third.closed_with() == 4403
    await first.close()
    await asyncio.sleep(0.2)
    fourth = await WsClient.connect(server.ws_url, world.tokens["dj_head"])  # a freed place can be taken
    await second.close()
    await fourth.close()
