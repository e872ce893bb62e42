"""The hub's fan-out, below the websocket: who receives what, and bounded buffers.

The hub decides visibility in Python over what it read once (realtime/batch.py); the stream's
fallback reads decide it in SQL. These tests hold the two together, and check that a subscriber
that stops reading costs at most its buffer and still receives everything, in order.
"""

import asyncio
from datetime import timedelta
import dataclasses

import pytest
from sqlalchemy import select

from models.documents import Document
from models.events import Event, EventKind, append_event
from models.permissions import sees_document, visible_documents
from realtime.batch import load_batch
from resolvers.streams import _candidates, event_stream
from models.principals import load_principal
from resolvers.context import Context
from tests.workflow import Flow
from tests.world import USERS


def socket_context(services, principal) -> Context:
    """A websocket's context as on_ws_connect leaves it: the caller and their token's claims
    (every operation on a socket is authorized with them)."""
    ctx = Context(services=services, session=None, principal=principal, request_id="test")
    ctx.token_version, ctx.token_expires_at = 0, services.clock.now() + timedelta(hours=1)
    return ctx


async def _principals(services, world):
    async with services.db.session() as session:
        return {name: await load_principal(session, world.users[name].id) for name in USERS}


async def _second_head_of_da(services, world):
    """Another person with exactly da_head's memberships (a substitute head)."""
    from models.users import Membership, Role, User

    async with services.db.transaction() as session:
        user = User(
            username="suplente_da",
            password_hash=world.users["da_head"].password_hash,
            full_name="Suplente",
            active=True,
            token_version=0,
            created_at=services.clock.now(),
            memberships=[Membership(unit_id=world.units["DA"].id, role=Role.HEAD.value)],
        )
        session.add(user)
        await session.flush()
        user_id = user.id
    async with services.db.session() as session:
        return await load_principal(session, user_id)


async def _varied_history(api, world, services):
    """Registrations in several units (some confidential), turnos down and across, an answer,
    an acceptance, a cancellation, a conclusion, and an administration event."""
    flow = Flow(api, world)
    a = await flow.register(user="da_reg", unit="DA", confidential=True, subject="Reservado")
    b = await flow.register(user="dj_reg", unit="DJ")
    c = await flow.register(user="srh_reg", unit="SRH")
    to_srh = (await flow.send("da_head", document=a["id"], recipients=[{"unitId": "SRH", "instruction": "RESPONSE"}]))[
        "turnos"
    ][0]
    down = (
        await flow.send("srh_head", parent=to_srh["id"], recipients=[{"unitId": "DRH", "instruction": "RESPONSE"}])
    )["turnos"][0]
    await flow.ack("drh_staff", down["id"])
    await flow.respond("drh_staff", down["id"])
    across = (
        await flow.send(
            "dj_reg",
            document=b["id"],
            recipients=[{"unitId": "DA", "instruction": "KNOWLEDGE"}, {"unitId": "SRH", "instruction": "RESPONSE"}],
        )
    )["turnos"]
    await flow.cancel("dj_head", across[1]["id"])
    await flow.conclude("srh_reg", c["id"])
    async with services.db.transaction() as session:
        await append_event(
            session,
            kind=EventKind.USER_CHANGED,
            occurred_at=services.clock.now(),
            actor_id=world.users["admin"].id,
            audience=[world.units["INST"].id],
        )


async def test_python_visibility_matches_the_sql_predicates(api, world, services):
    await _varied_history(api, world, services)
    principals = await _principals(services, world)
    async with services.db.session() as session:
        batch = await load_batch(session, after=0, limit=1000)
        document_ids = [d for (d,) in (await session.execute(select(Document.id))).all()]
        checked = 0
        for name, principal in principals.items():
            # the inbox
            in_sql = set((await session.execute(select(Event.id).where(*_candidates(principal, None)))).scalars())
            in_python = {e.id for e in batch.events if batch.in_inbox(principal, e)}
            assert in_python == in_sql, name
            # one document's events
            for document_id in document_ids:
                in_sql = set(
                    (await session.execute(select(Event.id).where(*_candidates(principal, document_id)))).scalars()
                )
                in_python = {e.id for e in batch.events if e.document_id == document_id and batch.visible(principal, e)}
                assert in_python == in_sql, (name, document_id)
            # the document each event carries (what the delivery's loader is seeded with)
            visible = set((await session.execute(select(Document.id).where(visible_documents(principal)))).scalars())
            assert {d for d in document_ids if sees_document(principal, batch.chains.get(d, []))} == visible, name
            checked += len(in_sql)
    kinds = {e.kind for e in batch.events}
    assert {"TURNO_SENT", "TURNO_ANSWERED", "TURNO_CANCELLED", "DOCUMENT_CONCLUDED", "USER_CHANGED"} <= kinds
    assert checked > 0
    # not everyone sees everything, and only ADMIN sees the administration event
    assert not all(batch.in_inbox(principals["dj_staff"], e) for e in batch.events)
    user_changed = next(e for e in batch.events if e.kind == "USER_CHANGED")
    assert [n for n, p in principals.items() if batch.in_inbox(p, user_changed)] == ["admin"]


async def _next(stream, timeout=10):
    event, _shared, _delivery_ctx = await asyncio.wait_for(stream.__anext__(), timeout)
    return event


async def test_with_no_subscriber_the_hub_reads_no_events_and_a_later_one_misses_nothing(api, world, services, queries):
    """An instance nobody subscribes to (a registration desk's) does not read each wake-up's
    events; a subscription that arrives later replays them from its own cursor."""
    services.settings = dataclasses.replace(services.settings, realtime_catchup_seconds=0)
    hub = services.hub
    await hub.start()
    flow = Flow(api, world)
    before = hub.cursor
    queries.reset()
    await flow.register(user="da_reg", unit="DA", reference="R/sin-suscriptores")
    for _ in range(100):
        if hub.cursor >= hub.last_sequence > before:
            break
        await asyncio.sleep(0.01)
    assert hub.cursor == hub.last_sequence > before
    event_reads = [q for q in queries.statements if q.lstrip().upper().startswith("SELECT") and "FROM events" in q]
    assert event_reads == []

    principal = (await _principals(services, world))["da_head"]
    stream = event_stream(socket_context(services, principal), after_sequence=before)
    replayed = await _next(stream)
    assert replayed.kind == "DOCUMENT_REGISTERED" and replayed.id > before
    live = asyncio.ensure_future(_next(stream))
    await flow.register(user="da_reg", unit="DA", reference="R/con-suscriptor")
    assert (await live).id > replayed.id
    await stream.aclose()


async def test_a_subscriber_that_stops_reading_costs_a_bounded_buffer_and_loses_nothing(api, world, services):
    services.settings = dataclasses.replace(services.settings, realtime_catchup_seconds=0)
    hub = services.hub
    hub.buffer_size = 3
    await hub.start()
    flow = Flow(api, world)
    principal = (await _principals(services, world))["da_head"]
    ctx = socket_context(services, principal)
    stream = event_stream(ctx, after_sequence=None)
    first = asyncio.ensure_future(_next(stream))
    for _ in range(100):  # the subscription registers and goes live
        await asyncio.sleep(0.02)
        if any(s.live.is_set() for s in hub.subscriptions):
            break
    subscription = next(iter(hub.subscriptions))
    await flow.register(user="da_reg", unit="DA", reference="R/0")
    assert (await first).kind == "DOCUMENT_REGISTERED"

    # ten events while the subscriber reads nothing: the queue never holds more than 3
    peak = 0
    for i in range(1, 11):
        await flow.register(user="da_reg", unit="DA", reference=f"R/{i}")
        for _ in range(100):
            if hub.cursor >= hub.last_sequence:
                break
            await asyncio.sleep(0.01)
        peak = max(peak, len(subscription.queue))
    assert peak <= 3
    assert subscription.fallback  # it overflowed: it will read from its cursor
    assert hub.stats["overflows"] >= 1

    received = [await _next(stream) for _ in range(10)]
    references = []
    async with services.db.session() as session:
        for event in received:
            references.append((await session.get(Document, event.document_id)).reference)
    assert references == [f"R/{i}" for i in range(1, 11)]
    sequences = [e.id for e in received]
    assert sequences == sorted(sequences) and len(set(sequences)) == 10

    # and live again afterwards, through the queue
    await flow.register(user="da_reg", unit="DA", reference="R/11")
    assert (await _next(stream)).id > sequences[-1]
    assert not subscription.fallback
    await stream.aclose()
    assert hub.subscription_count == 0


@pytest.mark.parametrize("role_user", ["da_head", "admin"])
async def test_a_delivered_event_needs_no_query_for_its_usual_fields(api, world, services, queries, role_user):
    """The hub seeds the delivery's loaders: document, turno, actor and units cost nothing."""
    from schema.build import build_schema

    hub = services.hub
    await hub.start()
    flow = Flow(api, world)
    principal = (await _principals(services, world))[role_user]
    ctx = socket_context(services, principal)
    schema = build_schema(services.settings)
    results = await schema.subscribe(
        """subscription { inboxEvents { sequence kind actor { username }
             document { folio subject unit { acronym } }
             turno { number fromUnit { acronym } toUnit { acronym } } } }""",
        context_value=ctx,
    )
    first = asyncio.ensure_future(results.__anext__())
    for _ in range(100):
        await asyncio.sleep(0.02)
        if any(s.live.is_set() for s in hub.subscriptions):
            break
    doc = await flow.register(user="da_reg", unit="DA")
    registered = await asyncio.wait_for(first, 10)
    assert registered.errors is None, registered.errors
    assert registered.data["inboxEvents"]["document"]["unit"] == {"acronym": "DA"}
    # the next event waits in the subscription's queue until the client asks for it
    await flow.send("da_head", document=doc["id"], recipients=[{"unitId": "SRH", "instruction": "KNOWLEDGE"}])
    for _ in range(200):
        await asyncio.sleep(0.01)
        if any(s.queue for s in hub.subscriptions):
            break
    second = results.__anext__()
    queries.reset()
    sent = await asyncio.wait_for(second, 10)
    statements = list(queries.statements)
    assert sent.errors is None, sent.errors
    assert sent.data["inboxEvents"]["turno"] == {
        "number": sent.data["inboxEvents"]["turno"]["number"],
        "fromUnit": {"acronym": "DA"},
        "toUnit": {"acronym": "SRH"},
    }
    assert sent.data["inboxEvents"]["actor"] == {"username": "da_head"}
    assert statements == []
    await results.aclose()


async def _subscribe_all(services, schema, query, principals):
    streams = []
    for principal in principals:
        ctx = socket_context(services, principal)
        streams.append(await schema.subscribe(query, context_value=ctx))
    return streams


@pytest.mark.parametrize(
    "selection, shared",
    [
        ("document { turnos { number } }", True),
        ("document { attachments { url } }", False),
        ("document { acuseUrl attachments { id } }", False),
        ("document { turnos { number volanteUrl } }", False),
        # not a link: one's own memberships are all shown, another's only within one's scope
        ("actor { memberships(includeInactive: true) { role } } document { turnos { number } }", False),
        # a fragment is looked into too
        ("...Links document { turnos { number } } } } fragment Links on Event { document { acuseUrl", False),
    ],
)
async def test_alike_subscribers_share_one_rendering(api, world, services, queries, selection, shared):
    """Same operation, same memberships: one execution for the group; a per-user field (a
    signed url) or other memberships: their own."""
    from schema.build import build_schema

    hub = services.hub
    await hub.start()
    principals = await _principals(services, world)
    schema = build_schema(services.settings)
    query = f"subscription {{ inboxEvents {{ sequence {selection} }} }}"
    # two heads of DA (alike: the same memberships, other users) and its REGISTRAR (other memberships)
    twin = await _second_head_of_da(services, world)
    streams = await _subscribe_all(services, schema, query, [principals["da_head"], twin, principals["da_reg"]])
    flow = Flow(api, world)
    pending = [asyncio.ensure_future(s.__anext__()) for s in streams]
    for _ in range(100):
        await asyncio.sleep(0.02)
        if sum(s.live.is_set() for s in hub.subscriptions) == 3:
            break
    doc = await flow.register(user="da_reg", unit="DA")
    await asyncio.wait_for(asyncio.gather(*pending), 10)
    # the next event waits in the three queues; then the three clients ask for it together
    await flow.send("da_head", document=doc["id"], recipients=[{"unitId": "SRH", "instruction": "KNOWLEDGE"}])
    for _ in range(200):
        await asyncio.sleep(0.01)
        if all(s.queue for s in hub.subscriptions):
            break
    queries.reset()
    results = await asyncio.wait_for(asyncio.gather(*[s.__anext__() for s in streams]), 10)
    statements = [q for q in queries.statements if "turnos" in q or "attachments" in q]
    assert all(r.errors is None for r in results), [r.errors for r in results]
    if shared:  # (otherwise the links differ: each is signed for its subscriber)
        assert results[0].data == results[1].data == results[2].data
    # one query for the two heads and one for the registrar when shared; three when not
    assert len(statements) == (2 if shared else 3), statements
    for s in streams:
        await s.aclose()


async def test_a_wake_up_of_unknown_sequence_makes_the_hub_read_at_once(world, services):
    """After a Redis reconnection the bus says "unknown": the hub reads what was written
    meanwhile at once, not at its next periodic catch-up."""
    from realtime.bus import WakeUp

    hub = services.hub
    hub.catchup_seconds = 0  # no periodic catch-up in this test
    await hub.start()
    services.db.after_commit = None  # written without a wake-up, as during a Redis outage
    async with services.db.transaction() as session:
        event = await append_event(
            session,
            kind=EventKind.USER_CHANGED,
            occurred_at=services.clock.now(),
            actor_id=world.users["admin"].id,
            audience=[world.units["INST"].id],
        )
    await asyncio.sleep(0.2)
    assert hub.cursor < event.id
    await hub.on_wakeup(WakeUp(sequence=None))
    for _ in range(200):
        if hub.cursor >= event.id:
            break
        await asyncio.sleep(0.01)
    assert hub.cursor == event.id
