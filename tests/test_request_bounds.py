"""Requests are bounded before they cost anything: a body larger than a GraphQL request needs
is refused (413) before it is read, and a client that holds a connection without finishing its
request (slow headers, a stalled body) is cut off; a long-lived websocket is not."""

import asyncio
import dataclasses
import json

import pytest

from tests.live import WsClient, start_server


@pytest.fixture
def small_limits(services):
    services.settings = dataclasses.replace(
        services.settings, max_json_bytes=2000, header_timeout_seconds=0.5, body_timeout_seconds=0.5
    )
    return services.settings


async def test_a_body_past_the_limit_is_refused_before_it_is_read(api, small_limits):
    query = json.dumps({"query": "{ __typename }", "variables": {"padding": "x" * 5000}})
    response = await api.client.post("/graphql", content=query, headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["errors"][0]["extensions"]["code"] == "TOO_LARGE"

    async def chunks():  # no Content-Length: counted as it comes
        for _ in range(10):
            yield b" " * 500

    response = await api.client.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413

    small = await api.client.post("/graphql", json={"query": "{ __typename }"})
    assert small.status_code == 200 and small.json() == {"data": {"__typename": "Query"}}


async def test_a_content_length_that_is_not_a_number_is_a_bad_request(api):
    response = await api.client.post(
        "/graphql", content=b"{}", headers={"content-type": "application/json", "content-length": "dos"}
    )
    assert response.status_code == 400


@pytest.fixture
async def server(services, small_limits):
    live = await start_server(services)
    yield live
    await live.stop()


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    """True when the server closes the connection (EOF) within `seconds`, answering nothing."""
    try:
        data = await asyncio.wait_for(reader.read(), seconds)
    except asyncio.TimeoutError:
        return False
    return data == b""


async def test_slow_headers_are_cut_off(server):
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"POST /graphql HTTP/1.1\r\nHost: localhost\r\n")  # ... and never the rest
    await writer.drain()
    assert await closed_within(reader, 5)
    writer.close()

    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)  # says nothing at all
    assert await closed_within(reader, 5)
    writer.close()


async def test_a_stalled_body_is_cut_off_and_a_slow_one_is_not(server):
    body = json.dumps({"query": "{ __typename }"}).encode()
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(head + body[:5])  # then stops
    await writer.drain()
    assert await closed_within(reader, 5)
    writer.close()

    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(head)
    for i in range(0, len(body), 8):  # slower than the whole limit, but never stalled that long
        writer.write(body[i : i + 8])
        await writer.drain()
        await asyncio.sleep(0.2)
    answer = await asyncio.wait_for(reader.read(4096), 5)
    assert answer.startswith(b"HTTP/1.1 200") and b'"__typename":"Query"' in answer
    writer.close()


async def test_a_websocket_outlives_the_request_limits(server, world):
    client = await WsClient.connect(server.ws_url, world.tokens["da_staff"])
    await asyncio.sleep(1.5)  # three times the header and body limits
    op = await client.subscribe("{ me { username } }")
    assert (await client.receive())["payload"]["data"] == {"me": {"username": "da_staff"}}
    assert (await client.receive()) == {"id": op, "type": "complete"}
    await client.close()
