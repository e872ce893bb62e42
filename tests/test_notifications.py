"""Notifications by e-mail, read back from a real SMTP server (aiosmtpd): the right people, the
right subject lines, confidential text masked, each notification sent once whatever the instances
and the retries (resolvers/notifier.py, notifications/, models/notifications.py)."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import email
import email.policy
import json
import os
import socket
import sys
from datetime import datetime, timezone
from urllib.parse import quote

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from mcs.app import build_services
from models.notifications import INTERRUPTED_ERROR, Notification, PushSubscription
from models.users import User
from resolvers.notifier import collect, plan_digests, send_due
from tests.conftest import Api
from tests.workflow import Flow

PREFERENCES = (
    """{ notificationPreferences { channels { kind channels } includeSubunits digestHour quietFrom quietTo email } }"""
)
UPDATE = """mutation($input: UpdateNotificationPreferencesInput!) { updateNotificationPreferences(input: $input) {
  errors { code field message } preferences { channels { kind channels } includeSubunits digestHour quietFrom quietTo email } } }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """aiosmtpd's handler: every message accepted, parsed, with its envelope recipients."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 4.3.0 Intente más tarde"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        for rcpt in envelope.rcpt_tos:
            self.messages.append((rcpt, message))
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for rcpt, m in self.messages if rcpt == address]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
async def mail(services, smtp):
    """The test's services with e-mail on (the same database, clock and hub)."""
    inbox, port = smtp
    settings = dataclasses.replace(
        services.settings,
        smtp_host="127.0.0.1",
        smtp_port=port,
        public_url="https://mcs.example.gob.mx",
        smtp_from="MCS <mcs@example.gob.mx>",
    )
    return dataclasses.replace(services, settings=settings), inbox


async def give_emails(services, world, *usernames):
    async with services.db.transaction() as session:
        for username in usernames:
            await session.execute(
                update(User).where(User.id == world.users[username].id).values(email=f"{username}@example.gob.mx")
            )


async def dg_turns_to_da(flow, business_days: int = 5) -> dict:
    """DG registers a document and turns it to DA for an answer: the turno."""
    doc = await flow.register(user="dg_reg", unit="DG")
    sent = await flow.send(
        "dg_reg",
        document=doc["id"],
        recipients=[{"unitId": "DA", "instruction": "RESPONSE", "businessDays": business_days}],
    )
    assert sent["errors"] == [], sent
    return sent["turnos"][0]


async def notify(services) -> int:
    await collect(services)
    return await send_due(services)


async def rows(services) -> list[Notification]:
    async with services.db.session() as session:
        return list((await session.execute(select(Notification).order_by(Notification.id))).scalars())


async def test_a_new_turno_mails_the_people_of_its_unit_once(api, world, mail):
    services, inbox = mail
    await give_emails(services, world, "da_head", "da_staff", "dj_head", "dg_reg", "srh_head")
    flow = Flow(api, world)
    doc = await flow.register(user="dg_reg", unit="DG", subject="Solicitud de información del padrón")
    sent = await flow.send(
        "dg_reg", document=doc["id"], recipients=[{"unitId": "DA", "instruction": "RESPONSE", "businessDays": 5}]
    )
    assert sent["errors"] == []
    number = sent["turnos"][0]["number"]

    assert await notify(services) == 2
    for username in ("da_head", "da_staff"):
        [message] = inbox.to(f"{username}@example.gob.mx")
        assert message["Subject"] == f"Nuevo turno: {number} · Solicitud de información del padrón"
        assert message["From"] == "MCS <mcs@example.gob.mx>"
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert number in text and "Dirección de Administración" in text and "Respuesta" in text
        link = f"https://mcs.example.gob.mx/turno/{quote(sent['turnos'][0]['id'], safe='')}"  # as the web app links
        assert link in text and f'href="{link}"' in html
    # the sender's unit, another branch, a subunit's HEAD: not told
    assert inbox.to("dg_reg@example.gob.mx") == [] and inbox.to("dj_head@example.gob.mx") == []
    assert inbox.to("srh_head@example.gob.mx") == []
    # again: nothing new, nothing twice
    assert await notify(services) == 0 and len(inbox.messages) == 2
    assert {(r.kind, r.channel, r.status) for r in await rows(services)} == {("NEW_TURNO", "EMAIL", "SENT")}


async def test_confidential_subject_only_for_who_may_read_it(api, world, mail):
    """DG's REGISTRAR asked for subunits: told of a confidential turno to SRH, but not of what it says."""
    services, inbox = mail
    await give_emails(services, world, "dg_reg", "srh_head", "da_head")
    dg_reg = world.tokens["dg_reg"]
    body = await api.ok(UPDATE, {"input": {"includeSubunits": True}}, token=dg_reg)
    assert body["updateNotificationPreferences"]["errors"] == []
    await api.ok(UPDATE, {"input": {"includeSubunits": True}}, token=world.tokens["da_head"])
    flow = Flow(api, world)
    doc = await flow.register(user="da_reg", unit="DA", subject="Queja contra un servidor público", confidential=True)
    sent = await flow.send(
        "da_reg", document=doc["id"], recipients=[{"unitId": "SRH", "instruction": "ATTENTION", "businessDays": 3}]
    )
    number = sent["turnos"][0]["number"]
    assert await notify(services) == 3
    [masked] = inbox.to("dg_reg@example.gob.mx")
    assert masked["Subject"] == f"Nuevo turno: {number} · Documento confidencial"
    assert "Queja" not in masked.as_string()
    for reader in ("srh_head", "da_head"):  # on the chain; the HEAD above it
        [message] = inbox.to(f"{reader}@example.gob.mx")
        assert message["Subject"] == f"Nuevo turno: {number} · Queja contra un servidor público"


async def test_answers_returns_and_preferences(api, world, mail):
    services, inbox = mail
    await give_emails(services, world, "dg_reg", "dg_head", "da_reg", "da_head")
    # DA's HEAD wants no e-mail of new turnos
    body = await api.ok(
        UPDATE, {"input": {"channels": [{"kind": "NEW_TURNO", "channels": []}]}}, token=world.tokens["da_head"]
    )
    assert body["updateNotificationPreferences"]["preferences"]["channels"][0] == {"kind": "NEW_TURNO", "channels": []}
    flow = Flow(api, world)
    turno = await dg_turns_to_da(flow)
    await notify(services)
    assert inbox.to("da_head@example.gob.mx") == [] and len(inbox.to("da_reg@example.gob.mx")) == 1
    answered = await flow.respond("da_reg", turno["id"])
    assert answered["errors"] == []
    await notify(services)
    for username in ("dg_reg", "dg_head"):
        assert [m["Subject"] for m in inbox.to(f"{username}@example.gob.mx")] == [
            f"Respuesta por evaluar: {turno['number']} · Solicitud de información sobre el programa de vivienda"
        ]


async def test_an_smtp_failure_is_retried_later_and_sent_once(api, world, mail, clock):
    services, inbox = mail
    await give_emails(services, world, "da_reg")
    flow = Flow(api, world)
    await dg_turns_to_da(flow)
    inbox.refuse = True
    assert await notify(services) == 0
    [row] = await rows(services)
    assert row.status == "RETRY" and row.attempts == 1 and "451" in row.error
    inbox.refuse = False
    assert await notify(services) == 0, "not before its time"
    clock.advance(seconds=31)
    assert await notify(services) == 1 and await notify(services) == 0
    [row] = await rows(services)
    assert row.status == "SENT" and row.attempts == 2 and row.address == "da_reg@example.gob.mx"
    assert len(inbox.to("da_reg@example.gob.mx")) == 1


async def test_two_instances_notify_each_event_once(api, world, mail, backend):
    if backend != "postgresql":
        pytest.skip("several instances share PostgreSQL; SQLite is one process")
    services, inbox = mail
    await give_emails(services, world, "da_reg", "da_head", "da_staff", "dj_head", "dj_staff")
    flow = Flow(api, world)
    for i in range(10):
        doc = await flow.register(user="dg_reg", unit="DG", reference=f"R/{i}")
        await flow.send(
            "dg_reg",
            document=doc["id"],
            recipients=[
                {"unitId": "DA", "instruction": "RESPONSE", "businessDays": 5},
                {"unitId": "DJ", "instruction": "ATTENTION", "businessDays": 5},
            ],
        )
    other = build_services(services.settings, clock=services.clock)
    try:
        await asyncio.gather(*[notify(s) for s in (services, other, services, other)])
    finally:
        await other.hub.close()
        await other.db.dispose()
    assert len(inbox.messages) == 10 * 5
    assert len({(rcpt, m["Subject"]) for rcpt, m in inbox.messages}) == 50
    assert all(r.status == "SENT" for r in await rows(services))


async def test_preferences_read_and_refused_input(api, world):
    token = world.tokens["da_staff"]
    defaults = (await api.ok(PREFERENCES, token=token))["notificationPreferences"]
    assert defaults["channels"] == [
        {"kind": "NEW_TURNO", "channels": ["EMAIL", "PUSH"]},
        {"kind": "ANSWER_RECEIVED", "channels": ["EMAIL", "PUSH"]},
        {"kind": "ANSWER_RETURNED", "channels": ["EMAIL", "PUSH"]},
        {"kind": "TURNO_CANCELLED", "channels": []},
        {"kind": "DEADLINE_PASSED", "channels": ["EMAIL", "PUSH"]},
        {"kind": "DAILY_DIGEST", "channels": ["EMAIL", "PUSH"]},
    ]
    assert defaults | {"channels": None} == {
        "channels": None,
        "includeSubunits": False,
        "digestHour": 8,
        "quietFrom": None,
        "quietTo": None,
        "email": None,
    }
    body = await api.ok(
        UPDATE, {"input": {"digestHour": 24, "quietFrom": "7:30", "quietTo": "25:00", "email": "nada"}}, token=token
    )
    errors = body["updateNotificationPreferences"]["errors"]
    assert {(e["field"], e["code"]) for e in errors} == {
        ("digestHour", "VALIDATION"),
        ("quietFrom", "VALIDATION"),
        ("quietTo", "VALIDATION"),
        ("email", "VALIDATION"),
    }
    assert (await api.ok(PREFERENCES, token=token))["notificationPreferences"] == defaults  # nothing half-written
    body = await api.ok(
        UPDATE,
        {
            "input": {
                "digestHour": 7,
                "quietFrom": "22:00",
                "quietTo": "07:00",
                "email": " persona@example.gob.mx ",
                "channels": [{"kind": "TURNO_CANCELLED", "channels": ["EMAIL"]}],
            }
        },
        token=token,
    )
    changed = body["updateNotificationPreferences"]["preferences"]
    assert changed["digestHour"] == 7 and changed["quietFrom"] == "22:00" and changed["quietTo"] == "07:00"
    assert changed["email"] == "persona@example.gob.mx"
    assert {"kind": "TURNO_CANCELLED", "channels": ["EMAIL"]} in changed["channels"]
    assert {"kind": "NEW_TURNO", "channels": ["EMAIL", "PUSH"]} in changed["channels"]  # not listed: unchanged
    assert (await api.ok(PREFERENCES, token=token))["notificationPreferences"] == changed
    anonymous = await api.gql(PREFERENCES)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


# --- Web Push --------------------------------------------------------------------------------------

REGISTER_PUSH = """mutation($input: RegisterPushSubscriptionInput!) { registerPushSubscription(input: $input) {
  errors { code field message } } }"""
REMOVE_PUSH = """mutation($input: RemovePushSubscriptionInput!) { removePushSubscription(input: $input) {
  errors { code field message } } }"""


class Browser:
    """A browser's side of Web Push: its key pair and auth secret (what PushSubscription.toJSON()
    gives the server), and a push service on loopback that keeps what it receives and decrypts it
    with the browser's keys (RFC 8291, aes128gcm). /gone answers 410 like a service whose
    subscription expired."""

    def __init__(self):
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives import serialization

        self.private_key = ec.generate_private_key(ec.SECP256R1())
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.p256dh = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        self.secret = os.urandom(16)
        self.auth = base64.urlsafe_b64encode(self.secret).decode().rstrip("=")
        self.received: list[tuple[str, dict, dict]] = []  # (path, headers, decrypted JSON)

    async def handle(self, request):
        from aiohttp import web
        import http_ece

        if request.path.endswith("/gone"):
            return web.Response(status=410)
        body = await request.read()
        plain = http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.secret, version="aes128gcm")
        self.received.append((request.path, dict(request.headers), json.loads(plain)))
        return web.Response(status=201)

    def subscription(self, base: str, path: str) -> dict:
        return {"endpoint": f"{base}{path}", "keys": {"p256dh": self.p256dh, "auth": self.auth}}


@pytest.fixture
async def browser():
    from aiohttp import web

    b = Browser()
    app = web.Application()
    app.router.add_post("/{tail:.*}", b.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    b.base = f"http://127.0.0.1:{port}"
    yield b
    await runner.cleanup()


async def test_web_push_reaches_the_browser_encrypted_and_without_confidential_text(api, world, services, browser):
    token = world.tokens["da_reg"]
    public_key = (await api.ok("{ webPushPublicKey }"))["webPushPublicKey"]
    assert public_key == (await api.ok("{ webPushPublicKey }"))["webPushPublicKey"]  # made once, kept
    for path in ("/push/phone", "/push/gone"):
        body = await api.ok(REGISTER_PUSH, {"input": browser.subscription(browser.base, path)}, token=token)
        assert body["registerPushSubscription"]["errors"] == []
    flow = Flow(api, world)
    doc = await flow.register(user="dg_reg", unit="DG", subject="Auditoría reservada", confidential=True)
    sent = await flow.send(
        "dg_reg", document=doc["id"], recipients=[{"unitId": "DA", "instruction": "ATTENTION", "businessDays": 2}]
    )
    turno = sent["turnos"][0]
    assert await notify(services) == 1  # e-mail is off here: push only
    [(path, headers, payload)] = browser.received
    assert path == "/push/phone"
    assert headers["Authorization"].startswith("vapid t=") and f"k={public_key}" in headers["Authorization"]
    assert payload == {
        "title": "Nuevo turno",
        "body": f"{turno['number']} · DA",
        "kind": "NEW_TURNO",
        "url": f"/turno/{quote(turno['id'], safe='')}",
        "turnoId": turno["id"],
    }
    [row] = await rows(services)
    assert row.channel == "PUSH" and row.status == "SENT" and row.address == f"{browser.base}/push/phone"
    # the 410 removed its subscription: removing it again finds nothing
    gone = await api.ok(REMOVE_PUSH, {"input": {"endpoint": f"{browser.base}/push/gone"}}, token=token)
    assert gone["removePushSubscription"]["errors"][0]["code"] == "NOT_FOUND"
    removed = await api.ok(REMOVE_PUSH, {"input": {"endpoint": f"{browser.base}/push/phone"}}, token=token)
    assert removed["removePushSubscription"]["errors"] == []
    await flow.send(
        "dg_reg", document=doc["id"], recipients=[{"unitId": "DJ", "instruction": "ATTENTION", "businessDays": 2}]
    )
    assert await notify(services) == 0 and len(browser.received) == 1


async def test_a_push_subscription_is_checked(api, world, services, browser):
    token = world.tokens["da_reg"]
    good = browser.subscription(browser.base, "/push/x")
    cases = [
        ({**good, "endpoint": "ftp://example.org/x"}, "endpoint"),
        ({**good, "keys": {"p256dh": "corta", "auth": good["keys"]["auth"]}}, "keys.p256dh"),
        ({**good, "keys": {"p256dh": good["keys"]["p256dh"], "auth": "!!"}}, "keys.auth"),
    ]
    for value, field in cases:
        body = await api.ok(REGISTER_PUSH, {"input": value}, token=token)
        assert [(e["code"], e["field"]) for e in body["registerPushSubscription"]["errors"]] == [("VALIDATION", field)]
    anonymous = await api.ok(REGISTER_PUSH, {"input": good})
    assert anonymous["registerPushSubscription"]["errors"][0]["code"] == "UNAUTHENTICATED"
    async with services.db.session() as session:
        assert (await session.execute(select(PushSubscription))).first() is None  # nothing half-written


# --- the daily digest and `mcs notify --at` ------------------------------------------------------


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.fixture
async def pending_work(api, world, mail, clock):
    """On Monday 23 Feb 2026 DG turns three documents to DA: one due the next day, one in six
    business days, one that DA answers at once (awaiting DG's evaluation)."""
    services, inbox = mail
    await give_emails(services, world, "da_head", "dg_head", "dj_head")
    clock.set(utc("2026-02-23T16:00:00"))
    flow = Flow(api, world)
    numbers = [await dg_turns_to_da(flow, days) for days in (1, 6, 2)]
    assert (await flow.respond("da_reg", numbers[2]["id"]))["errors"] == []
    await collect(services)  # the day's immediate notices: made (and sent) apart from the digest
    await send_due(services)
    inbox.messages.clear()
    return [t["number"] for t in numbers]


async def test_the_digest_at_the_chosen_hour_on_business_days_once(world, mail, clock, pending_work):
    services, inbox = mail
    overdue, due_soon, answered = pending_work
    clock.set(utc("2026-03-02T13:59:00"))  # 07:59 in Mexico City, Monday 2 March
    assert await plan_digests(services) == 0
    clock.set(utc("2026-03-02T14:00:00"))
    assert await plan_digests(services) == 3 and await plan_digests(services) == 0
    assert await send_due(services) == 2  # DJ has nothing pending: no digest
    [da] = inbox.to("da_head@example.gob.mx")
    assert da["Subject"] == "Resumen del 02/03/2026: 1 vencidos, 1 vencen hoy o pronto"
    text = da.get_body(("plain",)).get_content()
    assert (
        text.index("Vencidos (1):")
        < text.index(overdue)
        < text.index("Vencen hoy o pronto (1):")
        < text.index(due_soon)
    )
    assert answered not in text
    [dg] = inbox.to("dg_head@example.gob.mx")
    assert dg["Subject"] == "Resumen del 02/03/2026: 1 respuestas por evaluar"
    assert answered in dg.get_body(("plain",)).get_content()
    assert inbox.to("dj_head@example.gob.mx") == []
    statuses = {(r.user_id, r.status) for r in await rows(services) if r.kind == "DAILY_DIGEST"}
    assert (world.users["dj_head"].id, "SKIPPED") in statuses
    clock.set(utc("2026-03-16T15:00:00"))  # Benito Juárez's day, an official holiday: no digest
    assert await plan_digests(services) == 0


async def test_mcs_notify_at_runs_a_days_schedule(world, mail, pending_work, tmp_path):
    services, inbox = mail
    settings = services.settings
    env = {
        **os.environ,
        "MCS_DATABASE_URL": settings.database_url,
        "MCS_SMTP_HOST": "127.0.0.1",
        "MCS_SMTP_PORT": str(settings.smtp_port),
        "MCS_PUBLIC_URL": "https://mcs.example.gob.mx",
        "MCS_SECRET_KEY": "test-secret-key-with-enough-length-for-hs256",
        "MCS_VAR_DIR": str(tmp_path),
        "MCS_REDIS_URL": settings.redis_url or "",
        "MCS_REDIS_CHANNEL": settings.redis_channel,
    }
    run = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mcs.cli",
        "notify",
        "--at",
        "2026-03-03T08:30",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await run.communicate()
    assert run.returncode == 0, out.decode()
    # the watcher's notices as of that morning: the overdue turno passed, the other one is near
    assert "2 avisos de plazo, 3 resúmenes diarios" in out.decode(), out.decode()
    kinds = sorted(m["Subject"].split(":")[0] for rcpt, m in inbox.messages if rcpt == "da_head@example.gob.mx")
    assert kinds == ["Plazo vencido", "Resumen del 03/03/2026"]
    bad = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mcs.cli",
        "notify",
        "--at",
        "mañana",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await bad.communicate()
    assert bad.returncode == 2 and "Fecha y hora no válida" in out.decode()
    # an SMTP security the mailer cannot use stops every command at once, naming the variable
    bad = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mcs.cli",
        "notify",
        "--at",
        "2026-03-03T08:30",
        env={**env, "MCS_SMTP_SECURITY": "ssl"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await bad.communicate()
    assert bad.returncode == 2 and "MCS_SMTP_SECURITY debe ser none, starttls, tls" in out.decode(), out.decode()


RECORD = """query($user: ID) { notifications(userId: $user, first: 10) { edges { node {
  kind channel status attempts sentAt address error digestDate eventSequence } } } }"""


async def test_was_i_told(api, world, mail):
    services, inbox = mail
    await give_emails(services, world, "da_staff")
    flow = Flow(api, world)
    await dg_turns_to_da(flow)
    await notify(services)
    mine = (await api.ok(RECORD, token=world.tokens["da_staff"]))["notifications"]["edges"]
    assert [e["node"] | {"sentAt": None, "eventSequence": None} for e in mine] == [
        {
            "kind": "NEW_TURNO",
            "channel": "EMAIL",
            "status": "SENT",
            "attempts": 1,
            "sentAt": None,
            "address": "da_staff@example.gob.mx",
            "error": None,
            "digestDate": None,
            "eventSequence": None,
        }
    ]
    assert mine[0]["node"]["sentAt"] and mine[0]["node"]["eventSequence"]
    staff_id = world.user_id("da_staff")
    by_admin = (await api.ok(RECORD, {"user": staff_id}, token=world.tokens["admin"]))["notifications"]["edges"]
    assert by_admin == mine
    refused = await api.gql(RECORD, {"user": staff_id}, token=world.tokens["da_head"])
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN" and refused["data"] is None
    assert (await api.ok(RECORD, token=world.tokens["da_head"]))["notifications"]["edges"] == []


async def test_quiet_period_returns_and_cancellations(api, world, mail, clock):
    services, inbox = mail
    await give_emails(services, world, "da_reg")
    token = world.tokens["da_reg"]
    body = await api.ok(
        UPDATE,
        {
            "input": {
                "quietFrom": "22:00",
                "quietTo": "07:00",
                "channels": [{"kind": "TURNO_CANCELLED", "channels": ["EMAIL"]}],
            }
        },
        token=token,
    )
    assert body["updateNotificationPreferences"]["errors"] == []
    clock.set(utc("2026-03-03T05:00:00"))  # 23:00 on Monday in Mexico City: quiet
    flow = Flow(api, world)
    first, second = await dg_turns_to_da(flow), await dg_turns_to_da(flow)
    assert await notify(services) == 0 and inbox.messages == []
    clock.set(utc("2026-03-03T12:59:00"))  # 06:59
    assert await notify(services) == 0
    clock.set(utc("2026-03-03T13:00:00"))  # 07:00: the night's notices go out
    assert await notify(services) == 2
    response = (await flow.respond("da_reg", first["id"]))["response"]
    returned = await flow.evaluate("dg_reg", response["id"], "RETURN", comment="Falta el anexo.")
    assert returned["errors"] == []
    assert (await flow.cancel("dg_reg", second["id"]))["errors"] == []
    assert await notify(services) == 2
    subjects = [m["Subject"].split(":")[0] for m in inbox.to("da_reg@example.gob.mx")]
    assert subjects == ["Nuevo turno", "Nuevo turno", "Respuesta devuelta", "Turno cancelado"]


async def test_a_running_server_notifies_as_soon_as_the_event_commits(world, mail):
    """The notifier's pass runs every MCS_NOTIFY_SECONDS, and at once on each wake-up of the hub:
    here the period is a minute, and the mail comes well before it."""
    from tests.live import start_server

    services, inbox = mail
    services = dataclasses.replace(services, settings=dataclasses.replace(services.settings, notify_seconds=60))
    await give_emails(services, world, "da_reg")
    server = await start_server(services)
    try:
        async with httpx.AsyncClient(base_url=server.http_url.removesuffix("/graphql"), timeout=30) as http:
            live = Api(http)
            flow = Flow(live, world)
            await asyncio.sleep(0.5)  # the notifier's first pass (at start) is over
            turno = await dg_turns_to_da(flow)
            for _ in range(200):
                if inbox.to("da_reg@example.gob.mx"):
                    break
                await asyncio.sleep(0.05)
            [message] = inbox.to("da_reg@example.gob.mx")
            assert turno["number"] in message["Subject"]
    finally:
        await server.stop()


async def test_a_claim_left_by_a_stopped_process_is_never_sent_again(api, world, mail):
    """A sender marks what it takes SENDING (committed) before it speaks to the SMTP server: if
    its process stops there, a restarted one neither re-sends it nor makes it again."""
    from resolvers.notifier import _claim

    services, inbox = mail
    await give_emails(services, world, "da_reg", "da_head")
    flow = Flow(api, world)
    await dg_turns_to_da(flow)
    assert await collect(services) == 2
    claimed = await _claim(services)  # ... and the process stops before sending
    assert len(claimed) == 2
    restarted = build_services(services.settings, clock=services.clock)
    try:
        assert await notify(restarted) == 0 and await collect(restarted) == 0
    finally:
        await restarted.hub.close()
        await restarted.db.dispose()
    assert inbox.messages == [] and {r.status for r in await rows(services)} == {"SENDING"}


async def test_the_clean_up_closes_an_abandoned_claim_and_forgets_old_records(api, world, mail, clock):
    """What a stopped process left SENDING is closed FAILED after 10 minutes, saying why, and never
    sent; finished records older than MCS_NOTIFICATION_DAYS are forgotten, recent ones kept."""
    from resolvers.notifier import _claim, forget_notifications

    services, inbox = mail
    await give_emails(services, world, "da_reg", "da_head")
    flow = Flow(api, world)
    await dg_turns_to_da(flow)
    assert await collect(services) == 2
    assert len(await _claim(services)) == 2  # ... and the process stops before sending
    clock.advance(seconds=9 * 60)
    assert await forget_notifications(services) == 0  # a slow sender may still be at it
    clock.advance(seconds=2 * 60)
    assert await forget_notifications(services) == 2
    closed = await rows(services)
    assert {(r.status, r.error) for r in closed} == {("FAILED", INTERRUPTED_ERROR)}
    assert await notify(services) == 0 and inbox.messages == []

    clock.advance(days=100)
    await dg_turns_to_da(flow)
    assert await collect(services) == 2 and await notify(services) == 2
    clock.advance(days=services.settings.notification_days - 100 - 1)
    assert await forget_notifications(services) == 0  # the first two are 179 days old
    clock.advance(days=2)
    assert await forget_notifications(services) == 2  # now 181: forgotten; the others, 81 days old, kept
    assert [r.status for r in await rows(services)] == ["SENT", "SENT"]


async def test_push_endpoints_limited_to_the_allowed_hosts(api, world, services, browser):
    allowed = dataclasses.replace(services.settings, push_allowed_hosts=("fcm.googleapis.com",))
    from mcs.app import create_app

    app = create_app(services=dataclasses.replace(services, settings=allowed))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        limited = Api(client)
        token = world.tokens["da_reg"]
        refused = await limited.ok(REGISTER_PUSH, {"input": browser.subscription(browser.base, "/push/x")}, token=token)
        assert [(e["code"], e["field"]) for e in refused["registerPushSubscription"]["errors"]] == [
            ("VALIDATION", "endpoint")
        ]
        fcm = browser.subscription("https://fcm.googleapis.com", "/fcm/send/abc")
        accepted = await limited.ok(REGISTER_PUSH, {"input": fcm}, token=token)
        assert accepted["registerPushSubscription"]["errors"] == []


async def test_events_older_than_a_week_when_reached_are_passed_over(api, world, mail, clock):
    """History the notifier reaches late (loaded in bulk, or a notifier stopped for long) is not
    notified weeks after the fact; what is within NOTIFY_WITHIN still is, and nothing is missed after."""
    from resolvers.notifier import NOTIFY_WITHIN

    services, inbox = mail
    await give_emails(services, world, "da_reg", "da_head")
    flow = Flow(api, world)
    await dg_turns_to_da(flow)
    clock.advance(days=NOTIFY_WITHIN.days - 1)
    assert await collect(services) == 2  # six days late: still told
    await dg_turns_to_da(flow)
    clock.advance(days=NOTIFY_WITHIN.days + 1)
    assert await collect(services) == 0  # eight days late: passed over, the cursor past it
    await dg_turns_to_da(flow)
    assert await collect(services) == 2 and await send_due(services) == 4
    assert len(inbox.messages) == 4
