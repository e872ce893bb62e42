"""registerDocument holds its unit's folio counter row from the number to COMMIT, and the event
log from its event to COMMIT: what it writes in that stretch, in how few statements, and that the
guarantees hold (gapless folios, a number given back on failure, the event sequence in commit
order). Figures in bench/REGISTRATIONS.md; no timing here."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, select, text

from models.attachments import Attachment
from models.documents import Document, DocumentUnit, FolioCounter
from models.events import EVENT_APPEND_LOCK, Event, EventAudience
from schema.ids import from_global_id
from tests.samples import pdf_with_text
from tests.helpers import REGISTER, doc_input, register
from tests.helpers import register_with

# what the web app asks back (its folio): no field that reads more
REGISTER_ONLY = """mutation($input: RegisterDocumentInput!) {
  registerDocument(input: $input) { document { id folio } warnings errors { code field message } }
}"""
ADVISORY_WAITERS = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"


@pytest.fixture
def postgresql_only(backend):
    if backend != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL; SQLite has one writer at a time")


def db_id(global_id: str) -> int:
    return int(from_global_id(global_id)[1])


async def rows(services, statement):
    async with services.db.session() as session:
        return (await session.execute(statement)).all()


async def test_what_a_registration_writes(api, world, services):
    result = await register_with(api, world, [("oficio.pdf", pdf_with_text("Oficio"), "application/pdf")])
    assert result["errors"] == []
    document_id, registrar = db_id(result["document"]["id"]), world.users["da_reg"].id
    unit = world.units["DA"]

    assert await rows(services, select(DocumentUnit.document_id, DocumentUnit.unit_id)) == [(document_id, unit.id)]
    assert await rows(
        services,
        select(
            Attachment.document_id,
            Attachment.response_id,
            Attachment.uploaded_by_id,
            Attachment.filename,
            Attachment.text_status,
        ),
    ) == [(document_id, None, registrar, "oficio.pdf", "PENDING")]
    [(event_id, kind, actor, event_document, data)] = await rows(
        services, select(Event.id, Event.kind, Event.actor_id, Event.document_id, Event.data)
    )
    assert (kind, actor, event_document) == ("DOCUMENT_REGISTERED", registrar, document_id)
    assert data == {"folio": "DA/2026/000001", "unitId": unit.id, "attachments": 1}
    audience = await rows(services, select(EventAudience.unit_id).where(EventAudience.event_id == event_id))
    assert sorted(u for (u,) in audience) == sorted(unit.lineage_ids)
    # what the folio gives the document, and the counter
    assert await rows(services, select(Document.folio, Document.number, Document.year)) == [("DA/2026/000001", 1, 2026)]
    assert await rows(services, select(FolioCounter.last_number)) == [(1,)]
    # the event is in the feed of the unit's people
    feed = await api.ok("{ events { edges { node { kind document { folio } } } } }", token=world.tokens["da_head"])
    assert [e["node"] for e in feed["events"]["edges"]] == [
        {"kind": "DOCUMENT_REGISTERED", "document": {"folio": "DA/2026/000001"}}
    ]


async def test_a_registration_that_fails_after_its_number_gives_it_back(api, world, services):
    def fail_once_written(conn, cursor, statement, parameters, context, executemany):
        if "event_audience" in statement:  # the last write: everything before COMMIT is done
            raise RuntimeError("the connection dropped before COMMIT")

    engine = services.db.engine.sync_engine
    event.listen(engine, "after_cursor_execute", fail_once_written)
    try:
        response = await api.post(REGISTER, {"input": doc_input(world)}, token=world.tokens["da_reg"])
    finally:
        event.remove(engine, "after_cursor_execute", fail_once_written)
    assert response.status_code == 200 and response.json()["errors"]
    for table in (Document, DocumentUnit, Event, EventAudience, Attachment):
        assert await rows(services, select(table)) == []
    assert (await register(api, world))["document"]["folio"] == "DA/2026/000001"


async def test_statements_while_the_folio_counter_is_held(api, world, services, backend):
    """From the number to COMMIT (PostgreSQL): ONE statement, the number, the document, its chain,
    the files, the event-log lock, the event and its audience; before it, one read."""
    await register(api, world, reference="PRIMERO/1")  # the catalogs and the counter exist
    statements: list[str] = []

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    def on_commit(conn):
        statements.append("COMMIT")

    engine = services.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    try:
        result = await register_with(
            api, world, [("oficio.pdf", pdf_with_text("Oficio"), "application/pdf")], reference="SEGUNDO/2"
        )
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)
    assert result["errors"] == []
    first = next(i for i, s in enumerate(statements) if "folio_counters" in s)
    held = statements[first : statements.index("COMMIT", first)]
    if backend == "postgresql":
        assert len(held) == 1, "\n---\n".join(s[:200] for s in held)
        assert all(
            t in held[0]
            for t in (
                "INSERT INTO documents",
                "document_units",
                "attachments",
                "pg_advisory_xact_lock",
                "event_audience",
            )
        ), held[0]
        # the caller's principal, then the registration's one read (unit, type, duplicates, id)
        assert len(statements[:first]) == 2, "\n---\n".join(s[:200] for s in statements[:first])
    # nothing is read under the lock: the unit, the catalog and the duplicate search came before it
    assert not [s for s in held if s.lstrip().upper().startswith("SELECT")], held


async def test_statements_of_a_registration(api, world, queries, backend):
    """The statements of one registerDocument request, BEGIN and COMMIT aside: on PostgreSQL the
    caller's principal, one read, one write (with an Idempotency-Key: its look-up first, and its row
    written by that one write)."""
    await register(api, world, reference="PRIMERO/1")
    counts = []
    for reference, key in (("SEGUNDO/2", None), ("TERCERO/3", "registro-3")):
        queries.reset()
        response = await api.client.post(
            "/graphql",
            json={"query": REGISTER_ONLY, "variables": {"input": doc_input(world, reference=reference)}},
            headers={"Authorization": f"Bearer {world.tokens['da_reg']}", **({"Idempotency-Key": key} if key else {})},
        )
        assert response.json()["data"]["registerDocument"]["errors"] == []
        counts.append(queries.count)
    plain, keyed = counts
    if backend == "postgresql":
        assert (plain, keyed) == (3, 4), queries.statements
    else:  # one statement each: principal, unit, type, duplicates, number, document, chain, event, audience
        assert (plain, keyed) == (9, 11), queries.statements


async def test_a_registration_takes_its_sequence_only_once_it_holds_the_event_log(
    api, world, services, postgresql_only
):
    """Another writer holds the event-log lock: the registration waits for it, and its event's
    sequence comes after the one that writer appends and commits meanwhile (commit order)."""
    holder = await services.db.engine.connect()
    try:
        await holder.begin()
        await holder.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENT_APPEND_LOCK})
        registration = asyncio.create_task(register(api, world))
        for _ in range(200):
            async with services.db.engine.connect() as conn:
                if (await conn.execute(text(ADVISORY_WAITERS))).scalar_one() >= 1:
                    break
            assert not registration.done(), "the registration did not wait for the event log"
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the registration never waited for the event-log lock")
        earlier = (
            await holder.execute(
                text("INSERT INTO events (kind, occurred_at) VALUES ('CATALOG_CHANGED', now()) RETURNING id")
            )
        ).scalar_one()
        await holder.commit()
        result = await asyncio.wait_for(registration, 30)
    finally:
        await holder.close()
    assert result["errors"] == []
    [(sequence,)] = await rows(services, select(Event.id).where(Event.document_id == db_id(result["document"]["id"])))
    assert sequence > earlier


async def test_a_registration_waits_for_its_users_row_before_the_event_log(api, world, services, postgresql_only):
    """What changePassword and logout(everywhere) do: hold the user's row FOR UPDATE, then append an
    event. A registration of that user meanwhile waits for the row before it takes the event log
    (its one read locks the row FOR KEY SHARE), so both finish. Were the row's key lock left to the
    foreign-key checks of the registration's one write, it could be taken with the event log held:
    a deadlock, whose victim gets an error after deadlock_timeout."""
    me = world.users["da_reg"].id
    holder = await services.db.engine.connect()
    try:
        await holder.begin()
        await holder.execute(text("SELECT id FROM users WHERE id = :me FOR UPDATE"), {"me": me})
        registration = asyncio.create_task(register(api, world))
        for _ in range(200):
            async with services.db.engine.connect() as conn:
                waiting = (
                    (
                        await conn.execute(
                            text(
                                "SELECT a.query FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE NOT l.granted"
                            )
                        )
                    )
                    .scalars()
                    .all()
                )
            if waiting:
                break
            assert not registration.done(), "the registration did not wait for its user's row"
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the registration never waited for its user's row")
        # it waits in its read, before its number and the event log
        assert [q.lstrip()[:6] for q in waiting] == ["SELECT"] and "folio_counters" not in waiting[0], waiting
        await holder.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENT_APPEND_LOCK})
        earlier = (
            await holder.execute(
                text("INSERT INTO events (kind, occurred_at) VALUES ('USER_CHANGED', now()) RETURNING id")
            )
        ).scalar_one()
        await holder.commit()
        result = await asyncio.wait_for(registration, 30)
    finally:
        await holder.close()
    assert result["errors"] == []
    [(sequence,)] = await rows(services, select(Event.id).where(Event.document_id == db_id(result["document"]["id"])))
    assert sequence > earlier


async def test_registrations_in_two_units_at_once_keep_folios_and_commit_order(api, world, services, postgresql_only):
    per_unit = 25
    jobs = [
        register(api, world, user=user, unit=unit, reference=f"{unit}/{i}")
        for i in range(per_unit)
        for unit, user in (("DA", "da_reg"), ("DJ", "dj_reg"))
    ]
    results = await asyncio.gather(*jobs)
    assert all(r["errors"] == [] for r in results)
    for unit in ("DA", "DJ"):
        registered = await rows(
            services,
            select(Document.number, Event.id)
            .join(Event, Event.document_id == Document.id)
            .where(Document.unit_id == world.units[unit].id)
            .order_by(Document.number),
        )
        assert [n for n, _ in registered] == list(range(1, per_unit + 1))
        sequences = [s for _, s in registered]
        # a unit's registrations commit in folio order (its counter row is held until COMMIT),
        # and each takes its sequence under the event-log lock, held until COMMIT too
        assert sequences == sorted(sequences) and len(set(sequences)) == per_unit
    audiences = await rows(services, select(EventAudience.event_id, EventAudience.unit_id))
    expected = {unit: set(world.units[unit].lineage_ids) for unit in ("DA", "DJ")}
    by_event: dict[int, set[int]] = {}
    for event_id, unit_id in audiences:
        by_event.setdefault(event_id, set()).add(unit_id)
    assert len(by_event) == 2 * per_unit
    assert all(units in expected.values() for units in by_event.values())
