"""Several server instances share the feed through Redis (PostgreSQL + Redis only).

Each instance has its own engine, Redis bus and hub, behind its own uvicorn; the test starts
its own redis-server on a free port so it can stop and restart it.
"""

import asyncio

from tests.live import WsClient

INBOX = "subscription($after: String) { inboxEvents(afterSequence: $after) { sequence kind } }"


async def register_on(server, world, token_user, reference):
    import httpx

    from tests.helpers import REGISTER, doc_input

    async with httpx.AsyncClient() as http:
        response = await http.post(
            server.http_url,
            json={"query": REGISTER, "variables": {"input": doc_input(world, unit="DA", reference=reference)}},
            headers={"Authorization": f"Bearer {world.tokens[token_user]}"},
        )
    payload = response.json()["data"]["registerDocument"]
    assert payload["errors"] == [], payload
    return payload["document"]


async def test_a_subscriber_on_b_receives_what_is_done_on_a(two_instances, world):
    server_a, server_b = two_instances
    client = await WsClient.connect(server_b.ws_url, world.tokens["da_head"])
    await client.subscribe(INBOX)
    await server_b.wait_live(1)
    await register_on(server_a, world, "da_reg", "A/1")
    event = (await client.next(timeout=2))["data"]["inboxEvents"]
    assert event["kind"] == "DOCUMENT_REGISTERED"
    await client.close()


async def test_a_redis_restart_loses_nothing_and_duplicates_nothing(two_instances, redis_server, world):
    server_a, server_b = two_instances
    client = await WsClient.connect(server_b.ws_url, world.tokens["da_head"])
    await client.subscribe(INBOX)
    await server_b.wait_live(1)
    await register_on(server_a, world, "da_reg", "antes")
    assert (await client.next())["data"]["inboxEvents"]["kind"] == "DOCUMENT_REGISTERED"

    redis_server.stop()  # during the outage, A's wake-ups are lost
    for i in range(5):
        await register_on(server_a, world, "da_reg", f"durante/{i}")
    redis_server.start()
    await redis_server.wait_up()
    await asyncio.wait_for(server_a.services.hub.bus.connected.wait(), 10)
    await asyncio.wait_for(server_b.services.hub.bus.connected.wait(), 10)
    for i in range(5):
        await register_on(server_a, world, "da_reg", f"después/{i}")

    received = [(await client.next(timeout=10))["data"]["inboxEvents"] for _ in range(10)]
    sequences = [int(e["sequence"]) for e in received]
    assert sequences == sorted(sequences) and len(set(sequences)) == 10
    await client.nothing_for(1.5)  # and nothing twice
    await client.close()
