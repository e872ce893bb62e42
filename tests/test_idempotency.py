"""Idempotency-Key: a mutation retried with the same key returns what its first try created.

The decisive case is real: a proxy between the app and PostgreSQL delivers COMMIT and cuts the
connection before its answer comes back, so the client hears an error although the document
exists; the retry with the same key answers with that document and its file downloads."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import func, select

from mcs.app import build_services, create_app
from mcs.jobs import forget_idempotency_keys
from models.attachments import Attachment
from models.documents import Document
from models.idempotency import IdempotencyKey
from tests.faults import CommitAnswerLost
from tests.samples import pdf_with_text
from tests.helpers import REGISTER, doc_input
from tests.helpers import REGISTER_WITH_FILES
from tests.workflow import SEND

LETTER = pdf_with_text("Oficio recibido con reintento", "la respuesta al COMMIT se perdió")


async def register_keyed(api, world, key: str | bytes | None, user="da_reg", **fields):
    headers = {"Authorization": f"Bearer {world.tokens[user]}", **({"Idempotency-Key": key} if key else {})}
    response = await api.client.post(
        "/graphql", json={"query": REGISTER, "variables": {"input": doc_input(world, **fields)}}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]["registerDocument"]


async def count(services, model) -> int:
    async with services.db.session() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_a_retry_with_the_same_key_returns_the_first_document(api, world, services):
    first = await register_keyed(api, world, "alta-0001")
    again = await register_keyed(api, world, "alta-0001")
    assert first["errors"] == [] and again["errors"] == []
    assert again["document"]["id"] == first["document"]["id"]
    assert again["document"]["folio"] == first["document"]["folio"]
    assert await count(services, Document) == 1
    # another key, or none, is another registration
    other = await register_keyed(api, world, "alta-0002")
    plain = await register_keyed(api, world, None)
    assert len({first["document"]["folio"], other["document"]["folio"], plain["document"]["folio"]}) == 3


async def test_the_same_key_for_other_data_is_refused_and_keys_are_per_user(api, world, services):
    await register_keyed(api, world, "k-1", subject="Primer asunto")
    changed = await register_keyed(api, world, "k-1", subject="Otro asunto")
    assert changed["document"] is None
    assert [(e["code"], e["field"]) for e in changed["errors"]] == [("CONFLICT", "Idempotency-Key")]
    assert "clave nueva" in changed["errors"][0]["message"]
    # another person's identical key is theirs (the DA head registers in DA too)
    theirs = await register_keyed(api, world, "k-1", user="da_head", subject="Primer asunto")
    assert theirs["errors"] == [] and await count(services, Document) == 2


async def test_a_malformed_key_is_a_validation_error(api, world, services):
    for key in ["x" * 201, "clave con ñ".encode()]:
        result = await register_keyed(api, world, key)
        assert [(e["code"], e["field"]) for e in result["errors"]] == [("VALIDATION", "Idempotency-Key")], key
    assert await count(services, Document) == 0


async def test_send_turno_retried_returns_the_same_turnos(api, world):
    document = (await register_keyed(api, world, None, user="dg_reg", unit="DG"))["document"]
    variables = {
        "input": {
            "documentId": document["id"],
            "recipients": [
                {"unitId": world.unit_id("DA"), "instruction": "ATTENTION"},
                {"unitId": world.unit_id("DJ"), "instruction": "KNOWLEDGE"},
            ],
        }
    }
    headers = {"Authorization": f"Bearer {world.tokens['dg_head']}", "Idempotency-Key": "turnar-1"}
    answers = []
    for _ in range(2):
        response = await api.client.post("/graphql", json={"query": SEND, "variables": variables}, headers=headers)
        answers.append(response.json()["data"]["sendTurno"])
    assert answers[0]["errors"] == [] and len(answers[0]["turnos"]) == 2
    assert [t["id"] for t in answers[1]["turnos"]] == [t["id"] for t in answers[0]["turnos"]]


async def test_concurrent_tries_with_one_key_create_one_document(api, world, services):
    results = await asyncio.gather(*[register_keyed(api, world, "a-la-vez") for _ in range(4)])
    assert {r["document"]["id"] for r in results} == {results[0]["document"]["id"]}
    assert all(r["errors"] == [] for r in results)
    assert await count(services, Document) == 1


async def test_keys_are_forgotten_after_their_hours(api, world, services, clock):
    await register_keyed(api, world, "viejo")
    clock.advance(hours=services.settings.idempotency_key_hours - 1)
    assert await forget_idempotency_keys(services) == 0
    clock.advance(hours=2)
    assert await forget_idempotency_keys(services) == 1
    again = await register_keyed(api, world, "viejo")  # a new registration now
    assert again["errors"] == [] and await count(services, Document) == 2


async def test_a_lost_commit_answer_then_the_retry_gets_the_document_and_its_file(database_url, tmp_path, world):
    """The fault itself: COMMIT reaches PostgreSQL, its answer never reaches the app."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the proxy stands between the app and PostgreSQL")
    host_port = database_url.split("@", 1)[1].split("/", 1)[0]
    host, port = host_port.rsplit(":", 1)
    proxy = await CommitAnswerLost(host, int(port)).start()
    proxied_url = database_url.replace(host_port, f"127.0.0.1:{proxy.port}")
    from tests.conftest import REDIS_URL, REDIS_CHANNEL
    from core.settings import Settings
    from models.clock import FrozenClock
    from datetime import datetime, timezone
    import httpx

    settings = Settings.from_env(
        database_url=proxied_url,
        redis_url=REDIS_URL,
        redis_channel=REDIS_CHANNEL,
        files_dir=tmp_path / "files",
        deadline_watch_seconds=0,
        text_extraction_seconds=0,
        secret_key="test-secret-key-with-enough-length-for-hs256",
        debug=False,
    )
    services = build_services(settings, clock=FrozenClock(datetime(2026, 3, 2, 16, 0, tzinfo=timezone.utc)))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(services=services)), base_url="http://testserver"
        ) as client:
            token = world.tokens["da_reg"]
            variables = {"input": {**doc_input(world), "files": [None]}}
            files = {"input.files.0": ("oficio.pdf", LETTER, "application/pdf")}

            async def send():
                operations = {"query": REGISTER_WITH_FILES, "variables": variables}
                form = {
                    "operations": (None, json.dumps(operations)),
                    "map": (None, json.dumps({"0": ["variables.input.files.0"]})),
                    "0": files["input.files.0"],
                }
                return await client.post(
                    "/graphql",
                    files=form,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "x-mcs-csrf": "1",
                        "Idempotency-Key": "oficio-perdido",
                    },
                )

            proxy.armed = True
            lost = await send()
            assert proxy.cuts == 1
            body = lost.json()
            assert (body.get("data") or {}).get("registerDocument") is None or body["data"]["registerDocument"][
                "document"
            ] is None
            assert body.get("errors"), body  # the client was told it failed…
            async with services.db.session() as session:  # …yet the document was committed
                documents = (await session.execute(select(Document))).scalars().all()
                attachments = (await session.execute(select(Attachment))).scalars().all()
                keys = (await session.execute(select(IdempotencyKey))).scalars().all()
            assert len(documents) == 1 and len(attachments) == 1 and len(keys) == 1
            # the file was placed before COMMIT: it is there, not deleted as a failed upload
            assert services.storage.exists(attachments[0].sha256)

            retried = (await send()).json()["data"]["registerDocument"]
            assert retried["errors"] == []
            assert retried["document"]["folio"] == documents[0].folio
            (attachment,) = retried["document"]["attachments"]
            download = await client.get(attachment["url"])
            assert download.status_code == 200 and download.content == LETTER
            assert await count(services, Document) == 1
    finally:
        await services.hub.close()
        await services.db.dispose()
        await proxy.close()
