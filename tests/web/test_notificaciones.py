"""Notificaciones: the person's notification preferences (e-mail address, channels per kind,
subunits, hour of the daily summary, quiet period) saved through the API and shown again after a
reload; the API's refusals next to their fields; and "Este navegador": subscribing this browser to
Web Push (lib/push.ts) and the service worker showing a push message (src/sw.ts).

Chromium here cannot really subscribe: its push service is Google's (FCM), out of reach of this
sandbox, and a Playwright context is off the record, where Chromium offers no Push API at all
(subscribe() fails at once). So one test clicks the real button and checks that the failure is said
in words and nothing is registered; another replaces only PushManager's subscribe/getSubscription
(the browser's half) to check that the app registers what the browser gives it, with the server's
VAPID key, and removes it; and the service worker gets a push message through the DevTools protocol
(ServiceWorker.deliverPushMessage), as the push service would deliver it."""

from __future__ import annotations

import base64
import json
import re

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.async_api import Page, expect
from sqlalchemy import select

from models.notifications import PushSubscription
from tests.web.conftest import ON_SQLITE, sign_in, tab_to, url, wait_until

pytestmark = ON_SQLITE

USER = "da_head"  # a titular: also offered "Incluir las subunidades"

PREFERENCES = """{ notificationPreferences { channels { kind channels } includeSubunits digestHour quietFrom quietTo
  email } }"""
UPDATE = """mutation($input: UpdateNotificationPreferencesInput!) { updateNotificationPreferences(input: $input) {
  errors { code field message } preferences { email } } }"""

KIND_WORDS = {
    "NEW_TURNO": "Nuevo turno para mi unidad",
    "ANSWER_RECEIVED": "Respuesta por evaluar",
    "ANSWER_RETURNED": "Respuesta devuelta",
    "TURNO_CANCELLED": "Turno cancelado",
    "DEADLINE_PASSED": "Plazo vencido",
    "DAILY_DIGEST": "Resumen diario",
}
CHANNEL_WORDS = {"EMAIL": "Correo", "PUSH": "Notificaciones del navegador"}


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def checkbox(page: Page, channel: str, kind: str):
    return page.get_by_role("checkbox", name=f"{CHANNEL_WORDS[channel]}: {KIND_WORDS[kind]}", exact=True)


async def preferences(api, world, user: str = USER) -> dict:
    return (await api.ok(PREFERENCES, token=world.tokens[user]))["notificationPreferences"]


async def open_screen(page: Page, server, user: str = USER) -> None:
    await sign_in(page, server, user, path="/notificaciones")
    await expect(page.get_by_role("heading", name="Notificaciones", level=1)).to_be_visible()
    await expect(page.get_by_role("button", name="Guardar preferencias")).to_be_visible()


async def shows(page: Page, prefs: dict) -> None:
    """The screen shows these preferences, field by field."""
    await expect(page.get_by_role("textbox", name="Correo electrónico")).to_have_value(prefs["email"] or "")
    for row in prefs["channels"]:
        for channel in CHANNEL_WORDS:
            box = checkbox(page, channel, row["kind"])
            if channel in row["channels"]:
                await expect(box).to_be_checked()
            else:
                await expect(box).not_to_be_checked()
    subunits = page.get_by_role("checkbox", name="Incluir las subunidades")
    await (expect(subunits).to_be_checked() if prefs["includeSubunits"] else expect(subunits).not_to_be_checked())
    hour = page.get_by_role("combobox", name="Hora del resumen diario")
    await expect(hour).to_have_value(str(prefs["digestHour"]))
    await expect(hour.locator("option:checked")).to_have_text(f"{prefs['digestHour']:02d}:00")
    await expect(page.get_by_label("Desde")).to_have_value(prefs["quietFrom"] or "")
    await expect(page.get_by_label("Hasta")).to_have_value(prefs["quietTo"] or "")


async def push_rows(services) -> list[PushSubscription]:
    async with services.db.session() as session:
        return list((await session.execute(select(PushSubscription))).scalars())


# --- the preferences --------------------------------------------------------------------------------


async def test_reached_from_the_account_menu_it_shows_the_defaults(server, api, world, browsing):
    defaults = await preferences(api, world)
    assert [row["kind"] for row in defaults["channels"]] == list(KIND_WORDS)
    assert any(row["channels"] for row in defaults["channels"]) and any(
        not row["channels"] for row in defaults["channels"]
    )
    assert defaults["email"] is None and defaults["quietFrom"] is None

    page = await browsing.page()
    await sign_in(page, server, USER)
    await page.get_by_role("button", name="Da Head").click()  # the account menu, beside Cambiar contraseña
    await expect(page.get_by_role("button", name="Cambiar contraseña")).to_be_visible()
    await page.get_by_role("link", name="Notificaciones").click()
    await expect(page.get_by_role("heading", name="Notificaciones", level=1)).to_be_visible()
    assert page.url.endswith("/notificaciones")
    await shows(page, defaults)
    # every hour of the day, in words people read
    options = await page.get_by_role("combobox", name="Hora del resumen diario").locator("option").all_text_contents()
    assert options == [f"{h:02d}:00" for h in range(24)]
    # the subunits are asked of a titular, not of staff
    staff = await browsing.page()
    await open_screen(staff, server, "da_staff")
    await expect(staff.get_by_role("checkbox", name="Incluir las subunidades")).to_have_count(0)


async def test_changes_are_saved_and_a_reload_shows_them(server, api, world, browsing):
    page = await browsing.page()
    await open_screen(page, server)
    await page.get_by_role("textbox", name="Correo electrónico").fill("da.head@example.gob.mx")
    await checkbox(page, "EMAIL", "DAILY_DIGEST").uncheck()
    await checkbox(page, "PUSH", "TURNO_CANCELLED").check()
    await page.get_by_role("checkbox", name="Incluir las subunidades").check()
    await page.get_by_role("combobox", name="Hora del resumen diario").select_option(label="07:00")
    await page.get_by_label("Desde").fill("22:00")
    await page.get_by_label("Hasta").fill("07:00")
    await page.get_by_role("button", name="Guardar preferencias").click()
    await expect(page.get_by_role("status").filter(has_text="Preferencias guardadas")).to_be_visible()

    saved = await preferences(api, world)
    channels = {row["kind"]: row["channels"] for row in saved["channels"]}
    assert saved["email"] == "da.head@example.gob.mx"
    assert channels["DAILY_DIGEST"] == ["PUSH"] and channels["TURNO_CANCELLED"] == ["PUSH"]
    assert saved["includeSubunits"] is True and saved["digestHour"] == 7
    assert (saved["quietFrom"], saved["quietTo"]) == ("22:00", "07:00")

    await page.reload()
    await expect(page.get_by_role("button", name="Guardar preferencias")).to_be_visible()
    await shows(page, saved)

    # the quiet period taken away, and the e-mail emptied: none of either
    await page.get_by_role("button", name="Quitar el horario sin avisos").click()
    await page.get_by_role("textbox", name="Correo electrónico").fill("")
    await expect(page.get_by_text("Sin un correo electrónico no le llegarán")).to_be_visible()
    await page.get_by_role("button", name="Guardar preferencias").click()
    await expect(page.get_by_role("status").filter(has_text="Preferencias guardadas")).to_be_visible()
    cleared = await preferences(api, world)
    assert (cleared["quietFrom"], cleared["quietTo"], cleared["email"]) == (None, None, None)
    assert cleared["channels"] == saved["channels"] and cleared["digestHour"] == 7


async def test_an_invalid_email_is_refused_next_to_its_field_and_nothing_changes(server, api, world, browsing):
    before = await preferences(api, world)
    # the API's own words for it (refused: nothing written)
    refused = await api.ok(UPDATE, {"input": {"email": "no-es-correo"}}, token=world.tokens[USER])
    [error] = refused["updateNotificationPreferences"]["errors"]
    assert error["field"] == "email"

    page = await browsing.page()
    await open_screen(page, server)
    email = page.get_by_role("textbox", name="Correo electrónico")
    await email.fill("no-es-correo")
    await checkbox(page, "EMAIL", "NEW_TURNO").uncheck()  # changed too, and not saved either
    await page.get_by_role("button", name="Guardar preferencias").click()

    summary = page.get_by_role("alert").filter(
        has=page.get_by_role("heading", name=re.compile(r"^Hay (un|\d+) problemas?$"))
    )
    await expect(summary).to_be_visible()
    await expect(summary).to_be_focused()
    await expect(email).to_have_attribute("aria-invalid", "true")
    await expect(email).to_have_accessible_description(re.compile(re.escape(error["message"])))
    await expect(page.get_by_role("status").filter(has_text="Preferencias guardadas")).to_have_count(0)
    # the summary's link takes the focus to the field; what was typed is still there
    await summary.get_by_role("link", name=error["message"]).click()
    await expect(email).to_be_focused()
    await expect(email).to_have_value("no-es-correo")
    await expect(checkbox(page, "EMAIL", "NEW_TURNO")).not_to_be_checked()

    assert await preferences(api, world) == before
    await page.reload()
    await expect(page.get_by_role("button", name="Guardar preferencias")).to_be_visible()
    await shows(page, before)

    # half a quiet period is not sent: both problems are said at once, each by its field
    await email.fill("no-es-correo")
    await page.get_by_label("Desde").fill("22:00")
    await page.get_by_role("button", name="Guardar preferencias").click()
    await expect(summary.get_by_role("heading")).to_have_text("Hay 2 problemas")
    await expect(summary.get_by_role("listitem")).to_have_count(2)
    await expect(page.get_by_label("Hasta")).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_label("Hasta")).to_have_accessible_description(re.compile("hora en que termina"))
    assert await preferences(api, world) == before


# --- this browser ------------------------------------------------------------------------------------


async def test_subscribing_here_fails_in_words_when_the_browser_cannot(server, services, browsing):
    """The real Chromium: permission given, but its Push API refuses (no push service here)."""
    page = await browsing.page()
    await page.context.grant_permissions(["notifications"], origin=url(server))
    await open_screen(page, server)
    browser_section = page.get_by_role("region", name="Este navegador")
    start = browser_section.get_by_role("button", name="Recibir avisos en este navegador")
    await expect(start).to_be_visible()
    await start.click()
    problem = browser_section.get_by_role("alert")
    await expect(problem).to_contain_text("No se activaron los avisos en este navegador")
    await expect(problem).to_contain_text("Intente más tarde")
    await expect(start).to_be_visible()  # it may be tried again
    assert await push_rows(services) == []


async def test_a_person_who_says_no_is_told_how_to_allow_it_and_the_button_goes(server, browsing):
    page = await browsing.page()  # no permission given: this headless Chromium answers "denied"
    await open_screen(page, server)
    browser_section = page.get_by_role("region", name="Este navegador")
    await browser_section.get_by_role("button", name="Recibir avisos en este navegador").click()
    await expect(browser_section).to_contain_text("tiene bloqueados los avisos de MCS")
    await expect(browser_section.get_by_role("button")).to_have_count(0)


# The browser's half of PushManager, for a browser whose push service answers: subscribe() keeps
# (in localStorage, so that a reload finds it) what a real one returns.
FAKE_PUSH_MANAGER = """(() => {
  const KEY = "test.push";
  const made = (kept) => ({
    endpoint: kept.endpoint, expirationTime: null,
    options: { userVisibleOnly: true, applicationServerKey: Uint8Array.from(kept.serverKey).buffer },
    toJSON: () => ({ endpoint: kept.endpoint, expirationTime: null, keys: kept.keys }),
    unsubscribe: async () => { localStorage.removeItem(KEY); return true; },
  });
  PushManager.prototype.getSubscription = async function () {
    const kept = localStorage.getItem(KEY);
    return kept ? made(JSON.parse(kept)) : null;
  };
  PushManager.prototype.subscribe = async function (options) {
    const key = options.applicationServerKey;
    const kept = { ...SUBSCRIPTION, userVisibleOnly: options.userVisibleOnly,
      serverKey: Array.from(key instanceof ArrayBuffer ? new Uint8Array(key) : new Uint8Array(key.buffer, key.byteOffset, key.byteLength)) };
    localStorage.setItem(KEY, JSON.stringify(kept));
    return made(kept);
  };
})();"""


async def test_subscribing_registers_this_browser_and_stopping_removes_it(server, api, world, services, browsing):
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    subscription = {
        "endpoint": "https://push.example.net/send/abc123",
        "keys": {"p256dh": b64url(point), "auth": b64url(b"0123456789abcdef")},
    }
    page = await browsing.page()
    await page.context.grant_permissions(["notifications"], origin=url(server))
    await page.context.add_init_script(FAKE_PUSH_MANAGER.replace("SUBSCRIPTION", json.dumps(subscription)))
    await open_screen(page, server)
    browser_section = page.get_by_role("region", name="Este navegador")
    await browser_section.get_by_role("button", name="Recibir avisos en este navegador").click()
    await expect(browser_section.get_by_role("status")).to_contain_text("este navegador recibirá sus avisos")
    stop = browser_section.get_by_role("button", name="Dejar de recibir avisos en este navegador")
    await expect(stop).to_be_visible()

    [row] = await push_rows(services)
    assert (row.user_id, row.endpoint) == (world.users[USER].id, subscription["endpoint"])
    assert (row.p256dh, row.auth) == (subscription["keys"]["p256dh"], subscription["keys"]["auth"])
    # subscribed as the spec requires, with the server's VAPID key
    kept = json.loads(await page.evaluate("localStorage.getItem('test.push')"))
    public_key = (await api.ok("{ webPushPublicKey }"))["webPushPublicKey"]
    assert kept["userVisibleOnly"] is True and b64url(bytes(kept["serverKey"])) == public_key

    # a reload knows it is subscribed
    await page.reload()
    await expect(stop).to_be_visible()
    await stop.click()
    await expect(browser_section.get_by_role("status")).to_contain_text("ya no recibirá sus avisos")
    await expect(browser_section.get_by_role("button", name="Recibir avisos en este navegador")).to_be_visible()
    assert await push_rows(services) == []
    assert await page.evaluate("localStorage.getItem('test.push')") is None

    # subscribed again, then signing out: this browser stops receiving the person's notices
    await browser_section.get_by_role("button", name="Recibir avisos en este navegador").click()
    await expect(stop).to_be_visible()
    assert len(await push_rows(services)) == 1
    await page.get_by_role("button", name="Salir").click()
    await expect(page.get_by_role("button", name="Entrar")).to_be_visible()
    assert await push_rows(services) == []
    assert await page.evaluate("localStorage.getItem('test.push')") is None


async def test_the_service_worker_shows_a_push_message_one_notice_per_turno(server, browsing):
    page = await browsing.page()
    origin = url(server).rstrip("/")
    await page.context.grant_permissions(["notifications"], origin=origin)
    await open_screen(page, server)
    await page.evaluate("navigator.serviceWorker.ready")
    cdp = await page.context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    await cdp.send("ServiceWorker.enable")

    async def the_apps() -> list[dict]:
        return [r for r in registrations if r["scopeURL"] == f"{origin}/" and not r["isDeleted"]]

    registration = (await wait_until(the_apps))[0]

    async def deliver(payload: dict) -> None:
        """What the push service would hand the browser (the server's PushPayload, decrypted)."""
        await cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": f"{origin}/", "registrationId": registration["registrationId"], "data": json.dumps(payload)},
        )

    async def shown() -> dict[str, dict]:
        notices = await page.evaluate("""async () => (await (await navigator.serviceWorker.ready).getNotifications())
            .map((n) => ({title: n.title, body: n.body, tag: n.tag, data: n.data}))""")
        return {n["tag"]: n for n in notices}

    async def shows_titles(*titles: str) -> bool:
        return sorted(n["title"] for n in (await shown()).values()) == sorted(titles)

    payload = {
        "title": "Nuevo turno",
        "body": "DA/2026/000001-T1 · DA",
        "url": "/turno/VHVybm86MQ%3D%3D",
        "kind": "NEW_TURNO",
        "turnoId": "VHVybm86MQ==",
    }
    await deliver(payload)
    await wait_until(shown)
    assert await shown() == {
        "turno:VHVybm86MQ==": {
            "title": "Nuevo turno",
            "body": "DA/2026/000001-T1 · DA",
            "tag": "turno:VHVybm86MQ==",
            "data": {"url": "/turno/VHVybm86MQ%3D%3D"},
        }
    }
    # a newer notice about the same turno replaces it
    await deliver({**payload, "title": "Turno cancelado", "kind": "TURNO_CANCELLED"})
    await wait_until(lambda: shows_titles("Turno cancelado"))
    # another turno's is another notice; a link to another site is never followed: it opens the Bandeja
    await deliver({**payload, "turnoId": "VHVybm86Mg==", "url": "https://elsewhere.example/x"})
    await wait_until(lambda: shows_titles("Turno cancelado", "Nuevo turno"))
    assert (await shown())["turno:VHVybm86Mg=="]["data"] == {"url": "/bandeja"}


async def test_by_keyboard_alone_a_choice_is_changed_and_saved(server, api, world, browsing):
    """From the account menu to a saved change with Tab, Space and Enter only; each stop visibly focused."""
    page = await browsing.page()
    await sign_in(page, server, USER)
    menu = await tab_to(page, lambda f: f["tag"] == "summary" or "▾" in f["text"])
    assert menu["outline"], menu
    await page.keyboard.press("Enter")
    link = await tab_to(page, lambda f: f["text"] == "Notificaciones")
    assert link["outline"], link
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Notificaciones", level=1)).to_be_visible()
    box = await tab_to(page, lambda f: f["label"] == "Correo: Turno cancelado")
    assert box["outline"], box
    await page.keyboard.press("Space")
    button = await tab_to(page, lambda f: f["text"] == "Guardar preferencias")
    assert button["outline"], button
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status").filter(has_text="Preferencias guardadas")).to_be_visible()
    channels = {row["kind"]: row["channels"] for row in (await preferences(api, world))["channels"]}
    assert channels["TURNO_CANCELLED"] == ["EMAIL"]
